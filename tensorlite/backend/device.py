"""Device objects and `get_array_module`, the Chainer-style switch between NumPy and CuPy.

An op written against `xp = get_array_module(x)` serves both devices. CuPy is imported only
when a CUDA device is asked for; on machines without a GPU `import cupy` may succeed while the
first allocation fails, so availability is probed once and reported as a plain reason string.
"""
from __future__ import annotations

import numpy as np

_cupy = None
_cuda_reason: str | None = None
_cuda_probed = False


def _probe_cuda() -> None:
    global _cupy, _cuda_reason, _cuda_probed
    if _cuda_probed:
        return
    _cuda_probed = True
    try:
        import cupy  # noqa: PLC0415 - optional dependency
    except Exception as exc:  # ImportError, or a broken CUDA install
        _cuda_reason = f"CuPy is not installed (pip install 'tensorlite[cuda]'): {exc}"
        return
    try:
        if not cupy.is_available():
            _cuda_reason = "CuPy is installed but no CUDA device is available"
            return
        cupy.zeros(1)  # the first allocation is where a missing driver shows up
    except Exception as exc:  # CUDARuntimeError and friends
        _cuda_reason = f"CUDA not available: {type(exc).__name__}: {exc}"
        return
    _cupy = cupy


def cuda_available() -> bool:
    _probe_cuda()
    return _cupy is not None


def cuda_unavailable_reason() -> str | None:
    _probe_cuda()
    return _cuda_reason


class device:
    """`tl.device("cpu")`, `tl.device("cuda:0")`, `tl.device("cuda", 1)`: where a tensor lives."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | "device", index: int | None = None):  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {type!r}")
        if ":" in type:
            type, _, idx = type.partition(":")
            if index is not None or not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        self.type, self.index = type, index

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not None else ")")

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and other.type == self.type and other.index == self.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    @property
    def xp(self):
        """The array library of this device."""
        if self.type == "cpu":
            return np
        if not cuda_available():
            raise RuntimeError(f"device '{self}': {_cuda_reason}")
        return _cupy


CPU = device("cpu")


def get_array_module(*arrays):
    """NumPy, or CuPy if any argument is a CuPy array (Chainer's `get_array_module`)."""
    if _cupy is not None:
        for a in arrays:
            if isinstance(a, _cupy.ndarray):
                return _cupy
    return np


def array_module_for(dev) -> object:
    return device(dev).xp
