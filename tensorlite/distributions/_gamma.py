"""Reparameterised Gamma(alpha, 1) sampling: draws from NumPy's generator, gradients by implicit
differentiation (what torch._standard_gamma does; Gamma, Beta, Dirichlet, Chi2 and StudentT rsample use it).

A draw x solves P(alpha, x) = u for a fixed uniform u (P the regularised lower incomplete gamma function),
so dx/dalpha = -(dP/dalpha) / (dP/dx) with dP/dx = x^(alpha-1) e^-x / Gamma(alpha). The ratio is computed
without P itself, in one of three forms whose terms all have one sign (no cancellation):

  x <= exp(psi(alpha + 1)), alpha < 50:   sum_n x^(n+1) / (alpha)_(n+1) * (psi(alpha + n + 1) - log x)
      (the series P = sum_n x^(alpha+n) e^-x / Gamma(alpha + n + 1), differentiated term by term);
  x <= exp(psi(alpha + 1)), alpha >= 50:  x * int_0^inf exp(-alpha u + x (1 - e^-u)) (psi(alpha) - log x + u) du
      (t = x e^-u in -int_0^x (t/x)^(alpha-1) e^(x-t) (log t - psi(alpha)) dt);
  x >  exp(psi(alpha + 1)):               x * int_0^inf exp(alpha u - x (e^u - 1)) (log x + u - psi(alpha)) du
      (t = x e^u in dQ/dalpha / (dP/dx) with Q = 1 - P the upper tail).
The integrands are entire and decay double-exponentially; each integral runs over [0, U] where the exponent
(concave in u) has fallen to -40, found by bisection, with 48-point Gauss-Legendre quadrature.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend.device import get_array_module
from ..random import numpy_generator

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)
_SERIES_MAX_ALPHA = 50.0
_DROP = -40.0  # the exponent where an integrand is cut off (e^-40 ~ 4e-18 of its peak)


def _digamma(a: np.ndarray) -> np.ndarray:
    from ..kernels.special_gamma import digamma

    return digamma(a)


def _cutoff(g, a: np.ndarray, x: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Bisection for the u in [0, hi] where the concave, eventually decreasing g(u, a, x) crosses _DROP."""
    lo = np.zeros_like(hi)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        below = g(mid, a, x) < _DROP
        hi = np.where(below, mid, hi)
        lo = np.where(below, lo, mid)
    return hi


def _quadrature(g, factor, a: np.ndarray, x: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """x * int_0^upper exp(g(u)) factor(u) du per element (Gauss-Legendre on [0, upper])."""
    u = 0.5 * upper[:, None] * (_GL_NODES[None, :] + 1.0)
    integrand = np.exp(g(u, a[:, None], x[:, None])) * factor(u)
    return x * 0.5 * upper * (integrand * _GL_WEIGHTS[None, :]).sum(-1)


def _series(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    log_x = np.log(x)
    psi = _digamma(a + 1.0)  # psi(alpha + n + 1), advanced by 1/(alpha + n + 1) each step
    c = x / a  # x^(n+1) / (alpha (alpha+1) ... (alpha+n))
    total = c * (psi - log_x)
    for n in range(1, 5000):
        psi = psi + 1.0 / (a + n)
        c = c * x / (a + n)
        term = c * (psi - log_x)
        total = total + term
        if np.all(term <= 1e-17 * total):
            break
    return total


def _g_lower(u, a, x):
    return -a * u - x * np.expm1(-u)


def _g_upper(u, a, x):
    return a * u - x * np.expm1(u)


def _lower_integral(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    offset = (_digamma(a) - np.log(x))[:, None]
    upper = _cutoff(_g_lower, a, x, (x + 40.0) / a)  # g(u) <= x - alpha u
    return _quadrature(_g_lower, lambda u: offset + u, a, x, upper)


def _upper_integral(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    offset = (np.log(x) - _digamma(a))[:, None]
    # here x > alpha: g(u) <= -(x - alpha) u, and g(u) <= (alpha - x) u - x u^2 / 2 <= -x u^2 / 2
    bound = np.minimum(np.sqrt(-2.0 * _DROP / x), -_DROP / np.maximum(x - a, 1e-300))
    upper = _cutoff(_g_upper, a, x, bound)
    return _quadrature(_g_upper, lambda u: offset + u, a, x, upper)


def standard_gamma_grad(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d x / d alpha of a Gamma(alpha, 1) draw x, holding its CDF value fixed (float64 arrays)."""
    a, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    shape = a.shape
    a, x = a.reshape(-1), np.maximum(x.reshape(-1), np.finfo(np.float64).tiny)
    out = np.empty_like(a)
    with np.errstate(all="ignore"):
        in_lower = x <= np.exp(_digamma(a + 1.0))
        large = a >= _SERIES_MAX_ALPHA
        regions = ((in_lower & ~large, _series), (in_lower & large, _lower_integral), (~in_lower, _upper_integral))
        for mask, method in regions:
            if mask.any():
                out[mask] = method(a[mask], x[mask])
    return out.reshape(shape)


class _StandardGamma(Function):
    """x ~ Gamma(alpha, 1) elementwise. Gradient: g * dx/dalpha (implicit reparameterisation)."""

    save_output = True

    def forward(self, alpha):
        xp = get_array_module(alpha)
        host = alpha.get() if xp is not np else alpha
        draws = numpy_generator().standard_gamma(host.astype(np.float64))
        tiny = np.finfo(host.dtype).tiny if host.dtype.kind == "f" else np.finfo(np.float32).tiny
        return xp.asarray(np.maximum(draws, tiny).astype(alpha.dtype))

    def backward(self, grad):
        alpha, x = self.inputs[0], self.output()
        dx_dalpha = standard_gamma_grad(alpha._host(), x._host())
        from ..creation import _place

        return grad * _place(dx_dalpha.astype(alpha._data.dtype), alpha.device, False)


def standard_gamma(concentration):
    """Gamma(concentration, 1) draws, differentiable in the concentration."""
    return _StandardGamma.apply(concentration)
