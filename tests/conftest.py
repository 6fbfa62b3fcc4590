"""Shared pytest setup.  Only the `gpu` marker's auto-skip lives here so far."""

from __future__ import annotations

import functools

import pytest


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
    gpu_items = [item for item in items if item.get_closest_marker("gpu") is not None]
    if not gpu_items:
        return  # do not even import CuPy
    reason = _cuda_unavailable_reason()
    if reason is not None:
        skip = pytest.mark.skip(reason=f"gpu test: {reason}")
        for item in gpu_items:
            item.add_marker(skip)
