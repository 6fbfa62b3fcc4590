"""Registry entries for tensorlite/ops/math_extra.py: nan_to_num, logaddexp(2), logit, sinc,
deg2rad/rad2deg, ldexp, frexp, and the forward-only gcd, lcm, heaviside, isin, nextafter's values.
"""
from __future__ import annotations

import numpy as np

from ...ops import math_extra as M
from . import ErrorSample, OpInfo, Sample, arr, away_from
from ._common import _t, _z
from ._not_tensor import add_not_tensor_errors


_INT = np.array([1, -2, 3])


def _nan_to_num_samples(rng):
    special = np.array([1.5, np.nan, np.inf, -np.inf, -0.5, 0.0])
    yield Sample((arr(rng, 3, 4),), desc="finite values")
    yield Sample((special,), desc="NaN and infinities: the dtype's extremes")
    yield Sample((special, 1.5, 2.0, -3.0), desc="replacement values")
    yield Sample((special,), {"posinf": 7.0}, desc="posinf only")
    yield Sample((np.array(np.nan),), desc="0-d")
    yield Sample((arr(rng, 0, 2),), desc="zero-size")
    yield Sample((np.array([1, 2, 3]),), desc="int64: a copy")


def _binary_samples(make=None, large=True):
    make = make or (lambda rng, *shape: arr(rng, *shape))

    def samples(rng):
        yield Sample((make(rng, 3, 4), make(rng, 3, 4)), desc="same shape")
        yield Sample((make(rng, 3, 1), make(rng, 4)), desc="broadcast")
        yield Sample((make(rng), make(rng, 2, 3)), desc="0-d input")
        yield Sample((make(rng, 2, 0), make(rng, 1)), desc="zero-size")
        if large:
            yield Sample((np.array([-800.0, 800.0, 0.0, -1e3]), np.array([-801.0, 790.0, -1e3, 5.0])),
                         gradgrad=False, desc="large magnitudes (the second derivative overflows to NaN)")
            yield Sample((np.array([-np.inf, np.inf, -np.inf]), np.array([1.0, 2.0, -np.inf])), grad=(False, False),
                         desc="infinities")

    return samples


def _int_errors(op: str):
    def errors():
        yield ErrorSample((_INT, _INT), error=NotImplementedError, desc=f"{op}: int64 inputs")
        yield ErrorSample((_z(3), _z(4)), desc="shapes do not broadcast")

    return errors


def _float_errors(op: str):
    def errors():
        yield ErrorSample((_z(3), _z(3)), error=NotImplementedError, desc=f"{op}: float inputs")
        yield ErrorSample((_INT, np.zeros(4, np.int64)), desc="shapes do not broadcast")

    return errors


def _logit_samples(rng):
    p = arr(rng, 3, 4, low=0.1, high=0.9)
    yield Sample((p,), desc="(0, 1)")
    yield Sample((away_from(arr(rng, 3, 4, low=-0.2, high=1.2), (0.05, 0.95), 0.03), 0.05),
                 desc="eps: clamped outside [eps, 1 - eps]")
    yield Sample((np.array(0.3),), desc="0-d")
    yield Sample((arr(rng, 0),), desc="zero-size")
    yield Sample((np.array([0.0, 1.0, -0.5, 1.5]),), grad=(False,), desc="0, 1 and outside: inf and NaN")
    yield Sample((np.array([0, 1]),), desc="int64")


def _sinc_samples(rng):
    yield Sample((arr(rng, 3, 4),), desc="2-d")
    yield Sample((np.array([0.0, 1.0, -2.0, 0.5]),), gradgrad=False,
                 desc="0 and integers (the second derivative at 0 is not the limit)")
    yield Sample((np.array(0.25),), desc="0-d")
    yield Sample((arr(rng, 0),), desc="zero-size")
    yield Sample((np.array([0, 1, 2]),), desc="int64")


def _unary_samples(rng):
    yield Sample((arr(rng, 3, 4, low=-200, high=200),), desc="2-d")
    yield Sample((np.array(90.0),), desc="0-d")
    yield Sample((arr(rng, 0, 2),), desc="zero-size")
    yield Sample((np.array([0, 90, -180]),), desc="int64")


def _ldexp_samples(rng):
    # PyTorch's gradient for negative int64 exponents is 0 (it computes 2^k in integers): gradients only for k >= 0
    yield Sample((arr(rng, 3, 4), rng.integers(0, 4, size=(3, 4))), desc="int64 exponents")
    yield Sample((arr(rng, 3, 4), rng.integers(0, 4, size=(4,))), desc="broadcast exponents")
    yield Sample((arr(rng, 3, 4), rng.integers(-4, 0, size=(3, 4))), grad=(False,), desc="negative int64 exponents")
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4)), desc="float exponents")
    yield Sample((np.array(1.5), np.array(3)), desc="0-d")
    yield Sample((np.array([1, 2]), np.array([3, -1])), desc="int64 input")


def _ldexp_errors():
    yield ErrorSample((_z(3), np.zeros(4, np.int64)), desc="shapes do not broadcast")


def _frexp_samples(rng):
    yield Sample((arr(rng, 3, 4, low=-100, high=100),), desc="2-d")
    # the mantissa jumps at zero and at powers of 2; PyTorch's gradient at extremes overflows (2^e in float32)
    yield Sample((np.array([0.0, -0.0, 1.0, 0.5, -3.0, 1e-300, 1e300]),), grad=(False,),
                 desc="zeros, powers of 2, extremes")
    yield Sample((np.array(6.0),), desc="0-d")
    yield Sample((arr(rng, 0),), desc="zero-size")


def _frexp_errors():
    yield ErrorSample((_INT,), desc="int64 input")


def _int_binary_samples(rng):
    a, b = rng.integers(-30, 31, size=(3, 4)), rng.integers(-30, 31, size=(3, 4))
    yield Sample((a, b), desc="same shape")
    yield Sample((a, rng.integers(1, 10, size=(4,))), desc="broadcast")
    yield Sample((np.array([0, 0, 12, -12]), np.array([0, 5, 0, 18])), desc="zeros")
    yield Sample((np.array(12), np.array(18)), desc="0-d")


def _heaviside_samples(rng):
    x = np.array([-1.5, 0.0, 2.0, -0.0, 0.0])
    yield Sample((x, np.array([0.5])), grad=(False, False), desc="scalar-like values")
    yield Sample((x, arr(rng, 5)), grad=(False, False), desc="values per element")
    yield Sample((arr(rng, 3, 1), arr(rng, 4)), grad=(False, False), desc="broadcast")
    yield Sample((np.array([-2, 0, 3]), np.array([7])), desc="int64")


def _heaviside_errors():
    yield ErrorSample((_z(3), _z(3, dtype=np.float32)), desc="dtypes differ")
    yield ErrorSample((_z(3), _z(4)), desc="shapes do not broadcast")


def _isin_samples(rng):
    e = rng.integers(0, 8, size=(3, 4))
    yield Sample((e, np.array([1, 3, 5])), desc="int64")
    yield Sample((e, np.array([1, 3, 5])), {"invert": True}, desc="invert")
    yield Sample((np.array([1, 2, 3]), np.array([1, 2, 3])), {"assume_unique": True}, desc="assume_unique")
    yield Sample((e, 3), desc="scalar test element")
    yield Sample((3, e), desc="scalar element")
    yield Sample((np.array([0.5, 1.0, 2.0]), np.array([1.0, 2.5])), desc="float")
    yield Sample((e, np.zeros(0, dtype=np.int64)), desc="no test elements")
    yield Sample((np.zeros((0, 2), dtype=np.int64), e), desc="no elements")


def _isin_errors():
    yield ErrorSample((1, 2), error=TypeError, desc="no tensor")


def _nextafter_samples(rng):
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4)), desc="same shape")
    yield Sample((arr(rng, 3, 1), arr(rng, 4)), desc="broadcast")
    # where input == other, PyTorch's gradient is 0 but finite differences see 1: forward only
    yield Sample((np.array([0.0, 1.0, -1.0, 2.0]), np.array([1.0, 1.0, 0.0, np.inf])), grad=(False, False),
                 desc="zero, equal, infinity")
    yield Sample((np.array(1.0), np.array(2.0)), desc="0-d")


OPS = [
    OpInfo("nan_to_num", M.nan_to_num, _t("nan_to_num"), _nan_to_num_samples),
    OpInfo("logaddexp", M.logaddexp, _t("logaddexp"), _binary_samples(), _int_errors("logaddexp")),
    OpInfo("logaddexp2", M.logaddexp2, _t("logaddexp2"), _binary_samples(), _int_errors("logaddexp2")),
    OpInfo("logit", M.logit, _t("logit"), _logit_samples),
    OpInfo("sinc", M.sinc, _t("sinc"), _sinc_samples),
    OpInfo("deg2rad", M.deg2rad, _t("deg2rad"), _unary_samples),
    OpInfo("rad2deg", M.rad2deg, _t("rad2deg"), _unary_samples),
    OpInfo("ldexp", M.ldexp, _t("ldexp"), _ldexp_samples, _ldexp_errors),
    OpInfo("frexp", M.frexp, _t("frexp"), _frexp_samples, _frexp_errors),
    OpInfo("gcd", M.gcd, _t("gcd"), _int_binary_samples, _float_errors("gcd"), differentiable=False),
    OpInfo("lcm", M.lcm, _t("lcm"), _int_binary_samples, _float_errors("lcm"), differentiable=False),
    OpInfo("heaviside", M.heaviside, _t("heaviside"), _heaviside_samples, _heaviside_errors, differentiable=False,
           notes="PyTorch's result requires grad and its backward raises; tensorlite's does not require grad"),
    OpInfo("isin", M.isin, _t("isin"), _isin_samples, _isin_errors, differentiable=False),
    OpInfo("nextafter", M.nextafter, _t("nextafter"), _nextafter_samples, _int_errors("nextafter"),
           notes="a one-ulp step: gradient g for input and 0 for other, as PyTorch defines it"),
]

add_not_tensor_errors(OPS, {"nan_to_num": (), "logaddexp": (_z(3),), "logaddexp2": (_z(3),), "logit": (), "sinc": (),
                            "deg2rad": (), "rad2deg": (), "ldexp": (_z(3),), "frexp": (), "gcd": (_INT,),
                            "lcm": (_INT,), "heaviside": (_z(3),), "nextafter": (_z(3),)})
