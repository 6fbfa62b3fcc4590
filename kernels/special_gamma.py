"""The gamma family on NumPy or CuPy arrays: lgamma, digamma, polygamma and the Hurwitz zeta function.

Float64 accuracy (checked against mpmath in tests/test_special.py): about 1e-15 relative, except next to
zeros of the function (lgamma near 1, 2 and its negative zeros, digamma near 1.4616), where the error is
a few 1e-16 absolute. Floating inputs keep their dtype (computed in float64, rounded once).

Methods, for x > 0:
  * lgamma, x >= 10: Stirling's series (x - 1/2) log x - x + log(2 pi)/2 + sum_k B_2k / (2k (2k-1) x^(2k-1)),
    8 terms (the first one left out is below 1e-17 at x = 10).
    x < 10: shifted by Gamma(x+1) = x Gamma(x) into [1.5, 2.5), where the Taylor series
    lgamma(2 + z) = (1 - gamma) z + sum_{k>=2} (-1)^k (zeta(k) - 1) z^k / k (|z| <= 1/2, 28 terms) keeps its
    relative accuracy at the zeros x = 1 and x = 2.
  * digamma: psi(x) = psi(x + n) - sum_{k<n} 1/(x + k) up to x + n >= 10, then
    log x - 1/(2x) - sum_k B_2k / (2k x^2k).
  * Hurwitz zeta(s, q) = sum_{k>=0} (q + k)^-s: N terms directly, then the Euler-Maclaurin tail at
    a = q + N >= max(10, 0.8 (s + 12)) (12 Bernoulli terms).
  * polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x), n >= 1.
For x < 0 the reflection formulas, with sin(pi x) and cos(pi x) reduced exactly:
  lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x),   psi(x) = psi(1 - x) - pi cot(pi x),
  psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x)),  P_0(c) = c, P_(k+1)(c) = -(1 + c^2) P_k'(c).
Poles and infinities follow PyTorch: lgamma is inf at 0, -inf and the negative integers; digamma(+-0) = -+inf,
nan at negative integers and -inf; polygamma(n >= 2, +inf) is nan and polygamma(n, x) at a pole is
(-1)^(n+1) inf; zeta(1, q) = inf, zeta(s < 1, q) = nan, zeta(s, q) = inf at q = 0, -1, -2, ...
"""

from __future__ import annotations

import functools
import math
from typing import Any

from ._special_common import BERNOULLI_2K, cospi, horner, on_device, sinpi, unary_f64, binary_f64

_EULER_GAMMA = 0.57721566490153286061
_HALF_LOG_2PI = 0.91893853320467274178
_LOG_PI = 1.14472988584940017414
_INF, _NAN = math.inf, math.nan

# Stirling tails in w = 1/x^2: lgamma's sum_k B_2k/(2k(2k-1)) w^(k-1) (times 1/x), digamma's B_2k/(2k) w^k.
_LGAMMA_TAIL = tuple(float(b / (2 * k * (2 * k - 1))) for k, b in enumerate(BERNOULLI_2K[:8], start=1))
_DIGAMMA_TAIL = tuple(float(b / (2 * k)) for k, b in enumerate(BERNOULLI_2K[:8], start=1))
# Euler-Maclaurin: B_2j / (2j)!
_EM = tuple(float(b / math.factorial(2 * j)) for j, b in enumerate(BERNOULLI_2K, start=1))


def _zeta_minus_one(k: int) -> float:
    """zeta(k) - 1 = sum_{n>=2} n^-k for integer k >= 2 (Euler-Maclaurin at M = 16, in Python floats)."""
    m = 16
    terms = [float(n) ** -k for n in range(2, m)]
    terms += [m ** (1.0 - k) / (k - 1), 0.5 * m ** -float(k)]
    poch = float(k)  # k (k+1) ... (k+2j-2)
    for j, c in enumerate(_EM, start=1):
        terms.append(c * poch * m ** (-k - 2.0 * j + 1))
        poch *= (k + 2 * j - 1) * (k + 2 * j)
    return math.fsum(terms)


# lgamma(2 + z) = sum_{k>=1} _S2[k-1] z^k
_S2 = (1.0 - _EULER_GAMMA,) + tuple((-1) ** k * _zeta_minus_one(k) / k for k in range(2, 30))


# -- lgamma ------------------------------------------------------------------------------------------------
def _lgamma_stirling(x: Any, xp: Any) -> Any:
    """lgamma(x) for x >= 10 (finite)."""
    w = 1.0 / (x * x)
    lx = xp.log(x)
    return x * (lx - 1.0) - 0.5 * lx + _HALF_LOG_2PI + horner(_LGAMMA_TAIL, w) / x


def _lgamma_2z(z: Any) -> Any:
    """lgamma(2 + z) for |z| <= 1/2."""
    return z * horner(_S2, z)


def _lgamma_positive(x: Any, xp: Any) -> Any:
    """lgamma(x) for finite x > 0."""
    out = xp.empty_like(x)
    big = x >= 10.0
    out[big] = _lgamma_stirling(x[big], xp)
    for lo, hi in ((0.0, 0.5), (0.5, 1.5), (1.5, 2.5), (2.5, 10.0)):
        m = (x >= lo) & (x < hi) if lo else x < hi
        if not bool(m.any()):
            continue
        v = x[m]
        if hi == 0.5:  # Gamma(v + 2) = (v + 1) v Gamma(v)
            out[m] = _lgamma_2z(v) - xp.log(v) - xp.log1p(v)
        elif hi == 1.5:  # Gamma(v + 1) = v Gamma(v); log(v) is accurate near v = 1 (v exact)
            out[m] = _lgamma_2z(v - 1.0) - xp.log(v)
        elif hi == 2.5:
            out[m] = _lgamma_2z(v - 2.0)
        else:  # v = r + n with r in [1.5, 2.5): Gamma(v) = r (r+1) ... (r+n-1) Gamma(r)
            n = xp.floor(v - 1.5)
            r = v - n
            prod = r.copy()
            for k in range(1, 8):
                prod *= xp.where(n > k, r + k, 1.0)
            out[m] = _lgamma_2z(r - 2.0) + xp.log(prod)
    return out


def _lgamma_block(x: Any, xp: Any) -> Any:
    out = xp.full(x.shape, _INF)  # 0, -inf, negative integers, +inf
    out[xp.isnan(x)] = _NAN
    pos = (x > 0) & (x < _INF)
    out[pos] = _lgamma_positive(x[pos], xp)
    neg = (x < 0) & (x > -_INF)
    if bool(neg.any()):
        v = x[neg]
        s = xp.abs(sinpi(v, xp))  # 0 at the negative integers: log(pi/0) = inf
        out[neg] = xp.log(math.pi / s) - _lgamma_positive(1.0 - v, xp)
    return out


# -- digamma -----------------------------------------------------------------------------------------------
def _digamma_positive(x: Any, xp: Any) -> Any:
    """psi(x) for x > 0 (+inf included)."""
    acc = xp.zeros_like(x)
    y = x.copy()
    for _ in range(10):  # y < 10 takes at most 10 steps
        low = y < 10.0
        if not bool(low.any()):
            break
        acc -= xp.where(low, 1.0 / xp.where(low, y, 1.0), 0.0)
        y += low
    w = 1.0 / (y * y)
    return acc + xp.log(y) - 0.5 / y - w * horner(_DIGAMMA_TAIL, w)


def _digamma_block(x: Any, xp: Any) -> Any:
    out = xp.full(x.shape, _NAN)  # negative integers, -inf, NaN
    pos = x > 0
    out[pos] = _digamma_positive(x[pos], xp)
    zero = x == 0
    out[zero] = xp.copysign(_INF, -x[zero])
    neg = (x < 0) & (x != xp.floor(x))
    if bool(neg.any()):
        v = x[neg]
        out[neg] = _digamma_positive(1.0 - v, xp) - math.pi * cospi(v, xp) / sinpi(v, xp)
    return out


# -- Hurwitz zeta and polygamma ----------------------------------------------------------------------------
_ZETA_MAX_TERMS = 200


def _zeta_positive(s: Any, q: Any, xp: Any) -> Any:
    """zeta(s, q) for s > 1 and finite q > 0."""
    # the j-th Euler-Maclaurin term is about ((s + j) / (2 pi a))^(2j): a >= 0.8 (s + 12) makes the 12th < 1e-17
    target = xp.maximum(10.0, 0.8 * (s + 12.0))
    n = xp.minimum(xp.ceil(xp.maximum(target - q, 0.0)), float(_ZETA_MAX_TERMS))
    total = xp.zeros_like(q)
    for k in range(int(n.max()) if n.size else 0):
        total += xp.where(k < n, xp.power(q + k, -s), 0.0)
    a = q + n
    # tail sum_{k>=0} (a + k)^-s = a^-s (a/(s-1) + 1/2 + sum_j B_2j/(2j)! s (s+1)...(s+2j-2) / a^(2j-1))
    p = s / a
    inv_a2 = 1.0 / (a * a)
    bracket = xp.full(a.shape, 0.5)
    for j, c in enumerate(_EM, start=1):
        bracket += c * p
        p = p * (s + (2 * j - 1)) * (s + 2 * j) * inv_a2
    # a^(1-s)/(s-1) on its own: for huge a, a^-s underflows while a^(1-s) does not
    tail = xp.power(a, 1.0 - s) / (s - 1.0) + xp.power(a, -s) * bracket
    # where the direct sum was cut at _ZETA_MAX_TERMS (s > 240), its remainder is below e^-250 of it
    tail = xp.where(a >= target, tail, 0.0)
    return total + tail


@functools.lru_cache(maxsize=None)
def _cot_derivative_poly(n: int) -> tuple[float, ...]:
    """Coefficients (in powers of c) of P_n with d^n/dx^n cot(pi x) = pi^n P_n(cot(pi x))."""
    p = [0, 1]  # P_0(c) = c
    for _ in range(n):
        d = [k * p[k] for k in range(1, len(p))]  # P'
        q = [0] * (len(d) + 2)
        for k, coef in enumerate(d):  # -(1 + c^2) P'
            q[k] -= coef
            q[k + 2] -= coef
        p = q
    return tuple(float(c) if abs(c) < 2 ** 1023 else (_INF if c > 0 else -_INF) for c in p)


def _factorial(n: int) -> float:
    return float(math.factorial(n)) if n <= 170 else _INF


def _polygamma_finite(n: int, x: Any, xp: Any) -> Any:
    """psi^(n)(x), n >= 1, for finite x that is not 0 or a negative integer."""
    out = xp.empty_like(x)
    sign = 1.0 if n % 2 else -1.0
    pos = x > 0
    out[pos] = sign * _factorial(n) * _zeta_positive(xp.full(x[pos].shape, n + 1.0), x[pos], xp)
    neg = ~pos
    if bool(neg.any()):
        v = x[neg]
        c = cospi(v, xp) / sinpi(v, xp)
        reflected = _polygamma_finite(n, 1.0 - v, xp)
        pi_power = math.pi ** (n + 1) if n < 600 else _INF
        out[neg] = -sign * reflected - pi_power * horner(_cot_derivative_poly(n), c)
    return out


def _polygamma_block(n: int, x: Any, xp: Any) -> Any:
    if n == 0:
        return _digamma_block(x, xp)
    sign = 1.0 if n % 2 else -1.0
    out = xp.full(x.shape, _NAN)
    pole = (x <= 0) & (x == xp.floor(x))  # 0, negative integers and -inf
    out[pole] = sign * _INF
    if n == 1:  # PyTorch: trigamma(-inf) is nan, trigamma(+inf) = 0; higher orders are nan at +inf
        out[x == -_INF] = _NAN
        out[x == _INF] = 0.0
    ok = ~pole & (xp.abs(x) < _INF)
    out[ok] = _polygamma_finite(n, x[ok], xp)
    return out


def _zeta_block(s: Any, q: Any, xp: Any) -> Any:
    out = xp.full(s.shape, _NAN)
    ok = (s > 1) & (s < _INF) & (q > 0) & (q < _INF)
    out[ok] = _zeta_positive(s[ok], q[ok], xp)
    # s = +inf (PyTorch): inf for q < 1, 1 at q = 1, nan above
    out[(s == _INF) & (q > 0) & (q < 1)] = _INF
    out[(s == _INF) & (q == 1)] = 1.0
    neg = (s > 1) & (s < _INF) & (q < 0) & (q != xp.floor(q)) & (s == xp.floor(s))
    if bool(neg.any()):  # integer s: zeta(s, q) = (-1)^s psi^(s-1)(q) / (s-1)!
        sn, qn = s[neg], q[neg]
        res = xp.empty_like(qn)
        for order in {int(v) for v in sn.tolist()}:
            m = sn == order
            res[m] = (-1.0) ** order * _polygamma_finite(order - 1, qn[m], xp) / _factorial(order - 1)
        out[neg] = res
    pole = (q <= 0) & (q == xp.floor(q)) & ~(s < 1)  # s = nan included, as PyTorch
    out[pole] = _INF
    out[s == 1] = _INF
    return out


# -- public kernels ----------------------------------------------------------------------------------------
def _nonpositive_or_special(x: Any, xp: Any) -> Any:
    """Where SciPy's kernels may disagree with PyTorch: poles, the reflection side, infinities, NaN, and
    subnormal x (SciPy's gammaln(5e-324) is inf)."""
    return (x <= 1e-300) | ~xp.isfinite(x)


def lgamma(x: Any) -> Any:
    """log|Gamma(x)|, elementwise."""
    return on_device(x, lambda sp, v: sp.gammaln(v), lambda v: unary_f64(_lgamma_block, v), _nonpositive_or_special)


def digamma(x: Any) -> Any:
    """psi(x) = d/dx lgamma(x), elementwise."""
    return on_device(x, lambda sp, v: sp.digamma(v), lambda v: unary_f64(_digamma_block, v),
                     _nonpositive_or_special)


def polygamma(n: int, x: Any) -> Any:
    """psi^(n)(x), the n-th derivative of digamma (n >= 0), elementwise."""
    if n == 0:
        return digamma(x)
    reference = lambda v: unary_f64(lambda b, xp: _polygamma_block(n, b, xp), v)  # noqa: E731
    return on_device(x, lambda sp, v: sp.polygamma(n, v), reference, _nonpositive_or_special)


def zeta(s: Any, q: Any) -> Any:
    """Hurwitz zeta(s, q) = sum_{k>=0} (q + k)^-s, elementwise with broadcasting."""
    return binary_f64(_zeta_block, s, q)
