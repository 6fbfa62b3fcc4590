"""tl.nn.utils against torch.nn.utils: gradient clipping, parameters <-> vector, pad_sequence."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn as nn
from tensorlite.nn.utils.rnn import pad_sequence, unpad_sequence

torch = pytest.importorskip("torch")
tutils = torch.nn.utils

RNG = np.random.default_rng(0)
SHAPES = [(3,), (2, 4), (5, 1), ()]


def _params_with_grads(dtype=np.float32, scale=1.0, missing=()):
    ours, theirs = [], []
    for i, s in enumerate(SHAPES):
        value = RNG.standard_normal(s).astype(dtype)
        p, tp = nn.Parameter(tl.tensor(value)), torch.nn.Parameter(torch.tensor(value))
        if i not in missing:
            g = (RNG.standard_normal(s) * scale).astype(dtype)
            p.grad, tp.grad = tl.tensor(g), torch.tensor(g)
        ours.append(p)
        theirs.append(tp)
    return ours, theirs


def _same_grads(ours, theirs, rtol=1e-6):
    for p, tp in zip(ours, theirs):
        if tp.grad is None:
            assert p.grad is None
            continue
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = _params_with_grads(missing=(2,))
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    ttotal = tutils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, tl.Tensor) and total.dim() == 0 and total.dtype == tl.float32
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    _same_grads(ours, theirs)


def test_clip_grad_norm_float64_single_tensor_and_generator():
    ours, theirs = _params_with_grads(np.float64, scale=10.0)
    total = nn.utils.clip_grad_norm_(ours[1], 1.0)  # a single tensor
    ttotal = tutils.clip_grad_norm_(theirs[1], 1.0)
    assert total.dtype == tl.float64
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-12)
    np.testing.assert_allclose(ours[1].grad.numpy(), theirs[1].grad.numpy(), rtol=1e-12)
    total = nn.utils.clip_grad_norm_((p for p in ours), 1.0)  # any iterable
    assert total.item() > 0
    norm_after = math.sqrt(sum(float((p.grad * p.grad).sum()) for p in ours))
    assert norm_after == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_no_grads_and_nonfinite():
    p = nn.Parameter(tl.ones(3))
    total = nn.utils.clip_grad_norm_([p], 1.0)
    assert total.item() == 0.0 and p.grad is None
    p.grad = tl.tensor([float("nan"), 1.0, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    q = nn.Parameter(tl.ones(2))
    q.grad = tl.tensor([float("inf"), 1.0])
    tq = torch.nn.Parameter(torch.ones(2))
    tq.grad = torch.tensor([float("inf"), 1.0])
    total, ttotal = nn.utils.clip_grad_norm_([q], 1.0), tutils.clip_grad_norm_([tq], 1.0)
    assert math.isinf(total.item()) and math.isinf(ttotal.item())
    np.testing.assert_array_equal(q.grad.numpy(), tq.grad.numpy())


def test_get_total_norm_and_clip_grads_with_norm():
    ours, theirs = _params_with_grads()
    grads = [p.grad for p in ours]
    total = nn.utils.get_total_norm(grads, 3.0)
    ttotal = tutils.get_total_norm([p.grad for p in theirs], 3.0)
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    nn.utils.clip_grads_with_norm_(ours, 0.1, total)
    tutils.clip_grads_with_norm_(theirs, 0.1, ttotal)
    _same_grads(ours, theirs)


def test_clip_grad_value():
    ours, theirs = _params_with_grads(scale=3.0, missing=(0,))
    assert nn.utils.clip_grad_value_(ours, 0.7) is None
    tutils.clip_grad_value_(theirs, 0.7)
    _same_grads(ours, theirs)
    assert all(float(p.grad.abs().max()) <= 0.7 for p in ours if p.grad is not None)


def test_parameters_to_vector_and_back():
    ours, theirs = _params_with_grads(np.float64)
    vec, tvec = nn.utils.parameters_to_vector(ours), tutils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(vec.detach().numpy(), tvec.detach().numpy())
    assert vec.requires_grad and vec.shape == (sum(int(np.prod(s)) for s in SHAPES),)
    (vec * tl.arange(vec.numel(), dtype=tl.float64)).sum().backward()
    assert ours[1].grad is not None  # differentiable: a cat of reshapes
    new = tl.arange(vec.numel(), dtype=tl.float64)
    nn.utils.vector_to_parameters(new, ours)
    tutils.vector_to_parameters(torch.arange(vec.numel(), dtype=torch.float64), theirs)
    for p, tp in zip(ours, theirs):
        np.testing.assert_array_equal(p.detach().numpy(), tp.detach().numpy())
        assert isinstance(p, nn.Parameter) and p.shape == tuple(tp.shape)
    with pytest.raises(TypeError):
        nn.utils.vector_to_parameters([1.0], ours)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    lengths = [3, 1, 4]
    arrays = [RNG.standard_normal((n, 2)) for n in lengths]
    seqs = [tl.tensor(a, requires_grad=True) for a in arrays]
    tseqs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = pad_sequence(seqs, batch_first=batch_first, padding_value=-7.0, padding_side=side)
    tout = torch.nn.utils.rnn.pad_sequence(tseqs, batch_first=batch_first, padding_value=-7.0, padding_side=side)
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_array_equal(out.detach().numpy(), tout.detach().numpy())
    w = RNG.standard_normal(tuple(tout.shape))
    out.backward(tl.tensor(w))
    tout.backward(torch.tensor(w))
    for s, ts in zip(seqs, tseqs):
        np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy())


def test_pad_sequence_edge_cases():
    out = pad_sequence([tl.ones(2), tl.ones(3, dtype=tl.int64) * 2], padding_value=-1)
    tout = torch.nn.utils.rnn.pad_sequence([torch.ones(2), torch.ones(3, dtype=torch.long) * 2], padding_value=-1)
    assert out.dtype == tl.float32  # the first sequence's dtype, as in PyTorch
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    assert tuple(pad_sequence([tl.ones(0, 2), tl.ones(1, 2)]).shape) == (1, 2, 2)
    assert tuple(pad_sequence([tl.ones(0, 2)]).shape) == (0, 1, 2)
    assert tuple(pad_sequence(tl.ones(2, 3)).shape) == (3, 2)  # a tensor is a batch of sequences
    with pytest.raises(RuntimeError):
        pad_sequence([])
    with pytest.raises(RuntimeError):
        pad_sequence([tl.ones(2, 3), tl.ones(3, 4)])
    with pytest.raises(RuntimeError):
        pad_sequence([tl.ones(2)], padding_side="middle")
    padded = pad_sequence([tl.ones(2), tl.ones(3) * 2])
    back = unpad_sequence(padded, tl.tensor([2, 3]))
    assert [b.numpy().tolist() for b in back] == [[1.0, 1.0], [2.0, 2.0, 2.0]]
