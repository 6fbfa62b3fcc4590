"""Sorting and searching: sort, argsort, msort, topk, nonzero/argwhere, searchsorted, bucketize, unique.

sort and topk compute their indices without gradient and read the values with a gather, so the
values' gradient is gather's: g scattered back to where each value came from (twice
differentiable). Sorting is stable (ties keep their order); NaN sorts as the largest value,
as in PyTorch. Index results are int64; nonzero, searchsorted and unique are not differentiable.
"""
from __future__ import annotations

import collections

import numpy as np

from .. import _dtype as dt
from ..autograd.function import check_same_device
from ..backend import get_array_module
from ..tensor import Tensor, _wrap_dim
from ._scatter import Gather

__all__ = ["sort", "argsort", "msort", "topk", "nonzero", "argwhere", "searchsorted", "bucketize", "unique",
           "unique_consecutive"]


def _named(name: str, fields: str):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "tensorlite.return_types"
    cls.__qualname__ = name

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"tensorlite.return_types.{name}(\n{body})"

    cls.__repr__ = __repr__
    return cls


SortResult = _named("sort", "values indices")
TopkResult = _named("topk", "values indices")


def _argsort(a, axis: int, descending: bool):
    """Stable argsort; descending keeps equal elements in their original order too (NaN first)."""
    xp = get_array_module(a)
    kind = {"kind": "stable"} if xp is np else {}
    if not descending:
        return xp.argsort(a, axis=axis, **kind)
    # Sort the reversed array ascending (stable), reverse the order back and map positions: among
    # equal values the earliest original position then comes first.
    n = a.shape[axis]
    return (n - 1) - xp.flip(xp.argsort(xp.flip(a, axis), axis=axis, **kind), axis)


def _index_tensor(a) -> Tensor:
    return Tensor._wrap(a.astype(np.int64, copy=False))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:
    """(values, indices) with values = input sorted along dim; gradient flows to the values' sources."""
    a = dt.opmath(input._data)
    d = _wrap_dim(dim, a.ndim, "sort")
    if a.ndim == 0:
        idx = get_array_module(a).zeros((), dtype=np.int64)
    else:
        idx = _argsort(a, d, bool(descending))
    return SortResult(Gather.apply(input, dim=d, index=idx), _index_tensor(idx))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort input along dim (stable)."""
    a = dt.opmath(input._data)
    d = _wrap_dim(dim, a.ndim, "argsort")
    if a.ndim == 0:
        return Tensor._wrap(get_array_module(a).zeros((), dtype=np.int64))
    return _index_tensor(_argsort(a, d, bool(descending)))


def msort(input: Tensor) -> Tensor:
    """input sorted along dim 0."""
    return sort(input, dim=0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopkResult:  # noqa: A002
    """The k largest (or smallest) elements along dim and their indices; values sorted (always, here)."""
    if isinstance(input, Tensor) and input._data.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes")
    a = dt.opmath(input._data)
    d = _wrap_dim(dim, a.ndim, "topk")
    n = a.shape[d] if a.ndim else 1
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' (position 2) must be int, not {type(k).__name__}")
    k = int(k)
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range (k = {k}, size of dim {d} = {n})")
    xp = get_array_module(a)
    if a.ndim == 0:
        idx = xp.zeros((), dtype=np.int64)
    elif n > 64 and k < n // 4:
        # Partition first (O(n)), then sort only the k survivors.
        part = xp.argpartition(a, n - k if largest else k - 1, axis=d) if k else None
        sl = [slice(None)] * a.ndim
        sl[d] = slice(n - k, None) if largest else slice(0, k)
        part = part[tuple(sl)] if k else xp.zeros(a.shape[:d] + (0,) + a.shape[d + 1:], dtype=np.int64)
        order = _argsort(xp.take_along_axis(a, part, axis=d), d, bool(largest)) if k else part
        idx = xp.take_along_axis(part, order, axis=d)
    else:
        sl = [slice(None)] * a.ndim
        sl[d] = slice(0, k)
        idx = _argsort(a, d, bool(largest))[tuple(sl)]
    return TopkResult(Gather.apply(input, dim=d, index=idx), _index_tensor(idx))


def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or (as_tuple) one 1-D tensor per dim."""
    a = dt.opmath(input._data)
    xp = get_array_module(a)
    if a.ndim == 0:
        hit = bool(a)
        if as_tuple:
            return (Tensor._wrap(xp.zeros(int(hit), dtype=np.int64)),)
        return Tensor._wrap(xp.zeros((int(hit), 0), dtype=np.int64))
    where = xp.nonzero(a)
    if as_tuple:
        return tuple(_index_tensor(w) for w in where)
    return _index_tensor(xp.stack(where, axis=1) if where else xp.zeros((0, 0), dtype=np.int64))


def argwhere(input: Tensor) -> Tensor:
    return nonzero(input)


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """For each value, the index where it would go in the sorted last dim of sorted_sequence (left/right of equals)."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        right = side == "right"
    check_same_device("searchsorted", sorted_sequence, input if isinstance(input, Tensor) else None, sorter)
    seq = sorted_sequence._data
    xp = get_array_module(seq)
    scalar = not isinstance(input, Tensor)
    vals = xp.asarray(input) if scalar else input._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    if sorter is not None:
        if sorter._data.shape != seq.shape:
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                               f"tensor {list(seq.shape)}and got sorter tensor {list(sorter._data.shape)}")
        seq = xp.take_along_axis(seq, sorter._data.astype(np.int64, copy=False), axis=-1)
    how = "right" if right else "left"
    if seq.ndim == 1:
        out = xp.searchsorted(seq, vals, side=how)
    else:
        if scalar:
            raise RuntimeError(f"torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                               f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's "
                               f"dim(0) numel(1)")
        if seq.shape[:-1] != vals.shape[:-1]:
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               f"dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}")
        rows_s = seq.reshape(-1, seq.shape[-1])
        rows_v = vals.reshape(-1, vals.shape[-1])
        out = xp.empty(rows_v.shape, dtype=np.int64)
        for r in range(rows_s.shape[0]):
            out[r] = xp.searchsorted(rows_s[r], rows_v[r], side=how)
        out = out.reshape(vals.shape)
    return Tensor._wrap(xp.asarray(out).astype(np.int32 if out_int32 else np.int64, copy=False))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value: i with boundaries[i-1] < x <= boundaries[i] (right: boundaries[i-1] <= x < ...)."""
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def _unique_result(values, inverse, counts, return_inverse: bool, return_counts: bool):
    out = [Tensor._wrap(values)]
    if return_inverse:
        out.append(_index_tensor(inverse))
    if return_counts:
        out.append(_index_tensor(counts))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
           dim: int | None = None):
    """The distinct elements (or slices along dim), sorted; optionally the inverse map and the counts.

    Not differentiable. NaNs are all distinct, as in PyTorch.
    """
    a = input._data
    xp = get_array_module(a)
    kw = {"equal_nan": False} if xp is np else {}
    if dim is None:
        values, inverse, counts = xp.unique(a.reshape(-1), return_inverse=True, return_counts=True, **kw)
        return _unique_result(values, inverse.reshape(a.shape), counts, return_inverse, return_counts)
    d = _wrap_dim(dim, a.ndim, "unique")
    if a.ndim == 0:
        raise IndexError("unique_dim(): Dimension out of range (expected to be in range of [-1, 0], but got "
                         f"{dim})")
    if a.shape[d] == 0 or a.size == 0:
        return _unique_result(a.copy(), xp.zeros(a.shape[d], dtype=np.int64), xp.zeros(0 if a.shape[d] == 0 else 1,
                                                                                        dtype=np.int64),
                              return_inverse, return_counts)
    values, inverse, counts = xp.unique(a, axis=d, return_inverse=True, return_counts=True, **kw)
    return _unique_result(values, inverse.reshape(-1), counts, return_inverse, return_counts)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,
                       dim: int | None = None):
    """Collapse runs of equal consecutive elements (or slices along dim); optionally inverse map and counts."""
    a = input._data
    xp = get_array_module(a)
    if dim is None:
        rows = a.reshape(-1, 1)
        axis = None
    else:
        axis = _wrap_dim(dim, a.ndim, "unique_consecutive")
        rows = xp.moveaxis(a, axis, 0).reshape(a.shape[axis], -1) if a.ndim else a.reshape(1, 1)
    n = rows.shape[0]
    starts = xp.ones(n, dtype=bool)
    if n > 1:
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    first = xp.nonzero(starts)[0]
    values = a.reshape(-1)[first] if axis is None else xp.take(a, first, axis=axis)
    inverse = xp.cumsum(starts) - 1
    if axis is None:
        inverse = inverse.reshape(a.shape)
    counts = xp.diff(xp.concatenate([first, xp.asarray([n])]))
    return _unique_result(values, inverse, counts, return_inverse, return_counts)


TENSOR_METHODS = {"sort": sort, "argsort": argsort, "msort": msort, "topk": topk, "nonzero": nonzero,
                  "argwhere": argwhere, "unique": unique, "unique_consecutive": unique_consecutive}
