"""Helpers shared by the special-function kernels (special_gamma, special_igamma, special_bessel, special_normal).

* `unary_f64` / `binary_f64`: apply a float64 block function elementwise (dtype kept for floating inputs,
  computed in float64 and rounded once; blocks of 64k elements on NumPy keep temporaries in cache).
* `device_special`: on a real CuPy array, ``cupyx.scipy.special`` (so CUDA runs CuPy's fused kernels);
  None for NumPy arrays and for the NumPy-backed stand-in device (tensorlite.testing.fake_cuda), which
  run the xp code of the kernels themselves.
* `sinpi` / `cospi`: sin(pi x), cos(pi x) with exact argument reduction (reflection formulas need them
  accurate far from 0 and near their zeros).
* Bernoulli numbers B_2 .. B_24 as fractions (Stirling series, Euler-Maclaurin sums).
"""

from __future__ import annotations

import importlib
import math
from fractions import Fraction
from typing import Any, Callable

import numpy as np

from ._xp import _xp
from .special import _BLOCK, _elementwise_f64

# B_2, B_4, ..., B_24
BERNOULLI_2K = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
                Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
                Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730))


def unary_f64(block_fn: Callable[[Any, Any], Any], x: Any) -> Any:
    """`block_fn(x_block, xp)` on float64 1-D blocks of x (inf/nan results at poles are intended: no warnings)."""
    with np.errstate(all="ignore"):
        return _elementwise_f64(block_fn, x)


def binary_f64(block_fn: Callable[[Any, Any, Any], Any], a: Any, b: Any) -> Any:
    """`block_fn(a_block, b_block, xp)` on float64 1-D blocks of the broadcast arrays a and b.

    The result has the broadcast shape and the result dtype of a and b when floating (else float64).
    """
    xp = _xp(a)
    a, b = xp.asarray(a), xp.asarray(b)
    dtype = xp.result_type(a.dtype, b.dtype)
    out_dtype = dtype if dtype.kind in "fV" else xp.dtype(xp.float64)
    shape = np.broadcast_shapes(a.shape, b.shape)
    a, b = xp.broadcast_to(a, shape), xp.broadcast_to(b, shape)
    fa, fb = a.reshape(-1), b.reshape(-1)
    out = xp.empty(fa.shape, dtype=out_dtype)
    block = _BLOCK if xp.__name__ == "numpy" else max(fa.size, 1)
    with np.errstate(all="ignore"):
        for start in range(0, fa.size, block):
            ca = fa[start : start + block].astype(xp.float64)
            cb = fb[start : start + block].astype(xp.float64)
            out[start : start + block] = block_fn(ca, cb, xp)
    return out.reshape(shape)


def device_special(x: Any) -> Any:
    """``cupyx.scipy.special`` when x is a real CuPy array, else None (NumPy, or the NumPy-backed stand-in)."""
    if not type(x).__module__.startswith("cupy"):
        return None
    try:
        return importlib.import_module("cupyx.scipy.special")
    except ImportError:  # pragma: no cover - CuPy without its scipy layer
        return None


def on_device(x: Any, call: Callable[[Any, Any], Any], reference: Callable[[Any], Any],
              edges: Callable[[Any, Any], Any]) -> Any:
    """``call(cupyx.scipy.special, x)`` on a real CuPy array, with the elements where SciPy's conventions
    may differ from PyTorch's (``edges(x, xp)``: poles, infinities, NaN, subnormals) computed by ``reference``;
    ``reference(x)`` itself everywhere else (NumPy, the stand-in CUDA device)."""
    sp = device_special(x)
    if sp is None:
        return reference(x)
    xp = _xp(x)
    fix = edges(x, xp)
    # the edge elements go to cupyx as 0.5 (inside every domain): some of its loops never end on, e.g., -1e300
    with np.errstate(all="ignore"):
        out = call(sp, xp.where(fix, 0.5, x)).astype(x.dtype if x.dtype.kind == "f" else xp.float64, copy=False)
    if bool(fix.any()):
        out[fix] = reference(x[fix])
    return out


def nonfinite_or_tiny(x: Any, xp: Any) -> Any:
    """The usual `edges` for `on_device`: infinities, NaN and |x| < 1e-300 (subnormals, where libraries differ)."""
    return ~xp.isfinite(x) | (xp.abs(x) < 1e-300)


def reduce_pi(x: Any, xp: Any) -> Any:
    """r = x - 2*rint(x/2) in [-1, 1], exactly (sin(pi x) = sin(pi r), cos(pi x) = cos(pi r))."""
    return x - 2.0 * xp.rint(0.5 * x)


def sinpi(x: Any, xp: Any) -> Any:
    """sin(pi x), accurate for any x (exact zeros at integers): reduced to t in [-1/2, 1/2], then sin(pi t)."""
    r = reduce_pi(x, xp)
    t = xp.where(r > 0.5, 1.0 - r, xp.where(r < -0.5, -1.0 - r, r))  # sin(pi (+-1 - r)) = sin(pi r)
    return xp.sin(math.pi * t)


def cospi(x: Any, xp: Any) -> Any:
    """cos(pi x) = sin(pi (1/2 - |r|)), accurate near its zeros at half-integers."""
    r = reduce_pi(x, xp)
    return xp.sin(math.pi * (0.5 - xp.abs(r)))


def horner(coeffs: tuple[float, ...], v: Any) -> Any:
    """sum_i coeffs[i] * v**i."""
    acc = v * coeffs[-1] + coeffs[-2]
    for c in reversed(coeffs[:-2]):
        acc = acc * v + c
    return acc


def log1pmx(s: Any, xp: Any) -> Any:
    """log(1 + s) - s, accurate for small |s| (where log1p(s) - s cancels).

    For |s| < 1/2 with u = s/(2+s) (|u| <= 1/3): log1p(s) - s = -s*u + 2*(u**3/3 + u**5/5 + ...),
    since log1p(s) = 2 atanh(u) and s - 2u = s*u.
    """
    out = xp.log1p(s) - s
    small = xp.abs(s) < 0.5
    if bool(small.any()):
        ss = s[small]
        u = ss / (2.0 + ss)
        u2 = u * u
        series = horner(tuple(1.0 / (2 * k + 3) for k in range(20)), u2)  # 1/3 + u2/5 + ... (u2 <= 1/9)
        out[small] = 2.0 * u * u2 * series - ss * u
    return out
