"""Splitting and joining along a dim: narrow, split, chunk, tensor_split, unbind (views); cat, stack (copies).

The two directions are each other's gradient: the pieces of a split get their gradients
concatenated back, and a concatenation hands each input the matching slice of its gradient.
"""
from __future__ import annotations

import operator

from .. import _dtype as dt
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _can_cast_inplace
from .shape import _at1, _at2, _at3, dim_arg, int_tuple

__all__ = ["narrow", "split", "chunk", "tensor_split", "hsplit", "vsplit", "dsplit", "unbind", "cat", "concat",
           "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack", "column_stack"]


# -- views of pieces ----------------------------------------------------------------------------------------
class Narrow(Function):
    """y = x[start:start+length] along dim (a view). Gradient: g between zero blocks."""

    keep_inputs = False
    is_view = True

    def forward(self, x, dim, start, length):
        self.args = (x.shape[dim], dim, start, length)
        return x[(slice(None),) * dim + (slice(start, start + length),)]

    def backward(self, grad):
        size, dim, start, length = self.args
        if length == size:
            return grad
        xp, shape = get_array_module(grad._data), list(grad._data.shape)
        parts = []
        for n in (start, size - start - length):
            shape[dim] = n
            parts.append(Tensor._wrap(xp.zeros(shape, grad._data.dtype)))
        return Cat.apply(parts[0], grad, parts[1], dim=dim)


class Split(Function):
    """Consecutive pieces of x along dim, of the given sizes (views). Gradient: the pieces' gradients concatenated."""

    keep_inputs = False
    is_view = True

    def forward(self, x, dim, sizes):
        self.dim = dim
        lead = (slice(None),) * dim
        pieces, start = [], 0
        for s in sizes:
            pieces.append(x[lead + (slice(start, start + s),)])
            start += s
        return tuple(pieces)

    def backward(self, *grads):
        return Cat.apply(*grads, dim=self.dim)


class Unbind(Function):
    """The slices x[i] along dim (views). Gradient: the slices' gradients stacked."""

    keep_inputs = False
    is_view = True

    def forward(self, x, dim):
        self.dim = dim
        lead = (slice(None),) * dim
        return tuple(x[lead + (i,)] for i in range(x.shape[dim]))

    def backward(self, *grads):
        return Stack.apply(*grads, dim=self.dim)


def _split_dim(input: Tensor, dim, op: str) -> int:
    if input._data.ndim == 0:
        raise RuntimeError(f"{op} expects at least a 1-dimensional tensor")
    return dim_arg(dim, input._data.ndim, op)


def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """The view x[start:start+length] along `dim` (a negative start counts from the end)."""
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = dim_arg(dim, nd, "narrow")
    size = input._data.shape[d]
    start, length = operator.index(start), operator.index(length)
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative (got {length}).")
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start out of range (expected to be in range of [{-size}, {size}], but got "
                         f"{start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return Narrow.apply(input, dim=d, start=start, length=length)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Views of consecutive pieces along `dim`, each of size `split_size` (the last may be smaller) or of the
    listed sizes."""
    d = _split_dim(tensor, dim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = int_tuple((split_size_or_sections,), "split", "split_size")
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={list(sizes)}")
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={list(sizes)}")
    else:
        size = operator.index(split_size_or_sections)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        if size == 0 and n != 0:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        count = max(-(-n // size), 1) if size else 1
        sizes = (size,) * (count - 1) + (n - size * (count - 1),)
    return Split.apply(tensor, dim=d, sizes=sizes)


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    return split(input, list(split_sizes), dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into `chunks` pieces of size ceil(n / chunks) (fewer when they run out), as views."""
    d = _split_dim(input, dim, "chunk")
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.shape[d]
    size = -(-n // chunks)
    if size == 0:  # an empty dim gives `chunks` empty pieces
        return Split.apply(input, dim=d, sizes=(0,) * chunks)
    return split(input, size, d)


def tensor_split(input: Tensor, indices_or_sections=None, dim: int = 0, *, sections=None, indices=None,
                 tensor_indices_or_sections=None) -> tuple:
    """Split into n near-equal views (the first n % size get one more) or at the given indices (Python slicing).

    The keyword forms are PyTorch's overloads: `sections=`, `indices=`, `tensor_indices_or_sections=`.
    """
    for alt in (sections, indices, tensor_indices_or_sections):
        if alt is not None:
            indices_or_sections = alt
    if indices_or_sections is None:
        raise TypeError("tensor_split() missing required argument 'indices_or_sections'")
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = dim_arg(dim, input._data.ndim, "tensor_split")
    n = input._data.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor) and ios._data.ndim == 0 or isinstance(ios, int):
        sections = operator.index(ios)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        small, extra = divmod(n, sections)
        return Split.apply(input, dim=d, sizes=tuple(small + (i < extra) for i in range(sections)))
    if isinstance(ios, Tensor):
        ios = ios.tolist()
    indices = int_tuple((list(ios),), "tensor_split", "indices")
    pieces, prev = [], 0
    for i in indices + (None,):
        start, stop, _ = slice(prev, i).indices(n)
        pieces.append(Narrow.apply(input, dim=d, start=start, length=max(stop - start, 0)))
        prev = i
    return tuple(pieces)


def _split_along(input: Tensor, ios, dim: int, need: int, op: str) -> tuple:
    nd = input._data.ndim
    if nd < need:
        raise RuntimeError(f"torch.{op} requires a tensor with at least {need} dimension, but got a tensor with {nd} "
                           f"dimensions!")
    if isinstance(ios, int) and ios != 0 and input._data.shape[dim] % ios:
        raise RuntimeError(f"torch.{op} attempted to split along dimension {dim}, but the size of the dimension "
                           f"{input._data.shape[dim]} is not divisible by the split_size {ios}!")
    return tensor_split(input, ios, dim)


def hsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_along(input, indices_or_sections, 0 if input._data.ndim == 1 else 1, 1, "hsplit")


def vsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_along(input, indices_or_sections, 0, 2, "vsplit")


def dsplit(input: Tensor, indices_or_sections) -> tuple:
    return _split_along(input, indices_or_sections, 2, 3, "dsplit")


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices along `dim` as a tuple of views (each without that dim)."""
    if input._data.ndim == 0:
        raise IndexError(f"unbind: Dimension specified as {dim} but tensor has no dimensions")
    return Unbind.apply(input, dim=dim_arg(dim, input._data.ndim, "unbind"))


# -- joining ---------------------------------------------------------------------------------------------------
class Cat(Function):
    """y = the inputs joined along dim. Gradient: each input's slice of g (one Split node)."""

    keep_inputs = False

    def forward(self, *xs, dim):
        self.dim, self.sizes = dim, tuple(x.shape[dim] for x in xs)
        return get_array_module(*xs).concatenate(xs, axis=dim)

    def backward(self, grad):
        if len(self.sizes) == 1:
            return grad
        pieces = Split.apply(grad, dim=self.dim, sizes=self.sizes)
        return tuple(p if need else None for p, need in zip(pieces, self.needs_input_grad))


class Stack(Function):
    """y = the inputs (all of one shape) stacked along a new dim. Gradient: g unbound along it."""

    keep_inputs = False

    def forward(self, *xs, dim):
        self.dim = dim
        return get_array_module(*xs).stack(xs, axis=dim)

    def backward(self, grad):
        pieces = Unbind.apply(grad, dim=self.dim)
        return tuple(p if need else None for p, need in zip(pieces, self.needs_input_grad))


def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): expected Tensor as element {i} in argument 0, but got {type(x).__name__}")
    return tensors


def _promoted(tensors: list, op: str, among: list | None = None) -> list:
    """`tensors` in the common dtype of `among` (default: themselves; PyTorch's promotion), on one device."""
    among = tensors if among is None else among
    first = among[0]._data
    dtype = first.dtype
    same = True
    for x in among:
        if x._data.dtype != dtype:
            same = False
        if type(x._data) is not type(first):
            raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found at least two devices, "
                               f"{among[0].device} and {x.device}!")
    if same:
        return tensors
    target = dt.from_numpy_dtype(dtype)
    for x in among:
        target = dt.promote_types(target, x.dtype)
    return [x if x._data.dtype == target.np else x.to(target) for x in tensors]


def _into(out: Tensor, result: Tensor, op: str) -> Tensor:
    """PyTorch's `out=`: the result written into `out` (resized when its shape differs); not differentiable."""
    if result._requires_grad:
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic differentiation, but "
                           f"one of the arguments requires grad.")
    if not _can_cast_inplace(result._data.dtype, out._data.dtype):
        raise RuntimeError(f"{op}: result type {result.dtype.name} can't be cast to the desired output type "
                           f"{out.dtype.name}")
    data = result._data.astype(out._data.dtype, copy=False)
    if out._data.shape == data.shape:
        out._data[...] = data
    else:
        out._data = data
    out._vc[0] += 1
    return out


def cat(tensors, dim: int = 0, *, axis: int | None = None, out: Tensor | None = None) -> Tensor:
    """Join tensors along an existing dim (dtypes promoted; 1-D tensors of shape (0,) are skipped, as in PyTorch)."""
    if axis is not None:
        dim = axis
    result = _cat(tensors, dim)
    return result if out is None else _into(out, result, "cat")


def _cat(tensors, dim) -> Tensor:
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if x._data.ndim == 0:
            raise RuntimeError(f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [(i, x) for i, x in enumerate(tensors) if x._data.shape != (0,)]
    if not kept:
        return Cat.apply(*_promoted(tensors[:1], "cat", tensors), dim=0)
    ref = kept[0][1]._data.shape
    nd = len(ref)
    d = dim_arg(dim, nd, "cat")
    for i, x in kept:
        shape = x._data.shape
        if len(shape) != nd:
            raise RuntimeError(f"cat: Tensors must have same number of dimensions: got {nd} and {len(shape)}")
        for k in range(nd):
            if k != d and shape[k] != ref[k]:
                raise RuntimeError(f"cat: Sizes of tensors must match except in dimension {d}. Expected size {ref[k]} "
                                   f"but got size {shape[k]} for tensor number {i} in the list.")
    return Cat.apply(*_promoted([x for _, x in kept], "cat", tensors), dim=d)


concat = cat


def concatenate(tensors, axis: int = 0, *, dim: int | None = None, out: Tensor | None = None) -> Tensor:
    return cat(tensors, axis if dim is None else dim, out=out)


def stack(tensors, dim: int = 0, *, out: Tensor | None = None) -> Tensor:
    """Join tensors of one shape along a new dim at `dim` (in [-ndim-1, ndim])."""
    result = _stack(tensors, dim)
    return result if out is None else _into(out, result, "stack")


def _stack(tensors, dim) -> Tensor:
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 and "
                               f"{list(x._data.shape)} at entry {i}")
    d = dim_arg(dim, len(ref) + 1, "stack")
    return Stack.apply(*_promoted(tensors, "stack"), dim=d)


def _stack_like(tensors, op: str, view, dim_for):
    tensors = _tensor_list(tensors, op)
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    tensors = [view(x) for x in tensors]
    return cat(tensors, dim_for(tensors[0]))


def hstack(tensors) -> Tensor:
    """Concatenate column-wise: along dim 1, or dim 0 for 1-D inputs (0-d inputs count as 1-D)."""
    return _stack_like(tensors, "hstack", _at1, lambda x: 0 if x._data.ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Concatenate row-wise, 1-D inputs becoming rows."""
    return _stack_like(tensors, "vstack", _at2, lambda x: 0)


row_stack = vstack


def dstack(tensors) -> Tensor:
    """Concatenate depth-wise (dim 2), after viewing each input as at least 3-D."""
    return _stack_like(tensors, "dstack", _at3, lambda x: 2)


def column_stack(tensors) -> Tensor:
    """Concatenate along dim 1, with 0-d and 1-D inputs as columns."""
    from .shape import reshape

    def as_column(x):
        return reshape(x, (x._data.size, 1)) if x._data.ndim <= 1 else x

    return _stack_like(tensors, "column_stack", as_column, lambda x: 1)


def _split_method(self, split_size, dim: int = 0) -> tuple:
    return split(self, split_size, dim)


TENSOR_METHODS = {
    "narrow": narrow, "split": _split_method, "split_with_sizes": split_with_sizes, "chunk": chunk,
    "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit, "dsplit": dsplit, "unbind": unbind,
}
