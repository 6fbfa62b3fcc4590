"""Adaptive pooling: average and max over 1-3 spatial dims to a requested output size, PyTorch's windows.

Output i of a dim of size n pools [floor(i n / o), ceil((i + 1) n / o)), so windows overlap when o does not
divide n and repeat inputs when o > n. Adaptive average pooling is separable, one small averaging matrix
per dim (a matmul); adaptive max pooling finds each window's argmax by walking the window offsets and
gathers the values there (core `gather`, so twice differentiable). Split from pooling.py, which
re-exports these names.
"""
from __future__ import annotations

from math import prod

import numpy as np

from ...amp import policy as _amp
from ...backend import get_array_module
from ...tensor import Tensor
from .conv import check_tensor, ntuple, shape_str

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices"]


# -- adaptive pools ------------------------------------------------------------------------------------------------
def _adaptive_size(op: str, nd: int, input: Tensor, output_size) -> tuple:
    check_tensor(input, op)
    shape = tuple(input.shape)
    # PyTorch's Python wrappers (2-d and 3-d) fill None sizes from the input first, so a too-small input is a
    # ValueError with a sequence output_size
    if nd > 1 and isinstance(output_size, (tuple, list)) and len(shape) <= len(output_size):
        raise ValueError(f"{op}: Input dimension should be at least {len(output_size) + 1}, got input of shape "
                         f"{list(shape)}")
    if isinstance(output_size, (tuple, list)):
        if len(output_size) == 1 and nd > 1:
            output_size = tuple(output_size) * nd
        if len(output_size) != nd:
            raise RuntimeError(f"{op}: output_size must be {nd}, but got output_size of length {len(output_size)}")
        sizes = tuple(shape[len(shape) - nd + i] if v is None else v for i, v in enumerate(output_size))
    else:
        sizes = (output_size,) * nd
    sizes = ntuple(sizes, nd, "output_size", op)
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received "
                           f"{list(sizes)}")
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {shape_str(shape)}")
    for d in range(len(shape) - nd - 1, len(shape)):
        if shape[d] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(shape)} with dimension {d} being empty")
    if input._data.dtype.kind not in "fV":
        raise NotImplementedError(f'"{op}" not implemented for \'{input.dtype.name}\'')
    return sizes


def _bounds(n: int, o: int):
    """PyTorch's adaptive windows: [floor(i n / o), ceil((i + 1) n / o)) for each output i."""
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _averaging_matrix(n: int, o: int, dtype) -> np.ndarray:
    """(o, n) matrix whose row i averages input window i."""
    start, end = _bounds(n, o)
    cols = np.arange(n)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _adaptive_avg(op: str, nd: int, input: Tensor, output_size) -> Tensor:
    out = _adaptive_size(op, nd, input, output_size)
    spatial = tuple(input.shape[-nd:])
    dims = tuple(range(input.ndim - nd, input.ndim))
    if all(o == 1 for o in out):
        return input.mean(dim=dims, keepdim=True)  # global average pooling
    if out == spatial:
        return input.clone()
    xp = get_array_module(input._data)
    y = input
    for i in range(nd - 1, -1, -1):  # one averaging matmul per spatial dim, last dim first
        n, o = spatial[i], out[i]
        if n == o:
            continue
        m = Tensor._wrap(xp.asarray(_averaging_matrix(n, o, input._data.dtype)))
        axis = y.ndim - nd + i
        y = y.movedim(axis, -1).matmul(m.t()).movedim(-1, axis)
    return y.contiguous()


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Mean over L_out adaptive windows [floor(i L / L_out), ceil((i + 1) L / L_out)) of the last dim."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over adaptive windows per dim (None keeps a size): separable, y = A_H x A_W^T."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


@_amp.autocast_op("adaptive_avg_pool3d")  # float32 under CPU autocast
def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """Mean over adaptive windows of the last three dims."""
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


def _adaptive_max(op: str, nd: int, input: Tensor, output_size, return_indices: bool):
    out = _adaptive_size(op, nd, input, output_size)
    x = input._data
    xp = get_array_module(x)
    spatial = tuple(x.shape[-nd:])
    lead = x.shape[:-nd]
    # per dim: the input index of window offset j of output i (clipped to the window's end: repeats don't win)
    index = []
    for i in range(nd):
        start, end = _bounds(spatial[i], out[i])
        width = int((end - start).max()) if out[i] else 1
        index.append(np.minimum(start[:, None] + np.arange(width), (end - 1)[:, None]))
    best = xp.full(lead + out, -np.inf, dtype=x.dtype)
    where = xp.zeros(lead + out, dtype=np.int64)
    upd = xp.empty(lead + out, dtype=bool)
    for n_offset, r in enumerate(np.ndindex(*(ix.shape[1] for ix in index))):
        flat = np.zeros(out, dtype=np.int64)
        grids = []
        for i in range(nd):
            col = index[i][:, r[i]].reshape((-1,) + (1,) * (nd - 1 - i))
            grids.append(col)
            flat = flat * spatial[i] + col
        v = x[(Ellipsis,) + tuple(xp.asarray(g) for g in grids)]
        if n_offset == 0:  # PyTorch starts each window at its first element
            best[...] = v
            where[...] = xp.asarray(flat)
            continue
        xp.greater(v, best, out=upd)
        upd |= xp.isnan(v)
        xp.copyto(best, v, where=upd)
        xp.copyto(where, xp.asarray(flat), where=upd)
    idx = Tensor._wrap(where)
    values = input.flatten(-nd) if nd > 1 else input
    values = values.gather(-1, idx.reshape(lead + (prod(out),))).reshape(lead + out)
    return (values, idx) if return_indices else values


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows of the last dim; indices (int64) are positions in L."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows [floor(i H / oH), ceil((i + 1) H / oH)) x (likewise W); flat indices per plane."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


@_amp.autocast_op("adaptive_max_pool3d")  # float32 under CPU autocast
def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """Max over adaptive windows of the last three dims."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


def _adaptive_with_indices(fn):
    def call(input, output_size, return_indices=False):
        return fn(input, output_size, True)  # always both, as PyTorch

    call.__name__ = fn.__name__ + "_with_indices"
    call.__doc__ = f"`{fn.__name__}(..., return_indices=True)`: (values, indices)."
    return call


adaptive_max_pool1d_with_indices = _adaptive_with_indices(adaptive_max_pool1d)
adaptive_max_pool2d_with_indices = _adaptive_with_indices(adaptive_max_pool2d)
adaptive_max_pool3d_with_indices = _adaptive_with_indices(adaptive_max_pool3d)
