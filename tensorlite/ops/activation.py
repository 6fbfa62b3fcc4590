"""Activation functions and softmax, with PyTorch's `torch.nn.functional` signatures.

Each op is a Function: forward on arrays in a numerically stable form (sigmoid and softplus
from exp(-|x|), so nothing overflows at |x| = 1e4; softmax after subtracting the row max),
backward in Tensor ops so gradients of gradients work. Piecewise ops pick their gradient with
`_where`, which selects rather than multiplies by a 0/1 mask, so an inf on the side not taken
cannot turn into nan. `inplace=True` runs the op through `Tensor._inplace` (PyTorch's in-place
autograd semantics). softmax, log_softmax and softmin live in `softmax.py`, re-exported here.
"""
from __future__ import annotations

import math

import numpy as np

from ..amp import policy as _amp
from ..autograd.function import Function
from ..backend import get_array_module
from ..autograd import grad_mode
from ..kernels import gelu_backward, gelu_forward
from ..tensor import Tensor, _wrap_dim
from ._activation_base import (_kind, _normal_cdf, _normal_pdf, _require_float, _to_float, _type_name, _where,
                               quiet_at_infinity)
from .arithmetic import neg, sum_to_shape
from .elementwise import abs as _abs, exp, tanh
from .join import narrow
from .shape import reshape
from .softmax import _log_softmax_method, _softmax_method, log_softmax, softmax, softmin

__all__ = ["sigmoid", "sigmoid_", "logsigmoid", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu",
           "elu_", "selu", "selu_", "celu", "celu_", "gelu", "silu", "softplus", "softsign", "mish", "hardtanh",
           "hardtanh_", "hardsigmoid", "hardswish", "tanhshrink", "softshrink", "hardshrink", "threshold",
           "threshold_", "prelu", "glu", "softmax", "log_softmax", "softmin"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


# -- sigmoid family ----------------------------------------------------------------------------------------
def _sigmoid_array(x):
    """1/(1+exp(-x)) from e = exp(-|x|) <= 1: 1/(1+e) for x >= 0, e/(1+e) below; never overflows."""
    xp = get_array_module(x)
    e = xp.exp(-xp.abs(x))
    r = 1 / (1 + e)
    return xp.where(x >= 0, r, e * r)


def _softplus_array(z):
    """log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)), exact to the last bit at both tails."""
    xp = get_array_module(z)
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


class Sigmoid(Function):
    """y = 1/(1+exp(-x)). Gradient: g*y*(1-y)."""

    keep_inputs = False
    save_output = True

    def forward(self, x):
        return _sigmoid_array(x)

    def backward(self, grad):
        y = self.output()
        return grad * (y * (1.0 - y))


class LogSigmoid(Function):
    """y = log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)). Gradient: g*sigmoid(-x)."""

    def forward(self, x):
        xp = get_array_module(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, grad):
        return grad * Sigmoid.apply(neg(self.inputs[0]))


class Softplus(Function):
    """y = log(1+exp(beta*x))/beta, or x where beta*x > threshold. Gradient: g*sigmoid(beta*x), or g."""

    def forward(self, x, beta, threshold):
        self.beta, self.threshold = beta, threshold
        z = x * beta if beta != 1 else x
        y = _softplus_array(z)
        if beta != 1:
            y = y / beta
        return get_array_module(x).where(z > threshold, x, y)

    def backward(self, grad):
        (x,) = self.inputs
        z = x * self.beta if self.beta != 1 else x
        return _where(z._data > self.threshold, grad, grad * Sigmoid.apply(z))


class Silu(Function):
    """y = x*sigmoid(x). Gradient: g*s*(1 + x*(1-s)), s = sigmoid(x)."""

    @quiet_at_infinity
    def forward(self, x):
        return x * _sigmoid_array(x)

    @quiet_at_infinity
    def backward(self, grad):
        (x,) = self.inputs
        s = Sigmoid.apply(x)
        return grad * (s * (1.0 + x * (1.0 - s)))


class Mish(Function):
    """y = x*tanh(softplus(x)). Gradient: g*(t + x*sigmoid(x)*(1-t^2)), t = tanh(softplus(x))."""

    @quiet_at_infinity
    def forward(self, x):
        return x * get_array_module(x).tanh(_softplus_array(x))

    @quiet_at_infinity
    def backward(self, grad):
        (x,) = self.inputs
        t = tanh(Softplus.apply(x, beta=1, threshold=20.0))
        return grad * (t + x * Sigmoid.apply(x) * (1.0 - t * t))


# -- piecewise-linear family -------------------------------------------------------------------------------
class Relu(Function):
    """y = max(x, 0). Gradient: 0 where y <= 0, else g (so nan passes g, as in PyTorch)."""

    keep_inputs = False
    save_output = True

    def forward(self, x):
        return get_array_module(x).maximum(x, 0)

    def backward(self, grad):
        return _where(self.output()._data <= 0, 0, grad)


class Hardtanh(Function):
    """y = clamp(x, lo, hi). Gradient: 0 where x <= lo or x >= hi, else g."""

    def forward(self, x, lo, hi):
        self.lo, self.hi = lo, hi
        return get_array_module(x).clip(x, lo, hi)

    def backward(self, grad):
        x = self.inputs[0]._data
        return _where((x <= self.lo) | (x >= self.hi), 0, grad)


class LeakyRelu(Function):
    """y = x for x > 0, slope*x otherwise. Gradient: g or slope*g."""

    def forward(self, x, slope):
        self.slope = slope
        return get_array_module(x).where(x > 0, x, x * slope)

    def backward(self, grad):
        return _where(self.inputs[0]._data > 0, grad, grad * self.slope)


class Threshold(Function):
    """y = value where x <= threshold, else x. Gradient: 0 or g."""

    def forward(self, x, threshold, value):
        self.threshold = threshold
        return get_array_module(x).where(x <= threshold, value, x)

    def backward(self, grad):
        return _where(self.inputs[0]._data <= self.threshold, 0, grad)


class Shrink(Function):
    """Zero on [-lambd, lambd]; outside, x (hard) or x -+ lambd (soft). Gradient: g outside, 0 inside."""

    def forward(self, x, lambd, soft):
        xp = get_array_module(x)
        self.lambd = lambd
        inside = (x >= -lambd) & (x <= lambd)
        if soft:
            x = xp.where(x > 0, x - lambd, x + lambd)  # nan stays nan (it is never "inside")
        return xp.where(inside, 0, x)

    def backward(self, grad):
        x = self.inputs[0]._data
        return _where((x >= -self.lambd) & (x <= self.lambd), 0, grad)


class Hardsigmoid(Function):
    """y = clamp(x+3, 0, 6)/6. Gradient: g/6 where -3 < x < 3, else 0."""

    def forward(self, x):
        return get_array_module(x).clip(x + 3, 0, 6) / 6

    def backward(self, grad):
        x = self.inputs[0]._data
        return _where((x > -3) & (x < 3), grad * (1 / 6), 0)


class Hardswish(Function):
    """y = x*clamp(x+3, 0, 6)/6. Gradient: 0 for x <= -3, g*(x/3 + 1/2) for -3 < x < 3, g for x >= 3."""

    @quiet_at_infinity
    def forward(self, x):
        return x * get_array_module(x).clip(x + 3, 0, 6) / 6

    def backward(self, grad):
        x = self.inputs[0]
        mid = _where(x._data < 3, grad * (x * (1 / 3) + 0.5), grad)
        return _where(x._data <= -3, 0, mid)


# -- exponential-linear family -----------------------------------------------------------------------------
class Elu(Function):
    """y = scale*x for x > 0, alpha*scale*(exp(x*input_scale) - 1) otherwise (ELU, SELU and CELU).

    Gradient: g*scale, or g*alpha*scale*input_scale*exp(x*input_scale). The exponential is taken of
    min(x, 0) only, so large positive x cannot overflow.
    """

    def forward(self, x, alpha, scale, input_scale):
        self.alpha, self.scale, self.input_scale = alpha, scale, input_scale
        xp = get_array_module(x)
        negative_part = xp.expm1(xp.minimum(x, 0) * input_scale) * (alpha * scale)
        return xp.where(x > 0, x * scale if scale != 1 else x, negative_part)

    def backward(self, grad):
        x = self.inputs[0]
        nonpositive = x._data <= 0
        x_neg = _where(nonpositive, x, 0)
        slope = exp(x_neg * self.input_scale) * (self.alpha * self.scale * self.input_scale)
        return _where(nonpositive, grad * slope, grad * self.scale if self.scale != 1 else grad)


# -- smooth odds and ends ----------------------------------------------------------------------------------
class Gelu(Function):
    """y = x*Phi(x) (exact) or x/2*(1 + tanh(sqrt(2/pi)*(x + 0.044715 x^3))).

    Gradient: g*(Phi(x) + x*phi(x)), or the derivative of the tanh form.
    """

    def forward(self, x, approximate):
        self.approximate = approximate
        if x.dtype == np.float16:  # the kernel takes float32/float64: compute in float32, round once
            return gelu_forward(x.astype(np.float32), approximate).astype(np.float16)
        return gelu_forward(x, approximate)

    @quiet_at_infinity
    def backward(self, grad):
        (x,) = self.inputs
        if not grad_mode._grad_enabled[0]:  # first order: one kernel pass (native where built)
            g, v = grad._data, x._data
            if v.dtype.itemsize == 2:  # float16 / bfloat16: in float32, rounded once
                return Tensor._wrap(gelu_backward(g.astype(np.float32), v.astype(np.float32),
                                                  self.approximate).astype(v.dtype))
            return Tensor._wrap(gelu_backward(g.astype(v.dtype, copy=False), v, self.approximate))
        if self.approximate == "none":
            return grad * (_normal_cdf(x) + x * _normal_pdf(x))
        x_sq = x * x
        t = tanh((x + x_sq * x * _GELU_CUBIC) * _SQRT_2_OVER_PI)
        inner_slope = (x_sq * (3 * _GELU_CUBIC) + 1.0) * _SQRT_2_OVER_PI
        return grad * ((t + 1.0) * 0.5 + x * 0.5 * (1.0 - t * t) * inner_slope)


class Softsign(Function):
    """y = x/(1+|x|). Gradient: g/(1+|x|)^2."""

    @quiet_at_infinity
    def forward(self, x):
        return x / (1 + get_array_module(x).abs(x))

    def backward(self, grad):
        (x,) = self.inputs
        den = _abs(x) + 1.0
        return grad / den / den  # two divisions: den*den would overflow float32 for |x| > 1.8e19


class Tanhshrink(Function):
    """y = x - tanh(x). Gradient: g*tanh(x)^2."""

    def forward(self, x):
        return x - get_array_module(x).tanh(x)

    def backward(self, grad):
        t = tanh(self.inputs[0])
        return grad * (t * t)


class Prelu(Function):
    """y = x for x > 0, w*x otherwise (w per channel, dim 1). Gradients: g or w*g; sum of g*x where x <= 0."""

    def forward(self, x, w, w_shape):
        self.w_shape = w_shape  # w viewed so it broadcasts along dim 1
        return get_array_module(x).where(x > 0, x, w.reshape(w_shape) * x)

    def backward(self, grad):
        x, w = self.inputs
        positive = x._data > 0
        gx = gw = None
        if self.needs_input_grad[0]:
            gx = _where(positive, grad, grad * reshape(w, self.w_shape))
        if self.needs_input_grad[1]:
            gw = reshape(sum_to_shape(_where(positive, 0, grad * x), self.w_shape), w._data.shape)
        return gx, gw


# -- public functions --------------------------------------------------------------------------------------
def sigmoid(input: Tensor) -> Tensor:
    """1/(1+exp(-x)), stable for any |x|; integer inputs give the default float dtype."""
    return Sigmoid.apply(_to_float(input, "sigmoid"))


def sigmoid_(input: Tensor) -> Tensor:
    return input._inplace("sigmoid_", sigmoid)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x)."""
    _require_float(input, "log_sigmoid_cpu")
    return LogSigmoid.apply(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); integer tensors stay integer, bool raises as in PyTorch."""
    if inplace:
        return input._inplace("relu_", relu)
    if _kind(input, "relu") == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply(input)


def relu_(input: Tensor) -> Tensor:
    return input._inplace("relu_", relu)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return input._inplace("hardtanh_", hardtanh, min_val, max_val)
    kind = _kind(input, "hardtanh")
    if kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if kind not in "fV":  # PyTorch casts the bounds to the integer type (truncating) before clamping
        min_val, max_val = int(min_val), int(max_val)
    return Hardtanh.apply(input, lo=min_val, hi=max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) (hardtanh on [0, 6], as PyTorch computes it)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope*x otherwise."""
    if inplace:
        return input._inplace("leaky_relu_", leaky_relu, negative_slope)
    _require_float(input, "leaky_relu_cpu")
    return LeakyRelu.apply(input, slope=negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha*(exp(x) - 1) otherwise."""
    if inplace:
        return input._inplace("elu_", elu, alpha)
    _require_float(input, "elu_cpu")
    return Elu.apply(input, alpha=alpha, scale=1.0, input_scale=1.0)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale*elu(x, alpha) with the self-normalising constants alpha = 1.6733, scale = 1.0507."""
    if inplace:
        return input._inplace("selu_", selu)
    _require_float(input, "elu_cpu")
    return Elu.apply(input, alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha*(exp(x/alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    if inplace:
        return input._inplace("celu_", celu, alpha)
    _require_float(input, "elu_cpu")
    return Elu.apply(input, alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x*Phi(x), Phi the standard normal CDF; approximate='tanh' uses the tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _require_float(input, "GeluKernelImpl")
    return Gelu.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x*sigmoid(x) (swish)."""
    if inplace:
        return input._inplace("silu_", silu)
    _require_float(input, "silu_cpu")
    return Silu.apply(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta*x))/beta, reverting to x where beta*x > threshold.

    Differs from PyTorch only where PyTorch overflows: with a threshold above ~88 (float32) PyTorch
    returns inf for large beta*x, this returns the finite value.
    """
    _require_float(input, "softplus_cpu")
    if _amp.active[0]:
        input = _amp.cast_input("softplus", input)
    return Softplus.apply(input, beta=beta, threshold=threshold)


def softsign(input: Tensor) -> Tensor:
    """x/(1+|x|); integer inputs give the default float dtype."""
    if _kind(input, "softsign") == "b":
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return Softsign.apply(_to_float(input, "softsign"))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x*tanh(softplus(x))."""
    if inplace:
        return input._inplace("mish_", mish)
    _require_float(input, "mish_cpu")
    return Mish.apply(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """clamp(x+3, 0, 6)/6."""
    if inplace:
        return input._inplace("hardsigmoid_", hardsigmoid)
    _require_float(input, "hardsigmoid_cpu")
    return Hardsigmoid.apply(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x*clamp(x+3, 0, 6)/6."""
    if inplace:
        return input._inplace("hardswish_", hardswish)
    _require_float(input, "hardswish_cpu")
    return Hardswish.apply(input)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x); integer inputs give the default float dtype."""
    if _kind(input, "tanhshrink") == "b":
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Tanhshrink.apply(_to_float(input, "tanhshrink"))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    _require_float(input, "softshrink_check")
    if not lambd >= 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0 for input dtype {_type_name(input)}, "
                           f"but found {lambd}")
    return Shrink.apply(input, lambd=lambd, soft=True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    _require_float(input, "hardshrink_cpu")
    return Shrink.apply(input, lambd=lambd, soft=False)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x."""
    if inplace:
        return input._inplace("threshold_", _threshold, threshold, value)
    return _threshold(input, threshold, value)


def _threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    kind = _kind(input, "threshold")
    if kind == "b":
        raise NotImplementedError("\"threshold_cpu\" not implemented for 'Bool'")
    if kind not in "fV":  # the fill value takes the tensor's integer type, as in PyTorch
        value = int(value)
    return Threshold.apply(input, threshold=threshold, value=value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return input._inplace("threshold_", _threshold, threshold, value)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight*x otherwise; weight has 1 or input.size(1) elements (one per channel)."""
    if _amp.active[0]:
        input, weight = _amp.cast_inputs("prelu", input, weight)
    _require_float(input, "prelu_cpu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' must be Tensor, not {type(weight).__name__}")
    x, w = input._data, weight._data
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}")
    if w.dtype != x.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {_type_name(input)} and {_type_name(weight)}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.size == 1:
        w_shape = ()
    elif w.size == channels:
        w_shape = (channels,) + (1,) * (x.ndim - 2)
    else:
        raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{w.size} and channel size = {channels}.")
    return Prelu.apply(input, weight, w_shape=w_shape)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a*sigmoid(b), where a and b are the two halves of input along dim."""
    _require_float(input, "glu_cpu")
    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input._data.ndim, "glu")
    size = input._data.shape[d]
    if size % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {d} is size {size}")
    half = size // 2
    a = narrow(input, d, 0, half)
    b = narrow(input, d, half, half)
    return a * Sigmoid.apply(b)


TENSOR_METHODS = {
    "sigmoid": sigmoid, "relu": relu, "hardshrink": hardshrink, "prelu": prelu,
    "softmax": _softmax_method, "log_softmax": _log_softmax_method,
}

# In-place Tensor methods PyTorch has: x.relu_(), x.sigmoid_() (see Tensor._inplace).
INPLACE = {"relu": relu, "sigmoid": sigmoid}
