"""The array module (NumPy or CuPy) that owns an array, without importing CuPy needlessly.

Both questions are answered by `tensorlite.backend.device` (one hook for the whole library,
where tests can install a stand-in CUDA backend).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from tensorlite.backend.device import get_array_module, is_cuda_array


def _xp(x: Any) -> ModuleType:
    """Return ``cupy`` if ``x`` is a CuPy (CUDA) array, else ``numpy``; never imports CuPy for NumPy arrays."""
    return get_array_module(x)


def device_of(x: Any) -> str:
    """``"cuda"`` for CuPy (CUDA) arrays, ``"cpu"`` for everything else."""
    return "cuda" if is_cuda_array(x) else "cpu"
