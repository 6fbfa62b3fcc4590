"""Whether ops record a graph: `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`.

Each is a context manager and a decorator, as in PyTorch. The flag lives in one module-level
list so the hot path (`Function.apply`) reads it with a single index.
"""
from __future__ import annotations

import functools
import inspect
from typing import Callable

_grad_enabled = [True]
_inference = [False]  # whether an inference_mode(True) block is running (is_inference_mode_enabled)


def is_grad_enabled() -> bool:
    return _grad_enabled[0]


def is_inference_mode_enabled() -> bool:
    return _inference[0]


class _GradModeContext:
    _mode = True
    _inference_mode = None  # inference_mode sets the inference flag too; the others leave it alone

    def __new__(cls, orig_func=None):
        # `@no_grad` without parentheses: decorate at once, as PyTorch allows
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __enter__(self):
        self._prev = _grad_enabled[0], _inference[0]
        _grad_enabled[0] = self._mode
        if self._inference_mode is not None:
            _inference[0] = self._inference_mode
        return self

    def __exit__(self, *exc) -> None:
        _grad_enabled[0], _inference[0] = self._prev

    def _clone(self) -> "_GradModeContext":
        """A fresh context of the same mode: one per call of a decorated function, so calls can nest."""
        ctx = object.__new__(type(self))
        ctx._mode, ctx._inference_mode = self._mode, self._inference_mode
        return ctx

    def __call__(self, fn: Callable) -> Callable:
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._clone():
                return fn(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, fn: Callable) -> Callable:
        """The mode holds while the generator's own code runs, not while its caller runs between yields."""

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with self._clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self._clone():
                            gen.close()
                        raise
                    except BaseException as e:
                        with self._clone():
                            response = gen.throw(e)
                    else:
                        with self._clone():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return wrapper


class no_grad(_GradModeContext):
    """Run without recording a graph (evaluation, optimizer updates)."""

    _mode = False


class enable_grad(_GradModeContext):
    """Record a graph again inside a `no_grad` block."""

    _mode = True


class inference_mode(_GradModeContext):
    """Like `no_grad` (tensorlite has no separate inference tensors); `inference_mode(False)` changes nothing."""

    def __new__(cls, mode: bool = True):
        if isinstance(mode, bool):
            return object.__new__(cls)
        return cls()(mode)  # `@inference_mode` without parentheses

    def __init__(self, mode: bool = True):
        self._mode = _grad_enabled[0] if not mode else False
        self._inference_mode = bool(mode)

    def _clone(self) -> "_GradModeContext":
        ctx = super()._clone()
        if not self._inference_mode:  # inference_mode(False) keeps the grad mode found at each call
            ctx._mode = _grad_enabled[0]
        return ctx

    def __enter__(self):
        if not self._inference_mode:
            self._mode = _grad_enabled[0]
        return super().__enter__()


class set_grad_enabled(_GradModeContext):
    """`set_grad_enabled(False)` as a context manager, a decorator, or a plain call."""

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool):
        if type(mode) is not bool:
            raise TypeError(f"set_grad_enabled(): argument 'mode' must be bool, not {type(mode).__name__}")
        self._mode = mode
        self._prev = _grad_enabled[0], _inference[0]
        _grad_enabled[0] = self._mode  # a plain call takes effect at once, as in PyTorch

    def __enter__(self):
        return self

    def _clone(self) -> _GradModeContext:
        ctx = object.__new__(_GradModeContext)  # a plain context: sets the mode on entry
        ctx._mode = self._mode
        return ctx

    def __call__(self, fn: Callable) -> Callable:
        _grad_enabled[0] = self._prev[0]  # used as a decorator: undo the immediate effect
        return super().__call__(fn)
