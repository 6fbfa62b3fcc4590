"""Property tests (hypothesis): indexing reads and writes exactly as PyTorch does.

Random shapes (up to 4-D, sizes 0..4) and random index expressions mixing every kind of
index PyTorch takes: ints (negative too), slices with steps, None, `...`, int index tensors
(repeated and negative entries), bool masks, lists, Python bools and 0-d index tensors.

  * `x[key]` gives PyTorch's values, shape and dtype (or the same exception type), is a view
    exactly when PyTorch's is, and has PyTorch's gradient (repeated indices accumulate);
  * pure basic keys agree with NumPy too;
  * `y[key] = value` (numbers and tensors broadcast to the indexed shape) gives PyTorch's
    result and gradients for both y and value;
  * index_put_ with accumulate, gather and scatter_add agree with PyTorch on random inputs.

A few example-based tests at the end pin the autograd and aliasing semantics (views share the
version counter, writes into a buffer rebase its history, leaves refuse in-place writes,
PyTorch's dtype rules for writes, double backward, sort/topk named tuples).
"""
from __future__ import annotations

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.filter_too_much])


# -- strategies ------------------------------------------------------------------------------------------------
shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


@st.composite
def _slice(draw, size):
    bound = st.one_of(st.none(), st.integers(-size - 2, size + 2))
    return slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, 3])))


@st.composite
def index_keys(draw, shape, basic_only=False):
    """A key for a tensor of `shape`: a tuple of index items (sometimes a bare item), in PyTorch's terms.

    Index arrays are returned as ("int", ndarray) / ("mask", ndarray) markers and turned into
    tensors of each library by `_to_lib`.
    """
    items = []
    dim = 0
    ndim = len(shape)
    used_ellipsis = False
    adv_shape = draw(st.sampled_from([(1,), (2,), (3,), (2, 1), (1, 3), (0,)]))
    n_items = draw(st.integers(0, ndim + 2))
    for _ in range(n_items):
        kinds = ["none"]
        if dim < ndim:
            kinds += ["slice", "slice"]
            if shape[dim] > 0:
                kinds += ["int"]
                if not basic_only:
                    kinds += ["array", "array", "list", "tensor0d"]
            if not basic_only:
                kinds += ["mask"]
        if not used_ellipsis:
            kinds += ["ellipsis"]
        if not basic_only:
            kinds += ["bool"]
        kind = draw(st.sampled_from(kinds))
        size = shape[dim] if dim < ndim else 0
        if kind == "none":
            items.append(None)
        elif kind == "slice":
            items.append(draw(_slice(size)))
            dim += 1
        elif kind == "int":
            items.append(draw(st.integers(-size, size - 1)))
            dim += 1
        elif kind == "array":
            vals = draw(st.lists(st.integers(-size, size - 1), min_size=int(np.prod(adv_shape)),
                                 max_size=int(np.prod(adv_shape))))
            items.append(("int", np.array(vals, dtype=np.int64).reshape(adv_shape)))
            dim += 1
        elif kind == "list":
            items.append(draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=3)))
            dim += 1
        elif kind == "tensor0d":
            items.append(("int", np.array(draw(st.integers(-size, size - 1)), dtype=np.int64)))
            dim += 1
        elif kind == "mask":
            k = draw(st.integers(1, min(2, ndim - dim)))
            mshape = shape[dim:dim + k]
            bits = draw(st.lists(st.booleans(), min_size=int(np.prod(mshape)), max_size=int(np.prod(mshape))))
            items.append(("mask", np.array(bits, dtype=bool).reshape(mshape)))
            dim += k
        elif kind == "ellipsis":
            items.append(Ellipsis)
            used_ellipsis = True  # later items then index trailing dims: sizes may not fit (errors compared too)
        elif kind == "bool":
            items.append(draw(st.booleans()))
    if len(items) == 1 and draw(st.booleans()):
        return items[0]
    return tuple(items)


def _to_lib(key, lib):
    """Replace ("int"/"mask", array) markers by tensors of `lib` ("tl" or "torch")."""
    if isinstance(key, tuple) and len(key) == 2 and key[0] in ("int", "mask") and isinstance(key[1], np.ndarray):
        arr = key[1]
        return tl.tensor(arr) if lib == "tl" else torch.from_numpy(arr.copy())
    if isinstance(key, tuple):
        return tuple(_to_lib(k, lib) for k in key)
    return key


def _run(fn):
    try:
        return fn(), None
    except Exception as exc:  # noqa: BLE001 - compared by type below
        return None, exc


def _same_outcome(ours, theirs):
    """Both raised (the same exception type) -> True; one raised -> fail; neither -> False (compare values)."""
    (r1, e1), (r2, e2) = ours, theirs
    if e1 is not None or e2 is not None:
        assert e1 is not None, f"PyTorch raised {type(e2).__name__}: {e2}, tensorlite returned a result"
        assert e2 is not None, f"tensorlite raised {type(e1).__name__}: {e1}, PyTorch returned a result"
        assert isinstance(e1, type(e2)), \
            f"tensorlite raised {type(e1).__name__}: {e1}; PyTorch {type(e2).__name__}: {e2}"
        return True
    return False


def _assert_close(ours: tl.Tensor, theirs, msg="", shape=None):
    """Values, shape and dtype equal; a missing gradient (None) counts as zeros of `shape`."""
    a = ours.detach().numpy() if ours is not None else np.zeros(shape)
    b = theirs.detach().numpy() if theirs is not None else np.zeros(shape)
    assert a.shape == b.shape, f"{msg} shape {a.shape} vs PyTorch {b.shape}"
    assert a.dtype == b.dtype, f"{msg} dtype {a.dtype} vs PyTorch {b.dtype}"
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=msg)


def _shares_memory_torch(result, base) -> bool:
    return result.untyped_storage().data_ptr() == base.untyped_storage().data_ptr()


# -- reading ---------------------------------------------------------------------------------------------------------
@SETTINGS
@given(data=st.data(), shape=shapes)
def test_getitem_matches_torch(data, shape):
    key = data.draw(index_keys(shape))
    x = np.random.default_rng(0).uniform(-1, 1, shape)
    a = tl.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ours = _run(lambda: a[_to_lib(key, "tl")])
    theirs = _run(lambda: b[_to_lib(key, "torch")])
    if _same_outcome(ours, theirs):
        return
    ya, yb = ours[0], theirs[0]
    _assert_close(ya, yb, f"x{shape}[{key!r}]")
    if yb.numel() and b.numel():
        assert (ya._base is not None) == _shares_memory_torch(yb, b), f"view-ness differs for key {key!r}"
    w = np.random.default_rng(1).uniform(-1, 1, tuple(yb.shape))
    (ya * tl.tensor(w)).sum().backward()
    (yb * torch.tensor(w)).sum().backward()
    _assert_close(a.grad, b.grad, f"grad of x{shape}[{key!r}]", shape=shape)


@SETTINGS
@given(data=st.data(), shape=shapes)
def test_basic_getitem_matches_numpy_view(data, shape):
    key = data.draw(index_keys(shape, basic_only=True))
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    t = tl.tensor(x)
    try:
        expected = x[key]
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc) if not isinstance(exc, IndexError) else IndexError):
            t[key]
        return
    got = t[key]
    np.testing.assert_array_equal(got.numpy(), expected)
    assert got._base is not None or got._data.size == 0 or np.shares_memory(got._data, t._data)
    if expected.size:  # writes through the view reach the base
        got[...] = -1.0
        assert (t.numpy()[key] == -1.0).all()


# -- writing ---------------------------------------------------------------------------------------------------------
def _unique_positions(shape, key) -> bool:
    """Whether the key addresses every element at most once (else PyTorch's write order decides)."""
    pos = torch.arange(int(np.prod(shape))).reshape(shape)[_to_lib(key, "torch")]
    return pos.numel() == pos.unique().numel()


@SETTINGS
@given(data=st.data(), shape=shapes)
def test_setitem_matches_torch(data, shape):
    key = data.draw(index_keys(shape))
    try:
        target = torch.zeros(shape)[_to_lib(key, "torch")]
    except Exception:  # noqa: BLE001 - invalid keys are covered by test_getitem_matches_torch
        assume(False)
    assume(_unique_positions(shape, key))
    tshape = tuple(target.shape)
    kind = data.draw(st.sampled_from(["number", "full", "broadcast", "lead1", "0d"]))
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, shape)
    if kind == "number":
        value = data.draw(st.sampled_from([1.5, -2, True]))
    else:
        vshape = {"full": tshape, "0d": (),
                  "lead1": (1,) + tshape,
                  "broadcast": tuple(1 if data.draw(st.booleans()) else s for s in tshape)[
                      data.draw(st.integers(0, len(tshape))):]}[kind]
        value = rng.uniform(-1, 1, vshape)
    xa = tl.tensor(x, requires_grad=True)
    xb = torch.tensor(x, requires_grad=True)
    va = tl.tensor(value, requires_grad=True) if isinstance(value, np.ndarray) else value
    vb = torch.tensor(value, requires_grad=True) if isinstance(value, np.ndarray) else value

    def write(base, k, v):
        y = base * 1.0  # a non-leaf copy that carries the graph
        y[k] = v
        return y

    ours = _run(lambda: write(xa, _to_lib(key, "tl"), va))
    theirs = _run(lambda: write(xb, _to_lib(key, "torch"), vb))
    if _same_outcome(ours, theirs):
        return
    ya, yb = ours[0], theirs[0]
    _assert_close(ya, yb, f"y{shape}[{key!r}] = {kind}")
    w = rng.uniform(-1, 1, shape)
    (ya * tl.tensor(w)).sum().backward()
    (yb * torch.tensor(w)).sum().backward()
    _assert_close(xa.grad, xb.grad, f"grad of y for key {key!r}", shape=shape)
    if isinstance(value, np.ndarray):
        _assert_close(va.grad, vb.grad, f"grad of value for key {key!r}", shape=value.shape)


@SETTINGS
@given(data=st.data(), shape=shapes)
def test_setitem_without_grad_writes_in_place(data, shape):
    key = data.draw(index_keys(shape))
    try:
        torch.zeros(shape)[_to_lib(key, "torch")]
    except Exception:  # noqa: BLE001
        assume(False)
    assume(_unique_positions(shape, key))
    x = np.random.default_rng(3).uniform(-1, 1, shape)
    a, b = tl.tensor(x), torch.tensor(x)
    view = a[...]
    version = a._version
    a[_to_lib(key, "tl")] = 7.0
    b[_to_lib(key, "torch")] = 7.0
    _assert_close(a, b)
    _assert_close(view, b)  # the buffer itself changed
    assert a._version == version + 1


# -- accumulating writes, gather / scatter_add -----------------------------------------------------------------------
@SETTINGS
@given(data=st.data(), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
def test_index_put_accumulate_matches_torch(data, shape):
    n = data.draw(st.integers(0, 6))
    k = data.draw(st.integers(1, len(shape)))
    idx = [np.array(data.draw(st.lists(st.integers(-s, s - 1), min_size=n, max_size=n)), dtype=np.int64)
           for s in shape[:k]]
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, shape)
    v = rng.uniform(-1, 1, (n,) + shape[k:])
    xa, va = tl.tensor(x, requires_grad=True), tl.tensor(v, requires_grad=True)
    xb, vb = torch.tensor(x, requires_grad=True), torch.tensor(v, requires_grad=True)
    ya = xa.index_put(tuple(tl.tensor(i) for i in idx), va, accumulate=True)
    yb = xb.index_put(tuple(torch.from_numpy(i) for i in idx), vb, accumulate=True)
    _assert_close(ya, yb)
    w = rng.uniform(-1, 1, shape)
    (ya * tl.tensor(w)).sum().backward()
    (yb * torch.tensor(w)).sum().backward()
    _assert_close(xa.grad, xb.grad)
    _assert_close(va.grad, vb.grad)


@SETTINGS
@given(data=st.data(), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple))
def test_gather_and_scatter_add_match_torch(data, shape):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    d = dim % len(shape)
    ishape = tuple(data.draw(st.integers(0, 5)) if i == d else data.draw(st.integers(0, s))
                   for i, s in enumerate(shape))
    rng = np.random.default_rng(5)
    index = rng.integers(0, shape[d], ishape)
    x = rng.uniform(-1, 1, shape)
    src = rng.uniform(-1, 1, ishape)
    xa, sa = tl.tensor(x, requires_grad=True), tl.tensor(src, requires_grad=True)
    xb, sb = torch.tensor(x, requires_grad=True), torch.tensor(src, requires_grad=True)
    ga, gb = tl.gather(xa, dim, tl.tensor(index)), torch.gather(xb, dim, torch.from_numpy(index))
    _assert_close(ga, gb)
    sa_out = tl.scatter_add(xa, dim, tl.tensor(index), sa)
    sb_out = torch.scatter_add(xb, dim, torch.from_numpy(index), sb)
    _assert_close(sa_out, sb_out)
    w1, w2 = rng.uniform(-1, 1, ishape), rng.uniform(-1, 1, shape)
    ((ga * tl.tensor(w1)).sum() + (sa_out * tl.tensor(w2)).sum()).backward()
    ((gb * torch.tensor(w1)).sum() + (sb_out * torch.tensor(w2)).sum()).backward()
    _assert_close(xa.grad, xb.grad)
    _assert_close(sa.grad, sb.grad)


# -- autograd and aliasing semantics, one example each ---------------------------------------------------------------
def test_basic_index_is_a_view_sharing_the_version_counter():
    x = tl.arange(6.0).reshape(2, 3)
    row = x[1]
    row[0] = 100.0
    assert x[1, 0].item() == 100.0 and x._version == row._version == 1
    copy = x[tl.tensor([1])]
    copy[0, 0] = -1.0
    assert x[1, 0].item() == 100.0  # advanced indexing copies


def test_setitem_into_a_buffer_builds_the_graph_like_torch():
    results = []
    for lib in (tl, torch):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        buf = lib.zeros(4, 3)
        h = w
        for i in range(4):
            h = h * 2
            buf[i] = h
        (buf ** 2).sum().backward()
        results.append((w.grad.tolist(), buf.requires_grad, buf.is_leaf))
    assert results[0] == results[1]


def test_setitem_on_a_leaf_that_requires_grad():
    w = tl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w[0] = 2.0
    with tl.no_grad():
        w[0] = 2.0
    assert w.tolist() == [2.0, 1.0, 1.0] and w.is_leaf and w.requires_grad


def test_setitem_dtype_rules_match_torch():
    for lib in (tl, torch):
        x = lib.zeros(3)
        x[0] = lib.tensor(5.0, dtype=lib.float64)  # basic key: cast
        x[lib.tensor([True, False, True])] = lib.tensor(2.0, dtype=lib.float64)  # mask, 0-d value: cast
        assert x.tolist() == [2.0, 0.0, 2.0]
        with pytest.raises(RuntimeError, match="dtypes match"):
            x[lib.tensor([0, 1])] = lib.tensor([1.0, 2.0], dtype=lib.float64)  # index_put: no cast


def test_indexing_is_twice_differentiable():
    grads = []
    for lib in (tl, torch):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        y = (x[lib.tensor([0, 0, 2])] ** 3).sum() + (x.gather(0, lib.tensor([1, 1])) ** 2).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        grads.append((g.tolist(), h.tolist()))
    assert grads[0] == grads[1]


def test_sort_and_topk_return_named_tuples():
    x = tl.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = tl.sort(x, descending=True)
    assert type(tl.sort(x)).__name__ == "sort" and tl.sort(x).indices.tolist() == [1, 2, 0]
    assert tl.topk(x, 2).values.tolist() == [3.0, 2.0] and indices.dtype == tl.int64
    values.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
