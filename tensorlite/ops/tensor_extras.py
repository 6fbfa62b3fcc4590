"""Tensor methods that change a tensor's storage or hook into its gradient: `index_reduce(_)`, `resize_`,
`resize_as_`, the element-wise Python callbacks `apply_`/`map_`/`map2_` (CPU only, as in PyTorch) and
`register_post_accumulate_grad_hook`.
"""
from __future__ import annotations

import numbers
import operator
from typing import Callable

import numpy as np

from ..backend.device import get_array_module
from ..tensor import RemovableHandle, Tensor
from ._index_dim import _check_source, _dim_index, _dim_size
from ._scatter import ScatterReduce
from .index import _dtype_name

__all__ = ["index_reduce"]

_REDUCTIONS = ("prod", "mean", "amax", "amin")


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,
                 include_self: bool = True) -> Tensor:
    """out = input with source[i] reduced (prod, mean, amax, amin) into out[index[i]] along `dim`; with
    include_self=False the reduced positions start from source alone. Gradients as scatter_reduce's."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d, idx = _dim_index(input, dim, index, "index_reduce", (np.int64, np.int32),
                        "index_reduce_(): Expected dtype int32/int64 for index", IndexError,
                        lambda a: f"index_reduce_(): Index is supposed to be a vector, but got dim: {a.ndim} with "
                                  f"type: {_dtype_name(a)} and size: {list(a.shape)}")
    _check_source(input, source, d, idx, "index_reduce")
    size = _dim_size(input, d)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        raise IndexError(f"index_reduce(): index out of range in self (an index is outside [0, {size}) along dim {d})")
    # index_reduce is scatter_reduce with the index repeated across source's other dims
    s = source._data
    xp = get_array_module(s)
    shape = [1] * s.ndim
    if s.ndim:
        shape[d] = -1
    full = xp.broadcast_to(idx.astype(np.int64).reshape(shape), s.shape).copy()
    return ScatterReduce.apply(input, source, dim=d, index=full, reduce=reduce, include_self=bool(include_self))


# -- storage changes -------------------------------------------------------------------------------------------
def _shape_arg(sizes: tuple, op: str) -> tuple:
    if len(sizes) == 1 and not isinstance(sizes[0], (int, np.integer)):
        sizes = tuple(sizes[0])
    shape = tuple(operator.index(s) for s in sizes)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{op}: Trying to create tensor with negative dimension {min(shape)}: {list(shape)}")
    return shape


def resize_(self: Tensor, *sizes, memory_format=None) -> Tensor:
    """Give self a new (contiguous) shape over its memory: the elements from its storage offset on, in memory
    order; the storage grows when needed (new elements are zeros here, uninitialized in PyTorch)."""
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    shape = _shape_arg(sizes, "resize_")
    data = self._data
    if shape == data.shape:
        return self
    n = int(np.prod(shape, dtype=np.int64))
    xp = get_array_module(data)
    root = data
    while getattr(root, "base", None) is not None and getattr(root.base, "dtype", None) == data.dtype:
        root = root.base
    if root.flags.c_contiguous and root.dtype == data.dtype:
        flat, start = root.reshape(-1), self.storage_offset()
    else:  # memory of another type (a buffer, a dtype view): its elements in logical order
        flat, start = data.reshape(-1), 0
    if start + n <= flat.size:
        new = flat[start:start + n].reshape(shape)  # shares the memory, as PyTorch keeps the storage
    else:
        new = xp.zeros(n, dtype=data.dtype)
        kept = flat[start:start + n]
        new[:kept.size] = kept
        new = new.reshape(shape)
    self._data = new
    self._vc[0] += 1
    return self


def resize_as_(self: Tensor, the_template: Tensor, memory_format=None) -> Tensor:
    if not isinstance(the_template, Tensor):
        raise TypeError(f"resize_as_(): argument 'the_template' (position 1) must be Tensor, not "
                        f"{type(the_template).__name__}")
    return resize_(self, the_template._data.shape)


# -- Python callbacks, element by element ---------------------------------------------------------------------
def _callback_target(self: Tensor, op: str) -> None:
    if type(self._data) is not np.ndarray:
        raise TypeError(f"{op} is only implemented on CPU tensors")
    if self._requires_grad:
        raise RuntimeError(f"Can't call {op}() on Variable that requires grad. Use var.detach().{op}() instead.")


def _same_type(self: Tensor, other, op: str, arg: str) -> np.ndarray:
    if not isinstance(other, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' must be Tensor, not {type(other).__name__}")
    if other._data.dtype != self._data.dtype:
        raise TypeError(f"{op}: expected {self.type()} for argument '{arg}' (got {other.type()})")
    try:
        return np.broadcast_to(other._host(), self._data.shape)
    except ValueError:
        raise RuntimeError(f"{op}: the size of '{arg}' {list(other.shape)} can't be expanded to self's size "
                           f"{list(self.shape)}") from None


def _write_each(self: Tensor, fn: Callable, *others: np.ndarray) -> Tensor:
    """self[i] = fn(self[i], *others[i]) for every element, converted as C++ converts (int() truncates)."""
    cast = {"b": bool, "i": int, "u": int}.get(self._data.dtype.kind, float)

    def convert(v):
        if not isinstance(v, numbers.Number):
            raise TypeError(f"must be real number, not {type(v).__name__}")
        return cast(v)

    columns = [self._data.ravel().tolist()] + [o.ravel().tolist() for o in others]
    values = [convert(fn(*args)) for args in zip(*columns)]
    self._data[...] = np.asarray(values, dtype=self._data.dtype).reshape(self._data.shape)
    self._vc[0] += 1
    return self


def apply_(self: Tensor, callable: Callable) -> Tensor:  # noqa: A002 - PyTorch's name
    """self[i] = callable(self[i]) for every element (CPU only; slow: one Python call per element)."""
    _callback_target(self, "apply_")
    return _write_each(self, callable)


def map_(self: Tensor, tensor: Tensor, callable: Callable) -> Tensor:  # noqa: A002
    """self[i] = callable(self[i], tensor[i]), with `tensor` broadcast to self's shape (CPU only)."""
    _callback_target(self, "map_")
    return _write_each(self, callable, _same_type(self, tensor, "map_", "other"))


def map2_(self: Tensor, x: Tensor, y: Tensor, callable: Callable) -> Tensor:  # noqa: A002
    """self[i] = callable(self[i], x[i], y[i]) (CPU only)."""
    _callback_target(self, "map2_")
    return _write_each(self, callable, _same_type(self, x, "map2_", "x"), _same_type(self, y, "map2_", "y"))


# -- post-accumulate-grad hooks --------------------------------------------------------------------------------
Tensor._post_accumulate_grad_hooks = None  # per leaf: {handle id: hook}, read by autograd/engine.py


def register_post_accumulate_grad_hook(self: Tensor, hook: Callable[[Tensor], None]) -> RemovableHandle:
    """Call `hook(self)` after backward has accumulated a gradient into this leaf's `.grad`."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    hooks = self._post_accumulate_grad_hooks
    if hooks is None:
        hooks = self._post_accumulate_grad_hooks = {}
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def run_post_accumulate_hooks(leaf: Tensor) -> None:
    """Called by the engine after `leaf.grad` was updated; hooks see the leaf and must return None."""
    for hook in tuple(leaf._post_accumulate_grad_hooks.values()):
        result = hook(leaf)
        if result is not None:
            if isinstance(result, Tensor):
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")
            raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")


TENSOR_METHODS = {"index_reduce": index_reduce, "resize_": resize_, "resize_as_": resize_as_, "apply_": apply_,
                  "map_": map_, "map2_": map2_,
                  "register_post_accumulate_grad_hook": register_post_accumulate_grad_hook}
INPLACE = {"index_reduce": index_reduce}
