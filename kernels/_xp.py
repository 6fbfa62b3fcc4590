"""The array module (NumPy or CuPy) that owns an array, without importing CuPy needlessly."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy


def _xp(x: Any) -> ModuleType:
    """Return ``cupy`` if ``x`` is a CuPy array, else ``numpy``.

    Checks the type's module name first so that NumPy-only machines never pay
    for (or fail on) ``import cupy``.
    """
    if type(x).__module__.split(".", 1)[0] == "cupy":
        import cupy  # lazy: only reached when x already is a CuPy array

        return cupy
    return numpy


def device_of(x: Any) -> str:
    """``"cuda"`` for CuPy arrays, ``"cpu"`` for everything else."""
    return "cuda" if _xp(x) is not numpy else "cpu"
