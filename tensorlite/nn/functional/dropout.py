"""Dropout: zero random elements (or whole channels) in training and rescale the rest; and the other
random activations, rrelu (random negative slopes) and gumbel_softmax (softmax of Gumbel-perturbed logits).

All draws come from the library's seeded generator (`tl.manual_seed`, or `generator=`), so a
seed repeats a run. The mask is drawn in forward and kept (as bool) for backward: the
gradient is g * mask * scale, a product with a constant, so it is differentiable again.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd.function import Function
from ...backend import get_array_module
from ...random import numpy_generator
from ...tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "rrelu",
           "rrelu_", "gumbel_softmax"]

# -alpha*scale of SELU: the value SELU saturates to for very negative inputs.
_ALPHA_PRIME = 1.7580993408473766


class _MaskScale(Function):
    """y = x * mask * a + b (b = 0 for plain dropout). Gradient: g * mask * a."""

    keep_inputs = False

    def forward(self, x, mask, scale, shift):
        self.mask, self.scale = mask, scale
        factor = mask * x.dtype.type(scale)  # a channel mask stays small; the scalar keeps x's dtype
        out = x * factor
        if shift is not None:
            out += shift.astype(x.dtype, copy=False)
        return out

    def backward(self, grad):
        factor = self.mask * grad._data.dtype.type(self.scale)
        return grad * Tensor._wrap(get_array_module(self.mask).asarray(factor))  # 0-d: NumPy gives a scalar


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(x, shape: tuple, p: float, generator=None):
    """A bool array of `shape`, True with probability 1-p, on x's device."""
    draw = numpy_generator(generator).random(shape, dtype=np.float32) >= p
    xp = get_array_module(x)
    return draw if xp is np else xp.asarray(draw)


def _apply(input: Tensor, p: float, training: bool, inplace: bool, name: str, feature: bool, alpha: bool,
           generator=None) -> Tensor:
    _check_p(p)
    x = input._data
    if not training or p == 0 or x.size == 0:
        return input
    if x.dtype.kind not in "fV":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {_torch_type(x)}")
    if inplace:
        return input._inplace(name + "_", lambda t: _apply(t, p, training, False, name, feature, alpha, generator))
    if feature:
        if x.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = x.shape[:2] + (1,) * (x.ndim - 2)
    else:
        shape = x.shape
    xp = get_array_module(x)
    if p == 1:
        mask = xp.zeros(shape, dtype=bool)
    else:
        mask = _keep_mask(x, shape, p, generator)
    if not alpha:
        return _MaskScale.apply(input, mask=mask, scale=1.0 / (1.0 - p) if p < 1 else 0.0, shift=None)
    if p == 1:
        return _MaskScale.apply(input, mask=mask, scale=0.0, shift=None)
    # Alpha dropout keeps SELU's mean and variance: dropped units take SELU's saturation value,
    # then an affine map a*x + b restores zero mean and unit variance.
    a = 1.0 / math.sqrt((_ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    shift = (mask.astype(x.dtype) - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    return _MaskScale.apply(input, mask=mask, scale=a, shift=shift)


def _torch_type(x) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(x.dtype.name, x.dtype.name)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity when not training)."""
    return _apply(input, p, training, inplace, "dropout", feature=False, alpha=False)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, name: str, batched: bool) -> Tensor:
    if batched:
        return _apply(input, p, training, inplace, name, feature=True, alpha=False)
    # No batch dim: treat the input as a batch of one, so the channel dim is dim 0.
    _check_p(p)
    if not training or p == 0:
        return input
    if inplace:
        return input._inplace(name + "_", lambda t: _feature_dropout(t, p, training, False, name, False))
    return _apply(input.unsqueeze(0), p, training, False, name, feature=True, alpha=False).squeeze(0)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability p; scale the rest by 1/(1-p)."""
    _check_p(p)
    nd = input._data.ndim
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                           f"exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           f"dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, "dropout1d", batched=nd == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input with probability p (a 3-D input is read as (N, C, L), as PyTorch does)."""
    _check_p(p)
    nd = input._data.ndim
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in an "
                      f"error in a future release. To retain the behavior and silence this warning, please use "
                      f"dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      f"inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _apply(input, p, training, inplace, "dropout2d", feature=True, alpha=False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p."""
    _check_p(p)
    nd = input._data.ndim
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in an "
                      f"error in a future release. To retain the behavior and silence this warning, please use "
                      f"dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D "
                      f"inputs).", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, "dropout3d", batched=nd != 4)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped units become SELU's saturation value, then a*x + b keeps mean 0, var 1."""
    return _apply(input, p, training, inplace, "alpha_dropout", feature=False, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dim 1)."""
    return _apply(input, p, training, inplace, "feature_alpha_dropout", feature=True, alpha=True)


# -- other random activations ----------------------------------------------------------------------------
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: x for x > 0, a x otherwise, a ~ U(lower, upper) per element in training and
    (lower + upper) / 2 in evaluation. Gradient: g times the same factor (1 or a)."""
    if lower > upper:  # checked first, in training and evaluation alike (as PyTorch does)
        raise RuntimeError(f"rrelu: Lower bound should be less than or equal to the upper bound, got lower={lower}, "
                           f"upper={upper}")
    if inplace:
        return input._inplace("rrelu_", rrelu, lower, upper, training)
    x = input._data
    if not training:
        from ...ops.activation import leaky_relu

        return leaky_relu(input, (lower + upper) / 2)
    if x.dtype.kind not in "fV":
        raise NotImplementedError(f"\"rrelu_with_noise_out_cpu\" not implemented for '{_torch_type(x)}'")
    slopes = numpy_generator().uniform(lower, upper, size=x.shape).astype(x.dtype)
    xp = get_array_module(x)
    noise = xp.where(x <= 0, slopes if xp is np else xp.asarray(slopes), x.dtype.type(1))
    return _MaskScale.apply(input, mask=noise, scale=1.0, shift=None)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """In-place rrelu."""
    return rrelu(input, lower, upper, training, inplace=True)


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """softmax((logits + g) / tau) along dim, g ~ Gumbel(0, 1) i.i.d. (g = -log(e), e ~ Exp(1)).

    hard=True returns the one-hot of the argmax, with the soft sample's gradient (straight-through:
    y_hard - y_soft.detach() + y_soft). `eps` is deprecated and unused, as in PyTorch.
    """
    from ...ops.softmax import softmax

    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    x = logits._data
    if x.dtype.kind not in "fV":
        raise RuntimeError(f"Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_torch_type(x)}")
    xp = get_array_module(x)
    with np.errstate(divide="ignore"):  # e = 0 (probability ~0) gives g = inf, as in PyTorch
        g = -np.log(numpy_generator().standard_exponential(x.shape))
    gumbels = Tensor._wrap(xp.asarray(g.astype(x.dtype)))
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    if x.ndim == 0:
        y_hard = xp.ones((), dtype=x.dtype)
    else:
        d = dim % x.ndim
        if x.shape[d] == 0:
            raise IndexError(f"gumbel_softmax: max(): Expected reduction dim {d} to have non-zero size.")
        index = xp.expand_dims(y_soft._data.argmax(axis=d), d)
        classes = xp.arange(x.shape[d]).reshape((-1,) + (1,) * (x.ndim - d - 1))
        y_hard = (classes == index).astype(x.dtype)  # one-hot of the (first) argmax
    return Tensor._wrap(y_hard) - y_soft.detach() + y_soft
