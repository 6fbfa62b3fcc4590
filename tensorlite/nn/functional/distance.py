"""Distances and similarities: pairwise_distance, cosine_similarity, normalize, pdist, cdist.

All are compositions of differentiable ops (norms, products, sums), so they are differentiable
as many times as those are; the norms' gradients at 0 are PyTorch's subgradient (0).
"""
from __future__ import annotations

import numpy as np

from ... import _dtype as dt
from ...amp import policy as _amp
from ...backend import get_array_module
from ...ops.arithmetic import broadcast_tensors
from ...ops.reduce import norm, sum as _sum, vector_norm
from ...ops.linalg import matmul
from ...tensor import Tensor, _wrap_dim
from ._common import ClampMinValue
from ._nll import torch_type_name

__all__ = ["pairwise_distance", "cosine_similarity", "normalize", "pdist", "cdist"]


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim of the broadcast shape (eps keeps the gradient finite at x1 = x2)."""
    last = max(x1._data.ndim, x2._data.ndim) - 1
    return vector_norm(x1 - x2 + eps, p, dim=last if last >= 0 else -1, keepdim=keepdim)


@_amp.autocast_op("cosine_similarity")
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1/max(||x1||, eps) * x2/max(||x2||, eps)) along dim, after broadcasting x1 and x2.

    PyTorch's current formula: each input is divided by its own (clamped) norm first, which keeps
    the result in [-1, 1]; the clamp is not differentiated through (gradient as if unclamped).
    """
    if x1._data.dtype != x2._data.dtype:
        common = dt.promote_types(x1.dtype, x2.dtype)
        x1, x2 = x1.to(common), x2.to(common)
    if x1._data.dtype.kind not in "fV":
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{torch_type_name(x1._data)}")
    x1, x2 = broadcast_tensors(x1, x2)
    dim = _wrap_dim(dim, x1._data.ndim, "cosine_similarity")
    n1 = ClampMinValue.apply(vector_norm(x1, 2, dim, keepdim=True), low=eps)
    n2 = ClampMinValue.apply(vector_norm(x2, 2, dim, keepdim=True), low=eps)
    return _sum((x1 / n1) * (x2 / n2), dim)


@_amp.autocast_op("normalize")
def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p along dim, eps). Gradient through both the numerator and the norm."""
    result = input / norm(input, p, dim, keepdim=True).clamp_min(eps)
    if out is not None:
        out.copy_(result)
        return out
    return result


def _check_float(x: Tensor, op: str, label: str) -> None:
    if x._data.dtype.kind not in "fV":
        raise RuntimeError(f"{op} only supports floating-point dtypes, {label} got: {torch_type_name(x._data)}")


@_amp.autocast_op("pdist")
def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distance between every pair of rows i < j of an (N, M) input, as a vector of N(N-1)/2."""
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if x.dtype.kind not in "fV":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    xp = get_array_module(x)
    rows, cols = np.triu_indices(x.shape[0], 1)
    left = input.index_select(0, Tensor._wrap(xp.asarray(rows, dtype=np.int64)))
    right = input.index_select(0, Tensor._wrap(xp.asarray(cols, dtype=np.int64)))
    return vector_norm(left - right, p, dim=1)


_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")


@_amp.autocast_op("cdist")
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """out[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p for x1 (B..., P, M), x2 (B..., R, M) (batch dims broadcast).

    For p = 2 and large P or R (or compute_mode='use_mm_for_euclid_dist') the squared distance is
    expanded as |a|^2 + |b|^2 - 2 a.b: one matrix product instead of a (P, R, M) difference tensor.
    """
    a, b = x1._data, x2._data
    if a.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {a.ndim}D")
    if b.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {b.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} X2: {b.shape[-1]}")
    _check_float(x1, "cdist", "X1")
    _check_float(x2, "cdist", "X2")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {torch_type_name(a)} but found {torch_type_name(b)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(f"cdist: the batch dims of X1 {tuple(a.shape)} and X2 {tuple(b.shape)} cannot be broadcast "
                           f"together") from None
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode == "use_mm_for_euclid_dist_if_necessary" and (a.shape[-2] > 25 or b.shape[-2] > 25)))
    if use_mm:
        sq1 = _sum(x1 * x1, -1, keepdim=True)                     # (..., P, 1)
        sq2 = _sum(x2 * x2, -1, keepdim=True).transpose(-2, -1)   # (..., 1, R)
        d2 = sq1 + sq2 - matmul(x1, x2.transpose(-2, -1)) * 2
        # clamp: rounding can make d2 slightly negative; 1e-30 (not 0) keeps sqrt's gradient finite
        return d2.clamp_min(1e-30).sqrt()
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
    return vector_norm(diff, p, dim=-1)
