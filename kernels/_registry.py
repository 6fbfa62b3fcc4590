"""Kernel dispatch registry: which implementation of a kernel runs.

A *kernel* is a named array-level function with a fixed contract (``"gelu_forward"``).
Each kernel has one or more *implementations* registered under a name:

  reference  NumPy/CuPy, the readable spec; serves every device
  native     C++ from csrc/ (tensorlite._C), CPU only, when the extension loaded
  triton     Triton, CUDA only (or under TRITON_INTERPRET=1), when installed

``dispatch(kernel, device)`` returns the implementation to call: the forced one when
``use(...)`` or ``set_default(...)`` names one, else the fastest available on the
device, in the order of ``IMPL_PRIORITY``.  Availability is asked of a predicate at
dispatch time (not at registration), so the native extension is loaded lazily.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

# Fastest first.  A kernel picks the first implementation that serves the device and is available.
IMPL_PRIORITY: tuple[str, ...] = ("triton", "native", "reference")

# The devices each implementation can serve.
IMPL_DEVICES: dict[str, tuple[str, ...]] = {
    "triton": ("cuda",),
    "native": ("cpu",),
    "reference": ("cpu", "cuda"),
}


def _serves(impl: str, device: str, forced_impl: bool) -> bool:
    """Whether ``impl`` may run on ``device``.  Triton also serves CPU arrays under its interpreter
    (TRITON_INTERPRET=1), but only when forced with ``use("triton")``: a test mode, about 1000x
    slower than NumPy, that automatic selection must never pick."""
    if device in IMPL_DEVICES[impl]:
        return True
    if impl == "triton" and device == "cpu" and forced_impl:
        from ._triton import interpreting

        return interpreting()
    return False


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Impl:
    """One registered implementation of a kernel."""

    kernel: str
    name: str
    fn: Callable[..., Any]
    is_available: Callable[[], bool]


_REGISTRY: dict[str, dict[str, Impl]] = {}

# The implementation forced by ``use()`` in this context (thread / task), or None.
_FORCED: contextvars.ContextVar[str | None] = contextvars.ContextVar("tensorlite_kernel_impl", default=None)
# Process-wide forced implementation from ``set_default()``; ``use()`` overrides it.
_DEFAULT: str | None = None
# ``use(None)`` inside a ``set_default("x")`` region must mean "automatic", which None alone
# cannot say, so the context variable stores this marker for it.
_AUTO = "auto"


def _check_impl_name(impl: str | None) -> None:
    if impl is not None and impl not in IMPL_DEVICES:
        raise ValueError(f"unknown kernel implementation {impl!r}; expected one of {list(IMPL_DEVICES)} or None")


def register(
    kernel: str, impl: str, *, available: Callable[[], bool] | None = None
) -> Callable[[F], F]:
    """Decorator: register ``fn`` as implementation ``impl`` of ``kernel``.

    ``available`` is called at dispatch time; it returns False when the implementation
    cannot run in this process (extension not built, Triton not installed, ...).
    """
    _check_impl_name(impl)

    def decorator(fn: F) -> F:
        impls = _REGISTRY.setdefault(kernel, {})
        if impl in impls:
            raise ValueError(f"kernel {kernel!r} already has a {impl!r} implementation")
        impls[impl] = Impl(kernel, impl, fn, available or _always)
        return fn

    return decorator


def forced() -> str | None:
    """The implementation name currently forced (by ``use`` or ``set_default``), or None."""
    value = _FORCED.get()
    if value is None:
        return _DEFAULT
    return None if value == _AUTO else value


def _ordered(kernel: str) -> list[Impl]:
    try:
        impls = _REGISTRY[kernel]
    except KeyError:
        raise KeyError(f"no kernel named {kernel!r}; registered kernels: {sorted(_REGISTRY)}") from None
    return [impls[name] for name in IMPL_PRIORITY if name in impls]


def available_impls(kernel: str, device: str | None = None) -> list[str]:
    """Names of the implementations of ``kernel`` that can run now, fastest first
    (only those serving ``device`` when it is given)."""
    return [
        i.name
        for i in _ordered(kernel)
        if (device is None or device in IMPL_DEVICES[i.name]) and i.is_available()
    ]


def resolve(kernel: str, device: str = "cpu") -> Impl:
    """The implementation ``dispatch`` would call for ``kernel`` on ``device``."""
    want = forced()
    candidates = [i for i in _ordered(kernel) if _serves(i.name, device, i.name == want)]
    if want is None:
        for i in candidates:
            if i.is_available():
                return i
        raise RuntimeError(f"kernel {kernel!r} has no implementation available on device {device!r}")
    for i in candidates:
        if i.name == want and i.is_available():
            return i
    if want not in _REGISTRY[kernel]:
        why = f"kernel {kernel!r} has no {want!r} implementation"
    elif not _serves(want, device, True):
        why = f"{want!r} serves devices {list(IMPL_DEVICES[want])}, not {device!r}"
    elif want == "native":
        why = f"native extension: {_native_reason()}"
    elif want == "triton":
        from ._triton import unavailable_reason

        why = f"triton: {unavailable_reason()}"
    else:
        why = f"{want!r} is not available in this process"
    raise RuntimeError(
        f"kernel {kernel!r}: implementation {want!r} is forced (tensorlite.kernels.use/set_default) "
        f"but cannot run: {why}; available on {device!r}: {available_impls(kernel, device)}"
    )


def dispatch(kernel: str, device: str = "cpu") -> Callable[..., Any]:
    """The function implementing ``kernel`` on ``device`` (see the module docstring)."""
    return resolve(kernel, device).fn


def kernels() -> list[str]:
    """Names of all registered kernels."""
    return sorted(_REGISTRY)


@contextmanager
def use(impl: str | None) -> Iterator[None]:
    """Context manager forcing implementation ``impl`` for every kernel in its body.

    ``use(None)`` restores automatic selection inside the body.  Nesting works; the
    setting is per thread / asyncio task (a ``contextvars.ContextVar``).  Calling a kernel
    that lacks the forced implementation raises ``RuntimeError`` rather than silently
    running another one, so a test or benchmark measures what it asked for.
    """
    _check_impl_name(impl)
    token = _FORCED.set(_AUTO if impl is None else impl)
    try:
        yield
    finally:
        _FORCED.reset(token)


def set_default(impl: str | None) -> None:
    """Force ``impl`` process-wide (``None``: back to automatic).  ``use()`` overrides it."""
    global _DEFAULT
    _check_impl_name(impl)
    _DEFAULT = impl


def _native_reason() -> str:
    from ._native import load

    return load()[1]
