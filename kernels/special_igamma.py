"""Regularized incomplete gamma functions on NumPy or CuPy arrays: igamma P(a, x) and igammac Q(a, x).

    P(a, x) = gamma(a, x) / Gamma(a) = 1/Gamma(a) integral_0^x t^(a-1) e^-t dt,    Q = 1 - P.

Float64 accuracy about 1e-14 relative (a few 1e-13 for results below 1e-200, from the rounding of the
prefactor's large exponent), checked against mpmath in tests/test_special.py; the smaller of P and Q is never
computed as 1 minus the other. Each element takes one of four methods (the regions are
SciPy's and PyTorch's, except that the uniform expansion serves every a > 20 with |x - a| < 0.3 a):

  * uniform asymptotic expansion (Temme; DLMF 8.12.3-4) for a > 20, |x - a| < 0.3 a:
        Q = erfc(eta sqrt(a/2)) / 2 + e^(-a eta^2/2) / sqrt(2 pi a) * sum_k C_k(eta) a^-k,
        eta^2/2 = mu - log(1 + mu), mu = (x - a)/a, sign(eta) = sign(mu);
    C_k(eta) = sum_n d[k][n] eta^n, coefficients derived exactly (Fractions, on first use) from
    C_0 = 1/mu - 1/eta and C_k = C'_(k-1)/eta + gamma_k/mu, gamma_k fixed by C_k being regular at 0;
  * power series P = D sum_k x^k / ((a+1)...(a+k)), D = x^a e^-x / Gamma(a+1) (DLMF 8.11.4), for x below
    about a (and small x with a not tiny);
  * continued fraction for Q (DLMF 8.9.2, modified Lentz) for x > a, x > 1.1;
  * Q = 1 - x^a/Gamma(a+1) - x^a/Gamma(a) sum_{n>=1} (-x)^n / (n! (a+n)) (DLMF 8.7.3, 1 - x^a/Gamma(a+1)
    as -expm1) for x <= 1.1 and small a, where P is close to 1.
D is exp(a log1pmx(mu)) / (sqrt(2 pi a) Gamma*(a)) for a >= 10 (Gamma* = Stirling's series), so x ~ a
keeps full accuracy. Boundaries as PyTorch: nan for a < 0 or x < 0; P(0, x > 0) = 1; P(a, 0) = 0;
P(inf, x) = 0 (nan for x = inf); P(a, inf) = 1; P(0, 0) = nan.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any

import numpy as np

from ._special_common import binary_f64, device_special, horner, log1pmx
from .special import _erfc_block
from .special_gamma import _LGAMMA_TAIL, _lgamma_2z, _lgamma_positive
from ._xp import _xp

_EPS = 2.0 ** -53
_MAX_ITER = 2000
_TEMME_K, _TEMME_N = 25, 25


@functools.lru_cache(maxsize=None)
def _temme_coefficients() -> tuple[tuple[float, ...], ...]:
    """d[k][n] of the module docstring, k < 25, n < 25 (exact rational arithmetic, rounded once)."""
    size = _TEMME_N + 2 * _TEMME_K + 2
    # mu(eta) = sum_j m_j eta^j from mu mu' = eta (1 + mu) (mu' = d mu / d eta), m_1 = 1
    m = [Fraction(0), Fraction(1)]
    for n in range(2, size + 2):
        m.append((m[n - 1] - sum((n + 1 - i) * m[i] * m[n + 1 - i] for i in range(2, n))) / (n + 1))
    # b: eta/mu = sum_n b_n eta^n (1/mu = sum_n b_n eta^(n-1))
    a = m[1:]
    b = [Fraction(1)]
    for n in range(1, size + 1):
        b.append(-sum(a[j] * b[n - j] for j in range(1, n + 1)))
    rows = [[b[n + 1] for n in range(size)]]  # C_0 = 1/mu - 1/eta
    for _ in range(1, _TEMME_K):
        prev = rows[-1]
        gamma_k = -prev[1]  # cancels the 1/eta of C'_(k-1)/eta
        rows.append([(n + 2) * prev[n + 2] + gamma_k * b[n + 1] for n in range(len(prev) - 2)])
    return tuple(tuple(float(v) for v in row[:_TEMME_N]) for row in rows)


def _temme(a: Any, x: Any, upper: bool, xp: Any) -> Any:
    """Q (upper) or P (lower) by the uniform asymptotic expansion."""
    d = _temme_coefficients()
    mu = (x - a) / a
    lmu = log1pmx(mu, xp)  # = -eta^2/2
    eta = xp.sqrt(-2.0 * lmu) * xp.sign(mu)
    total = xp.zeros_like(a)
    inv_a = 1.0 / a
    afac = xp.ones_like(a)
    prev = xp.full(a.shape, math.inf)
    going = xp.ones(a.shape, dtype=bool)
    for k in range(_TEMME_K):
        term = horner(d[k], eta) * afac
        mag = xp.abs(term)
        going &= mag <= prev  # the asymptotic series is cut where its terms start to grow
        total += xp.where(going, term, 0.0)
        prev = mag
        afac = afac * inv_a
    sgn = 1.0 if upper else -1.0
    z = sgn * eta * xp.sqrt(0.5 * a)
    return 0.5 * _erfc_block(z, xp) + sgn * xp.exp(a * lmu) * total / xp.sqrt(2.0 * math.pi * a)


def _log_gamma_star(a: Any) -> Any:
    """log Gamma*(a) = lgamma(a) - ((a - 1/2) log a - a + log(2 pi)/2), a >= 10."""
    return horner(_LGAMMA_TAIL, 1.0 / (a * a)) / a


def _lgamma1p(a: Any, xp: Any) -> Any:
    """lgamma(1 + a) for a > 0 without rounding 1 + a (which would cost tiny a all of its digits)."""
    out = _lgamma_positive(a + 1.0, xp)
    low = a < 1.5
    if bool(low.any()):
        v = a[low]
        # 1 + v in [1.5, 2.5): lgamma(2 + (v - 1)), v - 1 exact; below, lgamma(1 + v) = lgamma(2 + v) - log1p(v)
        out[low] = xp.where(v >= 0.5, _lgamma_2z(v - 1.0), _lgamma_2z(v) - xp.log1p(v))
    return out


def _prefactor(a: Any, x: Any, xp: Any) -> Any:
    """D = x^a e^-x / Gamma(a + 1)."""
    out = xp.empty_like(a)
    big = a >= 10.0
    if bool(big.any()):
        ab, xb = a[big], x[big]
        out[big] = xp.exp(ab * log1pmx((xb - ab) / ab, xp) - _log_gamma_star(ab)) / xp.sqrt(2.0 * math.pi * ab)
    small = ~big
    if bool(small.any()):
        a_s, x_s = a[small], x[small]
        head = a_s * xp.log(x_s) - _lgamma1p(a_s, xp)
        split = xp.exp(head) * xp.exp(-x_s)  # exp(-x) of an exact x: no rounding of a large exponent
        joint = xp.exp(head - x_s)
        out[small] = xp.where(xp.isfinite(split) & (split > 0), split, joint)
    return out


def _iterate(state: dict, step, done_fn, xp: Any) -> None:
    """Run `step(state_subset)` on the elements not yet converged (`done_fn` says which are), up to _MAX_ITER."""
    n = next(iter(state.values())).shape[0]
    idx = xp.arange(n)
    live = {k: v.copy() for k, v in state.items()}
    for _ in range(_MAX_ITER):
        if idx.size == 0:
            break
        step(live)
        done = done_fn(live)
        if bool(done.any()):
            for key in state:
                state[key][idx[done]] = live[key][done]
            keep = ~done
            idx = idx[keep]
            live = {k: v[keep] for k, v in live.items()}
    if idx.size:
        for key in state:
            state[key][idx] = live[key]


def _p_series(a: Any, x: Any, xp: Any) -> Any:
    """P by the power series."""
    st = {"a": a, "x": x, "r": a.copy(), "c": xp.ones_like(a), "s": xp.ones_like(a)}

    def step(v):
        v["r"] += 1.0
        v["c"] *= v["x"] / v["r"]
        v["s"] += v["c"]

    _iterate(st, step, lambda v: v["c"] <= _EPS * v["s"], xp)
    return st["s"] * _prefactor(a, x, xp)


def _q_fraction(a: Any, x: Any, xp: Any) -> Any:
    """Q by the continued fraction x^a e^-x / Gamma(a) / (x+1-a - 1(1-a)/(x+3-a - 2(2-a)/(x+5-a - ...)))."""
    tiny = 1e-300
    g0 = x + 1.0 - a
    g0 = xp.where(g0 == 0, tiny, g0)
    st = {"a": a, "x": x, "k": xp.zeros_like(a), "g": g0.copy(), "c": g0.copy(), "d": xp.zeros_like(a),
          "delta": xp.zeros_like(a)}

    def step(v):
        v["k"] += 1.0
        k = v["k"]
        ak = -k * (k - v["a"])
        bk = v["x"] + 2.0 * k + 1.0 - v["a"]
        dd = bk + ak * v["d"]
        dd = xp.where(dd == 0, tiny, dd)
        v["d"] = 1.0 / dd
        cc = bk + ak / v["c"]
        v["c"] = xp.where(cc == 0, tiny, cc)
        v["delta"] = v["c"] * v["d"]
        v["g"] *= v["delta"]

    _iterate(st, step, lambda v: xp.abs(v["delta"] - 1.0) <= _EPS, xp)
    return a * _prefactor(a, x, xp) / st["g"]


def _q_small(a: Any, x: Any, xp: Any) -> Any:
    """Q for x <= 1.1 and small a (DLMF 8.7.3): -expm1(a log x - lgamma(1+a)) - x^a/Gamma(a) sum_n ..."""
    total = xp.zeros_like(a)
    fac = xp.ones_like(a)
    for n in range(1, 60):  # |term| <= 1.1^n / n! < 1e-17 by n = 25
        fac = fac * (-x / n)
        total += fac / (a + n)
    logx = xp.log(x)
    lg1 = _lgamma1p(a, xp)
    return -xp.expm1(a * logx - lg1) - a * xp.exp(a * logx - lg1) * total  # x^a/Gamma(a) = a x^a/Gamma(a+1)


def _igamma_block(a: Any, x: Any, xp: Any, upper: bool) -> Any:
    nan = math.nan
    out = xp.full(a.shape, nan)
    lo, hi = (1.0, 0.0) if upper else (0.0, 1.0)  # values of the result at x = 0 and x = inf
    inf = math.inf
    valid = (a >= 0) & (x >= 0)
    out[valid & (a == 0) & (x > 0)] = hi
    out[valid & (a > 0) & (x == 0)] = lo
    out[valid & (a == inf) & (x > 0) & (x < inf)] = lo
    out[valid & (a > 0) & (a < inf) & (x == inf)] = hi
    body = valid & (a > 0) & (x > 0) & (a < inf) & (x < inf)
    if not bool(body.any()):
        return out
    ab, xb = a[body], x[body]
    res = xp.empty_like(ab)
    temme = (ab > 20.0) & (xp.abs(xb - ab) < 0.3 * ab)
    small_q = xp.where(xb <= 0.5, -0.4 / xp.log(xb) >= ab, 1.1 * xb >= ab) & (xb <= 1.1)
    if upper:
        fraction = (xb > 1.1) & (xb >= ab)
    else:
        fraction = (xb > 1.1) & (xb > ab)
        small_q &= (xb > 1.0) & (xb > ab)
    fraction &= ~temme
    small_q &= ~temme & ~fraction
    series = ~(temme | fraction | small_q)
    for mask, fn, gives_upper in ((temme, None, upper), (series, _p_series, False),
                                  (fraction, _q_fraction, True), (small_q, _q_small, True)):
        if not bool(mask.any()):
            continue
        am, xm = ab[mask], xb[mask]
        v = _temme(am, xm, upper, xp) if fn is None else fn(am, xm, xp)
        res[mask] = v if gives_upper == upper else 1.0 - v
    out[body] = res
    return out


def _on_device(name: str, a: Any, x: Any, upper: bool) -> Any:
    ref = lambda u, v: binary_f64(lambda b1, b2, xp: _igamma_block(b1, b2, xp, upper), u, v)  # noqa: E731
    sp = device_special(a)
    if sp is None:
        return ref(a, x)
    xp = _xp(a)
    shape = np.broadcast_shapes(a.shape, x.shape)
    a, x = xp.broadcast_to(a, shape), xp.broadcast_to(x, shape)
    fix = (a <= 0) | (x <= 0) | ~xp.isfinite(a) | ~xp.isfinite(x)
    with np.errstate(all="ignore"):
        out = getattr(sp, name)(xp.where(fix, 1.0, a), xp.where(fix, 1.0, x))
    out = out.astype(xp.result_type(a.dtype, x.dtype), copy=False)
    if bool(fix.any()):
        out[fix] = ref(a[fix], x[fix])
    return out


def igamma(a: Any, x: Any) -> Any:
    """Regularized lower incomplete gamma P(a, x), elementwise with broadcasting."""
    return _on_device("gammainc", a, x, upper=False)


def igammac(a: Any, x: Any) -> Any:
    """Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), elementwise with broadcasting."""
    return _on_device("gammaincc", a, x, upper=True)
