"""Shapes: procedural coloured circles, squares and triangles, with class labels and segmentation masks."""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._base import ImageArrayDataset

__all__ = ["Shapes"]

_CHUNK = 512  # images generated at once: bounds the float64 temporaries to a few MiB


class Shapes(ImageArrayDataset):
    """`n` RGB images (size x size) each holding one shape on a plain background with light noise.

    Each image has a random background colour, a shape colour at least 0.35 away from it in every
    channel, a random centre, size and rotation. Classes: 0 circle, 1 square, 2 triangle.
    `.data` is uint8 (n, size, size, 3), `.targets` int64 (n,), `.masks` int64 (n, size, size)
    with 0 for background and class + 1 on the shape's pixels. `task="segmentation"` makes the
    target the mask (an int64 tensor (size, size)) instead of the class. Same seed, same images.
    """

    classes = ["circle", "square", "triangle"]

    def __init__(self, n: int = 1000, size: int = 32, seed: int = 0, transform: Callable | None = None,
                 target_transform: Callable | None = None, task: str = "classification", noise: float = 0.03):
        if task not in ("classification", "segmentation"):
            raise ValueError(f"Shapes: task should be 'classification' or 'segmentation', got {task!r}")
        if n < 0 or size < 4:
            raise ValueError(f"Shapes: need n >= 0 and size >= 4, got n={n}, size={size}")
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, 3, n)
        background = rng.random((n, 3))
        foreground = (background + 0.35 + 0.3 * rng.random((n, 3))) % 1.0
        centre = size * (0.3 + 0.4 * rng.random((n, 2)))
        radius = size * (0.15 + 0.15 * rng.random(n))
        angle = 2 * np.pi * rng.random(n)
        data = np.empty((n, size, size, 3), dtype=np.uint8)
        masks = np.empty((n, size, size), dtype=np.int64)
        for start in range(0, n, _CHUNK):
            part = slice(start, min(start + _CHUNK, n))
            inside = _shape_masks(labels[part], centre[part], radius[part], angle[part], size)
            colour = np.where(inside[..., None], foreground[part, None, None], background[part, None, None])
            colour += noise * rng.standard_normal(colour.shape)
            data[part] = np.rint(np.clip(colour, 0.0, 1.0) * 255)
            masks[part] = np.where(inside, labels[part, None, None] + 1, 0)
        super().__init__(data, labels.astype(np.int64), transform, target_transform)
        self.masks = masks
        self.task = task

    def target(self, index: int):
        if self.task == "segmentation":
            from ...creation import from_numpy

            return from_numpy(self.masks[index].copy())
        return int(self.targets[index])


def _shape_masks(labels, centre, radius, angle, size: int) -> np.ndarray:
    """(m, size, size) bool: which pixel centres fall inside each image's shape."""
    coords = np.arange(size) + 0.5
    dx = coords[None, None, :] - centre[:, 0, None, None]
    dy = coords[None, :, None] - centre[:, 1, None, None]
    r = radius[:, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u, v = dx * cos + dy * sin, -dx * sin + dy * cos  # coordinates in the shape's rotated frame
    circle = dx ** 2 + dy ** 2 <= r ** 2
    square = np.maximum(np.abs(u), np.abs(v)) <= 0.8 * r
    # equilateral triangle of circumradius 1.3 r (about the square's area): inside three half-planes
    # at the inradius, half the circumradius
    triangle = np.ones_like(circle)
    for k in range(3):
        theta = 2 * np.pi * k / 3
        triangle &= u * np.cos(theta) + v * np.sin(theta) <= 0.65 * r
    return np.select([labels[:, None, None] == 0, labels[:, None, None] == 1], [circle, square], triangle)
