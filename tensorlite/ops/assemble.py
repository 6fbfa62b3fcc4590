"""Tensors assembled from pieces or positions: block_diag, diagflat, vander, combinations, the *_scatter
family (select/slice/diagonal_scatter), fill_diagonal_, renorm, chain_matmul, narrow_copy, unravel_index
and as_strided.

All but as_strided and unravel_index are compositions of differentiable ops (cat, index_select,
setitem on a copy, put, norm), so their gradients come from those ops.
"""
from __future__ import annotations

import functools
import itertools
import operator

import numpy as np

from .. import _dtype as dt
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._pointwise import check_tensor as _check_tensor
from .elementwise_binary import where
from .join import cat, narrow, stack
from .linalg import matmul
from .reduce import norm
from .shape import dim_arg, int_tuple, reshape

__all__ = ["block_diag", "diagflat", "vander", "combinations", "select_scatter", "slice_scatter",
           "diagonal_scatter", "narrow_copy", "chain_matmul", "renorm", "unravel_index", "as_strided"]

_FULL = slice(None)


def block_diag(*tensors: Tensor) -> Tensor:
    """The block-diagonal matrix with the given (0-, 1- or 2-d) tensors as blocks, zeros elsewhere."""
    blocks = []
    for i, t in enumerate(tensors):
        _check_tensor(t, "block_diag", "tensors")
        if t._data.ndim > 2:
            raise RuntimeError(f"block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t._data.ndim} dimensions")
        blocks.append(reshape(t, (1, -1)) if t._data.ndim < 2 else t)
    if not blocks:
        return Tensor._wrap(np.zeros((1, 0), dt.get_default_dtype().np))
    dtype = functools.reduce(dt.promote_types, (b.dtype for b in blocks))
    blocks = [b if b.dtype is dtype else b.to(dtype) for b in blocks]
    xp = get_array_module(blocks[0]._data)
    width = sum(b._data.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b._data.shape
        pads = [Tensor._wrap(xp.zeros((r, n), dtype.np)) for n in (left, width - left - c)]
        rows.append(cat([pads[0], b, pads[1]], 1))
        left += c
    return cat(rows, 0)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The square matrix with the flattened input on diagonal `offset`."""
    _check_tensor(input, "diagflat")
    return reshape(input, (-1,)).diag(offset)


def vander(x: Tensor, N: int | None = None, increasing: bool = False) -> Tensor:
    """Columns x^(N-1), ..., x^1, x^0 (reversed when `increasing`): the Vandermonde matrix of a 1-d x."""
    _check_tensor(x, "vander", "x")
    if x._data.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor, got shape {list(x.shape)}")
    n = x._data.shape[0] if N is None else operator.index(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    base = x.to(dt.int64) if x._data.dtype.kind in "biu" else x  # integer powers in int64, as PyTorch
    if n == 0 or x._data.shape[0] == 0:  # PyTorch returns a fresh (detached) empty tensor
        return Tensor._wrap(get_array_module(x._data).empty((x._data.shape[0], n), base._data.dtype))
    powers = Tensor._wrap(get_array_module(x._data).arange(n, dtype=np.int64))
    result = base.unsqueeze(1) ** powers
    return result if increasing else result.flip(1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """All length-r combinations of the elements of a 1-d tensor, one per row (itertools' order)."""
    _check_tensor(input, "combinations")
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    r = operator.index(r)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._wrap(get_array_module(input._data).empty((0,), input._data.dtype))
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input._data.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    xp = get_array_module(input._data)
    return stack([input.index_select(0, Tensor._wrap(xp.asarray(rows[:, k]))) for k in range(r)], 1)


def _scatter_into(input: Tensor, src: Tensor, key, op: str) -> Tensor:
    """A copy of input with input[key] replaced by src (whose shape must be that of the slice)."""
    _check_tensor(src, op, "src")
    target = input._data[key].shape
    if tuple(src._data.shape) != tuple(target):
        raise RuntimeError(f"{op}: expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(target)}")
    out = input.clone()
    out[key] = src
    return out


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:
    """input with input.select(dim, index) replaced by src."""
    _check_tensor(input, "select_scatter")
    d = dim_arg(dim, input._data.ndim, "select_scatter")
    size, i = input._data.shape[d], operator.index(index)
    if not -size <= i < size:
        raise IndexError(f"select_scatter(): index {i} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    return _scatter_into(input, src, (_FULL,) * d + (i,), "select_scatter")


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None, end: int | None = None,
                  step: int = 1) -> Tensor:
    """input with input[start:end:step] along dim replaced by src."""
    _check_tensor(input, "slice_scatter")
    d = dim_arg(dim, input._data.ndim, "slice_scatter")
    if step <= 0:
        raise RuntimeError(f"slice_scatter: slice step must be positive, got {step}")
    return _scatter_into(input, src, (_FULL,) * d + (slice(start, end, step),), "slice_scatter")


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """input with its diagonal (offset, dim1, dim2) replaced by src (laid out as `diagonal` returns it)."""
    _check_tensor(input, "diagonal_scatter")
    _check_tensor(src, "diagonal_scatter", "src")
    nd = input._data.ndim
    d1, d2 = dim_arg(dim1, nd, "diagonal_scatter"), dim_arg(dim2, nd, "diagonal_scatter")
    if d1 == d2:
        raise RuntimeError(f"diagonal_scatter: diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = operator.index(offset)
    n1, n2 = input._data.shape[d1], input._data.shape[d2]
    length = max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))
    expected = tuple(s for k, s in enumerate(input._data.shape) if k not in (d1, d2)) + (length,)
    if tuple(src._data.shape) != expected:
        raise RuntimeError(f"diagonal_scatter: expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(expected)}")
    xp = get_array_module(input._data)
    key = [_FULL] * nd
    key[d1] = Tensor._wrap(xp.arange(length) + max(-offset, 0))
    key[d2] = Tensor._wrap(xp.arange(length) + max(offset, 0))
    # advanced indices at d1 and d2 put the diagonal where d1 was when they are adjacent, first otherwise
    place = min(d1, d2) if abs(d1 - d2) == 1 else 0
    out = input.clone()
    out[tuple(key)] = src.movedim(-1, place)
    return out


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """narrow, as a copy."""
    _check_tensor(input, "narrow_copy")
    return narrow(input, dim, start, length).clone()


def chain_matmul(*matrices: Tensor) -> Tensor:
    """The product of the matrices, left to right."""
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        _check_tensor(m, "chain_matmul", "matrices")
        if m._data.ndim != 2:
            raise RuntimeError(f"chain_matmul(): Tensor dimension is {m._data.ndim}, expected 2 instead.")
    return matrices[0].clone() if len(matrices) == 1 else functools.reduce(matmul, matrices)


def renorm(input: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along dim whose p-norm exceeds maxnorm, scaled down to norm maxnorm."""
    _check_tensor(input, "renorm")
    if input._data.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input._data.ndim} dimensions")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported, got p={p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = dim_arg(dim, input._data.ndim, "renorm")
    others = tuple(k for k in range(input._data.ndim) if k != d)
    norms = norm(input, p, dim=others, keepdim=True) if others else input.abs()
    return input * where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


def fill_diagonal(input: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """A copy of input with its main diagonal set to fill_value (tall matrices: restarting every n+1 rows if wrap)."""
    shape = input._data.shape
    if len(shape) < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must larger than 1, got {len(shape)}")
    if len(shape) > 2 and len(set(shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, got {list(shape)}")
    xp = get_array_module(input._data)
    if len(shape) == 2:
        rows, cols = shape
        end = rows * cols if wrap or rows <= cols else cols * cols
        where_flat = xp.arange(0, end, cols + 1)
    else:
        step = sum(shape[0] ** k for k in range(len(shape)))  # 1 + n + n^2 + ...: one step along every dim
        where_flat = xp.arange(shape[0]) * step
    values = Tensor._wrap(xp.full(where_flat.shape, fill_value).astype(input._data.dtype))
    return input.put(Tensor._wrap(where_flat), values)


def unravel_index(indices: Tensor, shape) -> tuple:
    """The coordinates in `shape` of each flat index (taken modulo the number of elements, as PyTorch)."""
    if isinstance(indices, Tensor):
        if indices._data.dtype.kind not in "iu":
            raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
        flat = indices._data
    else:
        flat = np.asarray(operator.index(indices))
    dims = int_tuple((shape,) if isinstance(shape, int) else (tuple(shape),), "unravel_index", "shape")
    if any(s < 0 for s in dims):
        raise ValueError(f"'shape' cannot have negative values, but got {tuple(dims)}")
    xp = get_array_module(flat)
    total = int(np.prod(dims))
    if total == 0 and flat.size:
        raise RuntimeError("unravel_index: index out of bounds for a shape with no elements")
    flat = flat.astype(np.int64) % max(total, 1)
    coords = xp.unravel_index(flat, dims) if dims else ()
    return tuple(Tensor._wrap(xp.asarray(c, dtype=np.int64)) for c in coords)


# -- as_strided -------------------------------------------------------------------------------------------------
def _storage(arr):
    """The array owning arr's memory (the end of its chain of views)."""
    root = arr
    while getattr(root, "base", None) is not None and hasattr(root.base, "shape"):
        root = root.base
    return root


class AsStrided(Function):
    """y = a strided view of x's memory: y[i] = storage[offset + sum_k i_k * stride_k] (element units).

    Gradient: g added into a zero storage at the positions y read, then read back at x's own positions.
    """

    keep_inputs = False
    is_view = True

    def forward(self, x, size, stride, offset, x_offset):
        root = _storage(x)
        flat = root.reshape(-1)  # root is C-contiguous here (checked by as_strided)
        self.args = (root.size, x.shape, tuple(s // x.itemsize for s in x.strides), x_offset, size, stride, offset)
        xp = get_array_module(x)
        return xp.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * x.itemsize for s in stride))

    def backward(self, grad):
        from .index import take

        n, in_shape, in_stride, in_offset, size, stride, offset = self.args
        xp = get_array_module(grad._data)
        out_pos = Tensor._wrap(_positions(xp, size, stride, offset).reshape(-1))
        storage = Tensor._wrap(xp.zeros(n, grad._data.dtype)).index_add(0, out_pos, reshape(grad, (-1,)))
        return take(storage, Tensor._wrap(_positions(xp, in_shape, in_stride, in_offset)))


def _positions(xp, shape, strides, offset):
    """Storage position of every element of a strided view, in the view's shape."""
    pos = xp.full(tuple(shape), offset, dtype=np.int64)
    for k, (n, s) in enumerate(zip(shape, strides)):
        pos = pos + (xp.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (len(shape) - k - 1))
    return pos


def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """A view of input's memory with the given sizes and strides (in elements), starting `storage_offset`
    elements into the memory (default: where input starts)."""
    _check_tensor(input, "as_strided")
    size = int_tuple((tuple(size),), "as_strided", "size")
    stride = int_tuple((tuple(stride),), "as_strided", "stride")
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} strides for {len(size)} sizes")
    if any(s < 0 for s in stride) or any(s < 0 for s in size):
        raise RuntimeError(f"as_strided: negative sizes or strides are not supported, got size={list(size)}, "
                           f"stride={list(stride)}")
    root = _storage(input._data)
    if not root.flags.c_contiguous or root.dtype != input._data.dtype:
        raise RuntimeError("as_strided: the input's memory is not a plain contiguous buffer of its dtype; "
                           "call .contiguous() first")
    x_offset = input.storage_offset()
    offset = x_offset if storage_offset is None else operator.index(storage_offset)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else offset - 1
    if offset < 0 or last >= root.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset} "
                           f"require more memory than the {root.size} elements the storage holds")
    return AsStrided.apply(input, size=size, stride=stride, offset=offset, x_offset=x_offset)


TENSOR_METHODS = {"diagflat": diagflat, "select_scatter": select_scatter, "slice_scatter": slice_scatter,
                  "diagonal_scatter": diagonal_scatter, "narrow_copy": narrow_copy, "renorm": renorm,
                  "as_strided": as_strided}
INPLACE = {"renorm": renorm, "fill_diagonal": fill_diagonal}
