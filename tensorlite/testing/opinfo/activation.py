"""Registry entries for activations and softmax (tensorlite/ops/activation.py, softmax.py).

Samples cover 0-d, size-1 and zero-size dims, keyword variants and extreme inputs (+-30, +-100,
where the stable forms matter); values are kept away from each op's kinks so finite differences
do not straddle one.
"""
from __future__ import annotations

import numpy as np

from ... import _dtype as dt
from ...ops import activation as A
from . import ErrorSample, OpInfo, Sample, arr, away_from


def _torch_f():
    import torch.nn.functional as F  # noqa: PLC0415 - torch is the test oracle, imported only when checking

    return F


def _torch():
    import torch  # noqa: PLC0415

    return torch


EXTREME = np.array([-100.0, -30.0, -5.0, 5.0, 30.0, 100.0])


def _unary(kinks=(), low=-3.0, high=3.0, extreme=True, gap=0.1):
    """Samples for an elementwise op: shapes of every kind, values nudged `gap` away from `kinks`."""

    def samples(rng):
        def a(*shape):
            return away_from(arr(rng, *shape, low=low, high=high), kinks, gap)

        yield Sample((a(3, 4),), desc="2-d")
        yield Sample((a(7),), desc="1-d")
        yield Sample((a(2, 1, 3),), desc="size-1 dim")
        yield Sample((a(),), desc="0-d")
        yield Sample((a(0, 3),), desc="zero-size")
        if extreme:
            yield Sample((EXTREME.copy(),), desc="extreme values")

    return samples


def _with_kwargs(base, *kwarg_sets):
    """The samples of `base`, then its first sample again with each keyword set."""

    def samples(rng):
        first = None
        for s in base(rng):
            first = first or s
            yield s
        for kw in kwarg_sets:
            yield Sample(first.args, dict(kw), desc=f"kwargs {kw}")

    return samples


def _float_only(op, **kwargs):
    """PyTorch's float-only kernels raise NotImplementedError for integer tensors."""

    def errors():
        yield ErrorSample((np.array([1, -2, 3]),), dict(kwargs), NotImplementedError, desc=f"{op}: int64 input")

    return errors


def _errors(*items):
    """An error_inputs callable: the ErrorSamples given, and those yielded by the callables given."""

    def errors():
        for item in items:
            yield from (item() if callable(item) else (item,))

    return errors


def _inplace(op):
    """`op(x.clone(), inplace=True)`: exercises the in-place path under autograd."""
    return lambda x, **kw: op(x.clone(), inplace=True, **kw)


# -- softmax family --------------------------------------------------------------------------------------------
def _softmax_samples(rng):
    yield Sample((arr(rng, 3, 4),), {"dim": 1}, desc="2-d, dim=1")
    yield Sample((arr(rng, 3, 4),), {"dim": 0}, desc="2-d, dim=0")
    yield Sample((arr(rng, 2, 3, 4),), {"dim": -1}, desc="3-d, dim=-1")
    yield Sample((arr(rng, 2, 3, 4),), {"dim": -2}, desc="3-d, negative middle dim")
    yield Sample((arr(rng, 3, 1),), {"dim": 1}, desc="size-1 softmax dim")
    yield Sample((arr(rng, 5),), {"dim": 0}, desc="1-d")
    yield Sample((np.array(0.7),), {"dim": 0}, desc="0-d")
    yield Sample((np.array(-1.3),), {"dim": -1}, desc="0-d, dim=-1")
    yield Sample((arr(rng, 0, 3),), {"dim": 1}, desc="zero-size other dim")
    yield Sample((arr(rng, 3, 0),), {"dim": 1}, desc="zero-size softmax dim")
    yield Sample((np.array([[-100.0, 0.0, 100.0], [30.0, 30.5, -30.0]]),), {"dim": 1}, desc="extreme values")


def _softmax_errors(name):
    def errors():
        yield ErrorSample((np.zeros((2, 3)),), {"dim": 2}, IndexError, desc=f"{name}: dim out of range")
        yield ErrorSample((np.zeros((2, 3)),), {"dim": -3}, IndexError, desc=f"{name}: negative dim out of range")
        yield ErrorSample((np.array(1.0),), {"dim": 1}, IndexError, desc=f"{name}: 0-d, dim 1")
        yield ErrorSample((np.zeros((2, 3)),), {"dim": 0.5}, TypeError, desc=f"{name}: float dim")
        yield ErrorSample((np.array([1, 2, 3]),), {"dim": 0}, NotImplementedError, desc=f"{name}: int64 input")

    return errors


# -- glu and prelu ------------------------------------------------------------------------------------------------
def _glu_samples(rng):
    yield Sample((arr(rng, 3, 4),), desc="default dim=-1")
    yield Sample((arr(rng, 4, 3),), {"dim": 0}, desc="dim=0")
    yield Sample((arr(rng, 2, 6, 2),), {"dim": -2}, desc="negative middle dim")
    yield Sample((arr(rng, 2),), desc="1-d, halves of one")
    yield Sample((arr(rng, 0, 4),), desc="zero-size")
    yield Sample((np.array([[-100.0, 30.0, 100.0, -30.0]]),), desc="extreme gates")


def _glu_errors():
    yield ErrorSample((np.zeros((2, 3)),), {}, RuntimeError, desc="glu: odd size")
    yield ErrorSample((np.array(1.0),), {}, RuntimeError, desc="glu: 0-d")
    yield ErrorSample((np.zeros((2, 4)),), {"dim": 2}, IndexError, desc="glu: dim out of range")


def _prelu_samples(rng):
    def a(*shape):
        return away_from(arr(rng, *shape), (0.0,))

    yield Sample((a(2, 3, 4), arr(rng, 3, low=0.0, high=0.5)), desc="one weight per channel")
    yield Sample((a(2, 3), arr(rng, 3, low=0.0, high=0.5)), desc="2-d input")
    yield Sample((a(2, 3, 2), np.array([0.25])), desc="one shared weight")
    yield Sample((a(4), np.array([0.3])), desc="1-d input")
    yield Sample((a(), np.array(0.2)), desc="0-d input and weight")
    yield Sample((a(2, 1, 3), arr(rng, 1)), desc="one channel")
    yield Sample((a(0, 3), arr(rng, 3)), desc="zero-size batch")
    yield Sample((np.array([[-100.0, 30.0], [100.0, -30.0]]), np.array([0.5, -0.5])), desc="extreme values")


def _prelu_errors():
    yield ErrorSample((np.zeros((2, 3, 4)), np.ones(2)), {}, RuntimeError, desc="prelu: weight size mismatch")
    yield ErrorSample((np.zeros(3), np.ones(3)), {}, RuntimeError, desc="prelu: 1-d input has one channel")
    yield ErrorSample((np.zeros((2, 3)), np.ones((3, 1))), {}, RuntimeError, desc="prelu: 2-d weight")


# -- the entries ----------------------------------------------------------------------------------------------------
def _f(name):
    """The torch.nn.functional function of that name, looked up when called."""
    return lambda *args, **kwargs: getattr(_torch_f(), name)(*args, **kwargs)


OPS = [
    OpInfo("sigmoid", A.sigmoid, lambda x: _torch().sigmoid(x), _unary(low=-4, high=4),
           _errors(ErrorSample((2.0,), {}, TypeError, desc="sigmoid: a Python float, not a Tensor"))),
    OpInfo("sigmoid_inplace", lambda x: A.sigmoid_(x.clone()), lambda x: _torch().sigmoid_(x.clone()),
           _unary(low=-4, high=4), notes="x.clone().sigmoid_(): the in-place path under autograd"),
    OpInfo("logsigmoid", A.logsigmoid, _f("logsigmoid"), _unary(low=-4, high=4), _float_only("logsigmoid")),
    OpInfo("relu", A.relu, _f("relu"), _unary((0.0,)),
           _errors(ErrorSample((np.array([True, False]),), {}, RuntimeError, desc="relu: bool input"))),
    OpInfo("relu_inplace", _inplace(A.relu), _inplace(_f("relu")), _unary((0.0,))),
    OpInfo("relu6", A.relu6, _f("relu6"), _unary((0.0, 6.0), low=-3, high=9),
           _errors(ErrorSample((np.array([True]),), {}, RuntimeError, desc="relu6: bool input"))),
    OpInfo("leaky_relu", A.leaky_relu, _f("leaky_relu"),
           _with_kwargs(_unary((0.0,)), {"negative_slope": 0.2}, {"negative_slope": -1.5}),
           _float_only("leaky_relu")),
    OpInfo("leaky_relu_inplace", _inplace(A.leaky_relu), _inplace(_f("leaky_relu")), _unary((0.0,))),
    OpInfo("elu", A.elu, _f("elu"), _with_kwargs(_unary((0.0,)), {"alpha": 0.5}, {"alpha": 2.0}),
           _float_only("elu")),
    OpInfo("elu_inplace", _inplace(A.elu), _inplace(_f("elu")), _with_kwargs(_unary((0.0,)), {"alpha": 0.5})),
    OpInfo("selu", A.selu, _f("selu"), _unary((0.0,)), _float_only("selu")),
    OpInfo("celu", A.celu, _f("celu"), _with_kwargs(_unary((0.0,)), {"alpha": 0.5}, {"alpha": 2.0}),
           _errors(_float_only("celu"),
                   ErrorSample((np.ones(2),), {"alpha": 0.0}, RuntimeError, desc="celu: alpha=0"))),
    OpInfo("gelu", A.gelu, _f("gelu"), _with_kwargs(_unary(), {"approximate": "tanh"}, {"approximate": "none"}),
           _errors(_float_only("gelu"),
                   ErrorSample((np.ones(2),), {"approximate": "erf"}, RuntimeError,
                               desc="gelu: bad approximate"))),
    OpInfo("gelu_tanh", lambda x: A.gelu(x, approximate="tanh"), lambda x: _torch_f().gelu(x, approximate="tanh"),
           _unary(), _float_only("gelu_tanh")),
    OpInfo("silu", A.silu, _f("silu"), _unary(), _float_only("silu")),
    OpInfo("softplus", A.softplus, _f("softplus"),
           _with_kwargs(_unary((2.0,), low=-4, high=4), {"beta": 2.0}, {"beta": 0.5, "threshold": 1.0}),
           _float_only("softplus")),
    OpInfo("softsign", A.softsign, _f("softsign"), _unary((0.0,)),
           _errors(ErrorSample((np.array([True]),), {}, NotImplementedError, desc="softsign: bool input"))),
    OpInfo("mish", A.mish, _f("mish"), _unary(), _float_only("mish")),
    OpInfo("hardtanh", A.hardtanh, _f("hardtanh"),
           _with_kwargs(_unary((-2.0, -1.0, 0.5, 1.0)), {"min_val": -2.0, "max_val": 0.5}),
           _errors(ErrorSample((np.ones(2),), {"min_val": 1.0, "max_val": -1.0}, ValueError,
                               desc="hardtanh: min_val > max_val"),
                   ErrorSample((np.array([True]),), {}, RuntimeError, desc="hardtanh: bool input"))),
    OpInfo("hardsigmoid", A.hardsigmoid, _f("hardsigmoid"), _unary((-3.0, 3.0), low=-5, high=5),
           _float_only("hardsigmoid")),
    OpInfo("hardswish", A.hardswish, _f("hardswish"), _unary((-3.0, 3.0), low=-5, high=5),
           _float_only("hardswish")),
    OpInfo("tanhshrink", A.tanhshrink, _f("tanhshrink"), _unary(),
           _errors(ErrorSample((np.array([True]),), {}, RuntimeError, desc="tanhshrink: bool input"))),
    OpInfo("softshrink", A.softshrink, _f("softshrink"),
           _with_kwargs(_unary((-1.0, -0.5, 0.0, 0.5, 1.0)), {"lambd": 0.0}, {"lambd": 1.0}),
           _errors(_float_only("softshrink"),
                   ErrorSample((np.ones(2),), {"lambd": -1.0}, RuntimeError, desc="softshrink: lambd < 0"))),
    OpInfo("hardshrink", A.hardshrink, _f("hardshrink"), _with_kwargs(_unary((-1.0, -0.5, 0.5, 1.0)), {"lambd": 1.0}),
           _float_only("hardshrink")),
    OpInfo("threshold", lambda x, threshold=0.5, value=-2.0: A.threshold(x, threshold, value),
           lambda x, threshold=0.5, value=-2.0: _torch_f().threshold(x, threshold, value),
           _with_kwargs(_unary((-1.0, 0.5)), {"threshold": -1.0, "value": 3.0}),
           _errors(ErrorSample((np.array([True]),), {}, NotImplementedError, desc="threshold: bool input"))),
    OpInfo("prelu", A.prelu, _f("prelu"), _prelu_samples, _prelu_errors),
    OpInfo("glu", A.glu, _f("glu"), _glu_samples, _glu_errors),
    OpInfo("softmax", A.softmax, _f("softmax"), _softmax_samples, _softmax_errors("softmax")),
    OpInfo("log_softmax", A.log_softmax, _f("log_softmax"), _softmax_samples, _softmax_errors("log_softmax")),
    OpInfo("softmin", A.softmin, _f("softmin"), _softmax_samples,
           _errors(_softmax_errors("softmin"),
                   ErrorSample((np.array([True]),), {"dim": 0}, RuntimeError, desc="softmin: bool input"))),
    OpInfo("softmax_dtype_float64", lambda x, dim: A.softmax(x, dim, dtype=dt.float64),
           lambda x, dim: _torch().softmax(x, dim, dtype=_torch().float64), _softmax_samples,
           notes="dtype= casts the input first: float32 in, float64 out"),
    OpInfo("log_softmax_dtype_float64", lambda x, dim: A.log_softmax(x, dim, dtype=dt.float64),
           lambda x, dim: _torch().log_softmax(x, dim, dtype=_torch().float64), _softmax_samples),
]
