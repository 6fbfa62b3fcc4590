"""Registry entries for the elementwise group (tensorlite/ops/elementwise.py, elementwise_binary.py,
comparison.py): unary math, rounding, maximum/where/lerp/clamp/..., comparisons and logical ops.

Samples cover 0-d, size-1 and zero-size dims, broadcasting, integer inputs (promotion to the
default float dtype) and extreme values; values are kept inside each function's domain and away
from its kinks (0 for abs, integers for floor, clamp bounds, ...) so finite differences are valid.
"""
from __future__ import annotations

import numpy as np

from ...ops import elementwise as E
from . import ErrorSample, OpInfo, Sample, arr, away_from, positive


def _torch():
    import torch  # noqa: PLC0415 - torch is the test oracle, imported only when checking

    return torch


def _t(name):
    """torch.<name>, looked up when called."""
    return lambda *args, **kwargs: getattr(_torch(), name)(*args, **kwargs)


# -- unary ------------------------------------------------------------------------------------------------------
def _unary(make=None, kinks=(), gap=0.1, extreme=None, ints=True):
    """Samples for a unary op: every kind of shape, values from `make(rng, *shape)` nudged away from `kinks`,
    an int64 input (PyTorch promotes it) and forward-only extreme values."""
    make = make or (lambda rng, *shape: arr(rng, *shape))

    def samples(rng):
        def a(*shape):
            return away_from(make(rng, *shape), kinks, gap) if kinks else make(rng, *shape)

        yield Sample((a(3, 4),), desc="2-d")
        yield Sample((a(7),), desc="1-d")
        yield Sample((a(2, 1, 3),), desc="size-1 dim")
        yield Sample((a(),), desc="0-d")
        yield Sample((a(0, 3),), desc="zero-size")
        if ints:
            yield Sample((np.array([1, 2, 3]),), desc="int64 input")
        if extreme is not None:
            yield Sample((np.array(extreme, dtype=np.float64),), desc="extreme values", grad=(False,))

    return samples


def _domain(low, high):
    return lambda rng, *shape: arr(rng, *shape, low=low, high=high)


def _pos(low=0.2, high=2.0):
    return lambda rng, *shape: positive(rng, *shape, low=low, high=high)


def _not_for(op, dtype, **kwargs):
    """PyTorch's kernels that lack a dtype raise NotImplementedError."""
    values = {"bool": np.array([True, False]), "int": np.array([1, -2, 3])}[dtype]

    def errors():
        yield ErrorSample((values,), dict(kwargs), NotImplementedError, desc=f"{op}: {dtype} input")

    return errors


def _rounding(points, low=-2.0, high=2.0, gap=0.1):
    """Rounding ops are flat between jumps: keep samples away from the jumps."""
    return _unary(_domain(low, high), kinks=points, gap=gap, extreme=[-1e30, -2.5, -0.5, 0.5, 1.5, 2.5, 1e30])


_INTEGERS = tuple(float(k) for k in range(-3, 4))
_HALVES = tuple(k + 0.5 for k in range(-3, 3))


def _round_decimals(rng):
    yield from _rounding(_HALVES)(rng)
    x = away_from(arr(rng, 3, 4), tuple(k / 10 + 0.05 for k in range(-25, 25)), gap=0.01)
    yield Sample((x,), {"decimals": 1}, desc="decimals=1")
    yield Sample((arr(rng, 5, low=-300, high=300),), {"decimals": -2}, desc="decimals=-2", gradgrad=False)
    yield Sample((np.array([1.2345, 2.5, -0.125, 1234.5678, -0.0]),), {"decimals": 2}, desc="decimals=2", grad=(False,))


def _round_errors():
    yield from _not_for("round", "bool")()
    yield ErrorSample((np.array([1, 2]),), {"decimals": 1}, NotImplementedError, desc="round: int with decimals")


_EXP_EXTREME = [-100.0, -30.0, 0.0, 30.0, 80.0, 100.0]
_UNARY_OPS = [
    # name, op, samples, errors
    ("abs", E.abs, _unary(kinks=(0.0,), extreme=[-1e30, -0.0, 1e30]), _not_for("abs", "bool")),
    ("sign", E.sign, _unary(kinks=(0.0,), extreme=[-1e30, -0.0, 0.0, 1e-30]), None),
    ("sgn", E.sgn, _unary(kinks=(0.0,)), None),  # oracle torch.sign: torch.sgn's gradient is a ZeroTensor
    ("exp", E.exp, _unary(extreme=_EXP_EXTREME), None),
    ("exp2", E.exp2, _unary(extreme=_EXP_EXTREME), None),
    ("expm1", E.expm1, _unary(extreme=[-100.0, -1e-10, 1e-10, 30.0]), None),
    ("log", E.log, _unary(_pos(), extreme=[0.0, 1e-30, 1e30, -1.0]), None),
    ("log2", E.log2, _unary(_pos(), extreme=[0.0, 1e-30, 1e30]), None),
    ("log10", E.log10, _unary(_pos(), extreme=[0.0, 1e-30, 1e30]), None),
    ("log1p", E.log1p, _unary(_domain(-0.8, 2.0), extreme=[-1.0, 1e-12, -1e-12, 1e30]), None),
    ("sqrt", E.sqrt, _unary(_pos(), extreme=[0.0, 1e-30, 1e30]), None),
    ("rsqrt", E.rsqrt, _unary(_pos(), extreme=[0.0, 1e-30, 1e30]), None),
    ("sin", E.sin, _unary(extreme=[-1e4, 1e4]), None),
    # no int64 sample: NumPy's and PyTorch's float32 cos/tan differ in the last bit, beyond float64 tolerances
    ("cos", E.cos, _unary(extreme=[-1e4, 1e4], ints=False), None),
    ("tan", E.tan, _unary(_domain(-1.2, 1.2), ints=False), None),
    ("asin", E.asin, _unary(_domain(-0.9, 0.9), extreme=[-1.0, 1.0]), None),
    ("acos", E.acos, _unary(_domain(-0.9, 0.9), extreme=[-1.0, 1.0]), None),
    ("atan", E.atan, _unary(extreme=[-1e30, 1e30]), None),
    ("sinh", E.sinh, _unary(extreme=[-50.0, 50.0]), None),
    ("cosh", E.cosh, _unary(extreme=[-50.0, 50.0]), None),
    ("tanh", E.tanh, _unary(extreme=[-100.0, -20.0, 20.0, 100.0]), None),
    ("asinh", E.asinh, _unary(extreme=[-1e30, 1e30]), None),
    ("acosh", E.acosh, _unary(_pos(1.2, 3.0), extreme=[1.0, 1e30]), None),
    ("atanh", E.atanh, _unary(_domain(-0.9, 0.9), extreme=[-1.0, 1.0]), None),
    ("reciprocal", E.reciprocal, _unary(kinks=(0.0,), gap=0.3, extreme=[0.0, -0.0, 1e30]), None),
    ("square", E.square, _unary(extreme=[-1e20, 1e20]), None),
    ("erf", E.erf, _unary(_domain(-3.0, 3.0), extreme=[-30.0, -6.0, 6.0, 30.0]), None),
    ("erfc", E.erfc, _unary(_domain(-3.0, 3.0), extreme=[-30.0, 6.0, 10.0, 27.0]), None),
    ("floor", E.floor, _rounding(_INTEGERS), _not_for("floor", "bool")),
    ("ceil", E.ceil, _rounding(_INTEGERS), _not_for("ceil", "bool")),
    ("trunc", E.trunc, _rounding(_INTEGERS), _not_for("trunc", "bool")),
    ("frac", E.frac, _unary(_domain(-2.0, 2.0), kinks=_INTEGERS, ints=False), _not_for("frac", "int")),
    ("positive", E.positive, _unary(), lambda: iter([ErrorSample((np.array([True]),), {}, RuntimeError,
                                                                  desc="positive: bool input")])),
]


# -- binary and ternary -----------------------------------------------------------------------------------------------
def _pairs(make_a=None, make_b=None, ints=True):
    """Samples for a broadcasting binary op: same shape, broadcasting both ways, 0-d operands, zero-size, promotion."""
    make_a = make_a or (lambda rng, *s: arr(rng, *s))
    make_b = make_b or make_a

    def samples(rng):
        yield Sample((make_a(rng, 3, 4), make_b(rng, 3, 4)), desc="same shape")
        yield Sample((make_a(rng, 3, 1), make_b(rng, 1, 4)), desc="broadcast both")
        yield Sample((make_a(rng, 2, 3, 4), make_b(rng, 4)), desc="broadcast lower rank")
        yield Sample((make_a(rng, 5), make_b(rng)), desc="0-d other")
        yield Sample((make_a(rng), make_b(rng, 2, 3)), desc="0-d input")
        yield Sample((make_a(rng), make_b(rng)), desc="both 0-d")
        yield Sample((make_a(rng, 0, 3), make_b(rng, 3)), desc="zero-size")
        if ints:
            yield Sample((np.array([1, -2, 3]), make_b(rng, 3)), desc="int64 and float: promotion")

    return samples


def _shape_error(op, n=2):
    def errors():
        args = (np.zeros(3), np.zeros(4), np.zeros(3))[:n]
        yield ErrorSample(args, {}, RuntimeError, desc=f"{op}: shapes that don't broadcast")

    return errors


def _maxmin_samples(ties):
    def samples(rng):
        yield from _pairs()(rng)
        if ties:  # maximum/minimum split the gradient at ties (as finite differences see it); fmax/fmin don't
            a = arr(rng, 6)
            b = a.copy()
            b[::2] += 0.5
            yield Sample((a, b), desc="ties: gradient split between the inputs", gradgrad=False)
        yield Sample((np.array([np.nan, 1.0, np.nan, 2.0]), np.array([1.0, np.nan, np.nan, 3.0])), desc="NaN",
                     grad=(False, False))

    return samples


def _maxmin_errors(op):
    def errors():
        yield from _shape_error(op)()
        yield ErrorSample((np.zeros(3), 1.0), {}, TypeError, desc=f"{op}: number other")

    return errors


def _where_samples(rng):
    cond = rng.uniform(size=(3, 4)) > 0.5
    yield Sample((cond, arr(rng, 3, 4), arr(rng, 3, 4)), desc="same shape")
    yield Sample((cond[:, :1], arr(rng, 1, 4), arr(rng, 3, 1)), desc="broadcast all three")
    yield Sample((cond, arr(rng, 4), arr(rng)), desc="0-d other")
    yield Sample((cond, arr(rng, 3, 4), 0.0), desc="number other")
    yield Sample((cond, -1.5, arr(rng, 3, 4)), desc="number input")
    yield Sample((cond, 1.0, 0.0), desc="two numbers: default float dtype")
    yield Sample((cond, 1, 0), desc="two ints: int64")
    yield Sample((np.array(True), arr(rng, 2, 3), arr(rng, 2, 3)), desc="0-d condition")
    yield Sample((np.zeros((0, 3), bool), arr(rng, 0, 3), arr(rng, 3)), desc="zero-size")
    yield Sample((cond, np.array([[1, 2, 3, 4]]), arr(rng, 3, 4)), desc="int64 and float: promotion")


def _where_errors():
    yield ErrorSample((np.zeros(3), np.zeros(3), np.zeros(3)), {}, RuntimeError, desc="where: float condition")
    yield ErrorSample((np.ones(3, bool), np.zeros(4), np.zeros(3)), {}, RuntimeError, desc="where: shapes")


def _lerp_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4), 0.3), desc="number weight < 0.5")
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4), 0.8), desc="number weight >= 0.5")
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4), arr(rng, 3, 4, low=-0.5, high=1.5)), desc="tensor weight")
    yield Sample((arr(rng, 3, 1), arr(rng, 4), arr(rng, 1, 1, 1, low=0, high=1)), desc="broadcast all three")
    yield Sample((arr(rng, 5), arr(rng), arr(rng, low=0, high=1)), desc="0-d end and weight")
    yield Sample((arr(rng), arr(rng), 1.5), desc="0-d, weight > 1")
    yield Sample((arr(rng, 0, 3), arr(rng, 3), arr(rng, 3)), desc="zero-size")


def _lerp_errors():
    yield ErrorSample((np.zeros(3), np.zeros(4), 0.5), {}, RuntimeError, desc="lerp: shapes")
    yield ErrorSample((np.zeros(3, np.float32), np.zeros(3), 0.5), {}, RuntimeError, desc="lerp: dtypes differ")
    yield ErrorSample((np.zeros(3), np.zeros(3), np.zeros(3, np.float32)), {}, RuntimeError,
                      desc="lerp: weight dtype differs")
    yield ErrorSample((np.array([1, 2]), np.array([1, 2]), 0.5), {}, NotImplementedError, desc="lerp: int64")


def _clamp_samples(rng):
    def x(*shape):
        return away_from(arr(rng, *shape), (-1.0, -0.5, 0.5, 1.0))

    yield Sample((x(3, 4),), {"min": -1.0, "max": 1.0}, desc="both bounds")
    yield Sample((x(3, 4),), {"min": -0.5}, desc="min only")
    yield Sample((x(3, 4),), {"max": 0.5}, desc="max only")
    yield Sample((x(2, 3), -0.5, 0.5), desc="positional bounds")
    yield Sample((x(),), {"min": -0.5, "max": 0.5}, desc="0-d")
    yield Sample((x(0, 3),), {"min": -0.5, "max": 0.5}, desc="zero-size")
    yield Sample((x(5),), {"min": 0.5, "max": -0.5}, desc="min > max: result is max")
    yield Sample((np.array([-3, 0, 4]),), {"min": -1, "max": 2}, desc="int64 with int bounds")
    yield Sample((np.array([-3, 0, 4]),), {"min": 0.5}, desc="int64 with a float bound: promotion")
    lo = arr(rng, 3, 1, low=-1.5, high=-0.2)
    hi = arr(rng, 4, low=0.2, high=1.5)
    xs = arr(rng, 3, 4, low=-2.5, high=2.5)
    xs = np.where(np.abs(xs - lo) < 0.1, xs + 0.3, xs)
    xs = np.where(np.abs(xs - hi) < 0.1, xs + 0.3, xs)
    yield Sample((xs,), {"min": lo, "max": hi}, desc="tensor bounds, broadcast")
    yield Sample((xs,), {"min": lo}, desc="tensor min only")
    yield Sample((xs,), {"max": hi}, desc="tensor max only")
    yield Sample((x(4),), {"min": np.array(0.5), "max": np.array(-0.5)}, desc="tensor bounds, min > max")


def _clamp_errors():
    yield ErrorSample((np.zeros(3),), {}, RuntimeError, desc="clamp: no bounds")
    yield ErrorSample((np.zeros(3),), {"min": np.zeros(4)}, RuntimeError, desc="clamp: bound shape")
    yield ErrorSample((np.zeros(3),), {"min": np.zeros(3), "max": 1.0}, TypeError, desc="clamp: tensor and number")


def _one_bound(kind):
    def samples(rng):
        x = away_from(arr(rng, 3, 4), (0.3,))
        yield Sample((x, 0.3), desc=f"number {kind}")
        yield Sample((away_from(arr(rng), (0.3,)), 0.3), desc="0-d")
        hi = arr(rng, 4)
        xs = away_from(arr(rng, 3, 4) - hi, (0.0,)) + hi
        yield Sample((xs, hi), desc=f"tensor {kind}, broadcast")

    return samples


def _hypot_errors():
    yield from _shape_error("hypot")()
    yield ErrorSample((np.array([3]), np.array([4])), {}, NotImplementedError, desc="hypot: int64")


def _away_origin(rng, *shape):
    return away_from(arr(rng, *shape), (0.0,), gap=0.2)


def _copysign_samples(rng):
    yield from _pairs(_away_origin)(rng)
    yield Sample((_away_origin(rng, 3, 4), -1.5), desc="number other")
    yield Sample((_away_origin(rng, 3), 2), desc="int other")
    yield Sample((np.array([0.0, -0.0, 2.0, -3.0]), np.array([-1.0, 1.0, -0.0, 0.0])), desc="signed zeros",
                 grad=(False, False))


def _xlogy_samples(rng):
    yield from _pairs(lambda rng, *s: arr(rng, *s), _pos())(rng)
    x = arr(rng, 6)
    x[::2] = 0.0
    yield Sample((x, positive(rng, 6)), desc="x = 0 gives 0")
    yield Sample((np.array([0.0, 0.0, 1.0, 0.0]), np.array([0.0, np.nan, 0.0, -1.0])), desc="special values",
                 grad=(False, False))
    yield Sample((arr(rng, 3, 4), 2.5), desc="number other")
    yield Sample((2.0, positive(rng, 3, 4)), desc="number input")


def _addc_samples(div):
    def samples(rng):
        t2 = (lambda rng, *s: away_from(arr(rng, *s), (0.0,), gap=0.3)) if div else (lambda rng, *s: arr(rng, *s))
        yield Sample((arr(rng, 3, 4), arr(rng, 3, 4), t2(rng, 3, 4)), desc="same shape")
        yield Sample((arr(rng, 1, 4), arr(rng, 3, 1), t2(rng, 4)), {"value": 0.5}, desc="broadcast, value=0.5")
        yield Sample((arr(rng), arr(rng, 2, 3), t2(rng)), {"value": -2}, desc="0-d, value=-2")
        yield Sample((arr(rng, 0, 3), arr(rng, 3), t2(rng, 3)), desc="zero-size")
        yield Sample((arr(rng, 3), np.array([1, 2, 3]), t2(rng, 3)), desc="int64 tensor1: promotion")

    return samples


def _addcdiv_errors():
    yield from _shape_error("addcdiv", 3)()
    yield ErrorSample((np.zeros(2), np.array([1, 2]), np.array([1, 2])), {}, RuntimeError,
                      desc="addcdiv: integer division")


# -- comparisons and logical ------------------------------------------------------------------------------------------
def _compare_samples(rng):
    a = np.round(arr(rng, 3, 4), 1)
    b = a.copy()
    b[0] += 0.5
    b[1] -= 0.5  # rows of greater, smaller and equal elements
    yield Sample((a, b), desc="same shape, ties")
    yield Sample((a, b[:1]), desc="broadcast")
    yield Sample((a, 0.0), desc="number other")
    yield Sample((np.array([1, 2, 3]), 2.5), desc="int64 and float number: compared as float")
    yield Sample((np.array([1, 2, 3]), np.array(2.0)), desc="int64 and float 0-d")
    yield Sample((arr(rng), arr(rng, 3)), desc="0-d input")
    yield Sample((arr(rng, 0, 2), arr(rng, 2)), desc="zero-size")
    yield Sample((np.array([np.nan, 1.0, np.inf]), np.array([np.nan, np.nan, np.inf])), desc="NaN and inf")
    yield Sample((np.array([True, False]), np.array([False, False])), desc="bool")


def _logical_samples(rng):
    a = np.array([[0.0, 1.5, -2.0, 0.0]])
    yield Sample((a, np.array([[0.0], [3.0]])), desc="floats, broadcast")
    yield Sample((np.array([True, False, True]), np.array([1, 0, 0])), desc="bool and int64")
    yield Sample((np.array(0.0), np.array([1.0, 0.0])), desc="0-d input")
    yield Sample((np.zeros((0, 2)), np.ones(2)), desc="zero-size")


def _bitwise_samples(rng):
    yield Sample((np.array([5, 3, -8, 0]), np.array([3, 6, 7, -1])), desc="int64")
    yield Sample((np.array([True, False, True]), np.array([True, True, False])), desc="bool")
    yield Sample((np.array([[5, 3]]), np.array([[1], [2]])), desc="broadcast")
    yield Sample((np.array([5, 3]), 6), desc="number other")
    yield Sample((np.array([True, False]), True), desc="bool and bool number")
    yield Sample((np.array([True, False]), 3), desc="bool and int number: int64")


def _shift_samples(rng):
    yield Sample((np.array([5, -3, -8, 0, 1]), np.array([1, 2, 0, 3, 62])), desc="int64")
    yield Sample((np.array([[5, -3]]), np.array([[1], [2]])), desc="broadcast")
    yield Sample((np.array([5, -3, 40]), 2), desc="number other")
    yield Sample((np.array([-7, 7, -1, 5]), np.array([-1, 64, 70, 63])), desc="shifts out of range")
    yield Sample((np.array([True, False]), 1), desc="bool and int number: int64")


def _bitwise_errors(op):
    def errors():
        yield ErrorSample((np.zeros(3), np.zeros(3)), {}, NotImplementedError, desc=f"{op}: float input")

    return errors


def _test_samples(rng):
    yield Sample((np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan]),), desc="special values")
    yield Sample((arr(rng, 2, 3),), desc="2-d")
    yield Sample((arr(rng),), desc="0-d")
    yield Sample((arr(rng, 0, 3),), desc="zero-size")
    yield Sample((np.array([-3, 0, 4]),), desc="int64")
    yield Sample((np.array([True, False]),), desc="bool")


def _isclose_samples(rng):
    a = arr(rng, 3, 4)
    b = a + rng.choice([0.0, 1e-9, 1e-6, 1e-3], size=a.shape) * a
    yield Sample((a, b), desc="default tolerances")
    yield Sample((a, b), {"rtol": 1e-4, "atol": 0.0}, desc="rtol only")
    yield Sample((a, b), {"rtol": 0.0, "atol": 1e-3}, desc="atol only")
    yield Sample((a, b[:1]), desc="broadcast")
    special = (np.array([np.nan, np.inf, -np.inf, np.inf, 1.0]), np.array([np.nan, np.inf, np.inf, 1.0, np.nan]))
    yield Sample(special, desc="NaN and inf")
    yield Sample(special, {"equal_nan": True}, desc="equal_nan")
    yield Sample((np.array([1, 2, 100]), np.array([1, 3, 101])), {"rtol": 0.01}, desc="int64")


def _isclose_errors():
    yield ErrorSample((np.zeros(3, np.float32), np.zeros(3)), {}, RuntimeError, desc="isclose: dtypes differ")
    yield ErrorSample((np.zeros(3), np.zeros(4)), {}, RuntimeError, desc="isclose: shapes")


def _equal_samples(rng):
    a = arr(rng, 3, 4)
    yield Sample((a, a.copy()), desc="equal")
    b = a.copy()
    b[1, 2] += 1e-3
    yield Sample((a, b), desc="one element differs")
    yield Sample((a, a[:1].copy()), desc="shapes differ")
    yield Sample((np.array([np.nan]), np.array([np.nan])), desc="NaN is not equal")


_COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal"]


def _entries() -> list[OpInfo]:
    torch = _t
    ops = []
    for name, op, samples, errors in _UNARY_OPS:
        ops.append(OpInfo(name, op, torch("sign" if name == "sgn" else name), samples, errors))
    ops += [
        OpInfo("round", E.round, torch("round"), _round_decimals, _round_errors),
        OpInfo("exp_inplace", lambda x: x.clone().exp_(), lambda x: x.clone().exp_(), _unary(ints=False),
               notes="x.clone().exp_(): gradient through an in-place op"),
        OpInfo("clamp_inplace", lambda x, *a, **kw: x.clone().clamp_(*a, **kw),
               lambda x, *a, **kw: x.clone().clamp_(*a, **kw),
               lambda rng: (s for s in _clamp_samples(rng) if s.args[0].dtype.kind in "fV")),
        OpInfo("maximum", E.maximum, torch("maximum"), _maxmin_samples(True), _maxmin_errors("maximum")),
        OpInfo("minimum", E.minimum, torch("minimum"), _maxmin_samples(True), _maxmin_errors("minimum")),
        OpInfo("fmax", E.fmax, torch("fmax"), _maxmin_samples(False), _maxmin_errors("fmax")),
        OpInfo("fmin", E.fmin, torch("fmin"), _maxmin_samples(False), _maxmin_errors("fmin")),
        OpInfo("where", E.where, torch("where"), _where_samples, _where_errors),
        OpInfo("tensor_where", lambda x, c, y: x.where(c, y), lambda x, c, y: x.where(c, y),
               lambda rng: iter([Sample((arr(rng, 3, 4), rng.uniform(size=(3, 1)) > 0.5, arr(rng, 4)))])),
        OpInfo("lerp", E.lerp, torch("lerp"), _lerp_samples, _lerp_errors),
        OpInfo("clamp", E.clamp, torch("clamp"), _clamp_samples, _clamp_errors),
        OpInfo("clip", E.clip, torch("clip"), _clamp_samples),
        OpInfo("clamp_min", E.clamp_min, torch("clamp_min"), _one_bound("min")),
        OpInfo("clamp_max", E.clamp_max, torch("clamp_max"), _one_bound("max")),
        OpInfo("atan2", E.atan2, torch("atan2"), _pairs(_away_origin), _shape_error("atan2")),
        OpInfo("hypot", E.hypot, torch("hypot"), _pairs(_away_origin, ints=False), _hypot_errors),
        OpInfo("copysign", E.copysign, torch("copysign"), _copysign_samples, _shape_error("copysign")),
        OpInfo("xlogy", E.xlogy, torch("xlogy"), _xlogy_samples, _shape_error("xlogy")),
        OpInfo("addcmul", E.addcmul, torch("addcmul"), _addc_samples(False), _shape_error("addcmul", 3)),
        OpInfo("addcdiv", E.addcdiv, torch("addcdiv"), _addc_samples(True), _addcdiv_errors),
    ]
    for name in _COMPARISONS:
        ops.append(OpInfo(name, getattr(E, name), torch(name), _compare_samples, _shape_error(name),
                          differentiable=False))
    import operator

    for sym, fn in (("==", operator.eq), ("!=", operator.ne), ("<", operator.lt), ("<=", operator.le),
                    (">", operator.gt), (">=", operator.ge)):
        ops.append(OpInfo(f"operator{sym}", fn, fn, _compare_samples, differentiable=False))
    for name in ("logical_and", "logical_or", "logical_xor"):
        ops.append(OpInfo(name, getattr(E, name), torch(name), _logical_samples, _shape_error(name),
                          differentiable=False))
    ops.append(OpInfo("logical_not", E.logical_not, torch("logical_not"),
                      lambda rng: (Sample(s.args[:1], desc=s.desc) for s in _logical_samples(rng)),
                      differentiable=False))
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        ops.append(OpInfo(name, getattr(E, name), torch(name), _bitwise_samples, _bitwise_errors(name),
                          differentiable=False))
    for sym, fn in (("&", operator.and_), ("|", operator.or_), ("^", operator.xor)):
        ops.append(OpInfo(f"operator{sym}", fn, fn, _bitwise_samples, differentiable=False))
    for name, sym, fn in (("bitwise_left_shift", "<<", operator.lshift), ("bitwise_right_shift", ">>", operator.rshift)):
        ops.append(OpInfo(name, getattr(E, name), torch(name), _shift_samples, _bitwise_errors(name),
                          differentiable=False))
        ops.append(OpInfo(f"operator{sym}", fn, fn, _shift_samples, differentiable=False))
    ops.append(OpInfo("bitwise_not", E.bitwise_not, torch("bitwise_not"),
                      lambda rng: (Sample(s.args[:1], desc=s.desc) for s in _bitwise_samples(rng)),
                      lambda: iter([ErrorSample((np.zeros(2),), {}, NotImplementedError, desc="bitwise_not: float")]),
                      differentiable=False))
    ops.append(OpInfo("operator~", operator.invert, operator.invert,
                      lambda rng: (Sample(s.args[:1], desc=s.desc) for s in _bitwise_samples(rng)),
                      lambda: iter([ErrorSample((np.zeros(2),), {}, TypeError, desc="~float")]),
                      differentiable=False))
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit"):
        ops.append(OpInfo(name, getattr(E, name), torch(name), _test_samples, differentiable=False))
    ops += [
        OpInfo("isclose", E.isclose, torch("isclose"), _isclose_samples, _isclose_errors, differentiable=False),
        OpInfo("allclose", E.allclose, torch("allclose"), _isclose_samples, differentiable=False),
        OpInfo("equal", E.equal, torch("equal"), _equal_samples, differentiable=False),
    ]
    return ops


OPS = _entries()
