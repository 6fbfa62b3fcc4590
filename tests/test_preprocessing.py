"""tl.data.preprocessing: NumPy formulas always; scikit-learn parity where it is installed."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensorlite as tl
from tensorlite.data.preprocessing import MinMaxScaler, NotFittedError, SimpleImputer, StandardScaler

try:
    import sklearn.impute as sk_impute
    import sklearn.preprocessing as sk_pre
except ImportError:  # the formula tests still run
    sk_impute = sk_pre = None

needs_sklearn = pytest.mark.skipif(sk_pre is None, reason="scikit-learn is not installed (pip install 'tensorlite[data]')")


@pytest.fixture
def train_test():
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, (40, 4))
    train[:, 2] = 5.0  # a constant feature
    test = rng.normal(3.0, 2.0, (9, 4))
    return train, test


def test_standard_scaler_formula(train_test):
    train, test = train_test
    scaler = StandardScaler().fit(train)
    mean, std = train.mean(axis=0), train.std(axis=0)
    std[2] = 1.0  # constant features are centred, not scaled
    np.testing.assert_allclose(scaler.mean_, mean)
    np.testing.assert_allclose(scaler.scale_, std)
    np.testing.assert_allclose(scaler.var_, train.var(axis=0), atol=1e-12)
    np.testing.assert_allclose(scaler.transform(test), (test - mean) / std)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)
    z = StandardScaler().fit_transform(train)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    assert scaler.n_samples_seen_ == 40 and scaler.n_features_in_ == 4
    np.testing.assert_allclose(StandardScaler(with_mean=False).fit(train).transform(test), test / std)
    np.testing.assert_allclose(StandardScaler(with_std=False).fit(train).transform(test), test - mean)
    off = StandardScaler(with_mean=False, with_std=False).fit(train)
    assert off.mean_ is None and off.scale_ is None
    np.testing.assert_array_equal(off.transform(test), test)


def test_min_max_scaler_formula(train_test):
    train, test = train_test
    scaler = MinMaxScaler(feature_range=(-1, 2)).fit(train)
    lo, hi = train.min(axis=0), train.max(axis=0)
    span = np.where(hi - lo == 0, 1.0, hi - lo)
    np.testing.assert_allclose(scaler.transform(test), -1 + 3 * (test - lo) / span)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)
    scaled = MinMaxScaler().fit_transform(train)
    assert scaled.min() == 0.0 and scaled.max() == 1.0
    clipped = MinMaxScaler(clip=True).fit(train).transform(test * 10)
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0
    with pytest.raises(ValueError):
        MinMaxScaler(feature_range=(1, 0)).fit(train)


def _with_missing():
    rng = np.random.default_rng(1)
    train = np.round(rng.normal(0, 3, (30, 4)))
    train[rng.random(train.shape) < 0.25] = np.nan
    train[:, 3] = np.nan  # no observed value at all
    test = np.round(rng.normal(0, 3, (8, 4)))
    test[rng.random(test.shape) < 0.3] = np.nan
    return train, test


def test_simple_imputer_formulas():
    train, test = _with_missing()
    expected = {"mean": np.nanmean(train[:, :3], axis=0), "median": np.nanmedian(train[:, :3], axis=0)}
    for strategy, stats in expected.items():
        imputer = SimpleImputer(strategy=strategy)
        with pytest.warns(UserWarning, match="without any observed values"):
            out = imputer.fit(train).transform(test)
        assert out.shape == (8, 3)  # the empty feature is dropped
        np.testing.assert_allclose(out, np.where(np.isnan(test[:, :3]), stats, test[:, :3]))
    col = train[:, 0][~np.isnan(train[:, 0])]
    values, counts = np.unique(col, return_counts=True)
    most = SimpleImputer(strategy="most_frequent", keep_empty_features=True).fit(train)
    assert most.statistics_[0] == values[np.argmax(counts)] and most.statistics_[3] == 0
    const = SimpleImputer(strategy="constant", fill_value=-7, keep_empty_features=True)
    out = const.fit_transform(test)
    assert out.shape == test.shape and (out[np.isnan(test)] == -7).all()
    sentinel = SimpleImputer(missing_values=-1, strategy="mean").fit(np.array([[1.0, -1], [3.0, 4], [-1, 6]]))
    np.testing.assert_allclose(sentinel.transform(np.array([[-1.0, -1]])), [[2.0, 5.0]])


def test_simple_imputer_indicator_and_inverse():
    train, test = _with_missing()
    imputer = SimpleImputer(add_indicator=True, keep_empty_features=True).fit(train)
    out = imputer.transform(test)
    assert out.shape == (8, 8)  # 4 features + 4 indicators (every feature had missing values in fit)
    np.testing.assert_array_equal(out[:, 4:], np.isnan(test))
    np.testing.assert_array_equal(imputer.inverse_transform(out), test)
    with pytest.raises(ValueError):
        SimpleImputer().fit(train).inverse_transform(out)
    with pytest.raises(ValueError):
        SimpleImputer(strategy="mode").fit(train)


@pytest.mark.parametrize("make", [StandardScaler, MinMaxScaler, SimpleImputer])
def test_errors(make):
    with pytest.raises(NotFittedError) as info:
        make().transform(np.ones((2, 2)))
    assert isinstance(info.value, ValueError) and isinstance(info.value, AttributeError)
    assert "not fitted" in str(info.value)
    fitted = make().fit(np.arange(6.0).reshape(3, 2))
    with pytest.raises(ValueError, match="features"):
        fitted.transform(np.ones((2, 3)))
    with pytest.raises(ValueError):
        make().fit(np.ones(3))  # 1-D input


def test_tensors_in_tensors_out():
    train, test = np.random.default_rng(2).normal(size=(20, 3)), np.random.default_rng(3).normal(size=(5, 3))
    scaler = StandardScaler().fit(tl.tensor(train, dtype=tl.float32))
    out = scaler.transform(tl.tensor(test, dtype=tl.float32))
    assert isinstance(out, tl.Tensor) and out.dtype == tl.float32
    np.testing.assert_allclose(out.numpy(), StandardScaler().fit(train).transform(test), rtol=1e-5, atol=1e-6)
    ints = MinMaxScaler().fit_transform(tl.arange(6).reshape(3, 2))
    assert ints.dtype == tl.float32  # integer tensors become the default float dtype
    assert MinMaxScaler().fit_transform(np.arange(6).reshape(3, 2)).dtype == np.float64
    assert StandardScaler().fit_transform(train.astype(np.float32)).dtype == np.float32


@needs_sklearn
@pytest.mark.parametrize("ours,theirs", [
    (lambda: StandardScaler(), lambda: sk_pre.StandardScaler()),
    (lambda: StandardScaler(with_mean=False), lambda: sk_pre.StandardScaler(with_mean=False)),
    (lambda: MinMaxScaler((-1, 2)), lambda: sk_pre.MinMaxScaler((-1, 2))),
    (lambda: MinMaxScaler(clip=True), lambda: sk_pre.MinMaxScaler(clip=True)),
])
def test_scalers_match_sklearn(ours, theirs, train_test):
    train, test = train_test
    train = train.copy()
    train[3, 1] = np.nan  # NaNs are ignored in fit and kept in transform
    a, b = ours().fit(train), theirs().fit(train)
    np.testing.assert_allclose(a.transform(test * 3), b.transform(test * 3))
    np.testing.assert_allclose(a.inverse_transform(test), b.inverse_transform(test))
    for name in ("mean_", "var_", "scale_", "min_", "data_min_", "data_max_", "n_samples_seen_"):
        if hasattr(b, name):
            np.testing.assert_allclose(getattr(a, name), getattr(b, name))


@needs_sklearn
@pytest.mark.parametrize("kwargs", [dict(strategy="mean"), dict(strategy="median"), dict(strategy="most_frequent"),
                                    dict(strategy="constant", fill_value=-1.0), dict(add_indicator=True),
                                    dict(strategy="median", keep_empty_features=True, add_indicator=True),
                                    dict(strategy="constant", keep_empty_features=True)])
def test_imputer_matches_sklearn(kwargs):
    train, test = _with_missing()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        a, b = SimpleImputer(**kwargs).fit(train), sk_impute.SimpleImputer(**kwargs).fit(train)
        np.testing.assert_allclose(a.transform(test), b.transform(test))
    np.testing.assert_allclose(a.statistics_, b.statistics_.astype(np.float64))
