"""Indexing along one dim: index_select, index_add, index_copy, index_fill.

Each reads or writes whole slices `x[..., index[i], ...]` at positions `index` (a vector or a
0-d tensor) along `dim`. index_select and index_add are each other's adjoint (as gather and
scatter_add are), and index_fill zeroes the gradient where it wrote, so all are twice
differentiable. A 0-d input is handled as one of shape (1,).
"""
from __future__ import annotations

import numpy as np

from ..amp import policy as _amp
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor, _wrap_dim
from .arithmetic import sum_to_shape
from .index import (_FULL, _dtype_name, _fill_value, as_1d, check_bounds, index_array, reshape_small, ufunc_at,
                    zero_scalar, zeros_tensor)

__all__ = ["index_select", "index_add", "index_copy", "index_fill"]


def _dim_key(dim: int, idx) -> tuple:
    return (_FULL,) * dim + (idx,)


class IndexSelect(Function):
    """y = x taken at `index` along `dim`. Gradient: g index_add-ed into zeros of x's shape."""

    keep_inputs = False

    def forward(self, x, dim, index):
        self.in_shape, self.dim, self.index = x.shape, dim, index
        out = get_array_module(x).take(as_1d(x), as_1d(index), axis=dim)
        return out.reshape(()) if x.ndim == 0 else out

    def backward(self, grad):
        base = zeros_tensor(self.in_shape, grad._data)
        return IndexAdd.apply(base, grad, dim=self.dim, index=self.index, fresh=True)


class IndexAdd(Function):
    """y = x; y[..., index[i], ...] += alpha * src[..., i, ...] along `dim`. Gradients: g and alpha*g[index]."""

    keep_inputs = False

    def forward(self, x, src, dim, index, alpha=1, fresh=False):
        self.dim, self.index, self.alpha, self.src_shape = dim, index, alpha, src.shape
        out = x if fresh else x.copy()
        o, idx = as_1d(out), as_1d(index)
        vals = src.reshape(o.shape[:dim] + (idx.size,) + o.shape[dim + 1:])
        if alpha != 1:
            vals = (vals * alpha).astype(x.dtype, copy=False)
        ufunc_at("add", o, _dim_key(dim, idx), vals)
        return out

    def backward(self, grad):
        gx = grad if self.needs_input_grad[0] else None
        gs = None
        if self.needs_input_grad[1]:
            gs = IndexSelect.apply(grad, dim=self.dim, index=as_1d(self.index))
            gs = reshape_small(gs if self.alpha == 1 else gs * self.alpha, self.src_shape)
        return gx, gs


class IndexCopy(Function):
    """y = x; y[..., index[i], ...] = src[..., i, ...] along `dim`. Gradients: g zeroed at index, g[index]."""

    keep_inputs = False

    def forward(self, x, src, dim, index):
        self.dim, self.index, self.src_shape = dim, index, src.shape
        out = x.copy()
        o, idx = as_1d(out), as_1d(index)
        o[_dim_key(dim, idx)] = src.reshape(o.shape[:dim] + (idx.size,) + o.shape[dim + 1:])
        return out

    def backward(self, grad):
        gx = gs = None
        if self.needs_input_grad[0]:
            gx = IndexFill.apply(grad, zero_scalar(grad._data), dim=self.dim, index=self.index)
        if self.needs_input_grad[1]:
            gs = reshape_small(IndexSelect.apply(grad, dim=self.dim, index=as_1d(self.index)), self.src_shape)
        return gx, gs


class IndexFill(Function):
    """y = x with y[..., index, ...] = value along `dim` (value a 0-d tensor).

    Gradients: g zeroed at index for x; the sum of g over the filled positions for value.
    """

    keep_inputs = False

    def forward(self, x, value, dim, index):
        self.dim, self.index = dim, index
        out = x.copy()
        as_1d(out)[_dim_key(dim, as_1d(index))] = value
        return out

    def backward(self, grad):
        gx = gv = None
        if self.needs_input_grad[0]:
            gx = IndexFill.apply(grad, zero_scalar(grad._data), dim=self.dim, index=self.index)
        if self.needs_input_grad[1]:
            gv = sum_to_shape(IndexSelect.apply(grad, dim=self.dim, index=as_1d(self.index)), ())
        return gx, gv


def _dim_index(input: Tensor, dim: int, index, op: str, allowed, msg, vector_error, vector_msg,
               dtype_error=RuntimeError):
    d = _wrap_dim(dim, input._data.ndim, op)
    idx = index_array(index, op, input, allowed=allowed, error=dtype_error, msg=msg)
    if idx.ndim > 1:
        raise vector_error(vector_msg(idx))
    return d, idx


def _dim_size(input: Tensor, d: int) -> int:
    return input._data.shape[d] if input._data.ndim else 1


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """y = input taken at the positions `index` (a vector) along `dim`."""
    d, idx = _dim_index(input, dim, index, "index_select", (np.int64, np.int32),
                        "index_select(): Expected dtype int32 or int64 for index", IndexError,
                        lambda a: "index_select(): Index is supposed to be a vector")
    if input._data.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
    # PyTorch's 2-D, last-dim kernel raises RuntimeError; the general one IndexError.
    error = RuntimeError if input._data.ndim == 2 and d == 1 else IndexError
    check_bounds(idx, _dim_size(input, d), d, error, op="index_select(): ")
    return IndexSelect.apply(input, dim=d, index=idx)


def _check_source(input: Tensor, source: Tensor, d: int, idx, op: str, count_error=RuntimeError) -> None:
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' must be Tensor, not {type(source).__name__}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"{op}_(): self ({_dtype_name(input._data)}) and source ({_dtype_name(source._data)}) must "
                           f"have the same scalar type")
    xs, ss = input._data.shape, source._data.shape
    if op == "index_copy":  # PyTorch's index_copy checks scalars and ranks first, with IndexErrors
        if not ss and idx.size != 1:
            raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {idx.size}); "
                             f"self.shape = {list(xs)}")
        if ss and xs and len(ss) != len(xs):
            raise IndexError(f"index_copy_(): When source and destination are not scalars, their dimensionality must "
                             f"match. Source dimensionality ({len(ss)}), destination dimensionality ({len(xs)})")
    elif not ss and xs:  # PyTorch reads source.size(dim) of the 0-d source: dim 0 is an out-of-range dim
        if d > 0:
            raise RuntimeError(f"{op}_(): Indexing dim {d} is out of bounds of the source tensor with dim 0")
        if idx.size != 1:
            raise IndexError(f"{op}_(): Dimension specified as 0 but source tensor has no dimensions "
                             f"(self.shape = {list(xs)}, {idx.size} indices)")
    if len(xs) != len(ss) or any(a != b for i, (a, b) in enumerate(zip(xs, ss)) if i != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(input._data.shape)} source.shape = {list(source._data.shape)}")
    if (ss[d] if ss else 1) != idx.size:
        raise count_error(f"{op}_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({ss[d] if ss else 1}), "
                           f"for dim: {d}")


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """out = input; out[index[i]] += alpha * source[i] along `dim` (repeated indices add up)."""
    d, idx = _dim_index(input, dim, index, "index_add", (np.int64, np.int32),
                        "index_add_(): Expected dtype int32/int64 for index", IndexError,
                        lambda a: f"index_add_(): Index is supposed to be a vector, but got dim: {a.ndim} with type: "
                                  f"{_dtype_name(a)} and size: {list(a.shape)}")
    _check_source(input, source, d, idx, "index_add")
    check_bounds(idx, _dim_size(input, d), d, RuntimeError)
    return IndexAdd.apply(input, source, dim=d, index=idx, alpha=alpha)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """out = input; out[index[i]] = source[i] along `dim`."""
    if _amp.active[0]:
        input, source = _amp.cast_inputs("index_copy", input, source)
    d, idx = _dim_index(input, dim, index, "index_copy", (np.int64,),
                        f"index_copy_(): Expected a long tensor for index, but got "
                        f"{_dtype_name(index._data) if isinstance(index, Tensor) else ''}", IndexError,
                        lambda a: "index_copy_(): Index should have dimension 1 or 0 (got "
                                  f"{a.ndim})")
    _check_source(input, source, d, idx, "index_copy", count_error=IndexError)
    check_bounds(idx, _dim_size(input, d), d, IndexError, op="index_copy_(): ")
    return IndexCopy.apply(input, source, dim=d, index=idx)


def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """out = input with every position `index` along `dim` set to value (a number or 0-d tensor)."""
    d, idx = _dim_index(input, dim, index, "index_fill", (np.int64,), "index_fill_(): Expected dtype int64 for index.",
                        RuntimeError, lambda a: "Index has to be a vector/scalar", dtype_error=IndexError)
    value = _fill_value(value, input, "index_fill_")
    check_bounds(idx, _dim_size(input, d), d, IndexError, negative_ok=True)
    return IndexFill.apply(input, value, dim=d, index=idx % _dim_size(input, d) if idx.size else idx)
