"""Scans along one dim: cumsum, cumprod, cummax, cummin (re-exported by reduce.py).

cumprod's gradient is exact with zeros in the input (one or several), and differentiable again:
without zeros it is revcumsum(g*y)/x; with zeros, first-order backward uses PyTorch's O(n)
masked formula on arrays, and create_graph builds prod_{i<=j, i!=k} x_i from Tensor ops.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as dt
from ..amp import policy as _amp
from ..autograd.function import Function
from ..backend import get_array_module
from ..tensor import Tensor
from ._reduce_common import (Sum, _Gather, const, expand_reduced, grad_mode_on, masked_fill, numpy_aliases,
                             return_types, running_max, single_axis)

__all__ = ["cumsum", "cumprod", "cummax", "cummin"]


def _flip(xp, a, axis):
    return xp.flip(a, axis=axis)


class Cumsum(Function):
    """y_i = sum_{j<=i} x_j along `axis` (reverse: sum_{j>=i}). Gradient: the cumsum of g the other way."""

    keep_inputs = False

    def forward(self, x, axis, reverse=False, dtype=None):
        self.axis, self.reverse = axis, reverse
        if x.ndim == 0:
            return x.astype(dtype) if dtype is not None else x.copy()
        xp = get_array_module(x)
        if reverse:
            return _flip(xp, xp.cumsum(_flip(xp, x, axis), axis=axis, dtype=dtype), axis)
        return xp.cumsum(x, axis=axis, dtype=dtype)

    def backward(self, grad):
        return Cumsum.apply(grad, axis=self.axis, reverse=not self.reverse)


def _cumprod_grad_array(g, a, y, axis: int):
    """d/dx of sum(g * cumprod(x)) for x with zeros, on arrays (PyTorch's O(n) masked formula).

    With z1 the first zero of a slice: k < z1 gets revcumsum(g*y)_k / x_k; k = z1 gets
    prod(x[:z1]) * sum_{z1<=j<z2} g_j prod_{z1<i<=j} x_i (z2 the next zero); k > z1 gets 0.
    """
    xp = get_array_module(a)
    zero = a == 0
    seen = xp.cumsum(zero, axis=axis)
    before = seen == 0
    w = xp.where(before, y * g, 0)
    out = xp.where(before, _flip(xp, xp.cumsum(_flip(xp, w, axis), axis=axis), axis) / xp.where(before, a, 1), 0)
    first = zero & (seen == 1)
    between = (seen == 1) & ~first
    tail = xp.cumprod(xp.where(between, a, 1), axis=axis)
    at_first = (xp.where(seen == 1, g, 0) * tail).sum(axis=axis, keepdims=True)
    head = xp.where(before, a, 1).prod(axis=axis, keepdims=True)
    return xp.where(first, at_first * head, out).astype(a.dtype, copy=False)


def _cumprod_grad_graph(grad: Tensor, x: Tensor, axis: int) -> Tensor:
    """The same gradient from Tensor ops, exact at any order: sum_{j>=k} g_j prod_{i<=j, i!=k} x_i.

    A new axis k goes in front of `axis`; x with x_k replaced by 1 is cumprod'ed over i, so
    c[k, j] = prod_{i<=j, i!=k} x_i; terms with j < k are dropped and the rest summed over j.
    O(n^2) memory per slice: used only when building the graph of a gradient with zeros in x.
    """
    shape = x._data.shape
    n = shape[axis]
    big = shape[:axis] + (n,) + shape[axis:]
    xp = get_array_module(x._data)
    square = (1,) * axis + (n, n) + (1,) * (len(shape) - axis - 1)
    eye = xp.eye(n, dtype=bool).reshape(square)
    below = xp.tri(n, k=-1, dtype=bool).reshape(square)  # j < k
    c = Cumprod.apply(masked_fill(expand_reduced(x, big, (axis,), False), eye, 1.0), axis=axis + 1)
    terms = masked_fill(expand_reduced(grad, big, (axis,), False) * c, below, 0.0)
    return Sum.apply(terms, axes=(axis + 1,), keepdim=False)


class Cumprod(Function):
    """y_i = prod_{j<=i} x_j along `axis`. Gradient: sum_{j>=k} g_j prod_{i<=j, i!=k} x_i (exact with zeros)."""

    save_output = True

    def forward(self, x, axis, dtype=None):
        self.axis = axis
        if x.ndim == 0:
            return x.astype(dtype) if dtype is not None else x.copy()
        return get_array_module(x).cumprod(x, axis=axis, dtype=dtype)

    def backward(self, grad):
        (x,) = self.inputs
        a, axis = x._data, self.axis
        if a.ndim == 0 or a.shape[axis] <= 1:
            return grad
        if not (a == 0).any():
            return Cumsum.apply(grad * self.output(), axis=axis, reverse=True) / x
        if not grad_mode_on():
            return const(_cumprod_grad_array(grad._data, a, self.output()._data, axis))
        return _cumprod_grad_graph(grad, x, axis)


def _scan_input(input: Tensor, dim, dtype, op: str):
    axis = single_axis(dim, input._data.ndim, op)
    if dtype is not None:
        d = dt.to_dtype(dtype)
        return input.to(d), axis, (None if d.is_floating_point else d.np)
    return input, axis, (np.int64 if input._data.dtype.kind in "biu" else None)


@numpy_aliases
def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along `dim` (bool/int -> int64; `dtype` casts the input first). Gradient: reversed cumsum of g."""
    if _amp.active[0] and dtype is None:
        input = _amp.cast_input("cumsum", input)
    input, axis, acc = _scan_input(input, dim, dtype, "cumsum")
    return Cumsum.apply(input, axis=axis, dtype=acc)


@numpy_aliases
def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along `dim` (bool/int -> int64). Gradient exact with zeros in the input."""
    if _amp.active[0] and dtype is None:
        input = _amp.cast_input("cumprod", input)
    input, axis, acc = _scan_input(input, dim, dtype, "cumprod")
    return Cumprod.apply(input, axis=axis, dtype=acc)


class Cummax(_Gather):
    pass


class Cummin(_Gather):
    pass


def _cum_extreme(input: Tensor, dim, is_max: bool):
    """(running max/min, index of the latest element equal to it), as PyTorch (ties and nan take the later index)."""
    a = input._data
    op = "cummax" if is_max else "cummin"
    axis = single_axis(dim, a.ndim, op)
    xp = get_array_module(a)
    if a.ndim == 0:
        index = xp.zeros((), np.int64)
    else:
        n = a.shape[axis]
        running = running_max(a, axis, minimum=not is_max) if a.size else a
        hit = a == running
        if a.dtype.kind in "fV":
            hit |= xp.isnan(a)
        pos = xp.arange(n, dtype=np.int64).reshape((1,) * axis + (n,) + (1,) * (a.ndim - axis - 1))
        index = running_max(xp.where(hit, pos, 0), axis) if a.size else xp.zeros(a.shape, np.int64)
    values = (Cummax if is_max else Cummin).apply(input, index=index, axis=axis, keepdim=True)
    return getattr(return_types, op)(values, Tensor._wrap(index))


@numpy_aliases
def cummax(input: Tensor, dim: int):
    """(values, indices) of the running maximum along `dim`. Gradient: to the element each value came from."""
    return _cum_extreme(input, dim, True)


@numpy_aliases
def cummin(input: Tensor, dim: int):
    """(values, indices) of the running minimum along `dim`. Gradient: to the element each value came from."""
    return _cum_extreme(input, dim, False)
