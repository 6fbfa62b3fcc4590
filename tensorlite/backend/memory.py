"""Keep freed host memory in the process, so the next step's arrays do not page-fault.

A training step allocates and frees the same arrays every iteration. With glibc's default
settings, freed memory at the top of the heap is handed back to the kernel (trimmed) once more
than ~2x the mmap threshold is free, and blocks above the mmap threshold get their own mapping
that is unmapped on free; either way the next step touches fresh pages, one minor page fault per
4 KiB. Measured here (benchmarks/bench_training.py, MLP 64-256-256-10, batch 128): ~216 faults
per step, ~1.2 us each on this VM, about a quarter of the step. PyTorch's step takes none.

`keep_freed_memory()` raises both thresholds (blocks under 32 MiB come from the heap, and up to
128 MiB of free heap is kept), which removes those faults; it is what the MALLOC_MMAP_THRESHOLD_ /
MALLOC_TRIM_THRESHOLD_ environment variables do, applied at `import tensorlite`. The cost: a
process may hold up to 128 MiB of freed memory it would otherwise have returned.

It does nothing when the C library is not glibc, when those environment variables are already
set (the user's choice wins), or when TENSORLITE_KEEP_FREED_MEMORY=0.
"""
from __future__ import annotations

import ctypes
import os
import platform

__all__ = ["keep_freed_memory", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

# mallopt parameter numbers from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's ceiling for this parameter on 64-bit
TRIM_THRESHOLD = 128 * 1024 * 1024

_applied: bool | None = None


def _disabled() -> bool:
    return os.environ.get("TENSORLITE_KEEP_FREED_MEMORY", "").strip().lower() in ("0", "false", "no", "off")


def keep_freed_memory() -> bool:
    """Apply the thresholds once; True when they are in effect (set here), False when skipped."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = False
    if _disabled() or platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _applied = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _applied


def applied() -> bool | None:
    """Whether `keep_freed_memory` set the thresholds (None: not called yet)."""
    return _applied
