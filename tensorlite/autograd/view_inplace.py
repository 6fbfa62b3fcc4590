"""In-place ops on views inside a recorded graph (PyTorch's CopySlices).

Writing into a view changes its base, so the base's history must change too. After `Tensor._inplace`
has written the new values, `rebase_view` gives
  the base   a node WriteThroughView(old base, new values): gradient g with the view's elements zeroed
             for the old base, and g at those elements for the values;
  the view   a node ReadView(base): its elements read back from the new base.
Which base element each view element is comes from their memory addresses, so any view (slices,
transposes, diagonals, reshapes) works without knowing the ops that made it.
"""
from __future__ import annotations

import numpy as np

from ..backend.device import get_array_module
from . import grad_mode
from ..tensor import Tensor
from .function import Function


def _addresses(arr):
    """The byte address of every element of arr, in arr's shape."""
    xp = get_array_module(arr)
    start = arr.__array_interface__["data"][0] if type(arr) is np.ndarray else int(arr.data.ptr)
    pos = xp.full(arr.shape, start, dtype=np.int64)
    for k, (n, s) in enumerate(zip(arr.shape, arr.strides)):
        pos = pos + (xp.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (arr.ndim - k - 1))
    return pos


def base_indices(view, base):
    """The flat (row-major) index in `base` of each element of `view` (an array of view's shape)."""
    xp = get_array_module(base)
    wanted = _addresses(view).reshape(-1)
    if base.flags.c_contiguous:
        first = base.__array_interface__["data"][0] if type(base) is np.ndarray else int(base.data.ptr)
        idx = (wanted - first) // base.itemsize
        found = (idx >= 0) & (idx < base.size)
        idx = xp.where(found, idx, 0)
    else:
        have = _addresses(base).reshape(-1)
        order = xp.argsort(have, kind="stable")
        at = xp.clip(xp.searchsorted(have[order], wanted), 0, max(have.size - 1, 0))
        idx = order[at] if have.size else at
        found = have[idx] == wanted if have.size else xp.zeros(wanted.shape, bool)
    if not bool(found.all()):
        raise RuntimeError("in-place operation on a view: the view's memory is not inside its base tensor")
    return idx.reshape(view.shape)


class WriteThroughView(Function):
    """new base = old base with the view's elements replaced by `values` (already written in memory).

    Gradients: g with those elements zeroed (old base); g at those elements (values).
    """

    keep_inputs = False

    def forward(self, base, values, idx):
        self.idx, self.values_shape = idx, values.shape
        return base

    def backward(self, grad):
        flat = grad.reshape(-1)
        where = Tensor._wrap(self.idx.reshape(-1))
        g_base = flat.index_fill(0, where, 0).reshape(grad.shape) if self.needs_input_grad[0] else None
        g_values = flat.take(where).reshape(self.values_shape) if self.needs_input_grad[1] else None
        return g_base, g_values


class ReadView(Function):
    """The view's elements, read from the base (the view's own memory is returned). Gradient: g put back in place."""

    keep_inputs = False

    def forward(self, base, idx, out):
        self.idx, self.base_shape = idx, base.shape
        return out

    def backward(self, grad):
        xp = get_array_module(grad._data)
        zeros = Tensor._wrap(xp.zeros(int(np.prod(self.base_shape)), grad._data.dtype))
        where = Tensor._wrap(self.idx.reshape(-1))
        return zeros.index_add(0, where, grad.reshape(-1)).reshape(self.base_shape)


def rebase_view(view: Tensor, values: Tensor) -> None:
    """Give `view`'s base and `view` the histories of an in-place write of `values` (already done in memory)."""
    base = view._base
    idx = base_indices(view._data, base._data)
    old_base = Tensor._wrap(base._data, base._requires_grad)
    old_base.grad_fn, old_base._output_nr = base.grad_fn, base._output_nr
    with grad_mode.enable_grad():
        new_base = WriteThroughView.apply(old_base, values, idx=idx)
        base.grad_fn, base._output_nr, base._requires_grad = new_base.grad_fn, 0, True
        new_view = ReadView.apply(base, idx=idx, out=view._data)
    view.grad_fn, view._output_nr, view._requires_grad = new_view.grad_fn, 0, True
