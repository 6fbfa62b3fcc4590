"""Bessel functions on NumPy or CuPy arrays: modified I0, I1 (and exponentially scaled i0e, i1e), J0, J1.

Float64 accuracy (checked against mpmath in tests/test_special.py): about 1e-15 relative for the modified
functions; J0 and J1 about 1e-15 absolute (relative away from their zeros, as PyTorch's Cephes code).

Modified, |x| = z:
  * z <= 30: power series I0 = sum_k q^k / (k!)^2, I1 = z/2 sum_k q^k / (k! (k+1)!), q = z^2/4 (positive
    terms: no cancellation), times e^-z for the scaled forms;
  * z > 30: Hankel's expansion e^-z I_nu(z) = (2 pi z)^(-1/2) sum_k (-1)^k a_k(nu) / z^k,
    a_k(nu) = prod_{j<=k} (4 nu^2 - (2j - 1)^2) / (8j), cut at 45 terms (the smallest term, near k = 2z,
    is about e^-2z).
  i0(x) = i0e(z) e^(z/2) e^(z/2): finite up to I0's own overflow near 713.98 (e^z alone overflows at 709.78).
Bessel J, |x| = z:
  * z <= 2: power series (alternating, terms below 1 in size);
  * 2 < z <= 25: Miller's backward recurrence J_(n-1) = (2n/z) J_n - J_(n+1) from n = 66, normalized by
    J_0 + 2 sum_k J_2k = 1 (the error is about (J_66/Y_66)(z), below 1e-40);
  * z > 25: Hankel's expansion J_nu = sqrt(2/(pi z)) (P cos chi - Q sin chi), chi = z - (nu/2 + 1/4) pi,
    with cos chi and sin chi from sin z and cos z (no rounding of z - pi/4).
Infinities as PyTorch: i0(+-inf), i1(+-inf), j0(+-inf), j1(+-inf) are nan; i0e(+-inf) = 0, i1e(+-inf) = +-0.
"""

from __future__ import annotations

import math
from typing import Any

from ._special_common import nonfinite_or_tiny, on_device, unary_f64

_SERIES_MAX = 30.0
_J_SERIES_MAX, _J_MILLER_MAX, _J_MILLER_START = 2.0, 25.0, 66


def _scaled_series(z: Any, nu: int, xp: Any) -> Any:
    """e^-z I_nu(z) by the power series (z <= 30)."""
    q = 0.25 * z * z
    term = xp.ones_like(z)
    total = xp.ones_like(z)
    for k in range(1, 90):  # at z = 30 the terms fall below 1e-17 of the sum by k = 75
        term = term * q / (k * (k + nu))
        total += term
    if nu == 1:
        total *= 0.5 * z
    return total * xp.exp(-z)


def _scaled_hankel(z: Any, nu: int, xp: Any) -> Any:
    """e^-z I_nu(z) by Hankel's asymptotic expansion (z > 30)."""
    total = xp.ones_like(z)
    term = xp.ones_like(z)
    mu = 4.0 * nu * nu
    for k in range(1, 46):
        term = term * (-(mu - (2 * k - 1) ** 2) / (8.0 * k)) / z
        total += term
    return total / xp.sqrt(2.0 * math.pi * z)


def _scaled_block(x: Any, xp: Any, nu: int) -> Any:
    """e^-|x| I_nu(x) (i0e, i1e)."""
    z = xp.abs(x)
    out = xp.empty_like(z)
    low = z <= _SERIES_MAX
    out[low] = _scaled_series(z[low], nu, xp)
    high = ~low  # includes inf (-> 0) and nan
    out[high] = _scaled_hankel(z[high], nu, xp)
    if nu == 1:
        out = xp.where(x < 0, -out, out)
    return out


def _unscaled_block(x: Any, xp: Any, nu: int) -> Any:
    """I_nu(x) = e^|x| i_nu_e(x), with e^|x| applied in two halves so it does not overflow early."""
    half = xp.exp(0.5 * xp.abs(x))
    return _scaled_block(x, xp, nu) * half * half


# -- Bessel J ----------------------------------------------------------------------------------------------
def _j_series(z: Any, xp: Any) -> tuple[Any, Any]:
    q = -0.25 * z * z
    t0 = xp.ones_like(z)
    t1 = xp.ones_like(z)
    s0, s1 = t0.copy(), t1.copy()
    for k in range(1, 20):  # |q| <= 1: 1/(k!)^2 < 1e-17 by k = 18
        t0 = t0 * q / (k * k)
        t1 = t1 * q / (k * (k + 1))
        s0 += t0
        s1 += t1
    return s0, 0.5 * z * s1


def _j_miller(z: Any, xp: Any) -> tuple[Any, Any]:
    nxt = xp.zeros_like(z)  # J_(n+1), unnormalized
    cur = xp.full(z.shape, 1e-30)  # J_n
    norm = xp.zeros_like(z)
    inv = 2.0 / z
    j1 = None
    for n in range(_J_MILLER_START, 0, -1):
        if n % 2 == 0:
            norm += 2.0 * cur
        prev = n * inv * cur - nxt
        nxt, cur = cur, prev
        if n == 2:
            j1 = cur  # after this step cur holds J_1
    norm += cur  # J_0
    return cur / norm, j1 / norm


def _j_hankel(z: Any, xp: Any) -> tuple[Any, Any]:
    s, c = xp.sin(z), xp.cos(z)
    inv_z = 1.0 / z
    out = []
    for nu in (0, 1):
        mu = 4.0 * nu * nu
        p = xp.ones_like(z)
        qq = xp.zeros_like(z)
        term = xp.ones_like(z)
        for k in range(1, 31):  # a_k / z^k with z > 25: below 1e-18 by k = 30
            term = term * ((mu - (2 * k - 1) ** 2) / (8.0 * k)) * inv_z
            if k % 2:
                qq += term if (k // 2) % 2 == 0 else -term
            else:
                p += term if (k // 2) % 2 == 0 else -term
        if nu == 0:  # chi = z - pi/4
            cos_chi, sin_chi = (c + s), (s - c)
        else:  # chi = z - 3 pi/4
            cos_chi, sin_chi = (s - c), -(s + c)
        amp = (1.0 / math.sqrt(math.pi)) / xp.sqrt(z)  # sqrt(2/(pi z)) / sqrt(2); pi z would overflow near 1e308
        out.append(amp * (p * cos_chi - qq * sin_chi))
    return out[0], out[1]


def _j_block(x: Any, xp: Any, nu: int) -> Any:
    z = xp.abs(x)
    out = xp.empty_like(z)
    low = z <= _J_SERIES_MAX
    mid = (z > _J_SERIES_MAX) & (z <= _J_MILLER_MAX)
    high = ~(low | mid)  # includes inf and nan (-> nan, as PyTorch)
    for mask, fn in ((low, _j_series), (mid, _j_miller), (high, _j_hankel)):
        if bool(mask.any()):
            out[mask] = fn(z[mask], xp)[nu]
    if nu == 1:  # odd; J1(-0.0) = -0.0, as PyTorch
        out = xp.where(x < 0, -out, xp.where(x == 0, x, out))
    return out


def i0(x: Any) -> Any:
    """Modified Bessel function of the first kind, order 0."""
    return on_device(x, lambda sp, v: sp.i0(v), lambda v: unary_f64(lambda b, xp: _unscaled_block(b, xp, 0), v),
                     nonfinite_or_tiny)


def i0e(x: Any) -> Any:
    """Exponentially scaled I0: e^-|x| I0(x)."""
    return on_device(x, lambda sp, v: sp.i0e(v), lambda v: unary_f64(lambda b, xp: _scaled_block(b, xp, 0), v),
                     nonfinite_or_tiny)


def i1(x: Any) -> Any:
    """Modified Bessel function of the first kind, order 1."""
    return on_device(x, lambda sp, v: sp.i1(v), lambda v: unary_f64(lambda b, xp: _unscaled_block(b, xp, 1), v),
                     nonfinite_or_tiny)


def i1e(x: Any) -> Any:
    """Exponentially scaled I1: e^-|x| I1(x)."""
    return on_device(x, lambda sp, v: sp.i1e(v), lambda v: unary_f64(lambda b, xp: _scaled_block(b, xp, 1), v),
                     nonfinite_or_tiny)


def j0(x: Any) -> Any:
    """Bessel function of the first kind, order 0."""
    return on_device(x, lambda sp, v: sp.j0(v), lambda v: unary_f64(lambda b, xp: _j_block(b, xp, 0), v),
                     nonfinite_or_tiny)


def j1(x: Any) -> Any:
    """Bessel function of the first kind, order 1."""
    return on_device(x, lambda sp, v: sp.j1(v), lambda v: unary_f64(lambda b, xp: _j_block(b, xp, 1), v),
                     nonfinite_or_tiny)
