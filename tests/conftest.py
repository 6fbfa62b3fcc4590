"""Shared pytest setup: the `gpu` marker's auto-skip, and Triton's CPU interpreter for the
`triton_interpret` tests on machines without an NVIDIA GPU."""

from __future__ import annotations

import functools
import importlib.util
import os

import pytest

# TRITON_INTERPRET is read when @triton.jit decorates, so it is set before any test imports a
# *_triton kernel module.  With an NVIDIA device present it is left alone: there the Triton
# kernels compile for the GPU and the `gpu` tests exercise them.
if "TRITON_INTERPRET" not in os.environ and not os.path.exists("/dev/nvidiactl"):
    os.environ["TRITON_INTERPRET"] = "1"


def _interpret_unavailable_reason() -> str | None:
    if os.environ.get("TRITON_INTERPRET", "").strip().lower() not in ("1", "true", "yes", "on"):
        return "TRITON_INTERPRET is not set (a GPU is present: the `gpu` tests cover Triton there)"
    for module, extra in (("triton", "tensorlite[cuda]"), ("torch", "tensorlite[dev]")):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install '{extra}')"
    return None


@functools.lru_cache(maxsize=1)
def _cuda_unavailable_reason() -> str | None:
    """None if CuPy can allocate on a CUDA device, else why not.  Never raises: `import cupy`
    can succeed on a machine without a GPU and the first allocation then raises."""
    try:
        import cupy
    except Exception as exc:  # noqa: BLE001 - ImportError or a broken CUDA install
        return f"CuPy not importable: {type(exc).__name__}: {exc}"
    try:
        cupy.zeros(1)
    except Exception as exc:  # noqa: BLE001 - CUDARuntimeError and friends
        return f"CUDA not available: {type(exc).__name__}: {exc}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    interp_items = [item for item in items if item.get_closest_marker("triton_interpret") is not None]
    if interp_items:
        reason = _interpret_unavailable_reason()
        if reason is not None:
            for item in interp_items:
                item.add_marker(pytest.mark.skip(reason=f"triton_interpret test: {reason}"))
    gpu_items = [item for item in items if item.get_closest_marker("gpu") is not None]
    if not gpu_items:
        return  # do not even import CuPy
    reason = _cuda_unavailable_reason()
    if reason is not None:
        skip = pytest.mark.skip(reason=f"gpu test: {reason}")
        for item in gpu_items:
            item.add_marker(skip)
