"""Special functions NumPy lacks, on NumPy or CuPy arrays: ``erf`` and ``erfc``.

Accuracy (checked against ``math.erf`` and mpmath in ``tests/test_build.py``):
relative error below 1e-15 for float64 erf on all of R and for erfc down to its
float64 underflow near x = 27.3 (measured: 4.3e-16 and 8e-16).  float32/float16
inputs are computed in float64 and rounded once, so they are correctly rounded
or within one ulp.

Method, |x| = z:
  * z < 0.5:  Taylor series  erf(x) = 2/sqrt(pi) * sum_n (-1)**n x**(2n+1) / (n! (2n+1)),
              13 terms (the first one dropped is below 1e-19 at |x| = 0.5); the
              coefficients are computed at import from this closed form.
  * z >= 0.5: erfc(z) = t * exp(-z**2 + g(y)),  t = 2/(2+z),  y = 2.5 t - 1,
              g a degree-24 polynomial fitted once by ``kernels/gen_erfc_coeffs.py``
              (Chebyshev interpolation at 40 digits, see that file for the math).
              exp(-z**2) is split as exp(-zh**2) * exp(-(z-zh)(z+zh)) with zh = z
              rounded down to 1/16, so zh**2 is exact and the tail keeps its
              relative accuracy down to the float64 underflow at z ~ 27.3.
  erf(x) = sign(x) (1 - erfc(z)) for z >= 0.5, and erfc(x) = 1 - erf(x) for |x| < 0.5,
  erfc(x) = 2 - erfc(-x) for x <= -0.5.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ._xp import _xp

_SMALL = 0.5  # below this |x| the Taylor series is used
_Z_MAX = 30.0  # erfc(30) = 2.6e-393 underflows to 0 in float64; clamping keeps inf out of the arithmetic

# Taylor coefficients of erf(x)/x in powers of x**2: 2/sqrt(pi) * (-1)**n / (n! (2n+1)).
_ERF_SERIES = tuple(
    2.0 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(13)
)

# g(y) of the module docstring, coefficients of y**0, y**1, ... (kernels/gen_erfc_coeffs.py).
_ERFC_G = (
    -0.8040723101069575,
    0.5187684450161724,
    0.04637608495282526,
    -0.01836747380938376,
    -0.006975254683968061,
    0.0016209949314645949,
    0.0011597608925398436,
    -0.00024266197151090398,
    -0.0002113154501327299,
    5.453586738431034e-05,
    3.8873228244209176e-05,
    -1.477107162033308e-05,
    -6.395867939996977e-06,
    4.010452159380562e-06,
    6.910908363503219e-07,
    -9.734473743912888e-07,
    5.941349439382858e-08,
    1.9023852902016457e-07,
    -6.006724241290158e-08,
    -2.504210643912317e-08,
    1.8657608723831725e-08,
    1.1845419845787932e-09,
    -3.3523865967421483e-09,
    1.326295602270963e-10,
    2.8931849694580876e-10,
)


def _horner(coeffs: tuple[float, ...], v: Any) -> Any:
    """sum_i coeffs[i] * v**i by Horner's rule, in place on a fresh accumulator (v is not modified)."""
    acc = v * coeffs[-1]
    acc += coeffs[-2]
    for c in reversed(coeffs[:-2]):
        acc *= v
        acc += c
    return acc


def _erf_small(x: Any) -> Any:
    """erf(x) for |x| < 0.5 (float64 array)."""
    return x * _horner(_ERF_SERIES, x * x)


def _erfc_large(z: Any, xp: Any) -> Any:
    """erfc(z) for z >= 0.5 (float64 array; NaN propagates, +inf gives 0).

    Written with in-place ufuncs: this branch is most of the cost of erf/erfc.
    """
    z = xp.minimum(z, _Z_MAX)  # fresh array, safe to modify below
    t = z + 2.0
    xp.divide(2.0, t, out=t)  # t = 2 / (2 + z)
    y = t * 2.5
    y -= 1.0  # y = 2.5 t - 1
    g = _horner(_ERFC_G, y)
    zh = z * 16.0
    xp.floor(zh, out=zh)
    zh /= 16.0  # z rounded down to 1/16: at most 9 significant bits, so zh*zh is exact
    xp.add(z, zh, out=y)
    z -= zh
    z *= y  # (z - zh)(z + zh) = z**2 - zh**2, small and accurate
    g -= z
    xp.exp(g, out=g)
    zh *= zh
    xp.negative(zh, out=zh)
    xp.exp(zh, out=zh)  # exp(-zh**2) from an exact argument
    g *= zh
    g *= t
    return g


def _erf_block(x: Any, xp: Any) -> Any:
    """erf on a 1-D float64 block."""
    out = xp.empty_like(x)
    small = xp.abs(x) < _SMALL
    large = ~small  # includes NaN, which propagates through the erfc branch
    out[small] = _erf_small(x[small])
    xl = x[large]
    out[large] = xp.copysign(1.0 - _erfc_large(xp.abs(xl), xp), xl)
    return out


def _erfc_block(x: Any, xp: Any) -> Any:
    """erfc on a 1-D float64 block."""
    out = xp.empty_like(x)
    small = xp.abs(x) < _SMALL
    neg = x <= -_SMALL
    pos = ~(small | neg)  # includes NaN
    out[small] = 1.0 - _erf_small(x[small])
    out[pos] = _erfc_large(x[pos], xp)
    out[neg] = 2.0 - _erfc_large(-x[neg], xp)
    return out


# NumPy blocks of this many elements keep the ~10 float64 temporaries in L2 cache,
# about 1.4x faster than whole-array passes at 1e6 elements.  CuPy gets one block.
_BLOCK = 1 << 16


def _elementwise_f64(block_fn: Callable[[Any, Any], Any], x: Any) -> Any:
    """Apply ``block_fn`` (1-D float64 -> 1-D float64) elementwise to any array-like.

    Floating inputs keep their dtype (computed in float64, rounded once); other
    inputs give float64.  The shape is preserved (0-d in, 0-d out).
    """
    xp = _xp(x)
    x = xp.asarray(x)
    out_dtype = x.dtype if x.dtype.kind in "fV" else xp.dtype(xp.float64)
    flat = x.reshape(-1)
    out = xp.empty(flat.shape, dtype=out_dtype)
    block = _BLOCK if xp.__name__ == "numpy" else max(flat.size, 1)
    for start in range(0, flat.size, block):
        chunk = flat[start : start + block].astype(xp.float64, copy=False)
        out[start : start + block] = block_fn(chunk, xp)
    return out.reshape(x.shape)


def erf(x: Any) -> Any:
    """Error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t**2) dt, elementwise.

    Floating inputs keep their dtype; other inputs give float64.  erf(+-inf) = +-1,
    erf(nan) = nan, erf(-0.0) = -0.0.
    """
    return _elementwise_f64(_erf_block, x)


def erfc(x: Any) -> Any:
    """Complementary error function erfc(x) = 1 - erf(x), elementwise, accurate in the
    right tail (no cancellation): erfc(10) = 2.088e-45, erfc(27) ~ 5e-319 (subnormal).

    Floating inputs keep their dtype; other inputs give float64.  erfc(+inf) = 0,
    erfc(-inf) = 2, erfc(nan) = nan.
    """
    return _elementwise_f64(_erfc_block, x)
