"""Registry entries for arithmetic (tensorlite/ops/arithmetic.py): + - * / // % ** and friends.

Besides shapes (broadcasting both ways, 0-d, zero-size) the samples exercise PyTorch's type
promotion: int64 tensors with float numbers, float32 tensors with float64 0-d tensors (which
do not widen them), bool with int, and the reflected operators (`2 - x`, `2 / x`, `2 ** x`).
Values stay away from where the quotient is an integer for //, %, fmod and rounded division
(their jumps), and pow's base stays positive where its exponent is not an integer.
"""
from __future__ import annotations

import operator

import numpy as np

from ...ops import arithmetic as A
from . import ErrorSample, OpInfo, Sample, arr, positive


def _torch():
    import torch  # noqa: PLC0415 - torch is the test oracle, imported only when checking

    return torch


def _t(name):
    """torch.<name>, looked up when called."""
    return lambda *args, **kwargs: getattr(_torch(), name)(*args, **kwargs)


def _pairs(make_a=None, make_b=None, kwargs=None):
    """A broadcasting binary op's samples: same shape, broadcast both ways, 0-d operands, zero-size."""
    make_a = make_a or (lambda rng, *s: arr(rng, *s))
    make_b = make_b or make_a
    kw = dict(kwargs or {})

    def samples(rng):
        yield Sample((make_a(rng, 3, 4), make_b(rng, 3, 4)), dict(kw), desc="same shape")
        yield Sample((make_a(rng, 3, 1), make_b(rng, 1, 4)), dict(kw), desc="broadcast both")
        yield Sample((make_a(rng, 2, 3, 4), make_b(rng, 4)), dict(kw), desc="broadcast lower rank")
        yield Sample((make_a(rng, 5), make_b(rng)), dict(kw), desc="0-d other")
        yield Sample((make_a(rng), make_b(rng, 2, 3)), dict(kw), desc="0-d input")
        yield Sample((make_a(rng), make_b(rng)), dict(kw), desc="both 0-d")
        yield Sample((make_a(rng, 0, 3), make_b(rng, 3)), dict(kw), desc="zero-size")

    return samples


def _promotion(number=2.5, int_number=3):
    """Forward-only promotion cases every arithmetic op shares."""

    def samples(rng):
        ints = np.array([[1, -2, 3], [4, 5, -6]])
        yield Sample((ints, number), desc="int64 tensor and float number: default float dtype")
        yield Sample((ints, int_number), desc="int64 tensor and int number: int64")
        yield Sample((ints, arr(rng, 3)), desc="int64 and float tensors")
        yield Sample((np.array([True, False, True]), np.array([2, 3, 4])), desc="bool and int64")
        yield Sample((arr(rng, 3, 2), number), desc="float tensor and float number")
        yield Sample((arr(rng, 3, 2), int_number), desc="float tensor and int number")

    return samples


def _chain(*generators):
    def samples(rng):
        for g in generators:
            yield from g(rng)

    return samples


def _away_from_integer_quotient(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a moved so that a/b is not within 0.05 of an integer (where floor/trunc/remainder jump)."""
    a = a.copy() if a.ndim else np.array(a)
    full = np.broadcast_to(b, np.broadcast_shapes(a.shape, b.shape))
    assert full.shape == a.shape, "a must have the broadcast shape"
    q = a / full
    f = q - np.floor(q)
    bad = (f < 0.05) | (f > 0.95)
    a[bad] += 0.3 * full[bad]
    return a


def _quotient_samples(kwargs=None, ints=True):
    """Samples for //, %, fmod, rounded division: divisors away from 0, quotients away from integers."""
    kw = dict(kwargs or {})

    def divisor(rng, *shape):
        return positive(rng, *shape, low=0.5, high=2.0) * rng.choice([-1.0, 1.0], size=shape)

    def samples(rng):
        for shape_a, shape_b, desc in (((3, 4), (3, 4), "same shape"), ((3, 4), (4,), "broadcast"),
                                       ((5,), (), "0-d divisor"), ((), (), "both 0-d")):
            b = divisor(rng, *shape_b)
            a = _away_from_integer_quotient(arr(rng, *shape_a, low=-5, high=5), b)
            yield Sample((a, b), dict(kw), desc=desc)
        yield Sample((arr(rng, 0, 3), divisor(rng, 3)), dict(kw), desc="zero-size")
        a = _away_from_integer_quotient(arr(rng, 2, 3, low=-5, high=5), np.array(1.5))
        yield Sample((a, 1.5), dict(kw), desc="float number divisor")
        yield Sample((a, -2), dict(kw), desc="int number divisor")
        if ints:
            yield Sample((np.array([7, -7, 6, -6, 0]), np.array([2, 2, -4, -4, 3])), dict(kw), desc="int64 signs")
            yield Sample((np.array([7, -7, 5]), 3), dict(kw), desc="int64 and int number")

    return samples


def _shape_error(op, **kwargs):
    def errors():
        yield ErrorSample((np.zeros(3), np.zeros(4)), dict(kwargs), RuntimeError, desc=f"{op}: shapes")
        yield ErrorSample((np.zeros((2, 3)), np.zeros((3, 2))), dict(kwargs), RuntimeError, desc=f"{op}: shapes 2-d")

    return errors


def _int_zero_division(op, **kwargs):
    def errors():
        yield from _shape_error(op, **kwargs)()
        yield ErrorSample((np.array([1, 2]), np.array([1, 0])), dict(kwargs), RuntimeError,
                          desc=f"{op}: integer division by zero")

    return errors


def _add_errors():
    yield from _shape_error("add")()
    yield ErrorSample((np.array([1, 2]), np.array([1, 2])), {"alpha": 0.5}, RuntimeError, desc="add: float alpha, ints")
    yield ErrorSample((np.array([1.0, 2.0]), np.array([1.0, 2.0])), {"alpha": True}, RuntimeError,
                      desc="add: bool alpha, floats")


def _sub_errors():
    yield from _shape_error("sub")()
    yield ErrorSample((np.array([True]), np.array([False])), {}, RuntimeError, desc="sub: two bools")
    yield ErrorSample((np.array([1, 2]), np.array([True, False])), {}, RuntimeError, desc="sub: int and bool")


def _div_errors():
    yield from _shape_error("div")()
    yield ErrorSample((np.zeros(2), np.ones(2)), {"rounding_mode": "round"}, RuntimeError, desc="div: bad mode")
    yield ErrorSample((np.array([1, 2]), np.array([0, 1])), {"rounding_mode": "floor"}, RuntimeError,
                      desc="div: integer floor division by zero")


def _neg_samples(rng):
    yield Sample((arr(rng, 3, 4),), desc="2-d")
    yield Sample((arr(rng),), desc="0-d")
    yield Sample((arr(rng, 0, 2),), desc="zero-size")
    yield Sample((np.array([1, -2, 3]),), desc="int64")


def _neg_errors():
    yield ErrorSample((np.array([True, False]),), {}, RuntimeError, desc="neg: bool")


def _pow_samples(rng):
    x = arr(rng, 3, 4)
    for p in (2, 3, 0, 1, -1, -2):
        if p < 0:
            x = np.where(np.abs(x) < 0.3, x + np.sign(x + 1e-12) * 0.3, x)
        yield Sample((x, p), desc=f"int exponent {p}")
    for p in (0.5, 1.5, -0.7, 2.0):
        yield Sample((positive(rng, 3, 4), p), desc=f"float exponent {p}, positive base")
    yield Sample((positive(rng), 2.5), desc="0-d base")
    yield Sample((arr(rng, 0, 3), 2), desc="zero-size")
    yield Sample((positive(rng, 3, 4), arr(rng, 3, 4)), desc="tensor exponent")
    yield Sample((positive(rng, 3, 1), arr(rng, 4)), desc="tensor exponent, broadcast")
    yield Sample((positive(rng, 5), arr(rng)), desc="0-d tensor exponent")
    yield Sample((np.array([0.0, 0.0, 2.0]), np.array([0.0, 2.0, 0.0])), desc="zero base and exponent",
                 grad=(True, False), gradgrad=False)  # d/d(exponent) of 0^e is -inf for e < 0: no finite differences
    yield Sample((np.array([1, 2, -3]), 2), desc="int64 ** int")
    yield Sample((np.array([1, 2, 3]), 0.5), desc="int64 ** float: default float dtype")
    yield Sample((np.array([1, 2, -1, -1, 3]), np.array([-2, 3, -3, -2, -1])), desc="int64 ** negative int64")
    yield Sample((np.array([True, False]), 2), desc="bool ** int: int64")


def _pow_errors():
    yield from _shape_error("pow")()
    yield ErrorSample((np.array([1, 2]), -1), {}, RuntimeError, desc="pow: int ** negative int number")


def _rpow_samples(rng):
    for base in (2, 0.5, 2.5):
        yield Sample((arr(rng, 3, 4),), {"base": base}, desc=f"base {base}")
    yield Sample((arr(rng),), {"base": 3}, desc="0-d")
    yield Sample((arr(rng, 0, 2),), {"base": 3}, desc="zero-size")
    yield Sample((np.array([0, 1, 3]),), {"base": 2}, desc="int number ** int64: int64")
    yield Sample((np.array([0, 1, 3]),), {"base": 1.5}, desc="float number ** int64: default float")


def _float_power_samples(rng):
    yield Sample((positive(rng, 3, 4), 2), desc="int exponent")
    yield Sample((positive(rng, 3, 4), 0.5), desc="float exponent")
    yield Sample((positive(rng, 3, 1), arr(rng, 4)), desc="tensor exponent, broadcast")
    yield Sample((np.array([1, 2, 3]), 2), desc="int64 base: float64")
    yield Sample((2.0, arr(rng, 3)), desc="number base")


def _reflected(fn):
    """`number <op> x`, as Python calls the tensor's reflected method."""
    return lambda x, base: fn(base, x)


def _mixed(op):
    """x <op> (0-d float64 tensor): a 0-d tensor never widens a dimensioned one of the same kind."""
    return lambda x, y: op(x, y.double())


def _entries() -> list[OpInfo]:
    torch = _t
    def nonzero(rng, *s):
        return np.asarray(positive(rng, *s, low=0.5, high=2.0) * rng.choice([-1.0, 1.0], size=s))

    ops = [
        OpInfo("add", A.add, torch("add"), _chain(_pairs(), _promotion()), _add_errors),
        OpInfo("add_alpha", lambda x, y, alpha: A.add(x, y, alpha=alpha),
               lambda x, y, alpha: _torch().add(x, y, alpha=alpha),
               lambda rng: iter([Sample((arr(rng, 3, 4), arr(rng, 4), 2)), Sample((arr(rng, 3), arr(rng), -0.5)),
                                 Sample((np.array([1, 2]), np.array([3, 4]), 3), desc="int64, int alpha")])),
        OpInfo("add_bool", A.add, torch("add"),
               lambda rng: iter([Sample((np.array([True, False, False]), np.array([True, True, False])))]),
               differentiable=False),
        OpInfo("sub", A.sub, torch("sub"), _chain(_pairs(), _promotion()), _sub_errors),
        OpInfo("sub_alpha", lambda x, y: A.sub(x, y, alpha=2.5), lambda x, y: _torch().sub(x, y, alpha=2.5),
               _pairs()),
        OpInfo("rsub", A.rsub, torch("rsub"), _pairs()),
        OpInfo("mul", A.mul, torch("mul"), _chain(_pairs(), _promotion()), _shape_error("mul")),
        OpInfo("mul_bool", A.mul, torch("mul"),
               lambda rng: iter([Sample((np.array([True, False]), np.array([True, True])), desc="bool * bool"),
                                 Sample((np.array([True, False]), 1.5), desc="bool * float number")]),
               differentiable=False),
        OpInfo("div", A.div, torch("div"), _chain(_pairs(make_b=nonzero), _promotion()), _div_errors),
        OpInfo("div_int", A.div, torch("div"),
               lambda rng: iter([Sample((np.array([7, -7, 3]), np.array([2, 2, 3])), desc="int64 / int64: float"),
                                 Sample((np.array(7), np.array(2)), desc="0-d ints"),
                                 Sample((np.array([True, False]), np.array([True, True])), desc="bools")]),
               differentiable=False),
        OpInfo("div_trunc", lambda x, y: A.div(x, y, rounding_mode="trunc"),
               lambda x, y: _torch().div(x, y, rounding_mode="trunc"), _quotient_samples()),
        OpInfo("div_floor", lambda x, y: A.div(x, y, rounding_mode="floor"),
               lambda x, y: _torch().div(x, y, rounding_mode="floor"), _quotient_samples()),
        OpInfo("floor_divide", A.floor_divide, torch("floor_divide"), _quotient_samples(),
               _int_zero_division("floor_divide"), differentiable=False,
               notes="PyTorch's floor_divide has no derivative (backward raises)"),
        OpInfo("remainder", A.remainder, torch("remainder"), _quotient_samples(), _int_zero_division("remainder")),
        OpInfo("fmod", A.fmod, torch("fmod"), _quotient_samples(), _int_zero_division("fmod")),
        OpInfo("neg", A.neg, torch("neg"), _neg_samples, _neg_errors),
        OpInfo("pow", A.pow, torch("pow"), _pow_samples, _pow_errors),
        OpInfo("rpow", lambda x, base: A.pow(base, x), lambda x, base: _torch().pow(base, x), _rpow_samples),
        OpInfo("float_power", A.float_power, torch("float_power"), _float_power_samples),
    ]
    # Operators, reflected operators (number on the left) and mixed float32/float64 promotion.
    for sym, fn in (("+", operator.add), ("-", operator.sub), ("*", operator.mul), ("/", operator.truediv)):
        ops.append(OpInfo(f"operator{sym}", fn, fn, _pairs(make_b=nonzero if sym == "/" else None)))
        ops.append(OpInfo(f"roperator{sym}", _reflected(fn), _reflected(fn),
                          lambda rng, sym=sym: iter([
                              Sample((nonzero(rng, 3, 4) if sym == "/" else arr(rng, 3, 4), 2), desc="int number"),
                              Sample((nonzero(rng, 3) if sym == "/" else arr(rng, 3), -1.5), desc="float number"),
                              Sample((np.array([1, 2, 4]), 2), desc="int64 tensor, int number"),
                              Sample((np.array([1, 2, 4]), 2.5), desc="int64 tensor, float number")])))
        ops.append(OpInfo(f"mixed_f64_0d{sym}", _mixed(fn), _mixed(fn),
                          lambda rng, sym=sym: iter([Sample((arr(rng, 3, 4), nonzero(rng) if sym == "/" else arr(rng)),
                                                            desc="x and a 0-d float64 tensor: x's dtype")])))
    for sym, fn in (("//", operator.floordiv), ("%", operator.mod)):
        ops.append(OpInfo(f"operator{sym}", fn, fn, _quotient_samples(), differentiable=(sym == "%")))
    ops.append(OpInfo("operator**", operator.pow, operator.pow, _pow_samples))
    ops.append(OpInfo("roperator**", _reflected(operator.pow), _reflected(operator.pow),
                      lambda rng: (Sample((s.args[0], s.kwargs["base"]), desc=s.desc) for s in _rpow_samples(rng))))
    ops.append(OpInfo("operator-unary", operator.neg, operator.neg, _neg_samples))
    # In-place forms under autograd: gradients flow through x.clone().op_(y) as through op(x, y).
    for name in ("add", "sub", "mul", "div"):
        ops.append(OpInfo(f"{name}_inplace", lambda x, y, name=name: getattr(x.clone(), name + "_")(y),
                          lambda x, y, name=name: getattr(x.clone(), name + "_")(y),
                          lambda rng: iter([Sample((arr(rng, 3, 4), nonzero(rng, 4)), desc="broadcast other"),
                                            Sample((arr(rng, 3), 2.5), desc="number other")])))
    ops.append(OpInfo("pow_inplace", lambda x, p: x.clone().pow_(p), lambda x, p: x.clone().pow_(p),
                      lambda rng: iter([Sample((positive(rng, 3, 4), 1.5))])))
    return ops


OPS = _entries()
