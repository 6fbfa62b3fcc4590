"""Reductions against PyTorch: hypothesis over shapes/dims/keepdim, plus the edge cases the registry cannot express.

The property tests draw shapes up to 4-D (sizes 0-3, so zero-size and size-1 dims come up),
a dim spec (None, an int, or a subset of dims in random order, each possibly negative) and
keepdim, then compare sum/mean/var/amax/logsumexp/prod with torch: values, shapes and dtypes
(float32 and float64), the exception type when torch raises, and the gradient for a random
upstream weight (float64). prod also runs with zeros injected and compares second derivatives.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-9, atol=1e-10)}


# -- strategies ---------------------------------------------------------------------------------------
@st.composite
def shapes(draw, min_size=0):
    ndim = draw(st.integers(0, 4))
    return tuple(draw(st.lists(st.integers(min_size, 3), min_size=ndim, max_size=ndim)))


@st.composite
def dim_specs(draw, ndim, allow_none=True, int_only=False):
    """None, an int, or a tuple/list of distinct dims (random order, some negative)."""
    n = max(ndim, 1)
    kinds = (["none"] if allow_none else []) + ["int"] + ([] if int_only else ["tuple"])
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None

    def signed(d):
        return d - n if draw(st.booleans()) else d

    if kind == "int":
        return signed(draw(st.integers(0, n - 1)))
    if ndim == 0:
        return (signed(0),)
    picked = draw(st.lists(st.integers(0, ndim - 1), unique=True, min_size=1, max_size=ndim))
    dims = tuple(signed(d) for d in picked)
    return list(dims) if draw(st.booleans()) else dims


@st.composite
def cases(draw, allow_none=True, int_only=False, min_size=0):
    shape = draw(shapes(min_size))
    dim = draw(dim_specs(len(shape), allow_none, int_only))
    keepdim = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    return shape, dim, keepdim, seed


# -- the comparison -------------------------------------------------------------------------------------
def _call(lib_fn, x, dim, keepdim, **kw):
    if dim is None:  # torch's sum/prod overloads take keepdim only next to a dim
        return lib_fn(x, **kw) if not keepdim else lib_fn(x, dim=None, keepdim=True, **kw)
    return lib_fn(x, dim, keepdim=keepdim, **kw)


def _run_both(op, values, dim, keepdim, dtype, requires_grad, **kw):
    x = tl.tensor(values.astype(dtype), requires_grad=requires_grad)
    xt = torch.tensor(values.astype(dtype), requires_grad=requires_grad)
    results = []
    for lib, t in ((tl, x), (torch, xt)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch warns about correction >= n
                results.append(_call(getattr(lib, op), t, dim, keepdim, **kw))
        except Exception as exc:  # noqa: BLE001 - compared below
            results.append(exc)
    return x, xt, results[0], results[1]


def compare(op, values, dim, keepdim, grad=True, **kw):
    """Forward (float32, float64) and gradient (float64) of tl.<op> against torch.<op>."""
    for dtype in ("float32", "float64"):
        x, xt, out, ref = _run_both(op, values, dim, keepdim, dtype, grad and dtype == "float64", **kw)
        if isinstance(ref, Exception):
            assert isinstance(out, type(ref)), f"{op}{values.shape} dim={dim}: torch raises {ref!r}, tl gives {out!r}"
            return
        assert not isinstance(out, Exception), f"{op}{values.shape} dim={dim} keepdim={keepdim}: tl raised {out!r}"
        assert tuple(out.shape) == tuple(ref.shape), (op, values.shape, dim, keepdim)
        assert out.dtype.name == str(ref.dtype).replace("torch.", "")
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), equal_nan=True, **TOL[dtype])
        if grad and dtype == "float64" and ref.requires_grad:
            w = np.random.default_rng(0).uniform(-1, 1, size=tuple(ref.shape))
            out.backward(tl.tensor(w))
            ref.backward(torch.tensor(w))
            np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), equal_nan=True, rtol=1e-8, atol=1e-10)


def values_for(shape, seed, low=-2.0, high=2.0):
    return np.asarray(np.random.default_rng(seed).uniform(low, high, size=shape))


# -- properties ---------------------------------------------------------------------------------------------
@SETTINGS
@given(cases())
def test_sum_matches_torch(case):
    shape, dim, keepdim, seed = case
    compare("sum", values_for(shape, seed), dim, keepdim)


@SETTINGS
@given(cases())
def test_mean_matches_torch(case):
    shape, dim, keepdim, seed = case
    compare("mean", values_for(shape, seed), dim, keepdim)


@SETTINGS
@given(cases(), st.sampled_from([0, 1, 2, 0.5]))
def test_var_matches_torch(case, correction):
    shape, dim, keepdim, seed = case
    n = int(np.prod([shape[d] for d in ((dim,) if isinstance(dim, int) else dim)])) if dim is not None and shape \
        else int(np.prod(shape))
    # correction >= n gives inf/nan; torch's gradient there depends on the overload (full reduction or not)
    compare("var", values_for(shape, seed), dim, keepdim, grad=n > correction, correction=correction)


@SETTINGS
@given(cases())
def test_amax_matches_torch(case):
    shape, dim, keepdim, seed = case
    if dim is None:
        dim = ()  # amax's "every dim"
    compare("amax", values_for(shape, seed), dim, keepdim)


@SETTINGS
@given(cases(allow_none=False))
def test_logsumexp_matches_torch(case):
    shape, dim, keepdim, seed = case
    compare("logsumexp", values_for(shape, seed, -30.0, 30.0), dim, keepdim)


@SETTINGS
@given(cases(int_only=True), st.floats(0.0, 0.6))
def test_prod_matches_torch_with_zeros(case, zero_fraction):
    shape, dim, keepdim, seed = case
    keepdim = keepdim and dim is not None  # torch.prod has no (dim=None, keepdim) overload
    rng = np.random.default_rng(seed)
    values = np.asarray(rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape))
    values[rng.uniform(size=shape) < zero_fraction] = 0.0
    compare("prod", values, dim, keepdim)


@SETTINGS
@given(cases(int_only=True, min_size=1), st.floats(0.0, 0.6))
def test_prod_second_derivative_with_zeros(case, zero_fraction):
    shape, dim, keepdim, seed = case
    keepdim = keepdim and dim is not None
    rng = np.random.default_rng(seed)
    values = np.asarray(rng.uniform(0.5, 1.5, size=shape))
    values[rng.uniform(size=shape) < zero_fraction] = 0.0
    _check_double_backward(lambda lib, t: _call(lib.prod, t, dim, keepdim), values)


def _check_double_backward(f, values, rtol=1e-8):
    """d/dx <grad_x <f(x), w>, v> in tensorlite and torch (float64)."""
    got = []
    for lib in (tl, torch):
        x = lib.tensor(values, requires_grad=True)
        y = f(lib, x)
        w = lib.tensor(np.random.default_rng(1).uniform(-1, 1, size=tuple(y.shape)))
        (g,) = lib.autograd.grad(y, x, w, create_graph=True)
        v = lib.tensor(np.random.default_rng(2).uniform(-1, 1, size=values.shape))
        if not g.requires_grad:  # the gradient does not depend on x (a product of one element)
            got.append(np.zeros(values.shape))
            continue
        (gg,) = lib.autograd.grad((g * v).sum(), x, allow_unused=True)
        got.append(np.zeros(values.shape) if gg is None else np.asarray(gg.detach().numpy()))
    np.testing.assert_allclose(got[0], got[1], rtol=rtol, atol=1e-10)


# -- edge cases -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 0.0, 2.0], [1.5, 2.0, 0.0], [2.0, -1.0, 3.0]])
def test_cumprod_gradients_with_zeros(values):
    values = np.array(values)
    compare_scan = lambda lib, t: lib.cumprod(t, 0)  # noqa: E731
    x, xt = tl.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    w = np.linspace(-1, 1, values.size)
    compare_scan(tl, x).backward(tl.tensor(w))
    compare_scan(torch, xt).backward(torch.tensor(w))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10)
    _check_double_backward(compare_scan, values)


def test_cumprod_2d_zeros_double_backward():
    values = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    for dim in (0, 1, -1):
        _check_double_backward(lambda lib, t: lib.cumprod(t, dim), values)


@pytest.mark.parametrize("correction", [2, 5])
def test_var_std_gradient_when_correction_reaches_n(correction):
    values = np.array([[1.0, 2.0], [4.0, 3.0]])
    for op in ("var", "std"):
        x, xt = tl.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(tl, op)(x, 0, correction=correction).sum().backward()
            getattr(torch, op)(xt, 0, correction=correction).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), equal_nan=True)


def test_std_gradient_is_zero_for_constant_slices():
    values = np.array([[1.0, 1.0, 1.0], [0.5, 2.0, -1.0]])
    x, xt = tl.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    tl.std(x, 1).sum().backward()
    torch.std(xt, 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    assert np.all(x.grad.numpy()[0] == 0)


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_dim_sends_gradient_to_returned_index_and_max_splits_ties(op):
    values = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]]) * (1 if op == "max" else -1)
    for call in (lambda lib, t: getattr(lib, op)(t, 1).values, lambda lib, t: getattr(lib, op)(t),
                 lambda lib, t: getattr(lib, "a" + op)(t, 1), lambda lib, t: lib.median(t)):
        x, xt = tl.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        call(tl, x).sum().backward()
        call(torch, xt).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_selection_return_types_and_indices():
    values = np.array([[1.0, 3.0, 3.0, 0.0], [4.0, 4.0, 1.0, 1.0]])
    x, xt = tl.tensor(values), torch.tensor(values)
    for name, args in [("max", (1,)), ("min", (0, True)), ("median", (1,)), ("mode", ()), ("kthvalue", (2, 1)),
                       ("cummax", (1,)), ("cummin", (1,)), ("nanmedian", (1,))]:
        ours, theirs = getattr(tl, name)(x, *args), getattr(torch, name)(xt, *args)
        assert type(ours).__name__ == name and ours._fields == ("values", "indices")
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        assert ours.indices.dtype == tl.int64
        values_again, indices_again = ours  # unpacks like a tuple
        assert values_again is ours[0] and indices_again is ours[1]
    mn, mx = tl.aminmax(x, dim=1)
    np.testing.assert_array_equal(mn.numpy(), values.min(1))
    np.testing.assert_array_equal(mx.numpy(), values.max(1))


def test_mode_gradient_goes_to_the_returned_index():
    values = np.array([[1.0, 2.0, 2.0, 3.0], [4.0, 4.0, 1.0, 1.0]])
    x, xt = tl.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    tl.mode(x, 1).values.sum().backward()
    torch.mode(xt, 1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_cummax_gradient_accumulates_on_repeated_indices():
    values = np.array([1.0, 3.0, 3.0, 2.0, 5.0])
    x, xt = tl.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    tl.cummax(x, 0).values.sum().backward()
    torch.cummax(xt, 0).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf"), -float("inf"), 0, -1])
def test_norm_at_zero_matches_torch(p):
    values = np.array([[0.0, 0.0, 0.0], [0.0, 2.0, -2.0], [1.0, -3.0, 3.0]])
    x, xt = tl.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out, ref = tl.norm(x, p, dim=1), torch.norm(xt, p, dim=1)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy())
    out.sum().backward()
    ref.sum().backward()
    if xt.grad is None:
        assert x.grad is None or not x.grad.numpy().any()
    else:
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), equal_nan=True)


def test_logsumexp_is_stable():
    values = np.array([[1e4, 1e4], [-1e4, -1e4 + 1], [-np.inf, -np.inf], [np.inf, 0.0]])
    for dtype in ("float32", "float64"):
        out = tl.logsumexp(tl.tensor(values.astype(dtype)), 1)
        ref = torch.logsumexp(torch.tensor(values.astype(dtype)), 1)
        np.testing.assert_allclose(out.numpy(), ref.numpy())
        assert out.dtype.name == dtype


def test_output_dtypes_follow_torch():
    ints = np.array([[1, 2], [3, 4]])
    for np_dtype, tl_dtype, t_dtype in [(np.int32, tl.int32, torch.int32), (np.uint8, tl.uint8, torch.uint8),
                                        (np.bool_, tl.bool, torch.bool), (np.int64, tl.int64, torch.int64)]:
        a = ints.astype(np_dtype)
        x, xt = tl.tensor(a), torch.tensor(a)
        for name in ("sum", "prod", "cumsum", "cumprod", "nansum", "max", "amax", "all", "any", "count_nonzero"):
            args = (0,) if name in ("cumsum", "cumprod") else ()
            ours, theirs = getattr(tl, name)(x, *args), getattr(torch, name)(xt, *args)
            assert ours.dtype.name == str(theirs.dtype).replace("torch.", ""), (name, np_dtype)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    f32 = tl.tensor(np.ones((2, 3), np.float32))
    for name in ("sum", "mean", "var", "std", "prod", "amax", "logsumexp", "norm", "nansum", "nanmean", "median"):
        args = (1,) if name == "logsumexp" else ()
        assert getattr(tl, name)(f32, *args).dtype == tl.float32, name
    assert tl.argmax(f32).dtype == tl.int64 and tl.logsumexp(tl.tensor(ints), 0).dtype == tl.float32


@pytest.mark.parametrize("call, error", [
    (lambda lib, x: lib.mean(x.long()), RuntimeError),
    (lambda lib, x: lib.var(x.long()), RuntimeError),
    (lambda lib, x: lib.sum(x, (0, -2)), RuntimeError),
    (lambda lib, x: lib.sum(x, 2), IndexError),
    (lambda lib, x: lib.amax(x[:0]), RuntimeError),
    (lambda lib, x: lib.amax(x[:0], 0), IndexError),
    (lambda lib, x: lib.max(x[:0]), RuntimeError),
    (lambda lib, x: lib.max(x[:0], 0), IndexError),
    (lambda lib, x: lib.argmax(x[:0]), IndexError),
    (lambda lib, x: lib.prod(x, (0, 1)), TypeError),
    (lambda lib, x: lib.cumsum(x, 5), IndexError),
    (lambda lib, x: lib.kthvalue(x, 9), RuntimeError),
    (lambda lib, x: lib.norm(x.long()), RuntimeError),
])
def test_errors_match_torch(call, error):
    values = np.arange(6.0).reshape(2, 3)
    for lib in (tl, torch):
        with pytest.raises(error):
            call(lib, lib.tensor(values))


def test_tensor_methods_and_inplace_cumsum():
    values = np.arange(1.0, 7.0).reshape(2, 3)
    x, xt = tl.tensor(values), torch.tensor(values)
    assert x.sum(1).tolist() == xt.sum(1).tolist()
    assert x.max(dim=1).indices.tolist() == xt.max(dim=1).indices.tolist()
    assert float(x.std()) == pytest.approx(float(xt.std()))
    assert x.norm(p=1).item() == pytest.approx(xt.norm(p=1).item())
    y = x.clone()
    assert y.cumsum_(1) is y
    np.testing.assert_allclose(y.numpy(), np.cumsum(values, 1))
    z = x.clone()
    z.cumprod_(0)
    np.testing.assert_allclose(z.numpy(), np.cumprod(values, 0))
    assert tl.max(x, tl.tensor([0.0, 10.0, 0.0])).tolist() == torch.max(xt, torch.tensor([0.0, 10.0, 0.0])).tolist()


def test_var_legacy_unbiased_signatures():
    values = np.random.default_rng(3).normal(size=(3, 4))
    x, xt = tl.tensor(values), torch.tensor(values)
    for args, kwargs in [((1, False), {}), ((0, True, True), {}), ((False,), {}), ((), {"unbiased": False}),
                         ((), {"dim": 1, "correction": 0, "keepdim": True})]:
        for op in ("var", "std", "var_mean", "std_mean"):
            ours, theirs = getattr(tl, op)(x, *args, **kwargs), getattr(torch, op)(xt, *args, **kwargs)
            ours = ours if isinstance(ours, tuple) else (ours,)
            theirs = theirs if isinstance(theirs, tuple) else (theirs,)
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_numpy_style_axis_and_keepdims_aliases():
    values = np.random.default_rng(4).normal(size=(2, 3))
    x, xt = tl.tensor(values), torch.tensor(values)
    for name in ("sum", "mean", "var", "std", "prod", "amax", "argmax", "logsumexp", "all", "nansum", "median",
                 "max", "min", "mode"):
        ours, theirs = getattr(tl, name)(x, axis=1, keepdims=True), getattr(torch, name)(xt, axis=1, keepdims=True)
        ours, theirs = (ours[0], theirs[0]) if isinstance(ours, tuple) else (ours, theirs)
        assert tuple(ours.shape) == tuple(theirs.shape), name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    for name in ("cumsum", "cumprod", "cummax", "count_nonzero"):
        ours, theirs = getattr(tl, name)(x, axis=0), getattr(torch, name)(xt, axis=0)
        ours, theirs = (ours[0], theirs[0]) if isinstance(ours, tuple) else (ours, theirs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
