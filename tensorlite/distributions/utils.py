"""Helpers shared by the distributions, mirroring torch.distributions.utils.

broadcast_all (numbers become tensors of the first tensor's dtype/device, then everything broadcasts),
logits <-> probs conversions, clamp_probs, lazy_property, and the host-side draws every sampler uses
(NumPy's generator behind `tl.manual_seed`, so a seed makes every sample reproducible).
"""
from __future__ import annotations

from functools import update_wrapper
from typing import Callable

import numpy as np

import tensorlite as tl
from .. import _dtype as _dt
from ..creation import _place
from ..random import numpy_generator
from ..tensor import Size, Tensor

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix", "euler_constant"]

euler_constant = 0.57721566490153286060  # Euler-Mascheroni constant
_Number = (int, float)  # bool is an int; numpy.float64 is a float


def broadcast_all(*values) -> tuple:
    """Broadcast tensors together; Python numbers become tensors of the first tensor's dtype and device
    (of the default dtype when all are numbers)."""
    if not all(isinstance(v, (Tensor,) + _Number) for v in values):
        raise ValueError("Input arguments must all be instances of Number, tensorlite.Tensor or objects "
                         "implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        first = next((v for v in values if isinstance(v, Tensor)), None)
        options = (dict(dtype=first.dtype, device=first.device) if first is not None
                   else dict(dtype=_dt.get_default_dtype()))
        values = tuple(v if isinstance(v, Tensor) else tl.tensor(v, **options) for v in values)
    return tuple(tl.broadcast_tensors(*values))


def _standard_normal(shape, dtype, device) -> Tensor:
    return _draw(lambda rng, s: rng.standard_normal(s), shape, dtype, device)


def _uniform(shape, dtype, device, low: float = 0.0) -> Tensor:
    """U[low, 1) in `dtype`: float64 draws, kept below 1 after rounding (float32 would round some up to 1)."""
    top = 1.0 - _dt.finfo(dtype).eps / 2  # the largest value below 1 in dtype
    return _draw(lambda rng, s: np.minimum(rng.uniform(low, 1.0, s), top), shape, dtype, device)


def _draw(sampler: Callable, shape, dtype, device) -> Tensor:
    """A tensor of `shape` whose values `sampler(numpy_generator, shape)` draws on the host (float64),
    rounded to `dtype` and placed on `device`."""
    values = np.asarray(sampler(numpy_generator(), tuple(shape)))
    return _place(values.astype(_dt.to_dtype(dtype).np, copy=False), device, False)


def _sum_rightmost(value, dim: int):
    """Sum out the `dim` rightmost dimensions of `value`."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid(logits) for binary logits (log odds), else softmax over the last dimension."""
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """Clamp probabilities into [eps, 1 - eps] (eps of their dtype), away from 0 and 1."""
    eps = _dt.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log p - log(1-p) (binary) or log p, of the clamped probabilities."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ps_clamped.log() - (-ps_clamped).log1p()
    return ps_clamped.log()


class lazy_property:
    """A property computed on first access (with grad mode on) and then stored on the instance."""

    def __init__(self, wrapped: Callable):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with tl.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What a lazy_property looks like on the class: a property (for docs) that is still a lazy_property
    (for Distribution's argument validation, which skips parameters not computed yet)."""

    def __init__(self, wrapped: Callable):
        property.__init__(self, wrapped)


def _tril_mask(n: int, diag: int, device) -> Tensor:
    rows = np.arange(n)
    return _place(rows[None, :] < rows[:, None] + (diag + 1), device, False)


def tril_matrix_to_vec(mat: Tensor, diag: int = 0) -> Tensor:
    """The lower-triangular entries (below diagonal `diag`) of each D x D matrix, in row order."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec: Tensor, diag: int = 0) -> Tensor:
    """Inverse of tril_matrix_to_vec: a lower-triangular D x D matrix (or batch) from its entries."""
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > _dt.finfo(vec.dtype).eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(Size(vec.shape[:-1]) + (n, n))
    mat[..., _tril_mask(n, diag, vec.device)] = vec
    return mat
