"""Which SIMD code path the native (C++) kernels take on this CPU, and forcing a lower one.

The extension is built for the baseline ISA of its platform; kernels with AVX2 / AVX-512
versions choose one at call time from what CPUID and the OS report (csrc/cpu_features.h):

    >>> from tensorlite.kernels import cpu
    >>> cpu.features()["avx512_vnni"]      # True on Ice Lake / Zen 4 and later
    >>> cpu.kernel_paths()                 # {"int8_matmul": "avx512", "gelu_forward": "portable", ...}
    >>> with cpu.force_path("avx2"):       # run every native kernel on its AVX2 path
    ...     ...

``TENSORLITE_CPU_PATH=portable|avx2|avx512`` in the environment does the same for a whole
process (read once, when the first native kernel asks).  A path above what the CPU supports is
clamped to the best supported one.  Without the native extension every function here reports
"no extension" rather than raising, except ``force_path``, which has nothing to force.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import _native

PATHS = ("portable", "avx2", "avx512")


def features() -> dict[str, Any]:
    """CPU features the extension detected (empty when it is not loaded)."""
    module, _ = _native.load()
    return dict(module.cpu_features()) if module is not None and hasattr(module, "cpu_features") else {}


def kernel_paths() -> dict[str, str]:
    """``{native kernel: path it takes now}`` (empty when the extension is not loaded)."""
    module, _ = _native.load()
    return dict(module.kernel_paths()) if module is not None and hasattr(module, "kernel_paths") else {}


def path() -> dict[str, Any]:
    """``{"active", "best", "requested", "env", "env_error"}``: the path in force and why."""
    module, reason = _native.load()
    if module is None or not hasattr(module, "cpu_path"):
        return {"active": None, "best": None, "requested": None, "env": None, "env_error": reason or "no cpu_path"}
    return dict(module.cpu_path())


@contextmanager
def force_path(name: str | None) -> Iterator[None]:
    """Run the body with every native kernel forced to ``name`` ("portable", "avx2", "avx512";
    clamped to what the CPU supports; None: TENSORLITE_CPU_PATH's choice, else automatic).
    Process-wide, not per thread: the path is a setting of the extension, so use it from one
    thread at a time (tests, benchmarks).  The previous setting is restored on exit."""
    if name is not None and name not in PATHS:
        raise ValueError(f"force_path: expected one of {PATHS} or None, got {name!r}")
    module = _native.require()
    previous = module.cpu_path()["requested"]
    # The override sits above TENSORLITE_CPU_PATH; restoring "no override" (None) falls back to it.
    had_override = previous is not None and previous != _env_request(module)
    module.set_cpu_path(name)
    try:
        yield
    finally:
        module.set_cpu_path(previous if had_override else None)


def _env_request(module: Any) -> str | None:
    info = module.cpu_path()
    env = (info.get("env") or "").strip().lower()
    return env if env in PATHS else None
