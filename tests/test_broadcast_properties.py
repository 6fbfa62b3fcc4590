"""Property tests (hypothesis): binary ops broadcast exactly as PyTorch does.

For random broadcastable shapes (up to 4-D, sizes 0..3, with size-1 and missing leading dims)
and random float32/float64 operands, every op below gives PyTorch's values, shape and dtype,
and gradients that PyTorch agrees with (broadcast dims summed back). Shapes that do not
broadcast raise RuntimeError in both libraries.
"""
from __future__ import annotations

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DTYPES = ("float32", "float64")
TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-12, atol=1e-12)}


def _op(name):
    fn = getattr(tl, name, None)
    if fn is None:
        pytest.skip(f"tl.{name} is not implemented yet")
    return fn


# -- strategies ----------------------------------------------------------------------------------------------
@st.composite
def broadcastable_shapes(draw, n: int = 2):
    """n shapes that broadcast together: suffixes of one base shape, some dims replaced by 1."""
    ndim = draw(st.integers(0, 4))
    base = draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim))
    shapes = []
    for _ in range(n):
        kept = draw(st.integers(0, ndim))
        dims = base[ndim - kept:]
        shapes.append(tuple(1 if draw(st.booleans()) else d for d in dims))
    return shapes


@st.composite
def incompatible_shapes(draw):
    """Two shapes that do not broadcast: one aligned dim has sizes that differ and neither is 1."""
    a, b = draw(broadcastable_shapes())
    x, y = draw(st.sampled_from([(2, 3), (3, 2), (0, 2), (2, 0), (0, 3)]))
    a, b = list(a), list(b)
    pos = draw(st.integers(1, max(len(a), len(b), 1)))  # position from the right
    while len(a) < pos:
        a.insert(0, 1)
    while len(b) < pos:
        b.insert(0, 1)
    a[-pos], b[-pos] = x, y
    return tuple(a), tuple(b)


def _values(rng, shape, kind: str):
    if kind == "positive":
        return rng.uniform(0.5, 2.0, size=shape)
    if kind == "nonzero":
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, size=shape)
    if kind == "ties":  # small integers: comparisons see equal elements too
        return rng.integers(-2, 3, size=shape).astype(np.float64)
    return rng.uniform(-2.0, 2.0, size=shape)


# -- helpers -------------------------------------------------------------------------------------------------
def _pair(arr: np.ndarray, dtype: str, requires_grad: bool):
    data = arr.astype(dtype)
    ours = tl.tensor(data, requires_grad=requires_grad)
    theirs = torch.tensor(data, requires_grad=requires_grad)
    return ours, theirs


def _assert_same(ours, theirs, what: str, dtype: str) -> None:
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {tuple(ours.shape)} vs {tuple(theirs.shape)}"
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", ""), f"{what}: dtype {ours.dtype} vs {theirs.dtype}"
    a, b = np.asarray(ours.detach()), theirs.detach().numpy()
    if a.dtype.kind == "b":
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        np.testing.assert_allclose(a, b, err_msg=what, **TOL[dtype])


def _check(tl_fn, torch_fn, shapes, kinds, dtypes, seed: int, grad: bool = True, bool_first: bool = False) -> None:
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for i, (shape, kind, dtype) in enumerate(zip(shapes, kinds, dtypes)):
        if bool_first and i == 0:
            cond = rng.random(shape) < 0.5
            ours.append(tl.tensor(cond))
            theirs.append(torch.tensor(cond))
            continue
        o, t = _pair(_values(rng, shape, kind), dtype, grad)
        ours.append(o)
        theirs.append(t)
    out_theirs = torch_fn(*theirs)
    out_ours = tl_fn(*ours)
    result_dtype = str(out_theirs.dtype).replace("torch.", "")
    # the loosest precision involved sets the tolerance (a float64 input's gradient may pass through float32)
    tol = "float32" if "float32" in dtypes else "float64"
    _assert_same(out_ours, out_theirs, f"forward {shapes}", tol)
    if not grad or not out_theirs.requires_grad:
        return
    w = rng.uniform(-1.0, 1.0, size=tuple(out_theirs.shape)).astype(result_dtype)
    tl.autograd.backward([out_ours], [tl.tensor(w)])
    torch.autograd.backward([out_theirs], [torch.tensor(w)])
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if not t.requires_grad:
            continue
        assert o.grad is not None, f"input {i} {tuple(o.shape)} got no gradient"
        _assert_same(o.grad, t.grad, f"grad of input {i} {shapes}", tol)


BINARY = {
    "add": (lambda a, b: a + b, ("any", "any")),
    "sub": (lambda a, b: a - b, ("any", "any")),
    "mul": (lambda a, b: a * b, ("any", "any")),
    "div": (lambda a, b: a / b, ("any", "nonzero")),
    "pow": (lambda a, b: a ** b, ("positive", "any")),
    "maximum": (None, ("any", "any")),
    "minimum": (None, ("any", "any")),
}
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")


# -- properties ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@given(shapes=broadcastable_shapes(), dtypes=st.tuples(st.sampled_from(DTYPES), st.sampled_from(DTYPES)),
       seed=st.integers(0, 2**31 - 1))
def test_binary_op_broadcasts_like_torch(name, shapes, dtypes, seed):
    fn = _op(name)
    operator, kinds = BINARY[name]
    tl_fn = fn if operator is None else (lambda a, b: fn(a, b))
    torch_fn = getattr(torch, name)
    _check(tl_fn, torch_fn, shapes, kinds, dtypes, seed)
    if operator is not None:  # the operator form (a + b, ...) broadcasts the same way
        _check(operator, operator, shapes, kinds, dtypes, seed)


@pytest.mark.parametrize("name", COMPARISONS)
@SETTINGS
@given(shapes=broadcastable_shapes(), dtypes=st.tuples(st.sampled_from(DTYPES), st.sampled_from(DTYPES)),
       seed=st.integers(0, 2**31 - 1))
def test_comparison_broadcasts_like_torch(name, shapes, dtypes, seed):
    fn = _op(name)
    _check(fn, getattr(torch, name), shapes, ("ties", "ties"), dtypes, seed, grad=False)


@SETTINGS
@given(shapes=broadcastable_shapes(3), dtypes=st.tuples(st.sampled_from(DTYPES), st.sampled_from(DTYPES)),
       seed=st.integers(0, 2**31 - 1))
def test_where_broadcasts_three_ways_like_torch(shapes, dtypes, seed):
    fn = _op("where")
    _check(fn, torch.where, shapes, ("cond", "any", "any"), ("bool",) + dtypes, seed, bool_first=True)


def _raise_types(tl_call, torch_call):
    types = []
    for call in (tl_call, torch_call):
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - the type is what is compared
            types.append(type(exc))
        else:
            types.append(None)
    return types


@pytest.mark.parametrize("name", list(BINARY) + list(COMPARISONS))
@SETTINGS
@given(shapes=incompatible_shapes(), seed=st.integers(0, 2**31 - 1))
def test_incompatible_shapes_raise_runtime_error(name, shapes, seed):
    fn = _op(name)
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(0.5, 2.0, size=s) for s in shapes)
    ours, theirs = _raise_types(lambda: fn(tl.tensor(a), tl.tensor(b)),
                                lambda: getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
    assert theirs is not None and issubclass(theirs, RuntimeError), f"torch: {theirs} for {shapes}"
    assert ours is not None and issubclass(ours, RuntimeError), \
        f"tl.{name}{shapes}: raised {ours and ours.__name__}, PyTorch raises {theirs.__name__}"


@SETTINGS
@given(shapes=incompatible_shapes(), seed=st.integers(0, 2**31 - 1))
def test_where_incompatible_shapes_raise_runtime_error(shapes, seed):
    fn = _op("where")
    rng = np.random.default_rng(seed)
    a, b = (rng.uniform(0.5, 2.0, size=s) for s in shapes)
    cond = np.ones((), dtype=bool)
    ours, theirs = _raise_types(lambda: fn(tl.tensor(cond), tl.tensor(a), tl.tensor(b)),
                                lambda: torch.where(torch.tensor(cond), torch.tensor(a), torch.tensor(b)))
    assert theirs is not None and issubclass(theirs, RuntimeError)
    assert ours is not None and issubclass(ours, RuntimeError), f"tl.where{shapes}: raised {ours}"


@SETTINGS
@given(shapes=broadcastable_shapes())
def test_broadcast_shapes_matches_torch(shapes):
    assert tuple(tl.broadcast_shapes(*shapes)) == tuple(torch.broadcast_shapes(*shapes))
