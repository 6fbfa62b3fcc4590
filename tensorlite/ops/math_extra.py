"""More elementwise math: nan_to_num, logaddexp(2), logit, sinc, deg2rad/rad2deg, ldexp/frexp, nextafter, and
the integer and set tests gcd, lcm, heaviside, isin.

The differentiable ones are Functions with the gradient written next to the forward, or
compositions of existing ops (frexp: the mantissa's; nextafter: PyTorch's one-ulp-step gradient);
the integer and set ops have no gradient (as in PyTorch). Binary ones take two tensors, as PyTorch.
"""
from __future__ import annotations

import collections
import math

import numpy as np

from .. import _dtype as _dt
from ..autograd.function import Function
from ..tensor import Tensor
from ._pointwise import check_tensor as _check_tensor, const as _const, floating as _floating
from ._pointwise import not_for as _not_for, xp_of as _xp
from .arithmetic import _check_broadcast, as_operands, sum_to_shape
from .activation import sigmoid
from .elementwise import cos, exp2, log
from .elementwise_binary import clamp, where

__all__ = ["nan_to_num", "nan_to_num_", "logaddexp", "logaddexp2", "logit", "sinc", "deg2rad", "rad2deg", "ldexp",
           "frexp", "gcd", "lcm", "heaviside", "isin", "nextafter"]

frexp_result = collections.namedtuple("frexp", "mantissa exponent")
frexp_result.__module__ = "tensorlite.return_types"


class NanToNum(Function):
    """y = x with NaN, +inf, -inf replaced by finite values. Gradient: g where x is finite, else 0."""

    def forward(self, x, nan, posinf, neginf):
        return _xp(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, grad):
        finite = _xp(grad._data).isfinite(self.inputs[0]._data)
        return grad * _const(finite.astype(grad._data.dtype))


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """Replace NaN by `nan`, +inf by `posinf` and -inf by `neginf` (default: the dtype's largest/lowest value)."""
    _check_tensor(input, "nan_to_num")
    if input._data.dtype.kind not in "fV":
        return input.clone()
    # the defaults are the input dtype's extremes (a bfloat16 input's forward runs in float32, whose are larger)
    info = _dt.finfo(input.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


def nan_to_num_(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    return input._inplace("nan_to_num_", nan_to_num, nan, posinf, neginf)


def _tensors(a, b, op: str, names: tuple = ("input", "other")) -> None:
    """PyTorch's binary math functions take two tensors (no Python numbers): TypeError otherwise."""
    _check_tensor(a, op, names[0])
    _check_tensor(b, op, names[1])


def _float_operands(a, b, op: str) -> tuple[Tensor, Tensor]:
    _tensors(a, b, op)
    a, b = as_operands(a, b, op)
    _check_broadcast(a, b, op)
    _not_for(a, op, "biu")  # PyTorch: NotImplementedError for integer tensors
    return a, b


class LogAddExp(Function):
    """y = log(e^a + e^b) (log2(2^a + 2^b) for base 2). Gradients: g sigmoid(a - b), g sigmoid(b - a) (the
    differences scaled by ln 2 for base 2): from the inputs, not from y, whose rounding (bfloat16) skews e^(a-y)."""

    def forward(self, a, b, base2):
        self.base2 = base2
        xp = _xp(a)
        return xp.logaddexp2(a, b) if base2 else xp.logaddexp(a, b)

    def backward(self, grad):
        a, b = self.inputs
        d = (a - b) * math.log(2.0) if self.base2 else a - b
        ga = sum_to_shape(grad * sigmoid(d), a._data.shape) if self.needs_input_grad[0] else None
        gb = sum_to_shape(grad * sigmoid(-d), b._data.shape) if self.needs_input_grad[1] else None
        return ga, gb


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(exp(input) + exp(other)), without overflow."""
    return LogAddExp.apply(*_float_operands(input, other, "logaddexp"), base2=False)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:
    """log2(2^input + 2^other), without overflow."""
    return LogAddExp.apply(*_float_operands(input, other, "logaddexp2"), base2=True)


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when eps is given (gradient 0 outside)."""
    p = _floating(input, "logit")
    if eps is not None:
        p = clamp(p, eps, 1.0 - eps)
    return log(p / (1.0 - p))


class Sinc(Function):
    """y = sin(pi x) / (pi x), 1 at x = 0. Gradient: g * (cos(pi x) - y) / x, 0 at x = 0."""

    save_output = True

    def forward(self, x):
        return _xp(x).sinc(x)

    def backward(self, grad):
        x = self.inputs[0]
        zero = x == 0
        safe_x = where(zero, 1.0, x)
        return grad * where(zero, 0.0, (cos(x * math.pi) - self.output()) / safe_x)


def sinc(input: Tensor) -> Tensor:
    """The normalized sinc function sin(pi x) / (pi x)."""
    return Sinc.apply(_floating(input, "sinc"))


def deg2rad(input: Tensor) -> Tensor:
    return _floating(input, "deg2rad") * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    return _floating(input, "rad2deg") * (180.0 / math.pi)


def ldexp(input: Tensor, other: Tensor) -> Tensor:
    """input * 2^other."""
    _tensors(input, other, "ldexp")
    x = _floating(input, "ldexp")
    if other._data.dtype.kind in "biu":  # integer exponents keep input's dtype (2^k is exact in it)
        other = other.to(x.dtype)
    return x * exp2(other)


class Frexp(Function):
    """(m, e) with x = m * 2^e, 0.5 <= |m| < 1. Gradient of m: g / 2^e (e is piecewise constant: none)."""

    keep_inputs = False

    def forward(self, x):
        m, e = _xp(x).frexp(x)
        self.scale = _xp(x).ldexp(_xp(x).ones_like(x), -e)  # 2^-e, exact
        return m, e.astype(np.int32)

    def backward(self, grad_m, grad_e):
        return grad_m * _const(self.scale.astype(grad_m._data.dtype))


def frexp(input: Tensor) -> tuple:
    """(mantissa, exponent) with input = mantissa * 2^exponent and 0.5 <= |mantissa| < 1 (int32 exponents)."""
    _check_tensor(input, "frexp")
    if input._data.dtype.kind not in "fV":
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes, got {input.dtype}")
    return frexp_result(*Frexp.apply(input))


def _integer_op(ufunc: str, input: Tensor, other: Tensor, op: str) -> Tensor:
    _tensors(input, other, op)
    a, b = as_operands(input, other, op)
    _check_broadcast(a, b, op)
    _not_for(a, op, "fVb")
    xp = _xp(a._data)
    return Tensor._wrap(xp.asarray(getattr(xp, ufunc)(a._data, b._data)))  # asarray: 0-d results are scalars


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """Greatest common divisor, elementwise (integer tensors)."""
    return _integer_op("gcd", input, other, "gcd")


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """Least common multiple, elementwise (integer tensors)."""
    return _integer_op("lcm", input, other, "lcm")


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """0 where input < 0, 1 where input > 0, `values` where input == 0."""
    _check_tensor(input, "heaviside")
    _check_tensor(values, "heaviside", "values")
    if input._data.dtype != values._data.dtype:
        raise RuntimeError(f"heaviside is not yet implemented for tensors with different dtypes ({input.dtype} and "
                           f"{values.dtype}).")
    _check_broadcast(input, values, "heaviside")
    x, v = input._data, values._data
    xp = _xp(x)
    return Tensor._wrap(xp.where(x == 0, v, (x > 0)).astype(x.dtype))


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of `elements` occurs in `test_elements` (either may be a number)."""
    like = elements if isinstance(elements, Tensor) else test_elements
    if not isinstance(like, Tensor):
        raise TypeError("isin(): expected `elements` or `test_elements` to be a Tensor")
    xp = _xp(like._data)
    e = elements._data if isinstance(elements, Tensor) else xp.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return Tensor._wrap(xp.asarray(xp.isin(e, t, assume_unique=assume_unique, invert=invert)))


class NextAfter(Function):
    """y = the next float after a towards b. Gradients (as PyTorch): g for a where a != b (else y = b), 0 for b."""

    keep_inputs = False
    bfloat16_native = True  # the next bfloat16, not the next float32 rounded back

    def forward(self, a, b):
        self.shapes, self.moved = (a.shape, b.shape), a != b
        return _xp(a).nextafter(a, b)

    def backward(self, grad):
        moved = _const(self.moved.astype(grad._data.dtype))
        ga = sum_to_shape(grad * moved, self.shapes[0]) if self.needs_input_grad[0] else None
        gb = sum_to_shape(grad * 0.0, self.shapes[1]) if self.needs_input_grad[1] else None
        return ga, gb


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next representable float after input in the direction of other."""
    _tensors(input, other, "nextafter")
    a, b = as_operands(input, other, "nextafter")
    _check_broadcast(a, b, "nextafter")
    _not_for(a, "nextafter", "biu")
    return NextAfter.apply(a, b)


_METHODS = ["nan_to_num", "logaddexp", "logaddexp2", "logit", "sinc", "deg2rad", "rad2deg", "ldexp", "frexp", "gcd",
            "lcm", "heaviside", "isin", "nextafter"]
TENSOR_METHODS = {name: globals()[name] for name in _METHODS if name != "isin"}
TENSOR_METHODS["nan_to_num_"] = nan_to_num_
INPLACE = {name: globals()[name] for name in ("logit", "sinc", "deg2rad", "rad2deg", "ldexp", "gcd",
                                              "lcm", "heaviside")}
