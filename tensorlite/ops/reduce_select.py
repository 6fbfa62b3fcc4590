"""Selecting reductions (re-exported by reduce.py): the result is one of the input's elements.

- amax/amin, and max()/min()/median() without a dim: the gradient is split evenly among the
  elements equal to the result (nan matches nan), as PyTorch's evenly_distribute_backward;
- max/min/median/nanmedian/mode/kthvalue along a dim return (values, indices): values are a
  gather at the indices, so the gradient flows to the selected element only;
- argmax/argmin: int64 indices, first occurrence (nan counts as the extreme), not differentiable.
Reducing over a dim of size 0 raises as in PyTorch (these reductions have no identity).
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import _dtype as dt
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._pointwise import not_for
from ._reduce_common import (_Gather, check_keepdim, check_nonempty, const, expand_reduced, kept_shape,
                             numpy_aliases, reduce_axes, return_types, running_max, single_axis)

__all__ = ["max", "min", "amax", "amin", "aminmax", "argmax", "argmin", "median", "nanmedian", "mode", "kthvalue"]

_bmax = builtins.max


class _EvenSplit(Function):
    """A reduction whose value is one of its inputs (max, min, median). Gradient: g split evenly
    among the elements equal to the result (nan counts as equal to nan), as PyTorch's amax."""

    save_output = True

    def forward(self, x, axes, keepdim):
        self.axes, self.keepdim = axes, keepdim
        return self._reduce(get_array_module(x), x, axes, keepdim)

    def backward(self, grad):
        (x,) = self.inputs
        a = x._data
        out = self.output()._data
        if not self.keepdim:
            out = out.reshape(kept_shape(a.shape, self.axes))
        mask = a == out
        if a.dtype.kind in "fV":
            xp = get_array_module(a)
            mask |= xp.isnan(a) & xp.isnan(out)
        weights = (mask / mask.sum(axis=self.axes, keepdims=True)).astype(a.dtype)
        return expand_reduced(grad, a.shape, self.axes, self.keepdim) * const(weights)


class Amax(_EvenSplit):
    def _reduce(self, xp, x, axes, keepdim):
        return xp.amax(x, axis=axes, keepdims=keepdim)


class Amin(_EvenSplit):
    def _reduce(self, xp, x, axes, keepdim):
        return xp.amin(x, axis=axes, keepdims=keepdim)


class MedianAll(_EvenSplit):
    def _reduce(self, xp, x, axes, keepdim):
        if x.size == 0:
            return xp.asarray(np.nan if x.dtype.kind in "fV" else 0, dtype=x.dtype)
        flat = xp.sort(x.reshape(-1))
        if x.dtype.kind in "fV" and xp.isnan(flat[-1]):  # any nan: the median is nan
            return flat[-1].copy()
        return flat[(flat.size - 1) // 2].copy()


class NanMedianAll(_EvenSplit):
    def _reduce(self, xp, x, axes, keepdim):
        if x.dtype.kind not in "fV" or x.size == 0:
            return MedianAll._reduce(self, xp, x, axes, keepdim)
        flat = xp.sort(x.reshape(-1))  # nans sort last
        valid = int(flat.size - xp.isnan(flat).sum())
        return flat[_bmax((valid - 1) // 2, 0)].copy()


def _minmax_all(cls, input, dim, keepdim, op):
    axes = reduce_axes(dim, input._data.ndim, op)
    check_keepdim(keepdim, op)
    check_nonempty(input._data.shape, axes, op)
    return cls.apply(input, axes=axes, keepdim=keepdim)


@numpy_aliases
def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest value over `dim` (every dim by default). Gradient: split evenly among ties."""
    return _minmax_all(Amax, input, dim, keepdim, "amax")


@numpy_aliases
def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest value over `dim` (every dim by default). Gradient: split evenly among ties."""
    return _minmax_all(Amin, input, dim, keepdim, "amin")


def aminmax(input: Tensor, *, dim=None, keepdim: bool = False):
    """(min, max) over `dim` (an int) or every element."""
    if dim is not None:
        single_axis(dim, input._data.ndim, "aminmax")
    return return_types.aminmax(_minmax_all(Amin, input, dim, keepdim, "aminmax"),
                                _minmax_all(Amax, input, dim, keepdim, "aminmax"))


# Selections along one dim return (values, indices); values are a gather at the indices, so the
# gradient flows to the selected element only (PyTorch's value_selecting_reduction_backward).
class MaxDim(_Gather):
    pass


class MinDim(_Gather):
    pass


class MedianDim(_Gather):
    pass


class ModeDim(_Gather):
    pass


class KthvalueDim(_Gather):
    pass


def _select(cls, input: Tensor, index, axis: int, keepdim: bool, rtype):
    values = cls.apply(input, index=index, axis=axis, keepdim=keepdim)
    if input._data.ndim and not keepdim:
        index = index.squeeze(axis)
    return rtype(values, Tensor._wrap(index.astype(np.int64, copy=False)))


def _arg_along(fn_name: str, a, axis: int):
    """argmax/argmin along `axis` with keepdims (first occurrence; nan wins, as in PyTorch)."""
    xp = get_array_module(a)
    if a.ndim == 0:
        return xp.zeros((), np.int64)
    return getattr(xp, fn_name)(a, axis=axis, keepdims=True)


def _max_min(name: str, input: Tensor, dim, keepdim: bool, other):
    if isinstance(dim, Tensor):  # max(x, other): the elementwise overload
        other, dim = dim, None
    if other is not None:
        from . import elementwise

        return getattr(elementwise, "maximum" if name == "max" else "minimum")(input, other)
    if dim is None:
        return _minmax_all(Amax if name == "max" else Amin, input, None, keepdim, name)
    a = dt.opmath(input._data)  # indices of bfloat16 values: found in float32 (NaN order, sorting)
    axis = single_axis(dim, a.ndim, name)
    check_keepdim(keepdim, name)
    if a.ndim:
        check_nonempty(a.shape, (axis,), name)
    index = _arg_along("argmax" if name == "max" else "argmin", a, axis)
    return _select(MaxDim if name == "max" else MinDim, input, index, axis, keepdim, getattr(return_types, name))


@numpy_aliases
def max(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None):  # noqa: A001
    """max(x): the largest value; max(x, dim, keepdim): (values, indices); max(x, other): elementwise maximum."""
    return _max_min("max", input, dim, keepdim, other)


@numpy_aliases
def min(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None):  # noqa: A001
    """min(x): the smallest value; min(x, dim, keepdim): (values, indices); min(x, other): elementwise minimum."""
    return _max_min("min", input, dim, keepdim, other)


def _argmax_min(fn_name: str, input: Tensor, dim, keepdim: bool) -> Tensor:
    a = dt.opmath(input._data)  # indices of bfloat16 values: found in float32 (NaN order, sorting)
    xp = get_array_module(a)
    check_keepdim(keepdim, fn_name)
    if a.dtype == np.bool_:
        raise RuntimeError(f"{fn_name}(): does not support bool input")
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{fn_name}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = getattr(xp, fn_name)(a)
        if keepdim:
            r = xp.asarray(r).reshape((1,) * a.ndim)
    else:
        axis = single_axis(dim, a.ndim, fn_name)
        if a.ndim:
            check_nonempty(a.shape, (axis,), fn_name)
        r = _arg_along(fn_name, a, axis)
        if a.ndim and not keepdim:
            r = r.squeeze(axis)
    return Tensor._wrap(xp.asarray(r, dtype=np.int64))


@numpy_aliases
def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (of the flattened tensor when dim is None); int64, first occurrence."""
    return _argmax_min("argmax", input, dim, keepdim)


@numpy_aliases
def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value (of the flattened tensor when dim is None); int64, first occurrence."""
    return _argmax_min("argmin", input, dim, keepdim)


# -- median, nanmedian, mode, kthvalue ----------------------------------------------------------------------
def _stable_argsort(a, axis: int):
    xp = get_array_module(a)
    return xp.argsort(a, axis=axis, kind="stable") if xp is np else xp.argsort(a, axis=axis)


def _median_index(a, axis: int, ignore_nan: bool):
    """Index (keepdims) of the lower median along `axis`; nan-aware as PyTorch's median / nanmedian."""
    xp = get_array_module(a)
    order = _stable_argsort(a, axis)  # nans sort last
    n = a.shape[axis]
    if a.dtype.kind in "fV":
        nans = xp.isnan(a)
        if ignore_nan:
            valid = n - nans.sum(axis=axis, keepdims=True)
            return xp.take_along_axis(order, xp.maximum((valid - 1) // 2, 0), axis=axis)
        index = xp.take(order, [(n - 1) // 2], axis=axis)
        has_nan = nans.any(axis=axis, keepdims=True)
        return xp.where(has_nan, xp.argmax(nans, axis=axis, keepdims=True), index) if has_nan.any() else index
    return xp.take(order, [(n - 1) // 2], axis=axis)


def _median(name: str, input: Tensor, dim, keepdim: bool, ignore_nan: bool):
    a = dt.opmath(input._data)  # indices of bfloat16 values: found in float32 (NaN order, sorting)
    if a.dtype == np.bool_:
        raise NotImplementedError(f"{name}(): \"median_cpu\" not implemented for 'Bool'")
    if dim is None:
        return (NanMedianAll if ignore_nan else MedianAll).apply(input, axes=None, keepdim=False)
    axis = single_axis(dim, a.ndim, name)
    check_keepdim(keepdim, name)
    if a.ndim == 0:
        index = get_array_module(a).zeros((), np.int64)
    else:
        check_nonempty(a.shape, (axis,), name)
        index = _median_index(a, axis, ignore_nan)
    return _select(MedianDim, input, index, axis, keepdim, getattr(return_types, name))


@numpy_aliases
def median(input: Tensor, dim=None, keepdim: bool = False):
    """Lower median: of every element (a value; nan if any nan), or along `dim` as (values, indices)."""
    return _median("median", input, dim, keepdim, ignore_nan=False)


@numpy_aliases
def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """median that ignores nan (nan only where every element is nan)."""
    return _median("nanmedian", input, dim, keepdim, ignore_nan=True)


def _mode_index(a, axis: int):
    """Index (keepdims) of the most frequent value along `axis`: the smallest such value, its last occurrence."""
    xp = get_array_module(a)
    order = _stable_argsort(a, axis)
    s = xp.take_along_axis(a, order, axis=axis)
    n = a.shape[axis]
    pos = xp.arange(n).reshape((1,) * axis + (n,) + (1,) * (a.ndim - axis - 1))
    starts = xp.ones(s.shape, dtype=bool)
    lead = [slice(None)] * a.ndim
    lead[axis] = slice(1, None)
    trail = list(lead)
    trail[axis] = slice(None, -1)
    starts[tuple(lead)] = s[tuple(lead)] != s[tuple(trail)]
    run_start = running_max(xp.where(starts, pos, 0), axis)
    run_len = pos - run_start + 1  # length of the run so far; its maximum ends the first longest run
    best = xp.argmax(run_len, axis=axis, keepdims=True)
    return xp.take_along_axis(order, best, axis=axis)


@numpy_aliases
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """Most frequent value along `dim` (the smallest among equally frequent ones) and its last index."""
    a = dt.opmath(input._data)  # indices of bfloat16 values: found in float32 (NaN order, sorting)
    axis = single_axis(dim, a.ndim, "mode")
    check_keepdim(keepdim, "mode")
    if a.ndim == 0:
        index = get_array_module(a).zeros((), np.int64)
    else:
        check_nonempty(a.shape, (axis,), "mode")
        index = _mode_index(a, axis)
    return _select(ModeDim, input, index, axis, keepdim, return_types.mode)


@numpy_aliases
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """The k-th smallest value (1-based) along `dim` and its index."""
    not_for(input, "kthvalue", "b")
    a = dt.opmath(input._data)  # indices of bfloat16 values: found in float32 (NaN order, sorting)
    axis = single_axis(dim, a.ndim, "kthvalue")
    check_keepdim(keepdim, "kthvalue")
    n = a.shape[axis] if a.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis} (k = {k}, size {n})")
    if a.ndim == 0:
        index = get_array_module(a).zeros((), np.int64)
    else:
        index = get_array_module(a).take(_stable_argsort(a, axis), [k - 1], axis=axis)
    return _select(KthvalueDim, input, index, axis, keepdim, return_types.kthvalue)
