"""Tabular preprocessing with scikit-learn's names and semantics: StandardScaler, MinMaxScaler, SimpleImputer.

`fit` learns per-column statistics (on the training set); `transform` applies them (to any set);
`inverse_transform` undoes the transform. Inputs are 2-D NumPy arrays, array-likes or tensors, and
the result has the input's kind: a NumPy array, or a tensor on the input's device. Floating inputs
keep their dtype; integer inputs become float64 arrays (as in scikit-learn) or tensors of the default
dtype. Statistics are computed in float64 and NaNs are ignored by `fit` and kept by `transform`.
Calling `transform` before `fit` raises `NotFittedError` (a ValueError and an AttributeError, as in
scikit-learn).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._dtype import get_default_dtype
from ..tensor import Tensor

__all__ = ["NotFittedError", "StandardScaler", "MinMaxScaler", "SimpleImputer"]

_EPS = np.finfo(np.float64).eps


class NotFittedError(ValueError, AttributeError):
    """A transform was asked of an estimator that has not been fitted."""


class _Input:
    """A 2-D input as a NumPy array, and how to hand results back as the caller's kind."""

    def __init__(self, X: Any, estimator: str, keep_int: bool = False, allow_nan: bool = True):
        self.tensor = X if isinstance(X, Tensor) else None
        arr = X._host() if self.tensor is not None else np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"{estimator}: expected a 2D array (samples x features), got {arr.ndim}D array "
                             f"of shape {arr.shape} instead. Reshape your data using array.reshape(-1, 1) if it "
                             "has a single feature or array.reshape(1, -1) if it contains a single sample.")
        if arr.dtype.kind not in "biufV":
            raise TypeError(f"{estimator}: expected numeric data, got an array of dtype {arr.dtype}")
        if arr.dtype.kind not in "fV" and not keep_int:
            arr = arr.astype(np.float64)
        if arr.dtype.kind in "fV":
            finite_or_nan = np.isfinite(arr) | (np.isnan(arr) if allow_nan else False)
            if not finite_or_nan.all():
                raise ValueError(f"{estimator}: Input X contains infinity"
                                 + ("" if allow_nan else " or NaN") + " or a value too large for its dtype.")
        self.array = arr

    def give_back(self, out: np.ndarray):
        if self.tensor is None:
            return out
        from ..creation import tensor as make_tensor

        src = self.tensor.dtype
        dtype = src if (src.is_floating_point or out.dtype.kind not in "fV") else get_default_dtype()
        return make_tensor(out, dtype=dtype, device=self.tensor.device)


class _Estimator:
    _fitted_attr = ""

    def fit_transform(self, X, y=None):
        """fit(X) then transform(X)."""
        return self.fit(X, y).transform(X)

    def _check_fitted(self) -> None:
        if not hasattr(self, self._fitted_attr):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                                 "appropriate arguments before using this estimator.")

    def _check_features(self, arr: np.ndarray) -> None:
        if arr.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {arr.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"

    def _params(self) -> dict:
        return {}

    def get_params(self, deep: bool = True) -> dict:
        return self._params()


def _nonzero_scale(scale: np.ndarray, constant: np.ndarray | None = None) -> np.ndarray:
    """Scales of (near-)constant features become 1, so they are centred but not blown up."""
    zero = scale < 10 * _EPS
    if constant is not None:
        zero |= constant
    return np.where(zero, 1.0, scale)


class StandardScaler(_Estimator):
    """z = (x - mean) / std per feature (population std; constant features keep scale 1)."""

    _fitted_attr = "n_samples_seen_"

    def __init__(self, *, copy: bool = True, with_mean: bool = True, with_std: bool = True):
        self.copy, self.with_mean, self.with_std = copy, with_mean, with_std

    def _params(self) -> dict:
        return {"copy": self.copy, "with_mean": self.with_mean, "with_std": self.with_std}

    def fit(self, X, y=None) -> "StandardScaler":
        arr = _Input(X, "StandardScaler").array.astype(np.float64, copy=False)
        observed = ~np.isnan(arr)
        counts = observed.sum(axis=0)
        self.n_features_in_ = arr.shape[1]
        self.n_samples_seen_ = int(counts[0]) if (counts == counts[0]).all() and counts.size else counts
        if not (self.with_mean or self.with_std):
            self.mean_ = self.var_ = self.scale_ = None
            return self
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean_ = np.nansum(arr, axis=0) / counts
            if self.with_std:
                self.var_ = np.nansum((arr - self.mean_) ** 2, axis=0) / counts
                # a feature is constant when its variance is within rounding of zero (scikit-learn's bound)
                bound = counts * _EPS * self.var_ + (counts * self.mean_ * _EPS) ** 2
                self.scale_ = _nonzero_scale(np.sqrt(self.var_), self.var_ <= bound)
            else:
                self.var_ = self.scale_ = None
        return self

    def transform(self, X, copy: bool | None = None):
        self._check_fitted()
        inp = _Input(X, "StandardScaler")
        arr = inp.array
        self._check_features(arr)
        out = arr.astype(arr.dtype, copy=True)
        if self.with_mean:
            out -= self.mean_.astype(arr.dtype)
        if self.with_std:
            out /= self.scale_.astype(arr.dtype)
        return inp.give_back(out)

    def inverse_transform(self, X, copy: bool | None = None):
        self._check_fitted()
        inp = _Input(X, "StandardScaler")
        arr = inp.array
        self._check_features(arr)
        out = arr.astype(arr.dtype, copy=True)
        if self.with_std:
            out *= self.scale_.astype(arr.dtype)
        if self.with_mean:
            out += self.mean_.astype(arr.dtype)
        return inp.give_back(out)


class MinMaxScaler(_Estimator):
    """x * scale_ + min_, mapping each feature's [data_min_, data_max_] onto `feature_range`."""

    _fitted_attr = "scale_"

    def __init__(self, feature_range: tuple[float, float] = (0, 1), *, copy: bool = True, clip: bool = False):
        self.feature_range, self.copy, self.clip = feature_range, copy, clip

    def _params(self) -> dict:
        return {"feature_range": self.feature_range, "copy": self.copy, "clip": self.clip}

    def fit(self, X, y=None) -> "MinMaxScaler":
        lo, hi = self.feature_range
        if lo >= hi:
            raise ValueError(f"Minimum of desired feature range must be smaller than maximum. "
                             f"Got {self.feature_range}.")
        arr = _Input(X, "MinMaxScaler").array.astype(np.float64, copy=False)
        if arr.shape[0] == 0:
            raise ValueError(f"Found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required "
                             "by MinMaxScaler.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN features stay NaN, as in scikit-learn
            self.data_min_ = np.nanmin(arr, axis=0)
            self.data_max_ = np.nanmax(arr, axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        self.scale_ = (hi - lo) / _nonzero_scale(self.data_range_)
        self.min_ = lo - self.data_min_ * self.scale_
        self.n_features_in_ = arr.shape[1]
        self.n_samples_seen_ = arr.shape[0]
        return self

    def transform(self, X):
        self._check_fitted()
        inp = _Input(X, "MinMaxScaler")
        arr = inp.array
        self._check_features(arr)
        out = arr * self.scale_.astype(arr.dtype) + self.min_.astype(arr.dtype)
        if self.clip:
            np.clip(out, self.feature_range[0], self.feature_range[1], out=out)
        return inp.give_back(out)

    def inverse_transform(self, X):
        self._check_fitted()
        inp = _Input(X, "MinMaxScaler")
        arr = inp.array
        self._check_features(arr)
        return inp.give_back((arr - self.min_.astype(arr.dtype)) / self.scale_.astype(arr.dtype))


_STRATEGIES = ("mean", "median", "most_frequent", "constant")


class SimpleImputer(_Estimator):
    """Replace missing entries (`missing_values`, NaN by default) by each column's mean, median, most
    frequent value (the smallest on ties) or `fill_value` (default 0).

    Columns with no observed value in `fit` are dropped by `transform` (with a warning) unless
    `keep_empty_features=True` (then they are filled with 0, or `fill_value` for "constant").
    `add_indicator=True` appends one 0/1 column per feature that had missing values in `fit`;
    `inverse_transform` needs it, to know where the missing entries were; dropped (empty) columns come
    back filled with `missing_values` (scikit-learn fills their observed entries with 0 instead).
    """

    _fitted_attr = "statistics_"

    def __init__(self, *, missing_values: float = np.nan, strategy: str = "mean", fill_value: float | None = None,
                 copy: bool = True, add_indicator: bool = False, keep_empty_features: bool = False):
        self.missing_values, self.strategy, self.fill_value = missing_values, strategy, fill_value
        self.copy, self.add_indicator, self.keep_empty_features = copy, add_indicator, keep_empty_features

    def _params(self) -> dict:
        return {"missing_values": self.missing_values, "strategy": self.strategy, "fill_value": self.fill_value,
                "copy": self.copy, "add_indicator": self.add_indicator,
                "keep_empty_features": self.keep_empty_features}

    def _missing(self, arr: np.ndarray) -> np.ndarray:
        if isinstance(self.missing_values, float) and np.isnan(self.missing_values):
            return np.isnan(arr) if arr.dtype.kind in "fV" else np.zeros(arr.shape, dtype=bool)
        return arr == self.missing_values

    def _input(self, X) -> _Input:
        keep_int = self.strategy in ("most_frequent", "constant")
        return _Input(X, "SimpleImputer", keep_int=keep_int, allow_nan=True)

    def fit(self, X, y=None) -> "SimpleImputer":
        if self.strategy not in _STRATEGIES:
            raise ValueError(f"The 'strategy' parameter of SimpleImputer must be a str among {set(_STRATEGIES)}. "
                             f"Got {self.strategy!r} instead.")
        arr = self._input(X).array
        missing = self._missing(arr)
        self.n_features_in_ = arr.shape[1]
        stats = np.empty(arr.shape[1], dtype=np.float64)
        for j in range(arr.shape[1]):
            observed = arr[~missing[:, j], j].astype(np.float64)
            if observed.size == 0 and not self.keep_empty_features:
                stats[j] = np.nan  # dropped by transform
            elif self.strategy == "constant":
                stats[j] = 0.0 if self.fill_value is None else self.fill_value
            elif observed.size == 0:
                stats[j] = 0.0
            elif self.strategy == "mean":
                stats[j] = observed.mean()
            elif self.strategy == "median":
                stats[j] = np.median(observed)
            else:
                values, counts = np.unique(observed, return_counts=True)
                stats[j] = values[np.argmax(counts)]  # unique() sorts, so ties go to the smallest value
        self.statistics_ = stats
        self._indicator_features = np.flatnonzero(missing.any(axis=0))
        return self

    def transform(self, X):
        self._check_fitted()
        inp = self._input(X)
        arr = inp.array
        self._check_features(arr)
        missing = self._missing(arr)
        valid = ~np.isnan(self.statistics_)
        if not valid.all():
            warnings.warn(f"Skipping features without any observed values: {np.flatnonzero(~valid).tolist()}. At "
                          f"least one non-missing value is needed for imputation with strategy={self.strategy!r}.")
        out = np.where(missing, self.statistics_.astype(arr.dtype) if arr.dtype.kind in "fV"
                       else self.statistics_.astype(arr.dtype), arr)[:, valid]
        if self.add_indicator:
            out = np.concatenate([out, missing[:, self._indicator_features].astype(out.dtype)], axis=1)
        return inp.give_back(out)

    def inverse_transform(self, X):
        self._check_fitted()
        if not self.add_indicator:
            raise ValueError("'inverse_transform' works only when 'SimpleImputer' is instantiated with "
                             f"'add_indicator=True'. Got 'add_indicator={self.add_indicator}' instead.")
        inp = self._input(X)
        arr = inp.array
        valid = np.flatnonzero(~np.isnan(self.statistics_))
        n_indicators = len(self._indicator_features)
        if arr.shape[1] != len(valid) + n_indicators:
            raise ValueError(f"X has {arr.shape[1]} features, but the imputed data of this SimpleImputer has "
                             f"{len(valid) + n_indicators}.")
        dtype = np.result_type(arr.dtype, np.float64) if np.isnan(self.missing_values if isinstance(
            self.missing_values, float) else 0.0) else arr.dtype
        out = np.full((arr.shape[0], self.n_features_in_), self.missing_values, dtype=dtype)
        out[:, valid] = arr[:, :len(valid)]
        was_missing = arr[:, len(valid):].astype(bool)
        for k, j in enumerate(self._indicator_features):
            out[was_missing[:, k], j] = self.missing_values
        return inp.give_back(out)
