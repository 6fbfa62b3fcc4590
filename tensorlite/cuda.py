"""`tl.cuda`: whether a CUDA device can be used (through CuPy), as torch.cuda reports it."""
from __future__ import annotations

from .backend.device import cuda_available, cuda_device_count, cuda_unavailable_reason


def is_available() -> bool:
    """True only if CuPy is installed and a CUDA device answers; never raises."""
    return cuda_available()


def unavailable_reason() -> str | None:
    return cuda_unavailable_reason()


def device_count() -> int:
    return cuda_device_count()


def manual_seed(seed: int) -> None:
    from .random import manual_seed as _seed

    _seed(seed)


manual_seed_all = manual_seed


def __getattr__(name):
    # `tl.cuda.amp.autocast` / `tl.cuda.amp.GradScaler`: PyTorch's older spellings, loaded on first use.
    if name == "amp":
        from .amp import cuda_amp

        return cuda_amp
    raise AttributeError(f"module 'tensorlite.cuda' has no attribute {name!r}")
