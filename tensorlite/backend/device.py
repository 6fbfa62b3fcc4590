"""Device objects and `get_array_module`, the Chainer-style switch between NumPy and CuPy.

An op written against `xp = get_array_module(x)` serves both devices. CuPy is imported only
when a CUDA device is asked for; on machines without a GPU `import cupy` may succeed while the
first allocation fails, so availability is probed once and reported as a plain reason string.

Every question "is this a CUDA array, and which module owns it?" goes through this file (also
`tensorlite.kernels._xp`), so a stand-in CUDA backend can be installed here for tests
(`tensorlite.testing.fake_cuda`): while one is active, device "cuda" is its NumPy-backed
array type and its CuPy-shaped module, and the real CuPy is left alone.
"""
from __future__ import annotations

from typing import Any

import numpy as np

_ndarray = np.ndarray
_cupy = None
_cuda_reason: str | None = None
_cuda_probed = False
# The active stand-in backend, or None: an object with `ndarray` (its array type), `cupy` and
# `cupyx` (module-like namespaces) and `device_count`. Set only by tensorlite.testing.fake_cuda.
_fake: Any = None


def _probe_cuda() -> None:
    global _cupy, _cuda_reason, _cuda_probed
    if _cuda_probed:
        return
    _cuda_probed = True
    try:
        import cupy  # noqa: PLC0415 - optional dependency
    except Exception as exc:  # ImportError, or a broken CUDA install
        _cuda_reason = (f"CUDA not available: CuPy is not installed (pip install 'tensorlite[cuda]') "
                        f"[{type(exc).__name__}: {exc}]")
        return
    try:
        if not cupy.is_available():
            _cuda_reason = "CUDA not available: CuPy is installed but found no usable CUDA device or driver"
            return
        cupy.zeros(1)  # the first allocation is where a missing driver shows up
    except Exception as exc:  # CUDARuntimeError and friends
        _cuda_reason = f"CUDA not available: {type(exc).__name__}: {exc}"
        return
    _cupy = cupy


def _reset_probe() -> None:
    """Forget the probe's answer (tests that change whether CuPy imports)."""
    global _cupy, _cuda_reason, _cuda_probed
    _cupy, _cuda_reason, _cuda_probed = None, None, False


def cuda_available() -> bool:
    if _fake is not None:
        return True
    _probe_cuda()
    return _cupy is not None


def cuda_unavailable_reason() -> str | None:
    if _fake is not None:
        return None
    _probe_cuda()
    return _cuda_reason


def cuda_device_count() -> int:
    if _fake is not None:
        return _fake.device_count
    if not cuda_available():
        return 0
    return int(_cupy.cuda.runtime.getDeviceCount())


def cuda_module():
    """The CUDA array module (CuPy, or the active stand-in); RuntimeError naming why if there is none."""
    if _fake is not None:
        return _fake.cupy
    if not cuda_available():
        raise RuntimeError(_cuda_reason)
    return _cupy


def cupyx_module():
    """`cupyx` (scatter_add & co.) of the active CUDA backend."""
    if _fake is not None:
        return _fake.cupyx
    cuda_module()
    import cupyx  # noqa: PLC0415

    return cupyx


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
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        return isinstance(other, device) and other.type == self.type and other.index == self.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    @property
    def xp(self):
        """The array library of this device (RuntimeError with the reason if CUDA is unavailable)."""
        if self.type == "cpu":
            return np
        try:
            return cuda_module()
        except RuntimeError as exc:
            raise RuntimeError(f"device '{self}': {exc}") from None


CPU = device("cpu")


def cuda_context(dev: device):
    """`with cuda_context(dev):` makes `dev` CuPy's current device (RuntimeError for a missing index)."""
    xp = dev.xp
    index = dev.index or 0
    count = cuda_device_count()
    if index >= count:
        raise RuntimeError(f"CUDA error: invalid device ordinal (device '{dev}', but {count} CUDA device(s) "
                           f"are available)")
    return xp.cuda.Device(index)


def _module_of_type(t: type):
    if _fake is not None and t is _fake.ndarray:
        return _fake.cupy
    if t.__module__.split(".", 1)[0] == "cupy":
        import cupy  # noqa: PLC0415 - only reached for CuPy arrays, so CuPy is imported already

        return cupy
    return np


def get_array_module(*arrays):
    """NumPy, or CuPy (or the active stand-in) if any argument is a CUDA array (Chainer's `get_array_module`).

    Never imports CuPy for NumPy arrays, Python scalars or other objects.
    """
    for a in arrays:
        t = type(a)
        if t is not _ndarray:
            xp = _module_of_type(t)
            if xp is not np:
                return xp
    return np


def is_cuda_array(x) -> bool:
    """True for a CuPy array (or one of the active stand-in backend)."""
    t = type(x)
    return t is not _ndarray and _module_of_type(t) is not np


def array_module_for(dev) -> object:
    return device(dev).xp
