"""`tl.autocast`: a context manager and decorator that runs chosen ops in lower precision.

    with tl.autocast("cpu", dtype=tl.float16):
        loss = loss_fn(model(x), y)      # matmuls/convs in float16, losses in float32
    loss.backward()                      # parameters and their gradients stay float32

Which op runs in which dtype is `tensorlite.amp.policy` (PyTorch's autocast op lists). The state is
thread-local and nests: an inner region replaces the outer one's settings for its device type until
it exits, so `autocast(..., enabled=False)` inside a region turns autocasting off locally.

Defaults as PyTorch: a region's dtype is the current autocast dtype of its device type, initially
float16 for "cuda" and bfloat16 for "cpu". bfloat16 comes with the optional ml_dtypes package (the
`bf16` extra); without it the CPU default is float16, and asking for bfloat16 is a TypeError naming
the extra. As in PyTorch, a dtype autocast cannot run in (float32, float64, an integer
type) warns and disables the region, and so does device_type="cuda" on a machine without a usable GPU.
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from .. import _dtype as dt
from . import policy
from .policy import state

__all__ = ["autocast", "is_autocast_enabled", "get_autocast_dtype", "set_autocast_enabled", "set_autocast_dtype",
           "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache"]

_DEVICE_TYPES = ("cpu", "cuda")


def _lower_dtypes() -> tuple:  # bfloat16 exists with ml_dtypes (the `bf16` extra)
    bf16 = getattr(dt, "bfloat16", None)
    return (dt.float16,) if bf16 is None else (dt.float16, bf16)


def _cpu_default():
    return getattr(dt, "bfloat16", None) or dt.float16


def _check_device_type(device_type: str, where: str) -> str:
    if not isinstance(device_type, str):
        raise ValueError(f"{where}: expected `device_type` of type str, got {type(device_type).__name__}")
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(f"{where}: unsupported device_type {device_type!r}; tensorlite autocasts on "
                           f"{' and '.join(repr(d) for d in _DEVICE_TYPES)}")
    return device_type


def _current_dtype(device_type: str) -> dt.dtype:
    d = state.dtype[device_type]
    if d is None:
        d = state.dtype[device_type] = dt.float16 if device_type == "cuda" else _cpu_default()
    return d


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is on for `device_type` in this thread (PyTorch's no-argument form means "cuda")."""
    return state.enabled[_check_device_type(device_type, "is_autocast_enabled")]


def get_autocast_dtype(device_type: str) -> dt.dtype:
    """The lower-precision dtype autocast uses for `device_type` in this thread."""
    return _current_dtype(_check_device_type(device_type, "get_autocast_dtype"))


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    """Turn autocast on or off for `device_type` without a region (prefer `autocast`, which restores it)."""
    policy.set_flag(_check_device_type(device_type, "set_autocast_enabled"), enabled)


def set_autocast_dtype(device_type: str, dtype) -> None:
    _check_device_type(device_type, "set_autocast_dtype")
    state.dtype[device_type] = _checked_dtype(device_type, dtype)


def is_autocast_cache_enabled() -> bool:
    return state.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    state.cache_enabled = bool(enabled)


def clear_autocast_cache() -> None:
    state.cache.clear()


def _checked_dtype(device_type: str, dtype) -> dt.dtype:
    try:
        return dt.to_dtype(dtype)
    except TypeError:
        pass
    if "bfloat16" in str(getattr(dtype, "name", dtype)):
        raise TypeError(f"autocast({device_type!r}): {dt.BFLOAT16_MISSING}; or use dtype=tl.float16")
    raise TypeError(f"autocast({device_type!r}): expected a tensorlite dtype such as tl.float16, got {dtype!r}")


class autocast:
    """Run the ops of a region in mixed precision: `autocast(device_type, dtype=None, enabled=True,
    cache_enabled=None)`, as a context manager or a decorator.

    device_type: "cpu" or "cuda" (only ops on tensors of that device type are affected).
    dtype: the lower precision, tl.float16 or tl.bfloat16; default: the device type's current autocast
        dtype (initially float16 for "cuda", bfloat16 for "cpu"; float16 there without ml_dtypes).
    enabled: False makes the region a no-op region that turns autocast off inside it.
    cache_enabled: reuse the lower-precision copy of a parameter within the region (default: the
        thread's setting, initially True).
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None):
        self.device = _check_device_type(device_type, "autocast")
        if not isinstance(enabled, bool):
            raise TypeError(f"autocast: expected `enabled` to be a bool, got {type(enabled).__name__}")
        self.fast_dtype = _current_dtype(self.device) if dtype is None else _checked_dtype(self.device, dtype)
        self._cache_enabled = state.cache_enabled if cache_enabled is None else bool(cache_enabled)
        if enabled and self.fast_dtype not in _lower_dtypes():
            names = ", ".join(f"tl.{d.name}" for d in _lower_dtypes())
            warnings.warn(f"In {self.device.upper()} autocast, but the target dtype {self.fast_dtype} is not "
                          f"supported: autocast runs ops in {names}. Disabling autocast.", UserWarning, stacklevel=2)
            enabled = False
        if enabled and self.device == "cuda":
            from ..backend.device import cuda_available, cuda_unavailable_reason

            if not cuda_available():
                warnings.warn(f"autocast('cuda'): CUDA is not available ({cuda_unavailable_reason()}). "
                              f"Disabling autocast.", UserWarning, stacklevel=2)
                enabled = False
        self._enabled = enabled
        self._stack: list = []

    def __enter__(self) -> "autocast":
        st = state
        dev = self.device
        # A stack, not one slot: the same autocast object may be entered again while it is open.
        self._stack.append((st.enabled[dev], st.dtype[dev], st.cache_enabled))
        st.dtype[dev] = self.fast_dtype
        st.cache_enabled = self._cache_enabled
        policy._enter(dev, self._enabled)
        return self

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> bool:
        st = state
        dev = self.device
        was_enabled, st.dtype[dev], st.cache_enabled = self._stack.pop()
        policy._exit(dev, was_enabled)
        return False

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorate_autocast

    def __repr__(self) -> str:
        return f"autocast(device_type={self.device!r}, dtype={self.fast_dtype}, enabled={self._enabled})"
