"""Numerical odds and ends of PyTorch's top level: the signal windows (hann, hamming, blackman, bartlett,
kaiser), histogram/histogramdd, gradient (finite differences, differentiable), binomial sampling and the
legacy nuclear_norm/frobenius_norm.
"""
from __future__ import annotations

import builtins
import math
import numbers
import operator

import numpy as np

from .. import _dtype as dt
from ..backend.device import get_array_module
from ..tensor import Tensor
from ._reduce_common import _named
from .join import cat
from .shape import dim_arg

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window", "histogram",
           "histogramdd", "gradient", "binomial", "nuclear_norm", "frobenius_norm"]


HistogramResult = _named("histogram", "hist bin_edges")
HistogramddResult = _named("histogramdd", "hist bin_edges")


# -- windows ---------------------------------------------------------------------------------------------------
def _window(name: str, window_length: int, periodic: bool, dtype, device, requires_grad: bool, values) -> Tensor:
    """values(k, n) (float64, k = 0..n-1) for a symmetric window of n points; a periodic window of length L is
    the symmetric one of L + 1 points without its last point."""
    from ..creation import _place

    if isinstance(window_length, bool) or not isinstance(window_length, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    d = dt.to_dtype(dtype) if dtype is not None else dt.get_default_dtype()
    if not d.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {d}")
    if window_length <= 1:
        w = np.ones(window_length)
    else:
        n = window_length + 1 if periodic else window_length
        w = values(np.arange(n, dtype=np.float64), n)[:window_length]
    return _place(w.astype(d.np), device, requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                requires_grad: bool = False) -> Tensor:
    """w[k] = 0.5 - 0.5 cos(2 pi k / (N - 1))."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: 0.5 - 0.5 * np.cos(2 * math.pi * k / (n - 1)))


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """w[k] = alpha - beta cos(2 pi k / (N - 1))."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: alpha - beta * np.cos(2 * math.pi * k / (n - 1)))


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """w[k] = 0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: 0.42 - 0.5 * np.cos(2 * math.pi * k / (n - 1))
                   + 0.08 * np.cos(4 * math.pi * k / (n - 1)))


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """w[k] = 1 - |2k / (N - 1) - 1| (a triangle)."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: 1 - np.abs(2 * k / (n - 1) - 1))


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, requires_grad: bool = False) -> Tensor:
    """w[k] = I0(beta sqrt(1 - (2k / (N - 1) - 1)^2)) / I0(beta), I0 the modified Bessel function of order 0."""
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: np.i0(beta * np.sqrt(np.clip(1 - (2 * k / (n - 1) - 1) ** 2, 0, None))) / np.i0(beta))


# -- histograms ------------------------------------------------------------------------------------------------
def _float_input(input: Tensor, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input._data.dtype.kind not in "fV":
        raise NotImplementedError(f'"histogramdd" not implemented for \'{input.dtype.name}\' ({op} needs a '
                                  f'floating point input)')


def _edges(x, d: int, bins, range_, xp, dtype):
    """The bin edges along dimension d: given as a tensor, or `bins` equal bins over range_ (or the data's span)."""
    if isinstance(bins, Tensor):
        if bins._data.ndim != 1:
            raise RuntimeError(f"torch.histogramdd: bins tensor should have one dimension, but got "
                               f"{bins._data.ndim} dimensions in the bins tensor for dimension {d}")
        if bins._data.dtype != dtype:
            raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the same dtype, but got "
                               f"input with dtype {dt.from_numpy_dtype(dtype).name} and bins for dimension {d} with "
                               f"dtype {bins.dtype.name}")
        if bins._data.size < 1:
            raise RuntimeError(f"torch.histogramdd: bins tensor should have at least 1 element, but got "
                               f"{bins._data.size} elements for dimension {d}")
        return bins._data
    n = operator.index(bins)
    if n <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {n} for dimension {d}")
    if range_ is not None:
        lo, hi = float(range_[2 * d]), float(range_[2 * d + 1])
    elif x.shape[0] == 0:
        lo, hi = 0.0, 1.0
    else:
        lo, hi = float(x[:, d].min()), float(x[:, d].max())
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for "
                           f"dimension {d}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension {d}'s range [{lo:g}, {hi:g}] is not finite")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return xp.asarray(np.linspace(lo, hi, n + 1).astype(dtype))


def histogramdd(input: Tensor, bins, *, range=None,  # noqa: A002 - PyTorch's name
                weight: Tensor | None = None, density: bool = False) -> tuple:
    """Counts (or summed weights) of the points input[..., :] (the last dim holds each point's D coordinates) in a
    D-dimensional grid of bins; a value on an interior edge falls in the bin to its right, the last edge belongs to
    the last bin. density=True divides by the total and by each bin's volume. Returns (hist, bin_edges)."""
    _float_input(input, "histogramdd")
    x = input._data
    if x.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    xp = get_array_module(x)
    D = x.shape[-1]
    pts = x.reshape(-1, D)
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        bins = [bins] * D
    bins = list(bins)
    if len(bins) != D:
        raise RuntimeError(f"torch.histogramdd: expected {D} sequences of bin edges for each of the {D} dimensions "
                           f"of the input tensor, but got {len(bins)}")
    if range is not None and len(range) != 2 * D:
        raise RuntimeError(f"torch.histogramdd: for a {D}-dimensional histogram range should have {2 * D} elements, "
                           f"but got {len(range)}")
    edges = [_edges(pts, d, bins[d], range, xp, x.dtype) for d in builtins.range(D)]
    w = None
    if weight is not None:
        if tuple(weight._data.shape) != x.shape[:-1]:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               f"input tensor excluding its innermost dimension, but got input with shape "
                               f"{list(x.shape)} and weight with shape {list(weight.shape)}")
        if weight._data.dtype != x.dtype:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, it should have the same dtype as the "
                               f"input tensor, but got input with dtype {input.dtype.name} and weight with dtype "
                               f"{weight.dtype.name}")
        w = weight._data.reshape(-1).astype(np.float64)
    counts = tuple(max(int(e.shape[0]) - 1, 0) for e in edges)
    keep = xp.ones(pts.shape[0], dtype=bool)
    flat = xp.zeros(pts.shape[0], dtype=np.int64)
    for d, e in enumerate(edges):
        v = pts[:, d]
        keep &= (v >= e[0]) & (v <= e[-1])  # NaN fails both
        pos = xp.clip(xp.searchsorted(e, v, side="right") - 1, 0, max(counts[d] - 1, 0))
        flat = flat * counts[d] + pos
    total = int(np.prod(counts))
    hist = xp.bincount(flat[keep], weights=None if w is None else w[keep], minlength=total) if total else \
        xp.zeros(0)
    hist = hist.astype(np.float64).reshape(counts)
    if density:
        with np.errstate(invalid="ignore", divide="ignore"):
            hist = hist / hist.sum()
            for d, e in enumerate(edges):
                shape = [1] * D
                shape[d] = -1
                hist = hist / xp.diff(e.astype(np.float64)).reshape(shape)
    out_edges = tuple(Tensor._wrap(e.copy() if isinstance(b, Tensor) else e) for e, b in zip(edges, bins))
    return HistogramddResult(Tensor._wrap(hist.astype(x.dtype)), out_edges)



def histogram(input: Tensor, bins, *, range=None,  # noqa: A002 - PyTorch's name
              weight: Tensor | None = None, density: bool = False) -> tuple:
    """(hist, bin_edges) of the flattened input: `bins` equal bins over `range` (default: the data's min and max)
    or the given edges (a 1-D tensor); weights and density as in histogramdd."""
    _float_input(input, "histogram")
    if range is not None and len(range) != 2:
        raise RuntimeError(f"torch.histogram: range should have 2 elements, but got {len(range)}")
    pts = input.reshape(-1, 1)
    if weight is not None:
        if not isinstance(weight, Tensor):
            raise TypeError(f"histogram(): argument 'weight' must be Tensor, not {type(weight).__name__}")
        if weight._data.shape != input._data.shape:
            raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have the same shape as the "
                               f"input tensor excluding its innermost dimension, but got input with shape "
                               f"{list(pts.shape)} and weight with shape {list(weight.shape)}")
        weight = weight.reshape(-1)
    hist, edges = histogramdd(pts, [bins], range=range, weight=weight, density=density)
    return HistogramResult(hist, edges[0])


# -- gradient ---------------------------------------------------------------------------------------------------
def _spacing_list(spacing, dims: list, dim_given: bool, nd: int) -> list:
    """One entry per dim: a number (uniform spacing) or a 1-D tensor of coordinates."""
    if isinstance(spacing, Tensor) and spacing._data.ndim == 0:
        spacing = spacing.item()
    if isinstance(spacing, numbers.Number):
        return [spacing] * len(dims)
    spacing = list(spacing)
    if len(spacing) != len(dims):
        if dim_given:
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to "
                           f"'self.dim() = {nd}', since dim argument was not given, but got a list of length "
                           f"{len(spacing)}")
    for s in spacing:
        if isinstance(s, Tensor) and s._data.ndim != 1:
            raise RuntimeError(f"torch.gradient expected each element of spacing to have one dimension, but got an "
                               f"element with {s._data.ndim} dimensions!")
    return spacing


def _grad_along(f: Tensor, d: int, h, edge_order: int) -> Tensor:
    """The derivative along dim d: central differences inside, one-sided ones (first or second order) at the ends."""
    n = f._data.shape[d]

    def part(start: int, stop: int | None = None) -> Tensor:  # f[start:stop] along d
        start, stop, _ = slice(start, stop).indices(n)
        return f.narrow(d, start, max(stop - start, 0))

    if not isinstance(h, Tensor):
        center = (part(2) - part(0, -2)) / h / 2
        if edge_order == 1:
            first = (part(1, 2) - part(0, 1)) / h
            last = (part(-1) - part(-2, -1)) / h
        else:
            first = (part(0, 1) * -1.5 + part(1, 2) * 2 - part(2, 3) * 0.5) / h
            last = (part(-3, -2) * 0.5 - part(-2, -1) * 2 + part(-1) * 1.5) / h
        return cat([first, center, last], d)
    if h._data.shape[0] != n:
        raise RuntimeError(f"torch.gradient expected the coordinates for dim {d} to have {n} elements (the size of "
                           f"that dim), but got {h._data.shape[0]}")
    shape = [1] * f._data.ndim
    shape[d] = -1
    dx = h[1:] - h[:-1]
    dx1, dx2 = dx[:-1], dx[1:]
    # the second-order three-point formula on a nonuniform grid (weights of f[i-1], f[i], f[i+1])
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * part(0, -2) + b * part(1, -1) + c * part(2)
    if edge_order == 1:
        first = (part(1, 2) - part(0, 1)) / dx[0]
        last = (part(-1) - part(-2, -1)) / dx[-1]
    else:
        h0, h1 = dx[0], dx[1]
        first = (part(0, 1) * (-(2 * h0 + h1) / (h0 * (h0 + h1))) + part(1, 2) * ((h0 + h1) / (h0 * h1))
                 + part(2, 3) * (-h0 / (h1 * (h0 + h1))))
        h0, h1 = dx[-2], dx[-1]
        last = (part(-3, -2) * (h1 / (h0 * (h0 + h1))) + part(-2, -1) * (-(h0 + h1) / (h0 * h1))
                + part(-1) * ((2 * h1 + h0) / (h1 * (h0 + h1))))
    return cat([first, center, last], d)


def gradient(input: Tensor, *, spacing=1, dim=None, edge_order: int = 1) -> tuple:
    """Estimates of d(input)/dx along each dim (or the given ones): second-order central differences inside,
    first- or second-order one-sided differences at the ends. `spacing`: a number, one per dim, or per-dim
    coordinate tensors. Differentiable."""
    if not isinstance(input, Tensor):
        raise TypeError(f"gradient(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    nd = input._data.ndim
    if dim is None:
        dims = list(range(nd))
    else:
        dims = [dim_arg(d, nd, "gradient") for d in ((dim,) if isinstance(dim, (int, np.integer)) else dim)]
        seen = set()
        for d in dims:
            if d in seen:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
            seen.add(d)
    steps = _spacing_list(spacing, dims, dim is not None, nd)
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    for d in dims:
        if input._data.shape[d] < edge_order + 1:
            raise RuntimeError(f"torch.gradient expected each dimension size to be at least edge_order+1 (dim {d} has "
                               f"size {input._data.shape[d]}, edge_order={edge_order})")
    return tuple(_grad_along(input, d, h, edge_order) for d, h in zip(dims, steps))


# -- sampling and legacy norms ---------------------------------------------------------------------------------
def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Draws from Binomial(count, prob) elementwise (broadcast), in count's dtype; not differentiable."""
    from ..creation import _place
    from ..random import numpy_generator

    for name, t in (("count", count), ("prob", prob)):
        if not isinstance(t, Tensor):
            raise TypeError(f"binomial(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if count._data.dtype.kind not in "fV":
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: {count.dtype.name}")
    if prob._data.dtype != count._data.dtype:
        raise RuntimeError(f"binomial: Found dtype {prob.dtype.name} but expected {count.dtype.name} (prob must have "
                           f"count's dtype)")
    try:
        n, p = np.broadcast_arrays(count._host().astype(np.float64), prob._host().astype(np.float64))
    except ValueError:
        raise RuntimeError(f"binomial: count {list(count.shape)} and prob {list(prob.shape)} are not broadcastable"
                           ) from None
    with np.errstate(invalid="ignore"):
        n = np.floor(np.nan_to_num(np.clip(n, 0, None))).astype(np.int64)
        p = np.nan_to_num(np.clip(p, 0.0, 1.0))
    draws = numpy_generator(generator).binomial(n, p)
    return _place(np.asarray(draws).astype(count._data.dtype), count.device, False)


def nuclear_norm(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The sum of singular values of the matrices in dims `dim` (default: the last two); linalg.matrix_norm 'nuc'."""
    from ..linalg import matrix_norm

    if isinstance(dim, bool):  # nuclear_norm(A, True): the keepdim overload
        dim, keepdim = None, dim
    return matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)


def frobenius_norm(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """sqrt(sum of squares) over at most two dims (() means all); linalg.vector_norm with ord 2."""
    from .reduce import vector_norm

    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(f"frobenius_norm: Expected at most 2 dimensions, but got {len(dims)} dimensions instead.")
    return vector_norm(input, 2, dims if dims else None, keepdim)


TENSOR_METHODS = {"histogram": histogram}
