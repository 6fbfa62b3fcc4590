"""Whether ops record a graph: `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`.

Each is a context manager and a decorator, as in PyTorch. The flag lives in one module-level
list so the hot path (`Function.apply`) reads it with a single index.
"""
from __future__ import annotations

import functools
from typing import Callable

_grad_enabled = [True]


def is_grad_enabled() -> bool:
    return _grad_enabled[0]


class _GradModeContext:
    _mode = True

    def __enter__(self):
        self._prev = _grad_enabled[0]
        _grad_enabled[0] = self._mode
        return self

    def __exit__(self, *exc) -> None:
        _grad_enabled[0] = self._prev

    def __call__(self, fn: Callable) -> Callable:
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _grad_enabled[0]
            _grad_enabled[0] = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _grad_enabled[0] = prev

        return wrapper


class no_grad(_GradModeContext):
    """Run without recording a graph (evaluation, optimizer updates)."""

    _mode = False


class enable_grad(_GradModeContext):
    """Record a graph again inside a `no_grad` block."""

    _mode = True


class inference_mode(_GradModeContext):
    """Like `no_grad` (tensorlite has no separate inference tensors)."""

    def __init__(self, mode: bool = True):
        self._mode = not mode


class set_grad_enabled(_GradModeContext):
    """`set_grad_enabled(False)` as a context manager, a decorator, or a plain call."""

    def __init__(self, mode: bool):
        self._mode = bool(mode)
        self._prev = _grad_enabled[0]
        _grad_enabled[0] = self._mode  # a plain call takes effect at once, as in PyTorch

    def __enter__(self):
        return self

    def __call__(self, fn: Callable) -> Callable:
        _grad_enabled[0] = self._prev  # used as a decorator: undo the immediate effect
        return super().__call__(fn)
