"""Error-function relatives on NumPy or CuPy arrays: erfinv, erfcx, ndtr, ndtri, log_ndtr.

Float64 accuracy about 1e-15 relative (checked against mpmath in tests/test_special.py).

  * erfcx(x) = e^(x^2) erfc(x): for x >= 1/2, erfc's own representation t exp(-x^2 + g(y)) from
    kernels/special.py without its exp(-x^2), i.e. t exp(g(y)), which holds for every x >= 1/2 (t -> 0 as
    x -> inf); below, e^(x^2) erfc(x), and for x < 0, 2 e^(x^2) - erfcx(-x) with x^2 split exactly.
  * erfinv(y), |y| <= 1/2: Halley's iteration on erf(x) - y from Winitzki's approximation
    x0^2 = sqrt((2/(pi a) + L/2)^2 - L/a) - (2/(pi a) + L/2), L = log(1 - y^2), a = 0.147 (error < 2e-3;
    |y| < 1e-6 starts from the series sqrt(pi)/2 (y + pi y^3/12)); each step x -= u / (1 + x u),
    u = (erf(x) - y) / (2/sqrt(pi) e^-x^2), triples the digits.
  * erfcinv(c), 0 < c <= 1/2 (erfinv(y) = erfcinv(1 - |y|) for |y| > 1/2, 1 - |y| exact): Halley's
    iteration on log erfc(x) - log c = log erfcx(x) - x^2 - log c, which stays well scaled down to the
    smallest subnormal c (x near 27.2).
  * ndtri(p) = -sqrt(2) erfcinv(2p) for p < 1/4, sqrt(2) erfinv(2p - 1) up to 3/4 (2p - 1 exact),
    sqrt(2) erfcinv(2 - 2p) above.
  * ndtr(x) = erfc(-x/sqrt(2)) / 2, log_ndtr(x) = log(erfcx(-t)/2) - t^2 for x < -1, else
    log1p(-erfc(t)/2), t = x/sqrt(2) (the formulas of PyTorch and SciPy).
"""

from __future__ import annotations

import math
from typing import Any

from ._special_common import nonfinite_or_tiny, horner, on_device, unary_f64
from .special import _ERFC_G, _erf_block, _erfc_block

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0
_SQRT1_2 = math.sqrt(0.5)
_SQRT2 = math.sqrt(2.0)
_WINITZKI_A = 0.147


# -- erfcx -------------------------------------------------------------------------------------------------
def _erfcx_nonneg(z: Any, xp: Any) -> Any:
    """erfcx(z) for z >= 0 (z = inf gives 0, NaN propagates)."""
    out = xp.empty_like(z)
    small = z < 0.5
    zs = z[small]
    out[small] = xp.exp(zs * zs) * _erfc_block(zs, xp)
    large = ~small
    zl = z[large]
    t = 2.0 / (2.0 + zl)
    out[large] = t * xp.exp(horner(_ERFC_G, 2.5 * t - 1.0))
    return out


def _exp_square(x: Any, xp: Any) -> Any:
    """e^(x^2) with x^2 split into an exact part xh^2 (xh = x rounded to 1/16) and a small remainder."""
    xh = xp.floor(x * 16.0) / 16.0
    return xp.exp(xh * xh) * xp.exp((x - xh) * (x + xh))


def _erfcx_block(x: Any, xp: Any) -> Any:
    out = _erfcx_nonneg(xp.abs(x), xp)
    neg = x < 0
    if bool(neg.any()):
        v = x[neg]
        out[neg] = 2.0 * _exp_square(v, xp) - out[neg]  # inf below -26.6, as PyTorch
        out[x == -math.inf] = math.inf
    return out


# -- erfinv, erfcinv ---------------------------------------------------------------------------------------
def _winitzki(log_one_minus_y2: Any, xp: Any) -> Any:
    """Winitzki's approximation to |erfinv(y)| from L = log(1 - y^2) (relative error < 2e-3)."""
    b = 2.0 / (math.pi * _WINITZKI_A) + 0.5 * log_one_minus_y2
    return xp.sqrt(xp.sqrt(b * b - log_one_minus_y2 / _WINITZKI_A) - b)


def _erfinv_central(y: Any, xp: Any) -> Any:
    """erfinv(y) for 0 <= y <= 1/2."""
    tiny = y < 1e-6
    x = xp.where(tiny, _SQRT_PI_OVER_2 * y * (1.0 + (math.pi / 12.0) * y * y),
                 _winitzki(xp.log1p(-y * y), xp))
    for _ in range(3):
        u = (_erf_block(x, xp) - y) / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))
        x = x - u / (1.0 + x * u)
    return xp.where(tiny, _SQRT_PI_OVER_2 * y * (1.0 + (math.pi / 12.0) * y * y), x)


def _erfcinv_tail(c: Any, xp: Any) -> Any:
    """erfcinv(c) for 0 < c <= 1/2 (x >= 0.4769)."""
    log_c = xp.log(c)
    x = _winitzki(log_c + xp.log(2.0 - c), xp)  # log(1 - y^2) with y = 1 - c
    for _ in range(4):
        e = _erfcx_nonneg(x, xp)
        g = xp.log(e) - x * x - log_c  # log erfc(x) - log c
        h = _TWO_OVER_SQRT_PI / e  # -g'(x); g''(x) = h (2x - h)
        u = g / h  # -g/g'
        x = x + u / (1.0 + 0.5 * u * (h - 2.0 * x))  # Halley: x - (g/g') / (1 - g g''/(2 g'^2))
    return x


def _erfinv_block(y: Any, xp: Any) -> Any:
    a = xp.abs(y)
    out = xp.full(y.shape, math.nan)  # |y| > 1 and NaN
    central = a <= 0.5
    out[central] = _erfinv_central(a[central], xp)
    tail = (a > 0.5) & (a < 1.0)
    out[tail] = _erfcinv_tail(1.0 - a[tail], xp)
    out[a == 1.0] = math.inf
    return xp.copysign(out, y)  # keeps erfinv(-0.0) = -0.0


def _ndtri_block(p: Any, xp: Any) -> Any:
    out = xp.full(p.shape, math.nan)
    low = (p > 0) & (p < 0.25)
    out[low] = -_SQRT2 * _erfcinv_tail(2.0 * p[low], xp)
    mid = (p >= 0.25) & (p <= 0.75)
    out[mid] = _SQRT2 * _erfinv_block(2.0 * p[mid] - 1.0, xp)
    high = (p > 0.75) & (p < 1)
    out[high] = _SQRT2 * _erfcinv_tail(2.0 * (1.0 - p[high]), xp)
    out[p == 0] = -math.inf
    out[p == 1] = math.inf
    return out


# -- normal distribution -----------------------------------------------------------------------------------
def _ndtr_block(x: Any, xp: Any) -> Any:
    return 0.5 * _erfc_block(-(x * _SQRT1_2), xp)


def _log_ndtr_block(x: Any, xp: Any) -> Any:
    t = x * _SQRT1_2
    out = xp.log1p(-0.5 * _erfc_block(t, xp))
    low = x < -1.0
    tl = t[low]
    out[low] = xp.log(0.5 * _erfcx_nonneg(-tl, xp)) - tl * tl
    return out


def _edges_unit(y: Any, xp: Any) -> Any:
    return nonfinite_or_tiny(y, xp) | (xp.abs(y) >= 1)


def erfcx(x: Any) -> Any:
    """Scaled complementary error function e^(x^2) erfc(x), elementwise."""
    return on_device(x, lambda sp, v: sp.erfcx(v), lambda v: unary_f64(_erfcx_block, v), nonfinite_or_tiny)


def erfinv(y: Any) -> Any:
    """Inverse error function: erf(erfinv(y)) = y on (-1, 1); +-inf at +-1, nan outside."""
    return on_device(y, lambda sp, v: sp.erfinv(v), lambda v: unary_f64(_erfinv_block, v), _edges_unit)


def ndtri(p: Any) -> Any:
    """Inverse of the standard normal CDF: ndtr(ndtri(p)) = p on (0, 1); -inf at 0, inf at 1, nan outside."""
    return on_device(p, lambda sp, v: sp.ndtri(v), lambda v: unary_f64(_ndtri_block, v),
                     lambda v, xp: ~xp.isfinite(v) | (v <= 0) | (v >= 1))


def ndtr(x: Any) -> Any:
    """Standard normal CDF: (1 + erf(x/sqrt(2)))/2, computed as erfc(-x/sqrt(2))/2."""
    return unary_f64(_ndtr_block, x)


def log_ndtr(x: Any) -> Any:
    """log of the standard normal CDF, accurate in the left tail (log_ndtr(-1e20) = -5e39)."""
    return on_device(x, lambda sp, v: sp.log_ndtr(v), lambda v: unary_f64(_log_ndtr_block, v), nonfinite_or_tiny)
