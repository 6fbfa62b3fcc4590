"""Activations and softmax at extreme inputs, against PyTorch.

At +-1e4 (and every magnitude down to 1) in float32 and float64: values match PyTorch, gradients
(first and, for the smooth ops, second order) are finite and match, and NumPy emits no warning
(overflow in exp is the classic failure). At +-inf and nan the values and gradients match
wherever PyTorch defines them (not nan). The registry (tensorlite/testing/opinfo/activation.py)
covers shapes, dims, gradcheck and error types; this file covers the numerics and the API
details the registry cannot express (implicit softmax dim, inplace=True, integer inputs).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.ops import activation as A

torch = pytest.importorskip("torch")
F = torch.nn.functional

INF = math.inf
FINITE = [-1e4, -1e3, -100.0, -30.0, -10.0, -1.0, -0.25, 0.25, 1.0, 10.0, 30.0, 100.0, 1e3, 1e4]
SPECIAL = [-INF, INF, math.nan]
TOL = {"float32": dict(rtol=1.3e-5, atol=1e-5), "float64": dict(rtol=1e-7, atol=1e-10)}


def _prelu_pair():
    w = np.array([0.25])
    return (lambda x: A.prelu(x, tl.tensor(w, dtype=x.dtype)),
            lambda x: F.prelu(x, torch.tensor(w, dtype=x.dtype)))


# name -> (tensorlite function, PyTorch function, smooth: second derivatives compared too)
OPS = {
    "sigmoid": (tl.sigmoid, torch.sigmoid, True),
    "logsigmoid": (A.logsigmoid, F.logsigmoid, True),
    "relu": (tl.relu, F.relu, False),
    "relu6": (A.relu6, F.relu6, False),
    "leaky_relu": (A.leaky_relu, F.leaky_relu, False),
    "elu": (A.elu, F.elu, True),
    "elu_alpha": (lambda x: A.elu(x, 0.5), lambda x: F.elu(x, 0.5), True),
    "selu": (A.selu, F.selu, True),
    "celu": (lambda x: A.celu(x, 0.5), lambda x: F.celu(x, 0.5), True),
    "gelu": (A.gelu, F.gelu, True),
    "gelu_tanh": (lambda x: A.gelu(x, approximate="tanh"), lambda x: F.gelu(x, approximate="tanh"), True),
    "silu": (A.silu, F.silu, True),
    "softplus": (A.softplus, F.softplus, True),
    "softplus_beta": (lambda x: A.softplus(x, beta=2.0, threshold=10.0),
                      lambda x: F.softplus(x, beta=2.0, threshold=10.0), True),
    "softsign": (A.softsign, F.softsign, True),
    "mish": (A.mish, F.mish, True),
    "hardtanh": (A.hardtanh, F.hardtanh, False),
    "hardsigmoid": (A.hardsigmoid, F.hardsigmoid, False),
    "hardswish": (A.hardswish, F.hardswish, False),
    "tanhshrink": (A.tanhshrink, F.tanhshrink, True),
    "softshrink": (A.softshrink, F.softshrink, False),
    "hardshrink": (A.hardshrink, F.hardshrink, False),
    "threshold": (lambda x: A.threshold(x, 0.5, -2.0), lambda x: F.threshold(x, 0.5, -2.0), False),
    "prelu": (*_prelu_pair(), False),
}

# Where PyTorch itself is not the reference: gelu(+inf) is nan in PyTorch's float32 kernel (inf in
# its float64 one); tensorlite returns inf in both. softsign's gradient at +-inf is nan in PyTorch
# (it differentiates inf/inf), the limit 0 here.
KNOWN_DIFFERENCES = {("gelu", "float32", INF), ("softsign", "grad", -INF), ("softsign", "grad", INF)}


def _no_warnings():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error")  # any NumPy RuntimeWarning (overflow, invalid value) fails the test
    return ctx


def _run_tl(fn, values, dtype, second_order):
    x = tl.tensor(values, dtype=getattr(tl, dtype), requires_grad=True)
    ctx = _no_warnings()
    try:
        y = fn(x)
        (g,) = tl.autograd.grad(y, x, tl.ones_like(y), create_graph=second_order)
        gg = tl.autograd.grad(g, x, tl.ones_like(g))[0] if second_order else None
    finally:
        ctx.__exit__(None, None, None)
    return y, g, gg


def _run_torch(fn, values, dtype, second_order):
    x = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    y = fn(x)
    (g,) = torch.autograd.grad(y, x, torch.ones_like(y), create_graph=second_order)
    gg = torch.autograd.grad(g, x, torch.ones_like(g))[0] if second_order else None
    return y, g, gg


def _np(t):
    return t.detach().numpy()


def _assert_match(ours, theirs, dtype, what, skip=(), only_where_torch_finite=False):
    ours, theirs = _np(ours), _np(theirs)
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs PyTorch {theirs.dtype}"
    keep = np.isfinite(theirs) if only_where_torch_finite else np.ones(ours.shape, dtype=bool)
    for i in skip:
        keep[i] = False
    np.testing.assert_allclose(ours[keep], theirs[keep], equal_nan=True, err_msg=what, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_extreme_finite_inputs(name, dtype):
    fn, torch_fn, smooth = OPS[name]
    y, g, gg = _run_tl(fn, FINITE, dtype, smooth)
    ty, tg, tgg = _run_torch(torch_fn, FINITE, dtype, smooth)
    assert np.isfinite(_np(y)).all(), f"{name}: non-finite value at a finite input: {_np(y)}"
    assert np.isfinite(_np(g)).all(), f"{name}: non-finite gradient at a finite input: {_np(g)}"
    _assert_match(y, ty, dtype, f"{name} values")
    _assert_match(g, tg, dtype, f"{name} gradients")
    if smooth:
        assert np.isfinite(_np(gg)).all(), f"{name}: non-finite second derivative: {_np(gg)}"
        # PyTorch's float32 mish double backward overflows to nan for x >= 100; compare where it is finite
        _assert_match(gg, tgg, dtype, f"{name} second derivatives", only_where_torch_finite=True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_infinite_and_nan_inputs(name, dtype):
    """Where PyTorch gives a number at +-inf (or propagates nan), so do we, with no warning."""
    fn, torch_fn, _ = OPS[name]
    y, g, _ = _run_tl(fn, SPECIAL, dtype, False)
    ty, tg, _ = _run_torch(torch_fn, SPECIAL, dtype, False)
    skip_y = [i for i, v in enumerate(SPECIAL) if (name, dtype, v) in KNOWN_DIFFERENCES]
    skip_g = [i for i, v in enumerate(SPECIAL) if (name, "grad", v) in KNOWN_DIFFERENCES]
    _assert_match(y, ty, dtype, f"{name} values at {SPECIAL}", skip_y)
    _assert_match(g, tg, dtype, f"{name} gradients at {SPECIAL}", skip_g)


def test_sigmoid_saturates_exactly():
    for dtype in ("float32", "float64"):
        y = _np(tl.sigmoid(tl.tensor([-1e4, 1e4, -INF, INF], dtype=getattr(tl, dtype))))
        assert y.tolist() == [0.0, 1.0, 0.0, 1.0]


# -- softmax family ---------------------------------------------------------------------------------------------
SOFTMAX_ROWS = [
    [1e4, -1e4, 0.0],
    [1e4, 1e4, 1e4],
    [-1e4, -1e4 + 1.0, -1e4],
    [100.0, -100.0, 30.0],
    [-INF, 0.0, 1.0],
]
NAN_ROWS = [[-INF, -INF, -INF], [INF, 0.0, 1.0], [math.nan, 0.0, 1.0]]  # PyTorch: the whole row is nan

SOFTMAXES = {
    "softmax": (tl.softmax, torch.softmax),
    "log_softmax": (tl.log_softmax, torch.log_softmax),
    "softmin": (A.softmin, F.softmin),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(SOFTMAXES))
@pytest.mark.parametrize("dim", [1, 0])
def test_softmax_extreme_rows(name, dim, dtype):
    fn, torch_fn = SOFTMAXES[name]
    rows = SOFTMAX_ROWS if name != "softmin" else [[-v for v in r] for r in SOFTMAX_ROWS]
    values = rows if dim == 1 else [list(c) for c in zip(*rows)]
    weights = np.arange(1.0, 1.0 + np.size(values)).reshape(np.shape(values))  # a non-uniform upstream gradient
    x = tl.tensor(values, dtype=getattr(tl, dtype), requires_grad=True)
    ctx = _no_warnings()
    try:
        y = fn(x, dim)
        (g,) = tl.autograd.grad(y, x, tl.tensor(weights, dtype=x.dtype))
    finally:
        ctx.__exit__(None, None, None)
    tx = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    ty = torch_fn(tx, dim)
    (tg,) = torch.autograd.grad(ty, tx, torch.tensor(weights, dtype=tx.dtype))
    _assert_match(y, ty, dtype, f"{name} values")
    _assert_match(g, tg, dtype, f"{name} gradients")
    assert np.isfinite(_np(g)).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_nan_rows(name, dtype):
    fn, torch_fn = SOFTMAXES[name]
    values = SOFTMAX_ROWS[:1] + NAN_ROWS
    ctx = _no_warnings()
    try:
        y = fn(tl.tensor(values, dtype=getattr(tl, dtype)), 1)
    finally:
        ctx.__exit__(None, None, None)
    ty = torch_fn(torch.tensor(values, dtype=getattr(torch, dtype)), 1)
    _assert_match(y, ty, dtype, f"{name} of rows with +-inf and nan")
    assert np.isnan(_np(y)[1:]).all()


def test_softmax_second_derivative_at_extremes():
    values = [[1e4, -1e4, 0.0], [-INF, 0.0, 1.0]]
    for fn, torch_fn in ((tl.softmax, torch.softmax), (tl.log_softmax, torch.log_softmax)):
        w = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
        x = tl.tensor(values, dtype=tl.float64, requires_grad=True)
        (g,) = tl.autograd.grad(fn(x, 1), x, tl.tensor(w, dtype=tl.float64, requires_grad=True), create_graph=True)
        (gg,) = tl.autograd.grad((g * g).sum(), x)
        tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        (tg,) = torch.autograd.grad(torch_fn(tx, 1), tx, torch.tensor(w, dtype=torch.float64), create_graph=True)
        (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
        _assert_match(gg, tgg, "float64", f"{fn.__name__} second derivative")


# -- API details the registry cannot express -------------------------------------------------------------------
def test_softmax_implicit_dim_warns_and_picks_pytorchs_dim():
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        values = np.random.default_rng(0).standard_normal(shape)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            y = tl.softmax(tl.tensor(values))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = F.softmax(torch.tensor(values, dtype=torch.float32))
        np.testing.assert_allclose(_np(y), expected.numpy(), rtol=1e-6, atol=1e-7)


def test_softmax_dtype_argument():
    x = tl.tensor([1, 2, 3])
    y = tl.softmax(x, 0, dtype=tl.float64)
    assert y.dtype == tl.float64
    assert tl.log_softmax(tl.tensor([1.0, 2.0]), 0, dtype=tl.float64).dtype == tl.float64
    with pytest.raises(NotImplementedError):
        tl.softmax(x, 0)


def test_tensor_methods_and_inplace():
    x = tl.tensor([-1.0, 0.5, 2.0])
    np.testing.assert_allclose(_np(x.softmax(0)), torch.tensor([-1.0, 0.5, 2.0]).softmax(0).numpy(), rtol=1e-6)
    np.testing.assert_allclose(_np(x.log_softmax(-1)), torch.tensor([-1.0, 0.5, 2.0]).log_softmax(-1).numpy(),
                               rtol=1e-6)
    y = x.clone()
    assert y.relu_() is y and _np(y).tolist() == [0.0, 0.5, 2.0]
    z = x.clone()
    out = A.leaky_relu(z, 0.5, inplace=True)
    assert out is z and _np(z).tolist() == [-0.5, 0.5, 2.0]
    assert A.hardtanh_(x.clone(), -0.5, 0.5).tolist() == [-0.5, 0.5, 0.5]
    leaf = tl.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        A.relu(leaf, inplace=True)
    # in place inside a graph: gradients as PyTorch gives them
    a = tl.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    b = a * 2.0
    A.elu(b, inplace=True)
    b.sum().backward()
    ta = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    F.elu(ta * 2.0, inplace=True).sum().backward()
    np.testing.assert_allclose(_np(a.grad), ta.grad.numpy(), rtol=1e-6)


def test_integer_inputs_follow_pytorch():
    i = tl.tensor([-2, 0, 3])
    assert tl.relu(i).dtype == tl.int64 and tl.relu(i).tolist() == [0, 0, 3]
    assert A.hardtanh(i, -1.5, 1.5).tolist() == [-1, 0, 1]
    assert A.threshold(i, 1, 7).tolist() == [7, 7, 3]
    assert tl.sigmoid(i).dtype == tl.float32
    assert A.softsign(i).dtype == tl.float32
    for fn in (A.elu, A.gelu, A.silu, A.softplus, A.leaky_relu, A.logsigmoid, A.mish, A.hardswish):
        with pytest.raises(NotImplementedError):
            fn(i)
    with pytest.raises(RuntimeError):
        tl.relu(tl.tensor([True, False]))
    with pytest.raises(RuntimeError):
        i.clone().sigmoid_()  # a float result cannot be written into an int64 tensor


@pytest.mark.parametrize("poison", [np.inf, -np.inf, np.nan])
def test_relu_backward_large_input_selects_not_multiplies(poison):
    """Large inputs take relu's multiply-by-mask backward: a non-finite gradient where the input was
    negative must still give 0 there (as torch's select does), and no -0.0 appears."""
    n = 20000
    x_np = np.linspace(-1, 1, n).astype(np.float32)
    g_np = -np.ones(n, np.float32)
    g_np[:10] = poison  # x < 0 there: the gradient is dropped
    g_np[-1] = poison  # x > 0 there: the gradient passes
    x = tl.tensor(x_np, requires_grad=True)
    tl.relu(x).backward(tl.tensor(g_np))
    tx = torch.tensor(x_np, requires_grad=True)
    torch.relu(tx).backward(torch.tensor(g_np))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert not np.signbit(x.grad.numpy()[:n // 2 - 1]).any()  # zeros are +0.0, as torch's


def test_inf_and_nan_arithmetic_is_silent_like_torch():
    """PyTorch says nothing about x / 0, overflow or log(0); neither do tensorlite's ops, while NumPy
    code outside tensorlite keeps its RuntimeWarnings.  (A subprocess: pytest manages warning filters.)"""
    import subprocess
    import sys

    code = ("import numpy as np, tensorlite as tl\n"
            "x = tl.tensor([1.0, 0.0, -1.0])\n"
            "r = [x / 0, tl.tensor([6e4], dtype=tl.float16) * 2, tl.log(tl.tensor([0.0, -1.0])), tl.exp(x * 1e4)]\n"
            "print('ours done', flush=True)\n"
            "np.array([1.0]) / 0\n")
    proc = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "ours done" in proc.stdout
    assert proc.stderr.count("RuntimeWarning") == 1 and "<string>:5" in proc.stderr, proc.stderr
