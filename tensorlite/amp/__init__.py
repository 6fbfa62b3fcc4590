"""`tl.amp`: automatic mixed precision, PyTorch's layout.

  tl.autocast / tl.amp.autocast   run matmuls/convs in float16 (or bfloat16), losses and reductions
                                  in float32, per PyTorch's autocast op lists (`amp.policy`)
  tl.amp.GradScaler               dynamic loss scaling for float16 training
  tl.cuda.amp.autocast/GradScaler the device-fixed aliases ("cuda")

This package imports nothing above the array and dtype layers at load time (ops and the autograd
engine import `amp.policy`); Tensor and the Cast op are bound on first use.
"""
from . import policy  # noqa: F401 - tl.amp.policy: the op tables and the hook
from .autocast_mode import (autocast, clear_autocast_cache, get_autocast_dtype, is_autocast_cache_enabled,
                            is_autocast_enabled, set_autocast_cache_enabled, set_autocast_dtype, set_autocast_enabled)
from .grad_scaler import GradScaler, OptState

__all__ = ["autocast", "GradScaler", "is_autocast_enabled", "get_autocast_dtype", "set_autocast_enabled",
           "set_autocast_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
           "is_autocast_available", "OptState"]


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast supports `device_type` ("cpu" and "cuda")."""
    return device_type in ("cpu", "cuda")
