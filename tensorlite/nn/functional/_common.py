"""Helpers shared by the losses and distances: reductions, argument checks, and two small Functions."""
from __future__ import annotations

import warnings

import numpy as np

from ...autograd.function import Function
from ...autograd.grad_mode import _grad_enabled
from ...backend import get_array_module
from ...ops.elementwise import log, log1p
from ...tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """The deprecated size_average/reduce flags, mapped to a reduction as PyTorch does (with its warning)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    result = "mean" if size_average and reduce else ("sum" if reduce else "none")
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{result}' instead.",
                  stacklevel=3)
    return result


def check_reduction(reduction: str) -> str:
    """'none', 'mean' or 'sum' ('elementwise_mean' is the deprecated spelling of 'mean'); else ValueError."""
    if reduction in _REDUCTIONS:
        return reduction
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    raise ValueError(f"{reduction} is not a valid value for reduction")


def apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.mean() if reduction == "mean" else loss.sum()


def require_tensor(x, op: str, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {1 if name == 'input' else 2}) must be Tensor, "
                        f"not {type(x).__name__}")


class ClampMinValue(Function):
    """y = max(x, low) with gradient g everywhere: PyTorch's "clamp under no_grad" (gaussian_nll_loss's
    variance, cosine_similarity's norms), where the clamp changes the value but not the graph."""

    keep_inputs = False

    def forward(self, x, low):
        return get_array_module(x).maximum(x, x.dtype.type(low))

    def backward(self, grad):
        return grad


class SquaredError(Function):
    """l = sum (x - t)^2, or its mean. Gradients: (2/n) g (x - t) for x and its negative for t (n = 1 for sum).

    The hot path of regression: one subtraction and one dot product forward, one scaled copy backward
    (the composition sub/mul/mean would take three passes each way). Under create_graph the gradient
    is written in Tensor ops, so it is differentiable again.
    """

    def forward(self, x, t, mean: bool):
        d = x - t
        flat = d.reshape(-1)
        total = flat @ flat
        self.diff, self.scale = d, (2.0 / d.size if mean and d.size else 2.0)
        if not mean:
            return total
        with np.errstate(invalid="ignore"):  # the mean of nothing is nan, as in PyTorch
            return total / d.size if d.size else total * np.nan

    def backward(self, grad):
        need = self.needs_input_grad
        if _grad_enabled[0]:
            x, t = self.inputs
            gx = (x - t) * (grad * self.scale)
            return (gx if need[0] else None), (-gx if need[1] else None)
        gx = self.diff * (grad._data * self.scale)
        if isinstance(gx, np.generic):  # NumPy returns scalars for 0-d operands; a Tensor holds an array
            gx = np.asarray(gx)
        gx = Tensor._wrap(gx)
        return (gx if need[0] else None), (-gx if need[1] else None)


class BinaryCrossEntropy(Function):
    """l = -(t max(log x, -100) + (1 - t) max(log(1 - x), -100)).

    Gradients (PyTorch's): g (x - t) / max(x (1 - x), 1e-12) for x, g (max(log(1-x), -100) - max(log x, -100)) for t;
    written in Tensor ops, so BCE is twice differentiable.
    """

    def forward(self, x, t):
        xp = get_array_module(x)
        low = x.dtype.type(-100)
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped to -100 just below
            log_x = xp.maximum(xp.log(x), low)
            log_1mx = xp.maximum(xp.log1p(-x), low)
        return -(t * log_x + (1 - t) * log_1mx)

    def backward(self, grad):
        x, t = self.inputs
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = grad * (x - t) / (x * (1 - x)).clamp_min(1e-12)
        if self.needs_input_grad[1]:
            gt = grad * (log1p(-x).clamp_min(-100) - log(x).clamp_min(-100))
        return gx, gt
