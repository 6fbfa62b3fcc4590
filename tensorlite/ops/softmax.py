"""softmax, log_softmax and softmin along a dim (re-exported by activation.py).

Stable for any input: the row max is subtracted before exponentiating, so nothing overflows. As
in PyTorch, -inf entries get probability 0 (log-probability -inf), and a row of all -inf, or one
holding +inf or nan, gives nan.
"""
from __future__ import annotations

import operator
import warnings

import numpy as np

from .. import _dtype as dt
from ..amp import policy as _amp
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _wrap_dim
from ._activation_base import _kind, _type_name
from .arithmetic import neg
from .elementwise import exp
from .reduce import sum as _sum

__all__ = ["softmax", "log_softmax", "softmin"]


def _shifted(x, axis):
    """x minus its max along axis: every entry <= 0, so exp cannot overflow."""
    with np.errstate(invalid="ignore"):  # -inf - -inf in an all -inf row: nan, which PyTorch returns too
        return x - x.max(axis=axis, keepdims=True)


class Softmax(Function):
    """y = exp(x - max) / sum(exp(x - max)) along dim. Gradient: y*g - y*sum(y*g)."""

    keep_inputs = False
    save_output = True

    def forward(self, x, dim):
        self.dim = dim
        if x.size == 0:
            return x.copy()
        if x.ndim == 0:
            return self.forward(x.reshape(1), 0).reshape(())
        e = _shifted(x, dim)
        xp = get_array_module(x)
        xp.exp(e, out=e)
        e /= e.sum(axis=dim, keepdims=True)
        return e

    def backward(self, grad):
        y = self.output()
        gy = grad * y
        return gy - y * _sum(gy, self.dim, keepdim=True)


class LogSoftmax(Function):
    """y = x - max - log(sum(exp(x - max))) along dim. Gradient: g - exp(y)*sum(g)."""

    keep_inputs = False
    save_output = True

    def forward(self, x, dim):
        self.dim = dim
        if x.size == 0:
            return x.copy()
        if x.ndim == 0:
            return self.forward(x.reshape(1), 0).reshape(())
        s = _shifted(x, dim)
        xp = get_array_module(x)
        s -= xp.log(xp.exp(s).sum(axis=dim, keepdims=True))  # the sum is >= 1 (or nan): log never sees 0
        return s

    def backward(self, grad):
        return grad - exp(self.output()) * _sum(grad, self.dim, keepdim=True)


def _prepare(input, dim, stacklevel, dtype, name: str):
    """Cast to `dtype`, pick the implicit dim if none is given, check dtype and dim as PyTorch does."""
    if isinstance(stacklevel, dt.dtype):  # torch.softmax(x, dim, dtype) passes dtype third
        dtype = stacklevel
    if dtype is not None:
        input = input.to(dtype)
    elif _amp.active[0]:  # float32 under CUDA autocast, unless a dtype is given
        input = _amp.cast_input(name, input)
    if dim is None:
        dim = _implicit_dim(name, input._data.ndim, stacklevel)
    if _kind(input, name) != "f":
        raise NotImplementedError(f'"{name}_lastdim_kernel_impl" not implemented for \'{_type_name(input)}\'')
    try:
        dim = operator.index(dim)
    except TypeError:
        raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}") from None
    return input, _wrap_dim(dim, input._data.ndim, name)


def _implicit_dim(name: str, ndim: int, stacklevel) -> int:
    """PyTorch's deprecated default when no dim is given: 0 for 0-, 1- and 3-d inputs, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  f"dim=X as an argument.", stacklevel=stacklevel if isinstance(stacklevel, int) else 3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x_i) / sum_j exp(x_j) along dim; `dtype` casts the input first.

    One function serves `tl.softmax(x, dim)` and `F.softmax(x, dim)`; as in `F.softmax`, a missing dim
    warns and picks PyTorch's legacy default (0 for 0-, 1- and 3-d inputs, else 1).
    """
    input, dim = _prepare(input, dim, _stacklevel, dtype, "softmax")
    return Softmax.apply(input, dim=dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x_i - log(sum_j exp(x_j)) along dim, computed as one stable log-sum-exp."""
    input, dim = _prepare(input, dim, _stacklevel, dtype, "log_softmax")
    return LogSoftmax.apply(input, dim=dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along dim."""
    if dim is None:
        _kind(input, "softmin")  # TypeError for a non-Tensor
        dim = _implicit_dim("softmin", input._data.ndim, _stacklevel)
    return softmax(neg(input), dim, _stacklevel, dtype)


def _softmax_method(self: Tensor, dim: int, dtype=None) -> Tensor:
    """`x.softmax(dim)`: unlike F.softmax, the dim is required."""
    return softmax(self, dim, dtype=dtype)


def _log_softmax_method(self: Tensor, dim: int, dtype=None) -> Tensor:
    return log_softmax(self, dim, dtype=dtype)
