"""Elementwise math: unary functions (exp, log, sin, ...) and rounding; the public face of the group.

Each op is a Function with forward (on arrays, written against `xp` so it serves NumPy and CuPy) and
backward (in Tensor ops, so gradients of gradients work) side by side. Integer and bool inputs to
float functions give the default float dtype, as in PyTorch. The binary and ternary ops (maximum,
where, lerp, clamp, ...) live in `elementwise_binary.py`, comparisons, logical and bitwise ops in
`comparison.py`; both are re-exported from here, so `tensorlite.ops.elementwise` is the whole group.
"""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from ._pointwise import check_tensor as _check_tensor, floating as _floating
from ._pointwise import not_for as _not_for, xp_of as _xp, zeros_of as _zeros

# The rest of the group, re-exported: this module is its public face.
from . import comparison as _cmp, elementwise_binary as _binary
from .comparison import *  # noqa: F401,F403
from .elementwise_binary import *  # noqa: F401,F403

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# -- unary math -------------------------------------------------------------------------------------
class Abs(Function):
    """y = |x|. Gradient: g*sign(x) (0 at x = 0)."""

    def forward(self, x):
        return _xp(x).abs(x)

    def backward(self, grad):
        return grad * sign(self.inputs[0])


class Sign(Function):
    """y = sign(x) (0 for NaN, as PyTorch). Gradient: 0."""

    keep_inputs = False

    def forward(self, x):
        if x.dtype == np.bool_:
            return x.copy()
        xp = _xp(x)
        y = xp.sign(x, out=xp.empty_like(x))  # out=: an array even for 0-d input, so it can be fixed in place
        if x.dtype.kind in "fV":
            nan = y != y
            if nan.any():  # sign(NaN) is 0 in PyTorch (NaN in NumPy); checking first is far cheaper than nan_to_num
                y[nan] = 0
        return y

    def backward(self, grad):
        return _zeros(grad)


class Exp(Function):
    """y = e^x. Gradient: g*y."""

    keep_inputs, save_output = False, True

    def forward(self, x):
        return _xp(x).exp(x)

    def backward(self, grad):
        return grad * self.output()


class Exp2(Function):
    """y = 2^x. Gradient: g*y*ln 2."""

    keep_inputs, save_output = False, True

    def forward(self, x):
        return _xp(x).exp2(x)

    def backward(self, grad):
        return grad * self.output() * _LN2


class Expm1(Function):
    """y = e^x - 1 (accurate near 0). Gradient: g*(y + 1)."""

    keep_inputs, save_output = False, True

    def forward(self, x):
        return _xp(x).expm1(x)

    def backward(self, grad):
        return grad * (self.output() + 1.0)


class Log(Function):
    """y = ln x. Gradient: g/x."""

    def forward(self, x):
        return _xp(x).log(x)

    def backward(self, grad):
        return grad / self.inputs[0]


class Log2(Function):
    """y = log2 x. Gradient: g/(x ln 2)."""

    def forward(self, x):
        return _xp(x).log2(x)

    def backward(self, grad):
        return grad / (self.inputs[0] * _LN2)


class Log10(Function):
    """y = log10 x. Gradient: g/(x ln 10)."""

    def forward(self, x):
        return _xp(x).log10(x)

    def backward(self, grad):
        return grad / (self.inputs[0] * _LN10)


class Log1p(Function):
    """y = ln(1 + x) (accurate near 0). Gradient: g/(1 + x)."""

    def forward(self, x):
        return _xp(x).log1p(x)

    def backward(self, grad):
        return grad / (self.inputs[0] + 1.0)


class Sqrt(Function):
    """y = sqrt(x). Gradient: g/(2y)."""

    keep_inputs, save_output = False, True

    def forward(self, x):
        return _xp(x).sqrt(x)

    def backward(self, grad):
        return grad / (self.output() * 2.0)


class Rsqrt(Function):
    """y = 1/sqrt(x). Gradient: -g*y^3/2."""

    keep_inputs, save_output = False, True

    def forward(self, x):
        xp = _xp(x)
        return xp.reciprocal(xp.sqrt(x))

    def backward(self, grad):
        y = self.output()
        return grad * (y * y * y) * -0.5


class Sin(Function):
    """y = sin x. Gradient: g*cos x."""

    def forward(self, x):
        return _xp(x).sin(x)

    def backward(self, grad):
        return grad * cos(self.inputs[0])


class Cos(Function):
    """y = cos x. Gradient: -g*sin x."""

    def forward(self, x):
        return _xp(x).cos(x)

    def backward(self, grad):
        return grad * -sin(self.inputs[0])


class Tan(Function):
    """y = tan x. Gradient: g*(1 + y^2)."""

    keep_inputs, save_output = False, True

    def forward(self, x):
        return _xp(x).tan(x)

    def backward(self, grad):
        y = self.output()
        return grad * (y * y + 1.0)


class Asin(Function):
    """y = asin x. Gradient: g/sqrt(1 - x^2)."""

    def forward(self, x):
        return _xp(x).arcsin(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad * rsqrt(1.0 - x * x)


class Acos(Function):
    """y = acos x. Gradient: -g/sqrt(1 - x^2)."""

    def forward(self, x):
        return _xp(x).arccos(x)

    def backward(self, grad):
        x = self.inputs[0]
        return -grad * rsqrt(1.0 - x * x)


class Atan(Function):
    """y = atan x. Gradient: g/(1 + x^2)."""

    def forward(self, x):
        return _xp(x).arctan(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad / (x * x + 1.0)


class Sinh(Function):
    """y = sinh x. Gradient: g*cosh x."""

    def forward(self, x):
        return _xp(x).sinh(x)

    def backward(self, grad):
        return grad * cosh(self.inputs[0])


class Cosh(Function):
    """y = cosh x. Gradient: g*sinh x."""

    def forward(self, x):
        return _xp(x).cosh(x)

    def backward(self, grad):
        return grad * sinh(self.inputs[0])


class Tanh(Function):
    """y = tanh x. Gradient: g*(1 - y^2)."""

    keep_inputs, save_output = False, True

    def forward(self, x):
        return _xp(x).tanh(x)

    def backward(self, grad):
        y = self.output()
        return grad * (1.0 - y * y)


class Asinh(Function):
    """y = asinh x. Gradient: g/sqrt(x^2 + 1)."""

    def forward(self, x):
        return _xp(x).arcsinh(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad * rsqrt(x * x + 1.0)


class Acosh(Function):
    """y = acosh x. Gradient: g/sqrt(x^2 - 1)."""

    def forward(self, x):
        return _xp(x).arccosh(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad * rsqrt(x * x - 1.0)


class Atanh(Function):
    """y = atanh x. Gradient: g/(1 - x^2)."""

    def forward(self, x):
        return _xp(x).arctanh(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad / (1.0 - x * x)


class Reciprocal(Function):
    """y = 1/x. Gradient: -g*y^2."""

    keep_inputs, save_output = False, True

    def forward(self, x):
        return _xp(x).reciprocal(x)

    def backward(self, grad):
        y = self.output()
        return grad * -(y * y)


class Square(Function):
    """y = x^2. Gradient: 2*g*x."""

    def forward(self, x):
        return x * x

    def backward(self, grad):
        return grad * (self.inputs[0] * 2.0)


class Erf(Function):
    """y = erf x. Gradient: g * 2/sqrt(pi) * exp(-x^2)."""

    def forward(self, x):
        from ..kernels.special import erf as erf_kernel

        return erf_kernel(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)


class Erfc(Function):
    """y = erfc x = 1 - erf x (accurate in the tail). Gradient: -g * 2/sqrt(pi) * exp(-x^2)."""

    def forward(self, x):
        from ..kernels.special import erfc as erfc_kernel

        return erfc_kernel(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad * (exp(-(x * x)) * -_TWO_OVER_SQRT_PI)


# -- rounding: piecewise constant, so the gradient is 0 (as PyTorch) ---------------------------------
class Rounding(Function):
    """y = floor/ceil/trunc/round(x). Gradient: 0."""

    keep_inputs = False

    def forward(self, x, kind, decimals=0):
        if x.dtype.kind not in "fV":
            return x.copy()
        xp = _xp(x)
        if kind != "round" or decimals == 0:
            return getattr(xp, kind)(x) if kind != "round" else xp.rint(x)  # rint: halves to even
        # PyTorch's formula, with the power of ten in x's dtype: rint(x*10^d)/10^d (d < 0: rint(x/10^-d)*10^-d)
        scale = x.dtype.type(10.0 ** (decimals if decimals > 0 else -decimals))
        return xp.rint(x * scale) / scale if decimals > 0 else xp.rint(x / scale) * scale

    def backward(self, grad):
        return _zeros(grad)


class Frac(Function):
    """y = x - trunc(x). Gradient: g."""

    keep_inputs = False

    def forward(self, x):
        return x - _xp(x).trunc(x)

    def backward(self, grad):
        return grad


# -- public unary functions ----------------------------------------------------------------------------
def abs(input: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    _not_for(input, "abs", "b")
    return Abs.apply(input)


def sign(input: Tensor) -> Tensor:
    _check_tensor(input, "sign")
    return Sign.apply(input)


def sgn(input: Tensor) -> Tensor:
    """sign for real tensors (PyTorch's sgn differs only for complex ones, which tensorlite lacks)."""
    return sign(input)


def exp(input: Tensor) -> Tensor:
    return Exp.apply(_floating(input, "exp"))


def exp2(input: Tensor) -> Tensor:
    return Exp2.apply(_floating(input, "exp2"))


def expm1(input: Tensor) -> Tensor:
    return Expm1.apply(_floating(input, "expm1"))


def log(input: Tensor) -> Tensor:
    return Log.apply(_floating(input, "log"))


def log2(input: Tensor) -> Tensor:
    return Log2.apply(_floating(input, "log2"))


def log10(input: Tensor) -> Tensor:
    return Log10.apply(_floating(input, "log10"))


def log1p(input: Tensor) -> Tensor:
    return Log1p.apply(_floating(input, "log1p"))


def sqrt(input: Tensor) -> Tensor:
    return Sqrt.apply(_floating(input, "sqrt"))


def rsqrt(input: Tensor) -> Tensor:
    return Rsqrt.apply(_floating(input, "rsqrt"))


def sin(input: Tensor) -> Tensor:
    return Sin.apply(_floating(input, "sin"))


def cos(input: Tensor) -> Tensor:
    return Cos.apply(_floating(input, "cos"))


def tan(input: Tensor) -> Tensor:
    return Tan.apply(_floating(input, "tan"))


def asin(input: Tensor) -> Tensor:
    return Asin.apply(_floating(input, "asin"))


def acos(input: Tensor) -> Tensor:
    return Acos.apply(_floating(input, "acos"))


def atan(input: Tensor) -> Tensor:
    return Atan.apply(_floating(input, "atan"))


def sinh(input: Tensor) -> Tensor:
    return Sinh.apply(_floating(input, "sinh"))


def cosh(input: Tensor) -> Tensor:
    return Cosh.apply(_floating(input, "cosh"))


def tanh(input: Tensor) -> Tensor:
    return Tanh.apply(_floating(input, "tanh"))


def asinh(input: Tensor) -> Tensor:
    return Asinh.apply(_floating(input, "asinh"))


def acosh(input: Tensor) -> Tensor:
    return Acosh.apply(_floating(input, "acosh"))


def atanh(input: Tensor) -> Tensor:
    return Atanh.apply(_floating(input, "atanh"))


def reciprocal(input: Tensor) -> Tensor:
    return Reciprocal.apply(_floating(input, "reciprocal"))


def square(input: Tensor) -> Tensor:
    _check_tensor(input, "square")
    if input._data.dtype == np.bool_:  # PyTorch: pow(bool, 2) is int64
        input = Tensor._wrap(input._data.astype(np.int64))
    return Square.apply(input)


def erf(input: Tensor) -> Tensor:
    return Erf.apply(_floating(input, "erf"))


def erfc(input: Tensor) -> Tensor:
    return Erfc.apply(_floating(input, "erfc"))


def floor(input: Tensor) -> Tensor:
    _not_for(input, "floor", "b")
    return Rounding.apply(input, kind="floor")


def ceil(input: Tensor) -> Tensor:
    _not_for(input, "ceil", "b")
    return Rounding.apply(input, kind="ceil")


def trunc(input: Tensor) -> Tensor:
    _not_for(input, "trunc", "b")
    return Rounding.apply(input, kind="trunc")


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Round half to even; with `decimals`, to that many decimal places (negative: left of the point)."""
    _not_for(input, "round", "b" if decimals == 0 else "biu")
    return Rounding.apply(input, kind="round", decimals=int(decimals))


def frac(input: Tensor) -> Tensor:
    _not_for(input, "frac", "biu")
    return Frac.apply(input)


def positive(input: Tensor) -> Tensor:
    """Returns input itself, as PyTorch."""
    _check_tensor(input, "positive")
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


fix, absolute = trunc, abs
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

_UNARY = ["abs", "absolute", "sign", "sgn", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
          "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsin",
          "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "reciprocal", "square", "erf", "erfc", "floor",
          "ceil", "trunc", "fix", "round", "frac"]

__all__ = _UNARY + ["positive"] + _binary.__all__ + _cmp.__all__

TENSOR_METHODS = {name: globals()[name] for name in _UNARY + ["positive"]}
TENSOR_METHODS.update({"__abs__": abs, "__pos__": positive})
TENSOR_METHODS.update(_binary.TENSOR_METHODS)
TENSOR_METHODS.update(_cmp.TENSOR_METHODS)

# In-place forms PyTorch has: x.exp_(), x.clamp_(min, max), x.eq_(y), x &= y, ...
INPLACE = {name: globals()[name] for name in _UNARY}
INPLACE.update(_binary.INPLACE)
INPLACE.update(_cmp.INPLACE)
DUNDER_INPLACE = dict(_cmp.DUNDER_INPLACE)
