"""`tl.cuda.amp`: PyTorch's older, device-fixed spellings, kept as aliases of `tl.amp`.

`autocast(...)` is `tl.autocast("cuda", ...)` and `GradScaler(...)` is `tl.amp.GradScaler("cuda", ...)`;
without a usable GPU both warn and disable themselves, as in PyTorch.
"""
from __future__ import annotations

from .autocast_mode import autocast as _autocast
from .grad_scaler import GradScaler as _GradScaler

__all__ = ["autocast", "GradScaler"]


class autocast(_autocast):
    """`tl.autocast("cuda", dtype, enabled, cache_enabled)`; dtype defaults to float16."""

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True):
        from .. import _dtype as dt

        super().__init__("cuda", dtype=dt.float16 if dtype is None else dtype, enabled=enabled,
                         cache_enabled=cache_enabled)


class GradScaler(_GradScaler):
    """`tl.amp.GradScaler("cuda", ...)`."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
