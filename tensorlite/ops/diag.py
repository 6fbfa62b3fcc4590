"""The diagonal family: diagonal (a writable view), diag, diag_embed, trace, tril, triu.

`Diagonal` and `DiagonalScatter` are each other's gradient: reading the diagonal of a tensor
and writing a tensor onto the diagonal of zeros. diag_embed, diag of a vector and the
gradient of trace are all DiagonalScatter; diag of a matrix is a copy of the diagonal view.
"""
from __future__ import annotations

import operator

import numpy as np

from ..amp import policy as _amp
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from .convert import clone
from .shape import dim_arg, expand

__all__ = ["diagonal", "diag", "diag_embed", "trace", "tril", "triu"]

_ndarray = np.ndarray


def diagonal_view(x, offset: int, dim1: int, dim2: int):
    """The (offset, dim1, dim2) diagonal of array x as a writable view, diagonal last (PyTorch's layout).

    NumPy hands diagonals out read-only; PyTorch's are writable (`x.diagonal().zero_()`), so the
    flag is lifted whenever x itself is writable.
    """
    d = x.diagonal(offset, dim1, dim2)
    if type(d) is _ndarray and not d.flags.writeable and x.flags.writeable:
        d.flags.writeable = True
    return d


class Diagonal(Function):
    """y = the offset-th diagonal over dims (dim1, dim2), appended as the last dim (a view).

    Gradient: g written onto that diagonal of a zero tensor of x's shape.
    """

    keep_inputs = False
    is_view = True

    def forward(self, x, offset, dim1, dim2):
        self.args = (x.shape, offset, dim1, dim2)
        return diagonal_view(x, offset, dim1, dim2)

    def backward(self, grad):
        shape, offset, dim1, dim2 = self.args
        return DiagonalScatter.apply(grad, shape=shape, offset=offset, dim1=dim1, dim2=dim2)


class DiagonalScatter(Function):
    """y = zeros(shape) with g on its (offset, dim1, dim2) diagonal. Gradient: that diagonal of the gradient."""

    keep_inputs = False

    def forward(self, g, shape, offset, dim1, dim2):
        self.args = (offset, dim1, dim2)
        out = get_array_module(g).zeros(shape, g.dtype)
        diagonal_view(out, offset, dim1, dim2)[...] = g
        return out

    def backward(self, grad):
        return Diagonal.apply(grad, offset=self.args[0], dim1=self.args[1], dim2=self.args[2])


def _diag_dims(ndim: int, dim1, dim2, op: str) -> tuple:
    d1, d2 = dim_arg(dim1, ndim, op, "dim1"), dim_arg(dim2, ndim, op, "dim2")
    if d1 == d2:
        raise RuntimeError(f"{op}: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The offset-th diagonal w.r.t. dims dim1, dim2, as the last dim of a writable view."""
    d1, d2 = _diag_dims(input._data.ndim, dim1, dim2, "diagonal")
    return Diagonal.apply(input, offset=operator.index(offset), dim1=d1, dim2=d2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Place the last dim of `input` on the offset-th diagonal of new dims (dim1, dim2); zeros elsewhere."""
    shape = input._data.shape
    d1, d2 = _diag_dims(len(shape) + 1, dim1, dim2, "diag_embed")
    offset = operator.index(offset)
    n = shape[-1] + abs(offset)
    rest = iter(shape[:-1])
    out_shape = tuple(n if i in (d1, d2) else next(rest) for i in range(len(shape) + 1))
    return DiagonalScatter.apply(input, shape=out_shape, offset=offset, dim1=d1, dim2=d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D: the square matrix with `input` on the given diagonal. 2-D: that diagonal, copied."""
    nd = input._data.ndim
    k = operator.index(diagonal)
    if nd == 1:
        n = input._data.shape[0] + abs(k)
        return DiagonalScatter.apply(input, shape=(n, n), offset=k, dim1=0, dim2=1)
    if nd == 2:
        return clone(Diagonal.apply(input, offset=k, dim1=0, dim2=1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


class Trace(Function):
    """y = sum of the main diagonal of a matrix (int64 for integer input). Gradient: g on the diagonal."""

    keep_inputs = False

    def forward(self, x):
        self.shape = x.shape
        return x.trace(dtype=np.int64 if x.dtype.kind in "iu" else None)

    def backward(self, grad):
        n = min(self.shape)
        return DiagonalScatter.apply(expand(grad, n), shape=self.shape, offset=0, dim1=0, dim2=1)


def trace(input: Tensor) -> Tensor:
    if _amp.active[0]:
        input = _amp.cast_input("trace", input)
    nd = input._data.ndim
    if nd != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {nd}")
    if input._data.dtype == np.bool_:
        raise NotImplementedError('"trace" not implemented for \'Bool\'')
    return Trace.apply(input)


class Tri(Function):
    """tril/triu: keep the elements on and below (above) the k-th diagonal of the last two dims, zero the rest.

    Gradient: the same mask applied to g.
    """

    keep_inputs = False

    def forward(self, x, k, upper):
        self.k, self.upper = k, upper
        xp = get_array_module(x)
        return xp.triu(x, k) if upper else xp.tril(x, k)

    def backward(self, grad):
        return Tri.apply(grad, k=self.k, upper=self.upper)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Lower triangle of the last two dims (elements with col - row <= diagonal); zeros elsewhere."""
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return Tri.apply(input, k=operator.index(diagonal), upper=False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Upper triangle of the last two dims (elements with col - row >= diagonal); zeros elsewhere."""
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return Tri.apply(input, k=operator.index(diagonal), upper=True)


TENSOR_METHODS = {"diagonal": diagonal, "diag": diag, "diag_embed": diag_embed, "trace": trace, "tril": tril,
                  "triu": triu}
INPLACE = {"tril": tril, "triu": triu}
