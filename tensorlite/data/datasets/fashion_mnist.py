"""Fashion-MNIST read from the standard IDX files (as installed by Debian's `dataset-fashion-mnist`)."""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Callable

import numpy as np

from ._base import ImageArrayDataset

__all__ = ["FashionMNIST", "read_idx"]

DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist"
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (gzipped or not) as an array: magic 0, 0, dtype code, ndim; big-endian uint32 dims; data."""
    path = Path(path)
    with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex() or 'empty'})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: IDX header says shape {shape} ({expected} bytes of data) but the file holds "
                         f"{len(raw) - header} bytes")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(root: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (root / name).exists():
            return root / name
    raise FileNotFoundError(f"FashionMNIST: {stem}(.gz) not found in {root}. Install the Debian package "
                            f"dataset-fashion-mnist (apt-get install dataset-fashion-mnist puts the files in "
                            f"{DEFAULT_ROOT}) or pass root= a folder holding the IDX files.")


class FashionMNIST(ImageArrayDataset):
    """Zalando's Fashion-MNIST: 60,000 train / 10,000 test 28x28 greyscale images of 10 clothing classes.

    `.data` is uint8 (N, 28, 28); images reach `transform` as uint8 (28, 28) arrays, or come as
    float32 (1, 28, 28) tensors in [0, 1] without one.
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]

    def __init__(self, root: str | Path = DEFAULT_ROOT, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        self.root = Path(root)
        prefix = "train" if train else "t10k"
        images = read_idx(_find(self.root, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(_find(self.root, f"{prefix}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"FashionMNIST: images {images.shape} and labels {labels.shape} in {self.root} do "
                             "not match (expected (N, H, W) and (N,))")
        super().__init__(images, labels.astype(np.int64), transform, target_transform)
        self.train = train
