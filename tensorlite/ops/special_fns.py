"""Special functions as differentiable ops: the gamma family (lgamma, digamma, polygamma, mvlgamma), erfinv,
modified Bessel I0/I1 (and their scaled forms), the regularized incomplete gamma functions igamma/igammac,
Hurwitz zeta, erfcx, the normal distribution's ndtr/ndtri/log_ndtr, entr, xlog1py and Bessel J0/J1.

Kernels (NumPy/CuPy, float64 inside) live in tensorlite/kernels/special_*.py; backward is written in Tensor
ops, with PyTorch's formulas, so gradients of gradients work. Where PyTorch has no derivative (the first
argument of igamma, igammac and zeta) backward raises its NotImplementedError; bessel_j0/j1 results do not
require grad, as in PyTorch. The torch.special names are in tensorlite/special.py.
"""
from __future__ import annotations

import importlib
import math

import numpy as np

from ..autograd.function import Function
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from ._pointwise import check_tensor as _check_tensor, const as _const, floating as _floating, xp_of as _xp
from .arithmetic import _check_broadcast, as_operands, sum_to_shape
from .elementwise import exp, log, sign
from .elementwise_binary import _float_pair, where

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma", "erfinv", "i0", "i0_", "igamma", "igammac"]

_SQRT_PI = math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _kernel(module: str, name: str):
    """tensorlite.kernels.<module>.<name>, imported on first use (the kernels package loads on demand)."""
    return getattr(importlib.import_module(f"tensorlite.kernels.{module}"), name)


class _Unary(Function):
    """y = kernel(x); subclasses name the kernel (module, function) and write backward."""

    kernel: tuple[str, str]

    def forward(self, x):
        return _kernel(*self.kernel)(x)


class Lgamma(_Unary):
    """y = log|Gamma(x)|. Gradient: g * digamma(x)."""

    kernel = ("special_gamma", "lgamma")

    def backward(self, grad):
        return grad * digamma(self.inputs[0])


class Digamma(_Unary):
    """y = psi(x). Gradient: g * polygamma(1, x)."""

    kernel = ("special_gamma", "digamma")

    def backward(self, grad):
        return grad * polygamma(1, self.inputs[0])


class Polygamma(Function):
    """y = psi^(n)(x). Gradient: g * polygamma(n + 1, x)."""

    def forward(self, x, n):
        self.n = n
        return _kernel("special_gamma", "polygamma")(n, x)

    def backward(self, grad):
        return grad * polygamma(self.n + 1, self.inputs[0])


class Mvlgamma(Function):
    """y = p(p-1)/4 log(pi) + sum_{j<p} lgamma(x - j/2). Gradient: g * sum_{j<p} digamma(x - j/2)."""

    def forward(self, x, p):
        self.p = p
        lgamma_kernel = _kernel("special_gamma", "lgamma")
        total = None
        for j in range(p - 1, -1, -1):  # PyTorch's order: x - (p-1)/2 first
            term = lgamma_kernel(x - x.dtype.type(0.5 * j))
            total = term if total is None else total + term
        return total + x.dtype.type(p * (p - 1) / 4 * math.log(math.pi))

    def backward(self, grad):
        x = self.inputs[0]
        total = None
        for j in range(self.p - 1, -1, -1):
            term = digamma(x - 0.5 * j)
            total = term if total is None else total + term
        return grad * total


class Erfinv(_Unary):
    """y = erfinv(x). Gradient: g * sqrt(pi)/2 * exp(y^2)."""

    kernel = ("special_normal", "erfinv")
    keep_inputs, save_output = False, True

    def backward(self, grad):
        y = self.output()
        return grad * exp(y * y) * (0.5 * _SQRT_PI)


class I0(_Unary):
    """y = I0(x). Gradient: g * i1(x)."""

    kernel = ("special_bessel", "i0")

    def backward(self, grad):
        return grad * i1(self.inputs[0])


class I0e(_Unary):
    """y = e^-|x| I0(x). Gradient: g * (i1e(x) - sign(x) y)."""

    kernel = ("special_bessel", "i0e")
    save_output = True

    def backward(self, grad):
        x = self.inputs[0]
        return grad * (i1e(x) - sign(x) * self.output())


def _tiny_safe(x: Tensor):
    """(|x| > eps, x with the tiny values replaced by eps): I1(x)/x and friends tend to 1/2 at 0 (PyTorch's rule)."""
    eps = float(np.finfo(np.float32 if x._data.dtype.kind == "V" else x._data.dtype).eps)
    not_tiny = _const(_xp(x._data).abs(x._data) > eps)
    return not_tiny, where(not_tiny, x, eps)


class I1(_Unary):
    """y = I1(x). Gradient: g * (i0(x) - y/x), g/2 at x = 0."""

    kernel = ("special_bessel", "i1")
    save_output = True

    def backward(self, grad):
        not_tiny, safe_x = _tiny_safe(self.inputs[0])
        return grad * where(not_tiny, i0(safe_x) - self.output() / safe_x, 0.5)


class I1e(_Unary):
    """y = e^-|x| I1(x). Gradient: g * (i0e(x) - y (sign(x) + 1/x)), g/2 at x = 0."""

    kernel = ("special_bessel", "i1e")
    save_output = True

    def backward(self, grad):
        not_tiny, safe_x = _tiny_safe(self.inputs[0])
        return grad * where(not_tiny, i0e(safe_x) - self.output() * (sign(safe_x) + 1.0 / safe_x), 0.5)


class Ndtr(_Unary):
    """y = Phi(x), the standard normal CDF. Gradient: g * exp(-x^2/2) / sqrt(2 pi)."""

    kernel = ("special_normal", "ndtr")

    def backward(self, grad):
        x = self.inputs[0]
        return grad * exp(x * x * -0.5) * (1.0 / _SQRT_2PI)


class Ndtri(_Unary):
    """y = Phi^-1(p). Gradient: g * sqrt(2 pi) exp(y^2/2)."""

    kernel = ("special_normal", "ndtri")
    keep_inputs, save_output = False, True

    def backward(self, grad):
        y = self.output()
        return grad * exp(y * y * 0.5) * _SQRT_2PI


class LogNdtr(_Unary):
    """y = log Phi(x). Gradient: g * exp(-(y + x^2/2)) / sqrt(2 pi)."""

    kernel = ("special_normal", "log_ndtr")
    save_output = True

    def backward(self, grad):
        x = self.inputs[0]
        return grad * exp(-(self.output() + x * x * 0.5)) * (1.0 / _SQRT_2PI)


class Erfcx(_Unary):
    """y = e^(x^2) erfc(x). Gradient: g * (2 x y - 2/sqrt(pi))."""

    kernel = ("special_normal", "erfcx")
    save_output = True

    def backward(self, grad):
        x = self.inputs[0]
        return grad * (x * self.output() * 2.0 - 2.0 / _SQRT_PI)


def _entr_kernel(x):
    xp = _xp(x)
    with np.errstate(all="ignore"):
        y = xp.where(x > 0, -x * xp.log(xp.where(x > 0, x, 1)), xp.where(x == 0, 0, -xp.inf))
    return xp.where(xp.isnan(x), x, y).astype(x.dtype, copy=False)


class Entr(_Unary):
    """y = -x log x (0 at 0, -inf for x < 0). Gradient: -g (1 + log x)."""

    def forward(self, x):
        return _entr_kernel(x)

    def backward(self, grad):
        return grad * -(log(self.inputs[0]) + 1.0)


class Xlog1py(Function):
    """y = x log1p(other), 0 where x = 0 (unless other is NaN). Gradients: g log1p(other) (0 where x = 0 and
    other <= -1, as PyTorch), and g x / (1 + other)."""

    def forward(self, x, other):
        xp = _xp(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            return xp.where((x == 0) & ~xp.isnan(other), 0, x * xp.log1p(other)).astype(x.dtype, copy=False)

    def backward(self, grad):
        x, other = self.inputs
        gx = go = None
        if self.needs_input_grad[0]:
            gx = where(_const((x._data == 0) & (other._data <= -1)), 0.0, xlog1py(grad, other))
            gx = sum_to_shape(gx, x._data.shape)
        if self.needs_input_grad[1]:
            go = sum_to_shape(grad * x / (other + 1.0), other._data.shape)
        return gx, go


def _no_first_derivative(fn: Function, what: str) -> None:
    if fn.needs_input_grad[0]:
        raise NotImplementedError(f"the derivative for '{what}' is not implemented.")


class Zeta(Function):
    """y = zeta(x, q) (Hurwitz). Gradient in q: -g x zeta(x + 1, q); none in x (PyTorch raises)."""

    def forward(self, x, q):
        return _kernel("special_gamma", "zeta")(x, q)

    def backward(self, grad):
        _no_first_derivative(self, "zeta")
        x, q = self.inputs
        return None, sum_to_shape(grad * -x * zeta(x + 1.0, q), q._data.shape)


class Igamma(Function):
    """y = P(a, x) (upper: Q = 1 - P). Gradient in x: +-g x^(a-1) e^-x / Gamma(a); none in a (PyTorch raises)."""

    def forward(self, a, x, upper):
        self.upper = upper
        return _kernel("special_igamma", "igammac" if upper else "igamma")(a, x)

    def backward(self, grad):
        _no_first_derivative(self, ("igammac" if self.upper else "igamma") + ": input")
        a, x = self.inputs
        density = exp((a - 1.0) * log(x) - x - lgamma(a))
        return None, sum_to_shape((-grad if self.upper else grad) * density, x._data.shape)


class BesselJ(Function):
    """y = J_nu(x), nu = 0 or 1 (not differentiable, as PyTorch: run under no_grad)."""

    def forward(self, x, nu):
        return _kernel("special_bessel", "j1" if nu else "j0")(x)


# -- public functions ------------------------------------------------------------------------------------------
def lgamma(input: Tensor) -> Tensor:
    """log|Gamma(x)|, elementwise (inf at the poles 0, -1, -2, ...)."""
    return Lgamma.apply(_floating(input, "lgamma"))


def digamma(input: Tensor) -> Tensor:
    """psi(x) = d/dx lgamma(x); -inf at +0, +inf at -0, nan at the negative integers."""
    return Digamma.apply(_floating(input, "digamma"))


def _order(n, op: str, what: str = "n", position: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{op}(): argument '{what}' (position {position}) must be int, not {type(n).__name__}")
    return int(n)


def polygamma(n: int, input: Tensor) -> Tensor:
    """psi^(n)(x), the n-th derivative of digamma (n >= 0)."""
    n = _order(n, "polygamma")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    _check_tensor(input, "polygamma")
    return Polygamma.apply(_floating(input, "polygamma"), n=n)


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """Multivariate log-gamma of dimension p: p(p-1)/4 log(pi) + sum_{j<p} lgamma(x - j/2)."""
    p = _order(p, "mvlgamma", "p", 2)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    _check_tensor(input, "mvlgamma")
    if input._data.dtype == np.bool_:
        raise RuntimeError("mvlgamma(): The input tensor may not be a boolean tensor.")
    return Mvlgamma.apply(_floating(input, "mvlgamma"), p=p)


def erfinv(input: Tensor) -> Tensor:
    """Inverse error function on [-1, 1] (+-inf at +-1, nan outside)."""
    return Erfinv.apply(_floating(input, "erfinv"))


def i0(input: Tensor) -> Tensor:
    """Modified Bessel function of the first kind, order 0."""
    return I0.apply(_floating(input, "i0"))


def i0_(input: Tensor) -> Tensor:
    return input._inplace("i0_", i0)


def i0e(input: Tensor) -> Tensor:
    return I0e.apply(_floating(input, "i0e"))


def i1(input: Tensor) -> Tensor:
    return I1.apply(_floating(input, "i1"))


def i1e(input: Tensor) -> Tensor:
    return I1e.apply(_floating(input, "i1e"))


def ndtr(input: Tensor) -> Tensor:
    return Ndtr.apply(_floating(input, "ndtr"))


def ndtri(input: Tensor) -> Tensor:
    return Ndtri.apply(_floating(input, "ndtri"))


def log_ndtr(input: Tensor) -> Tensor:
    return LogNdtr.apply(_floating(input, "log_ndtr"))


def erfcx(input: Tensor) -> Tensor:
    return Erfcx.apply(_floating(input, "erfcx"))


def entr(input: Tensor) -> Tensor:
    return Entr.apply(_floating(input, "entr"))


def xlog1py(input, other) -> Tensor:
    """input * log1p(other), 0 where input is 0 (either argument may be a number)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("xlog1py(): at least one of input and other must be a Tensor")
    return Xlog1py.apply(*_float_pair(input, other, "xlog1py"))


def zeta(input, other) -> Tensor:
    """Hurwitz zeta function sum_{k>=0} (other + k)^-input (either argument may be a number)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("zeta(): at least one of input and other must be a Tensor")
    return Zeta.apply(*_float_pair(input, other, "zeta"))


def _igamma_operands(input: Tensor, other: Tensor, op: str) -> tuple[Tensor, Tensor]:
    _check_tensor(input, op, "input")
    _check_tensor(other, op, "other")
    a, x = as_operands(input, other, op)
    _check_broadcast(a, x, op)
    if a._data.dtype.kind not in "fV":
        raise NotImplementedError(f"{op}: not implemented for '{a.dtype.name}' tensors (the result dtype of "
                                  f"{input.dtype.name} and {other.dtype.name}); use floating-point inputs")
    return a, x


def igamma(input: Tensor, other: Tensor) -> Tensor:
    """Regularized lower incomplete gamma P(input, other) = gamma(a, x) / Gamma(a)."""
    return Igamma.apply(*_igamma_operands(input, other, "igamma"), upper=False)


def igammac(input: Tensor, other: Tensor) -> Tensor:
    """Regularized upper incomplete gamma Q(input, other) = 1 - P(input, other)."""
    return Igamma.apply(*_igamma_operands(input, other, "igammac"), upper=True)


def bessel_j0(input: Tensor) -> Tensor:
    """Bessel function of the first kind, order 0 (no gradient, as PyTorch)."""
    x = _floating(input, "bessel_j0")
    with no_grad():
        return BesselJ.apply(x, nu=0)


def bessel_j1(input: Tensor) -> Tensor:
    """Bessel function of the first kind, order 1 (no gradient, as PyTorch)."""
    x = _floating(input, "bessel_j1")
    with no_grad():
        return BesselJ.apply(x, nu=1)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


TENSOR_METHODS = {name: globals()[name] for name in ("lgamma", "digamma", "mvlgamma", "erfinv", "i0", "igamma",
                                                     "igammac")}
TENSOR_METHODS["polygamma"] = _polygamma_method
INPLACE = dict(TENSOR_METHODS)
