"""`tl.cuda`: whether a CUDA device can be used (through CuPy), as torch.cuda reports it."""
from __future__ import annotations

from .backend.device import cuda_available, cuda_unavailable_reason


def is_available() -> bool:
    """True only if CuPy is installed and a CUDA device answers; never raises."""
    return cuda_available()


def unavailable_reason() -> str | None:
    return cuda_unavailable_reason()


def device_count() -> int:
    if not cuda_available():
        return 0
    import cupy  # noqa: PLC0415

    return int(cupy.cuda.runtime.getDeviceCount())


def manual_seed(seed: int) -> None:
    from .random import manual_seed as _seed

    _seed(seed)


manual_seed_all = manual_seed
