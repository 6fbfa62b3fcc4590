"""More rearrangements, built from the view and indexing ops: select, unfold, rot90, repeat_interleave,
diff, meshgrid, cartesian_prod, sum_to_size.

All but `unfold` are compositions of existing differentiable ops (getitem, flip, transpose,
index_select, narrow, expand), so their gradients come from those ops.
"""
from __future__ import annotations

import operator

import numpy as np

from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._pointwise import check_tensor as _check_tensor
from .arithmetic import sum_to_shape
from .join import cat, narrow, stack
from .shape import dim_arg, expand, int_tuple, reshape, transpose

__all__ = ["select", "rot90", "repeat_interleave", "diff", "meshgrid", "cartesian_prod"]

_FULL = slice(None)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The view x[..., index, ...] with `index` taken along `dim` (that dim is removed)."""
    _check_tensor(input, "select")
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = dim_arg(dim, nd, "select")
    i, size = operator.index(index), input._data.shape[d]
    if not -size <= i < size:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {d}")
    return input[(_FULL,) * d + (i,)]


class Unfold(Function):
    """y[..., w, ..., k] = x[..., w*step + k, ...]: the windows of `size` along `dim`, every `step` (a view).

    Gradient: each window's gradient added back where it was read (index_add along dim).
    """

    keep_inputs = False
    is_view = True

    def forward(self, x, dim, size, step):
        self.args = (x.shape, dim, size, step)
        if x.ndim == 0:  # a 0-d tensor is one window of its single element
            shape, strides = (size,), (0,)
        else:
            n = (x.shape[dim] - size) // step + 1
            shape = x.shape[:dim] + (n,) + x.shape[dim + 1:] + (size,)
            st = x.strides
            strides = st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],)
        xp = get_array_module(x)
        if xp is np:  # overlapping windows: read-only, so an in-place write cannot hit one element twice
            return np.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)
        return xp.lib.stride_tricks.as_strided(x, shape, strides)

    def backward(self, grad):
        from .index import index_add

        in_shape, dim, size, step = self.args
        if not in_shape:
            return reshape(grad, ())
        xp = get_array_module(grad._data)
        n = grad._data.shape[dim]
        where = (xp.arange(n)[:, None] * step + xp.arange(size)[None, :]).reshape(-1)
        g = grad.movedim(-1, dim + 1).flatten(dim, dim + 1)
        zeros = Tensor._wrap(xp.zeros(in_shape, grad._data.dtype))
        return index_add(zeros, dim, Tensor._wrap(where), g)


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All windows of `size` elements along `dimension`, `step` apart, as a new last dim (a view)."""
    nd = input._data.ndim
    d = dim_arg(dimension, nd, "unfold")
    size, step = operator.index(size), operator.index(step)
    length = input._data.shape[d] if nd else 1
    if size > length:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {length} but size is {size}")
    if size < 0:
        raise RuntimeError(f"unfold: size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    return Unfold.apply(input, dim=d, size=size, step=step)


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane of `dims`, from dims[0] towards dims[1]."""
    _check_tensor(input, "rot90")
    dims = int_tuple((dims,), "rot90", "dims")
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = dim_arg(dims[0], nd, "rot90"), dim_arg(dims[1], nd, "rot90")
    if d0 == d1:
        raise RuntimeError(f"rot90: expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k = operator.index(k) % 4
    if k == 1:
        return transpose(input.flip(d1), d0, d1)
    if k == 2:
        return input.flip(d0, d1)
    if k == 3:
        return transpose(input.flip(d0), d0, d1)
    return input.clone()


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *, output_size: int | None = None) -> Tensor:
    """Repeat each element `repeats` times (an int, or one count per element along `dim`).

    With dim=None the input is flattened first. `repeat_interleave(counts)` alone gives
    [0]*counts[0] + [1]*counts[1] + ...
    """
    _check_tensor(input, "repeat_interleave")
    if repeats is None:  # the one-argument form: input holds the counts
        counts = input
        if counts._data.ndim > 1 or counts._data.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be a 0-d or 1-d integer tensor, got shape "
                               f"{list(counts.shape)} and dtype {counts.dtype}")
        xp = get_array_module(counts._data)
        c = counts._data.reshape(-1)
        if (c < 0).any():
            raise RuntimeError("repeat_interleave: repeats must be non-negative")
        return Tensor._wrap(xp.repeat(xp.arange(c.shape[0], dtype=c.dtype), c))
    if dim is None:
        input, d = reshape(input, (-1,)), 0
    else:
        d = dim_arg(dim, input._data.ndim, "repeat_interleave")
    n = input._data.shape[d] if input._data.ndim else 1
    xp = get_array_module(input._data)
    if isinstance(repeats, Tensor):
        if repeats._data.ndim > 1:
            raise RuntimeError(f"repeat_interleave: repeats must be 0-dim or 1-dim tensor, got shape "
                               f"{list(repeats.shape)}")
        reps = repeats._data.reshape(-1)
        if reps.shape[0] == 1:
            reps = reps[0]
        elif reps.shape[0] != n:
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {reps.shape[0]} and input.size({d}) = {n}")
    else:
        reps = operator.index(repeats)
    reps = xp.asarray(reps)
    if (reps < 0).any():
        raise RuntimeError("repeat_interleave: Repeats must be non-negative")
    where = xp.repeat(xp.arange(n), reps)
    if output_size is not None and where.shape[0] != output_size:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} does not match the total repeats "
                           f"{where.shape[0]}")
    if input._data.ndim == 0:
        input = reshape(input, (1,))
    return input.index_select(d, Tensor._wrap(where))


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference x[i+1] - x[i] along `dim` (bool: x[i+1] != x[i]), after joining prepend/append."""
    _check_tensor(input, "diff")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = dim_arg(dim, nd, "diff")
    parts = []
    for extra in (prepend, append):
        if extra is not None and not isinstance(extra, Tensor):
            extra = Tensor._wrap(get_array_module(input._data).asarray(extra, dtype=input._data.dtype))
        if extra is not None and extra._data.ndim != nd:
            raise RuntimeError(f"diff expects prepend or append to be the same dimension as input (input has "
                               f"{nd} dims, got one of {extra._data.ndim})")
        parts.append(extra)
    x = cat([t for t in (parts[0], input, parts[1]) if t is not None], d) if prepend is not None or \
        append is not None else input
    for _ in range(operator.index(n)):
        m = x._data.shape[d]
        if m == 0:
            break
        hi, lo = narrow(x, d, 1, m - 1), narrow(x, d, 0, m - 1)
        x = hi != lo if x._data.dtype.kind == "b" else hi - lo
    return x


def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids: output i holds tensors[i] varying along dim i ("ij") or with the first two swapped ("xy")."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"meshgrid: indexing must be one of 'xy' or 'ij', got {indexing!r}")
    for t in tensors:
        _check_tensor(t, "meshgrid", "tensors")
        if t._data.ndim > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but got a tensor of shape "
                               f"{list(t.shape)}")
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"meshgrid expects all tensors to have the same dtype, got {tensors[0].dtype} and "
                               f"{t.dtype}")
    swap = indexing == "xy" and len(tensors) >= 2
    order = [1, 0] + list(range(2, len(tensors))) if swap else list(range(len(tensors)))
    ts = [tensors[i] for i in order]
    shape = tuple(t.numel() for t in ts)
    grids = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = -1
        grids.append(expand(reshape(t, tuple(view)), shape))
    if swap:  # the grids of the swapped inputs, handed back in the callers' order
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-d tensor, as rows (itertools.product order)."""
    for t in tensors:
        _check_tensor(t, "cartesian_prod", "tensors")
        if t._data.ndim != 1:
            raise RuntimeError(f"cartesian_prod: Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def sum_to_size(input: Tensor, *size) -> Tensor:
    """Sum this tensor down to `size`, which it must be expandable from (the inverse of expand)."""
    shape = int_tuple(size, "sum_to_size")
    src = input._data.shape
    ok = len(shape) <= len(src) and all(s == 1 or s == n for s, n in zip(reversed(shape), reversed(src)))
    if not ok:
        raise RuntimeError(f"sum_to_size: size {list(shape)} is not expandable to size {list(src)}.")
    return sum_to_shape(input, shape)


TENSOR_METHODS = {"select": select, "unfold": unfold, "rot90": rot90, "repeat_interleave": repeat_interleave,
                  "diff": diff, "sum_to_size": sum_to_size}
