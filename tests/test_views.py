"""Views: which shape ops share memory and the version counter with their input, as in PyTorch.

Each case runs the same call in tensorlite and PyTorch (the oracle) on the same values and
checks that tensorlite's result is a view exactly when PyTorch's is (`_base`, shared memory),
that a write through either side under no_grad shows in the other, and that the version
counter is shared, so autograd notices in-place changes made through a view or its base.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.ops.pad import pad

torch = pytest.importorskip("torch")


def _pair(shape=(2, 3, 4), noncontig=False):
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    a, b = tl.tensor(data), torch.tensor(data)
    if noncontig:  # a transposed layout: reshape/flatten must copy, view must fail
        a, b = a.transpose(0, -1), b.transpose(0, -1)
    return a, b


def _T(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x.T


def _torch_pad(x, p):
    return torch.nn.functional.pad(x, p)


# (name, call) pairs; `call(x, lib)` gets the tensor and the library module (tl or torch)
VIEW_CASES = [
    ("view", lambda x, lib: x.view(6, 4)),
    ("view_inferred", lambda x, lib: x.view(-1)),
    ("view_as", lambda x, lib: x.view_as(lib.zeros(4, 6))),
    ("reshape_contiguous", lambda x, lib: x.reshape(4, 6)),
    ("reshape_as", lambda x, lib: x.reshape_as(lib.zeros(24))),
    ("flatten", lambda x, lib: x.flatten()),
    ("flatten_partial", lambda x, lib: x.flatten(1)),
    ("ravel", lambda x, lib: x.ravel()),
    ("unflatten", lambda x, lib: x.unflatten(2, (2, 2))),
    ("squeeze", lambda x, lib: x.unsqueeze(1).squeeze()),
    ("squeeze_dim", lambda x, lib: x.squeeze(0)),
    ("unsqueeze", lambda x, lib: x.unsqueeze(-1)),
    ("transpose", lambda x, lib: x.transpose(0, 2)),
    ("swapaxes", lambda x, lib: x.swapaxes(0, 1)),
    ("permute", lambda x, lib: x.permute(2, 0, 1)),
    ("movedim", lambda x, lib: x.movedim(0, -1)),
    ("mT", lambda x, lib: x.mT),
    ("mH", lambda x, lib: x.mH),
    ("T", lambda x, lib: _T(x)),
    ("expand", lambda x, lib: x.unsqueeze(0).expand(3, -1, -1, -1)),
    ("expand_as", lambda x, lib: x.narrow(1, 0, 1).expand_as(x)),
    ("narrow", lambda x, lib: x.narrow(2, 1, 2)),
    ("diagonal", lambda x, lib: x.diagonal(0, 1, 2)),
    ("diagonal_offset", lambda x, lib: x.diagonal(-1, 2, 1)),
    ("split", lambda x, lib: x.split(3, 2)[1]),
    ("split_sizes", lambda x, lib: x.split([1, 2], 1)[1]),
    ("chunk", lambda x, lib: x.chunk(2, -1)[0]),
    ("tensor_split", lambda x, lib: x.tensor_split([1, 3], 2)[1]),
    ("unbind", lambda x, lib: x.unbind(1)[2]),
    ("iter", lambda x, lib: list(x)[1]),
    ("atleast_3d", lambda x, lib: lib.atleast_3d(x.flatten(1))),
]

COPY_CASES = [
    ("flip", lambda x, lib: x.flip(0)),
    ("roll", lambda x, lib: x.roll(1, 0)),
    ("repeat", lambda x, lib: x.repeat(1, 1, 1)),
    ("tile", lambda x, lib: x.tile((2,))),
    ("cat_one", lambda x, lib: lib.cat([x])),
    ("stack", lambda x, lib: lib.stack([x, x])),
    ("tril", lambda x, lib: x.tril()),
    ("triu", lambda x, lib: x.triu(1)),
    ("diag", lambda x, lib: x.unbind(0)[0].diag()),
    ("diag_embed", lambda x, lib: x.diag_embed()),
    ("pad_zero", lambda x, lib: (pad if lib is tl else _torch_pad)(x, (0, 0))),
]

NONCONTIG_CASES = [
    ("reshape_copies", lambda x, lib: x.reshape(-1)),
    ("flatten_copies", lambda x, lib: x.flatten()),
    ("ravel_copies", lambda x, lib: x.ravel()),
    ("reshape_split_dim", lambda x, lib: x.reshape(2, 2, 3, 2)),
    ("permute_noncontig", lambda x, lib: x.permute(1, 0, 2)),
]


def _shares(a, b) -> bool:
    return bool(np.shares_memory(a._data, b._data))


def _check_view_semantics(call, noncontig=False):
    a, b = _pair(noncontig=noncontig)
    ra, rb = call(a, tl), call(b, torch)
    torch_is_view = rb._base is not None
    assert tuple(ra.shape) == tuple(rb.shape)
    np.testing.assert_array_equal(ra.numpy(), rb.numpy())
    base_a = a if a._base is None else a._base
    base_b = b if b._base is None else b._base
    assert (ra._base is base_a) == (rb._base is base_b), (
        f"tensorlite view: {ra._base is not None}, PyTorch view: {torch_is_view}")
    assert _shares(ra, a) == (rb.untyped_storage().data_ptr() == b.untyped_storage().data_ptr())
    # a write to the base shows in a view, in both libraries; and bumps the shared version
    va, vb = ra._version, rb._version
    with tl.no_grad():
        a.add_(1)
    with torch.no_grad():
        b.add_(1)
    np.testing.assert_array_equal(ra.numpy(), rb.numpy())
    assert (ra._version != va) == (rb._version != vb)


@pytest.mark.parametrize("name,call", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_view_ops_share_memory_and_version(name, call):
    _check_view_semantics(call)
    a, _ = _pair()
    out = call(a, tl)
    assert _shares(out, a) and out._base is a
    assert out._vc is a._vc


@pytest.mark.parametrize("name,call", COPY_CASES, ids=[c[0] for c in COPY_CASES])
def test_copying_ops_do_not_share(name, call):
    _check_view_semantics(call)
    a, _ = _pair()
    out = call(a, tl)
    assert not _shares(out, a) and out._base is None
    assert out._vc is not a._vc


@pytest.mark.parametrize("name,call", NONCONTIG_CASES, ids=[c[0] for c in NONCONTIG_CASES])
def test_noncontiguous_inputs(name, call):
    _check_view_semantics(call, noncontig=True)


def test_view_of_noncontiguous_raises():
    a, b = _pair(noncontig=True)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        a.view(-1)
    with pytest.raises(RuntimeError):
        b.view(-1)
    # splitting a dim is always expressible as a view, even with strides
    assert a.view(2, 2, 3, 2)._base is a._base


def test_write_through_view_shows_in_base():
    a = tl.zeros(3, 4)
    v = a.view(12)
    d = a.diagonal()
    piece = a.split(2, 1)[1]
    v0 = a._version
    with tl.no_grad():
        v.narrow(0, 0, 2).fill_(1.0)
        d.fill_(5.0)
        piece.add_(10.0)
    expected = np.zeros((3, 4))
    expected[0, 0:2] = 1.0
    expected[[0, 1, 2], [0, 1, 2]] = 5.0
    expected[:, 2:] += 10.0
    np.testing.assert_array_equal(a.numpy(), expected)
    assert a._version == v._version == d._version == piece._version > v0


def test_transpose_write_shows_in_base():
    a = tl.zeros(2, 3)
    with tl.no_grad():
        a.t().add_(tl.arange(6.0).view(3, 2))
    np.testing.assert_array_equal(a.numpy(), np.arange(6.0).reshape(3, 2).T)


def test_view_of_view_has_root_base():
    a = tl.randn(2, 3, 4)
    v = a.permute(2, 0, 1).reshape(4, 6).unsqueeze(0)
    assert v._base is a
    assert v._vc is a._vc
    parts = v.unbind(1)
    assert all(p._base is a for p in parts)


def test_expand_shows_base_writes():
    a = tl.zeros(3, 1)
    e = a.expand(3, 4)
    with tl.no_grad():
        a.add_(tl.tensor([[1.0], [2.0], [3.0]]))
    np.testing.assert_array_equal(e.numpy(), np.repeat([[1.0], [2.0], [3.0]], 4, axis=1))
    assert e._version == a._version == 1


def test_inplace_on_expanded_view_raises():
    e = tl.zeros(3, 1).expand(3, 4)
    with pytest.raises(RuntimeError, match="single memory location"):
        e.add_(1)
    with pytest.raises(RuntimeError):
        torch.zeros(3, 1).expand(3, 4).add_(1)


def test_inplace_on_base_is_caught_through_saved_view():
    x = tl.randn(3, 4, requires_grad=True)
    y = x * 1
    v = y.view(12)
    out = v * v  # saves v, a view of y
    y.mul_(2)  # bumps the version shared by y and v
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward(tl.ones(12))


def test_metadata_inplace_ops():
    x = tl.randn(3, 4)
    v = x[0]
    version = x._version
    assert v.unsqueeze_(0) is v and tuple(v.shape) == (1, 4)
    assert x._version == version + 1 == v._version  # PyTorch bumps the shared counter too
    assert v._base is x and _shares(v, x)
    y = tl.randn(2, 3)
    y.t_()
    assert tuple(y.shape) == (3, 2)
    y.transpose_(0, 1)
    y.unsqueeze_(1)
    y.squeeze_(1)
    y.swapaxes_(0, 1)
    assert tuple(y.shape) == (3, 2)
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        tl.randn(2, 3, 4).t_()


def test_metadata_inplace_autograd():
    leaf = tl.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.unsqueeze_(0)
    with tl.no_grad():
        leaf.unsqueeze_(0)
    assert tuple(leaf.shape) == (1, 3) and leaf.is_leaf and leaf.requires_grad
    x = tl.randn(2, 3, requires_grad=True)
    y = x * 2
    y.unsqueeze_(0).transpose_(1, 2)
    assert tuple(y.shape) == (1, 3, 2) and y.grad_fn is not None
    (y * tl.arange(6.0).view(1, 3, 2)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.arange(6.0).reshape(3, 2).T)


def test_tril_inplace_grad():
    x = tl.randn(3, 3, requires_grad=True)
    y = x * 1
    y.tril_(-1)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.tril(np.ones((3, 3)), -1))


def test_views_under_no_grad_share_version_with_requires_grad_base():
    x = tl.randn(4, requires_grad=True)
    with tl.no_grad():
        v = x.view(2, 2)
    assert v._base is x and v._vc is x._vc and not v.requires_grad


def test_view_grad_flows_to_base():
    x = tl.randn(2, 3, requires_grad=True)
    parts = x.unbind(1)
    (parts[0] * 1 + parts[2] * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array([[1.0, 0.0, 3.0]] * 2))


def test_cat_stack_out_writes_into_the_given_tensor():
    out = tl.zeros(6)
    same = out.view(2, 3)
    assert tl.cat([tl.ones(2), tl.zeros(4)], out=out) is out
    np.testing.assert_array_equal(same.numpy(), [[1, 1, 0], [0, 0, 0]])  # written in place: views see it
    resized = tl.zeros(1)
    tl.stack([tl.ones(2), tl.ones(2)], out=resized)
    assert tuple(resized.shape) == (2, 2)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        tl.cat([tl.ones(2, requires_grad=True)], out=tl.zeros(2))
