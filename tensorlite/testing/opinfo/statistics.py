"""Registry entries for tensorlite/ops/statistics.py: quantile/nanquantile, logcumsumexp, cov/corrcoef,
dist, the trapezoid rule, and the counting ops bincount and histc (forward only); and tl.poisson
(tensorlite/ops/sampling.py: shapes and dtypes only, its numbers come from another generator).

Quantile samples hold distinct values a quarter apart, so no two are tied after rounding to
bfloat16 (a tie would send the gradient to either of the equal elements).
"""
from __future__ import annotations

import math

import numpy as np

from ...ops import sampling as _sampling
from ...ops import statistics as S
from . import ErrorSample, OpInfo, Sample, arr, positive
from ._common import _t, _z
from ._not_tensor import add_not_tensor_errors


def _distinct(rng, *shape):
    """Values k/4 - n/8 for a permutation k of 0..n-1: distinct, exact in bfloat16 for n <= 64."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.25 - n / 8).reshape(shape)


# -- quantiles ---------------------------------------------------------------------------------------------------
def _quantile_samples(nan: bool):
    def samples(rng):
        x = _distinct(rng, 3, 4)
        yield Sample((x, 0.3), desc="all elements")
        yield Sample((x, 0.25), {"dim": 1}, desc="dim=1")
        yield Sample((x, 0.6), {"dim": -2, "keepdim": True}, desc="dim=-2 keepdim")
        yield Sample((x, np.array([0.1, 0.5, 0.9])), {"dim": 0}, grad=(True, False), desc="1-d q")
        yield Sample((x, np.array([0.2, 0.7])), {"keepdim": True}, grad=(True, False), desc="1-d q, all, keepdim")
        yield Sample((x, np.array(0.4)), {"dim": 1}, grad=(True, False), desc="0-d q tensor")
        for mode in ("lower", "higher", "midpoint", "nearest"):
            yield Sample((x, 0.35), {"dim": 1, "interpolation": mode}, desc=mode)
        yield Sample((_distinct(rng, 5), 0.5), {"dim": 0, "interpolation": "nearest"}, desc="nearest, .5 ties to even")
        yield Sample((np.array(1.5), 0.3), desc="0-d input")
        yield Sample((np.array(1.5), 0.3), {"dim": 0, "keepdim": True}, desc="0-d input, dim=0")
        yield Sample((_distinct(rng, 1, 4), 1.0), {"dim": 1}, desc="q=1")
        yield Sample((_distinct(rng, 4), 0.0), desc="q=0")
        # finite differences cannot check a NaN result's gradient: gradients only where every result is finite
        with_nan = _distinct(rng, 3, 4)
        with_nan[0, 1] = with_nan[2, 0] = np.nan
        yield Sample((with_nan, 0.4), {"dim": 1}, grad=(nan,), desc="NaN values")
        yield Sample((with_nan, np.array([0.3, 0.8])), {"dim": 1}, grad=(nan, False), desc="NaN values, 1-d q")
        yield Sample((with_nan, 0.4), grad=(False,), desc="NaN values, all elements")
        with_nan = with_nan.copy()
        with_nan[1, :] = np.nan
        yield Sample((with_nan, 0.4), {"dim": 1}, grad=(False,), desc="an all-NaN row")

    return samples


def _quantile_errors(op: str):
    def errors():
        yield ErrorSample((np.array([1, 2, 3]), 0.5), match=op, desc="integer input")
        yield ErrorSample((_z(3, dtype=np.float16), 0.5), match="float or double", desc="float16 input")
        yield ErrorSample((_z(3), 1.5), match=r"\[0, 1\]", desc="q > 1")
        yield ErrorSample((_z(3), -0.1), desc="q < 0")
        yield ErrorSample((_z(3), np.array([0.5, 1.2])), desc="q tensor out of range")
        yield ErrorSample((_z(3), _z(2, 2)), desc="2-d q")
        yield ErrorSample((_z(3), np.array([0.5], dtype=np.float32)), desc="q dtype differs")
        yield ErrorSample((_z(3), 0.5), {"interpolation": "cubic"}, desc="unknown interpolation")
        yield ErrorSample((_z(0), 0.5), desc="empty input")
        yield ErrorSample((_z(3, 4), 0.5), {"dim": 2}, IndexError, desc="dim out of range")

    return errors


# -- logcumsumexp --------------------------------------------------------------------------------------------------
def _logcumsumexp_samples(rng):
    yield Sample((arr(rng, 3, 4), 1), desc="dim=1")
    yield Sample((arr(rng, 3, 4), 0), desc="dim=0")
    yield Sample((arr(rng, 2, 3, 2), -2), desc="dim=-2")
    yield Sample((arr(rng), 0), desc="0-d")
    yield Sample((arr(rng, 0, 3), 1), desc="zero-size")
    yield Sample((arr(rng, 5, low=-500, high=500), 0), desc="large magnitudes")
    yield Sample((np.array([-np.inf, -np.inf, 1.0, np.inf]), 0), grad=(False,), desc="infinities")


def _logcumsumexp_errors():
    yield ErrorSample((_z(3, 4), 2), error=IndexError, desc="dim out of range")
    yield ErrorSample((np.array([1, 2, 3]), 0), desc="integer input")


# -- cov, corrcoef, dist -------------------------------------------------------------------------------------------
def _cov_samples(rng):
    yield Sample((arr(rng, 3, 5),), desc="3 variables, 5 observations")
    yield Sample((arr(rng, 3, 5),), {"correction": 0}, desc="correction=0")
    yield Sample((arr(rng, 2, 4),), {"correction": 2}, desc="correction=2")
    yield Sample((arr(rng, 6),), desc="1-d: one variable")
    yield Sample((arr(rng, 1, 4),), desc="one row")
    yield Sample((arr(rng, 3, 5),), {"fweights": np.array([1, 2, 1, 3, 1])}, desc="fweights")
    yield Sample((arr(rng, 3, 5), ), {"aweights": positive(rng, 5)}, desc="aweights")
    yield Sample((arr(rng, 3, 5),), {"fweights": np.array([1, 2, 1, 3, 1]), "aweights": positive(rng, 5)},
                 desc="both weights")
    yield Sample((arr(rng, 3, 5),), {"correction": 0, "aweights": positive(rng, 5)}, desc="aweights, correction=0")


def _int_samples(rng):
    """Integer inputs are computed in the default dtype (float32): a separate, float32-tolerance entry."""
    yield Sample((rng.integers(-5, 6, size=(2, 5)),), desc="int64 input")
    yield Sample((rng.integers(-5, 6, size=(7,)),), desc="int64 1-d input")


def _cov_errors():
    yield ErrorSample((_z(2, 3, 4),), match="two or fewer", desc="3-d input")
    yield ErrorSample((_z(3, 5),), {"fweights": np.ones(5)}, desc="float fweights")
    yield ErrorSample((_z(3, 5),), {"fweights": np.array([1, 1, -1, 1, 1])}, desc="negative fweights")
    yield ErrorSample((_z(3, 5),), {"aweights": -np.ones(5)}, desc="negative aweights")
    yield ErrorSample((_z(3, 5),), {"aweights": np.ones(4)}, desc="aweights of the wrong length")
    yield ErrorSample((_z(3, 5),), {"fweights": np.ones((5, 1), dtype=np.int64)}, desc="2-d fweights")


def _corrcoef_samples(rng):
    yield Sample((arr(rng, 3, 6),), desc="3 variables")
    yield Sample((arr(rng, 1, 5),), desc="one variable")
    yield Sample((arr(rng, 5),), desc="1-d")


def _corrcoef_errors():
    yield ErrorSample((_z(2, 3, 4),), desc="3-d input")


def _dist_samples(rng):
    a = arr(rng, 3, 4)
    yield Sample((a, a + np.sign(arr(rng, 3, 4)) * positive(rng, 3, 4, low=0.2)), desc="p=2")
    for p in (1, 3, 0.5, math.inf, -math.inf):
        yield Sample((a, a + np.sign(arr(rng, 3, 4)) * positive(rng, 3, 4, low=0.2), p), desc=f"p={p}")
    yield Sample((arr(rng, 3, 4), arr(rng, 4)), desc="broadcast")
    # PyTorch's backward of p=0 fails ("Expected a proper Tensor but got None"): forward only
    yield Sample((arr(rng, 3, 4), arr(rng, 3, 4), 0), grad=(False, False), desc="p=0 (counts nonzeros)")
    yield Sample((arr(rng), arr(rng)), desc="0-d")
    yield Sample((arr(rng, 0, 3), arr(rng, 0, 3)), desc="empty")


def _dist_errors():
    yield ErrorSample((_z(3, 4), _z(5)), desc="shapes do not broadcast")


# -- trapezoid -----------------------------------------------------------------------------------------------------
def _trapezoid_samples(cumulative: bool):
    def samples(rng):
        yield Sample((arr(rng, 3, 5),), desc="unit spacing")
        yield Sample((arr(rng, 3, 5),), {"dx": 0.5}, desc="dx=0.5")
        yield Sample((arr(rng, 3, 5),), {"dim": 0}, desc="dim=0")
        yield Sample((arr(rng, 3, 5), np.sort(arr(rng, 5))), desc="1-d x")
        yield Sample((arr(rng, 3, 5), np.sort(arr(rng, 3, 5), axis=-1)), desc="x of y's shape")
        yield Sample((arr(rng, 4, 3), np.sort(arr(rng, 4)),), {"dim": 0}, desc="1-d x along dim 0")
        yield Sample((arr(rng, 3, 5), np.sort(arr(rng, 1, 5), axis=-1)), desc="broadcast x")
        yield Sample((arr(rng, 1),), desc="one point")
        yield Sample((arr(rng, 3, 0),), desc="zero points")
        yield Sample((np.array([[1, 2, 4], [0, 3, 1]]),), desc="int64 y")
        if not cumulative:
            yield Sample((arr(rng, 2, 4), np.array([0, 1, 3, 4])), desc="int64 x")

    return samples


def _trapezoid_errors(op: str):
    def errors():
        yield ErrorSample((_z(3, 5), _z(4)), match="one `x` value", desc="x of the wrong length")
        yield ErrorSample((_z(3, 5),), {"dim": 2}, IndexError, desc="dim out of range")
        yield ErrorSample((_z(3, 5), 0.5), error=TypeError, desc="spacing as x (must be dx=)")

    return errors


# -- counting ------------------------------------------------------------------------------------------------------
def _bincount_samples(rng):
    x = rng.integers(0, 6, size=12)
    yield Sample((x,), desc="counts")
    yield Sample((x,), {"minlength": 10}, desc="minlength above max")
    yield Sample((x,), {"minlength": 2}, desc="minlength below max")
    yield Sample((x, arr(rng, 12)), grad=(False, False), desc="weights")
    yield Sample((x, np.arange(12)), desc="int64 weights: float64 sums")
    yield Sample((np.zeros(0, dtype=np.int64),), desc="empty")
    yield Sample((np.zeros(0, dtype=np.int64),), {"minlength": 3}, desc="empty, minlength")


def _bincount_errors():
    yield ErrorSample((np.zeros((2, 3), dtype=np.int64),), desc="2-d input")
    yield ErrorSample((np.array([1, -1, 2]),), desc="negative value")
    yield ErrorSample((np.array([1, 2]),), {"minlength": -1}, desc="negative minlength")
    yield ErrorSample((np.array([1, 2]), np.ones(3)), desc="weights of the wrong length")
    yield ErrorSample((np.array([1.0, 2.0]),), desc="float input")


def _histc_samples(rng):
    x = arr(rng, 4, 5, low=-3, high=3)
    yield Sample((x,), grad=(False,), desc="100 bins over the data's range")
    yield Sample((x, 6), grad=(False,), desc="6 bins")
    yield Sample((x, 4, -1.0, 1.0), grad=(False,), desc="range ignores outside values")
    yield Sample((x,), {"bins": 5, "min": 0.0, "max": 3.0}, grad=(False,), desc="keywords")
    yield Sample((np.array([1.0, 1.0, 1.0]), 4), grad=(False,), desc="constant data")
    yield Sample((np.zeros(0), 3), grad=(False,), desc="empty")


def _histc_errors():
    yield ErrorSample((_z(5), -1), desc="negative bins")
    yield ErrorSample((_z(5), 4, 2.0, 1.0), desc="min > max")


def _poisson_samples(rng):
    yield Sample((positive(rng, 3, 4, low=0.0, high=5.0),), grad=(False,), desc="rates")
    yield Sample((np.array([0.0, 1e-3, 100.0]),), grad=(False,), desc="zero, small and large rates")
    yield Sample((np.array(2.0),), grad=(False,), desc="0-d")
    yield Sample((_z(0, 2),), grad=(False,), desc="zero-size")


def _poisson_errors():
    yield ErrorSample((np.array([1.0, -1.0]),), desc="negative rate")
    yield ErrorSample((np.array([np.nan]),), desc="NaN rate")
    yield ErrorSample((np.array([1, 2]),), error=NotImplementedError, desc="int64 rates")


OPS = [
    OpInfo("quantile", S.quantile, _t("quantile"), _quantile_samples(False), _quantile_errors("quantile")),
    OpInfo("nanquantile", S.nanquantile, _t("nanquantile"), _quantile_samples(True),
           _quantile_errors("nanquantile")),
    OpInfo("logcumsumexp", S.logcumsumexp, _t("logcumsumexp"), _logcumsumexp_samples, _logcumsumexp_errors),
    OpInfo("cov", S.cov, _t("cov"), _cov_samples, _cov_errors),
    OpInfo("cov.int64", S.cov, _t("cov"), _int_samples, differentiable=False, dtypes=("float32",),
           extra={"no_bfloat16": True}),
    OpInfo("corrcoef", S.corrcoef, _t("corrcoef"), _corrcoef_samples, _corrcoef_errors),
    OpInfo("corrcoef.int64", S.corrcoef, _t("corrcoef"), _int_samples, differentiable=False, dtypes=("float32",),
           extra={"no_bfloat16": True}),
    OpInfo("dist", S.dist, _t("dist"), _dist_samples, _dist_errors),
    OpInfo("trapezoid", S.trapezoid, _t("trapezoid"), _trapezoid_samples(False), _trapezoid_errors("trapezoid")),
    OpInfo("trapz", S.trapz, _t("trapz"), _trapezoid_samples(False), _trapezoid_errors("trapz")),
    OpInfo("cumulative_trapezoid", S.cumulative_trapezoid, _t("cumulative_trapezoid"), _trapezoid_samples(True),
           _trapezoid_errors("cumulative_trapezoid")),
    OpInfo("bincount", S.bincount, _t("bincount"), _bincount_samples, _bincount_errors, differentiable=False),
    OpInfo("poisson", _sampling.poisson, _t("poisson"), _poisson_samples, _poisson_errors, differentiable=False,
           nondeterministic_output=True, notes="PyTorch's result requires grad (a zero gradient); tensorlite's "
           "does not"),
    OpInfo("histc", S.histc, _t("histc"), _histc_samples, _histc_errors, differentiable=False,
           extra={"no_bfloat16": True}, notes="PyTorch bins bfloat16 data in bfloat16 arithmetic (counts shift "
           "between neighbouring bins); tensorlite bins it exactly"),
]

add_not_tensor_errors(OPS, {"quantile": (0.5,), "nanquantile": (0.5,), "logcumsumexp": (0,), "cov": (), "corrcoef": (),
                            "dist": (_z(3),), "trapezoid": (), "trapz": (), "cumulative_trapezoid": (), "bincount": (),
                            "poisson": (), "histc": ()})
