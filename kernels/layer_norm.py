"""Layer-norm forward and backward kernels over the last dimension.

Contract
--------
``layer_norm_forward(x, weight, bias, eps) -> (y, mean, rstd)``

* ``x``: a NumPy or CuPy array of shape (..., D), ndim >= 1, dtype float32 or float64, any strides
  (the native implementation copies non-contiguous input); it is normalised row by row, a row being
  the last dimension (x viewed as (rows, D)).
* ``weight``, ``bias``: arrays of shape (D,) and x's dtype, or None (no scale / no shift).
* ``y``: new, x's shape and dtype:   y = (x - mu) rstd w + b,
  mu = mean_j x_j,  var = mean_j (x_j - mu)^2 (biased),  rstd = 1 / sqrt(var + eps).
* ``mean``, ``rstd``: new, shape x.shape[:-1], x's dtype (the statistics are float32 for float32
  input, as in PyTorch).  The variance is computed stably, by the corrected two-pass algorithm:
  m0 = sum(x) / D, s1 = sum(x - m0), s2 = sum((x - m0)^2), mu = m0 + s1 / D,
  var = max((s2 - s1^2 / D) / D, 0): no E[x^2] - E[x]^2 cancellation, so a large common offset
  (1e4 + small noise) keeps its variance.
* D = 0: y is empty, mean = 0, rstd = nan (as ``torch.native_layer_norm``); rows = 0: empty results.

``layer_norm_backward(grad_y, x, weight, mean, rstd) -> (grad_x, grad_weight, grad_bias)``

* ``grad_y``: x's shape and dtype; ``mean``, ``rstd``: as returned by the forward (shape x.shape[:-1]).
* With xhat = (x - mu) rstd and gh = w g (gh = g when weight is None), per row:
  grad_x = rstd (gh - mean_j gh - xhat mean_j(gh xhat)),
  grad_weight = sum_rows g xhat,  grad_bias = sum_rows g   (both (D,); zeros when rows = 0).
* grad_weight and grad_bias are None when ``weight`` is None (a bias-only layer's gradient, sum_rows g,
  is one reduction the caller does).  The native implementation's are bitwise independent of the
  OpenMP thread count (per-chunk partial sums added in a fixed order).

Accuracy: both implementations compute in the input's dtype; they differ by summation order only
(tests/test_kernels_layer_norm.py bounds each against float64).

Implementations: ``reference`` (NumPy/CuPy, cpu and cuda), ``native`` (C++ csrc/layer_norm.cpp, cpu).
"""

from __future__ import annotations

from typing import Any

import numpy

from . import _native
from ._registry import dispatch, register
from ._xp import _xp, device_of

FORWARD = "layer_norm_forward"
BACKWARD = "layer_norm_backward"

_FLOATS = (numpy.float32, numpy.float64)


def _describe(a: Any) -> str:
    return "None" if a is None else f"{a.dtype} {tuple(a.shape)}"


def _check_forward(x: Any, weight: Any, bias: Any) -> None:
    if x.dtype not in _FLOATS:
        raise TypeError(f"{FORWARD}: expected a float32 or float64 array x, got dtype {x.dtype}")
    if x.ndim < 1:
        raise ValueError(f"{FORWARD}: x must have at least one dimension (..., D), got shape {tuple(x.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.shape != (x.shape[-1],) or p.dtype != x.dtype):
            raise ValueError(f"{FORWARD}: {name} must be ({x.shape[-1]},) {x.dtype} to match x "
                             f"{x.dtype} {tuple(x.shape)}, got {_describe(p)}")


def _check_backward(grad: Any, x: Any, weight: Any, mean: Any, rstd: Any) -> None:
    if x.dtype not in _FLOATS:
        raise TypeError(f"{BACKWARD}: expected a float32 or float64 array x, got dtype {x.dtype}")
    if x.ndim < 1:
        raise ValueError(f"{BACKWARD}: x must have at least one dimension (..., D), got shape {tuple(x.shape)}")
    want = {"grad_y": (x.shape, grad), "mean": (x.shape[:-1], mean), "rstd": (x.shape[:-1], rstd)}
    if weight is not None:
        want["weight"] = ((x.shape[-1],), weight)
    for name, (shape, a) in want.items():
        if a.shape != shape or a.dtype != x.dtype:
            raise ValueError(f"{BACKWARD}: {name} must be {x.dtype} {tuple(shape)} for x {x.dtype} "
                             f"{tuple(x.shape)}, got {_describe(a)}")


def _asarrays(xp: Any, *arrays: Any) -> list:
    return [None if a is None else xp.asarray(a) for a in arrays]


def layer_norm_forward(x: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> tuple[Any, Any, Any]:
    """(y, mean, rstd) of layer norm over x's last dim, by the implementation the registry picks."""
    xp = _xp(x)
    x, weight, bias = _asarrays(xp, x, weight, bias)
    _check_forward(x, weight, bias)
    return dispatch(FORWARD, device_of(x))(x, weight, bias, float(eps))


def layer_norm_backward(grad_y: Any, x: Any, weight: Any, mean: Any, rstd: Any) -> tuple[Any, Any, Any]:
    """(grad_x, grad_weight, grad_bias) of layer_norm_forward, by the implementation the registry picks."""
    xp = _xp(x)
    grad_y, x, weight, mean, rstd = _asarrays(xp, grad_y, x, weight, mean, rstd)
    _check_backward(grad_y, x, weight, mean, rstd)
    return dispatch(BACKWARD, device_of(x))(grad_y, x, weight, mean, rstd)


def _rows(x: Any) -> tuple[int, int]:
    d = x.shape[-1]
    rows = 1
    for s in x.shape[:-1]:
        rows *= s
    return rows, d


@register(FORWARD, "reference")
def layer_norm_forward_reference(x: Any, weight: Any, bias: Any, eps: float) -> tuple[Any, Any, Any]:
    """The spec: the corrected two-pass statistics of the module docstring, in x's dtype."""
    _check_forward(x, weight, bias)
    xp = _xp(x)
    rows, d = _rows(x)
    lead = x.shape[:-1]
    if d == 0:
        return xp.empty(x.shape, x.dtype), xp.zeros(lead, x.dtype), xp.full(lead, xp.nan, x.dtype)
    x2 = x.reshape(rows, d)
    # (einsum: NumPy's row sums through it are about 3x faster than .sum(axis=1), and take no temporary)
    m0 = xp.einsum("rc->r", x2) / d
    dev = x2 - m0[:, None]
    s1 = xp.einsum("rc->r", dev)
    s2 = xp.einsum("rc,rc->r", dev, dev)
    shift = s1 / d
    mean = m0 + shift
    var = xp.maximum((s2 - s1 * shift) / d, 0)  # (max keeps nan)
    rstd = 1 / xp.sqrt(var + x.dtype.type(eps))
    y = xp.subtract(x2, mean[:, None], out=dev)  # x - mean (the mean the backward will see), in dev's buffer
    y *= rstd[:, None]
    if weight is not None:
        y *= weight
    if bias is not None:
        y += bias
    return y.reshape(x.shape), mean.reshape(lead), rstd.reshape(lead)


@register(BACKWARD, "reference")
def layer_norm_backward_reference(grad_y: Any, x: Any, weight: Any, mean: Any, rstd: Any) -> tuple[Any, Any, Any]:
    """The spec: the closed form of the module docstring, in x's dtype."""
    _check_backward(grad_y, x, weight, mean, rstd)
    xp = _xp(x)
    rows, d = _rows(x)
    g2, x2 = grad_y.reshape(rows, d), x.reshape(rows, d)
    r = rstd.reshape(rows, 1)
    xhat = x2 - mean.reshape(rows, 1)
    xhat *= r
    gh = g2 if weight is None else g2 * weight
    gw = gb = None
    if weight is not None:  # (read xhat before it becomes dx)
        gw = xp.einsum("rc,rc->c", g2, xhat)
        gb = xp.einsum("rc->c", g2)
    if d:
        c1 = (xp.einsum("rc->r", gh) / d)[:, None]
        c2 = (xp.einsum("rc,rc->r", gh, xhat) / d)[:, None]
        dx = xhat  # dx = (gh - c1 - xhat c2) rstd, in place
        dx *= -c2
        dx += gh
        dx -= c1
        dx *= r
    else:
        dx = xp.empty((rows, 0), x.dtype)
    return dx.reshape(x.shape), gw, gb


def _native_ready(*arrays: Any) -> list:
    """C-contiguous copies of strided arrays (what the C++ side reads); None passes through."""
    out = []
    for a in arrays:
        if a is not None:
            if not isinstance(a, numpy.ndarray):
                raise TypeError(f"layer_norm native: expected numpy.ndarrays, got {type(a).__name__}")
            a = numpy.ascontiguousarray(a)
        out.append(a)
    return out


@register(FORWARD, "native", available=_native.is_available)
def layer_norm_forward_native(x: Any, weight: Any, bias: Any, eps: float) -> tuple[Any, Any, Any]:
    """C++ (csrc/layer_norm.cpp): three passes over each row, OpenMP over rows."""
    _check_forward(x, weight, bias)
    x, weight, bias = _native_ready(x, weight, bias)
    rows, d = _rows(x)
    y, mean, rstd = _native.require().layer_norm_forward(x.reshape(rows, d), weight, bias, float(eps))
    lead = x.shape[:-1]
    return y.reshape(x.shape), mean.reshape(lead), rstd.reshape(lead)


@register(BACKWARD, "native", available=_native.is_available)
def layer_norm_backward_native(grad_y: Any, x: Any, weight: Any, mean: Any, rstd: Any) -> tuple[Any, Any, Any]:
    """C++ (csrc/layer_norm.cpp): two passes over each row, OpenMP over rows; dw, db per fixed row chunk."""
    _check_backward(grad_y, x, weight, mean, rstd)
    grad_y, x, weight, mean, rstd = _native_ready(grad_y, x, weight, mean, rstd)
    rows, d = _rows(x)
    dx, gw, gb = _native.require().layer_norm_backward(grad_y.reshape(rows, d), x.reshape(rows, d), weight,
                                                       mean.reshape(rows), rstd.reshape(rows))
    return dx.reshape(x.shape), gw, gb
