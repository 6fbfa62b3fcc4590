"""The transform base classes (kept apart so every transforms module can import them first)."""
from __future__ import annotations

import numpy as np

from ..random import Generator
from . import _image


class Transform:
    """Base class: a callable on one image or a batch (layouts: see `tensorlite.data.transforms`)."""

    def __call__(self, img):
        return self.forward(img)

    def forward(self, img):
        raise NotImplementedError

    def _extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._extra_repr()})"


class _Random(Transform):
    """A transform that draws per-image uniforms from `generator` (or the global generator)."""

    generator: Generator | None = None

    def _uniforms(self, n: int, k: int) -> np.ndarray:
        return _image.rng(self.generator).random((n, k))
