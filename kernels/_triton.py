"""What every Triton kernel module shares: availability, lazy registration, launch arguments,
autotuning without torch.

Triton kernels launch on CuPy arrays (CUDA) with no torch at runtime: Triton's launcher takes any
object with a ``data_ptr()`` method and a ``dtype`` whose name it knows, so a CuPy array is passed
as a small :class:`DevicePointer`.  Triton's own autotuner times configurations with
``triton.testing.do_bench``, which asks torch for the device; :func:`autotune` passes a
CuPy-event timer instead.

On machines without a GPU the same kernels run under Triton's interpreter
(``TRITON_INTERPRET=1``, read when ``@triton.jit`` decorates, so it must be set before a
``*_triton`` module is imported).  The interpreter only takes torch CPU tensors, so there (and
only there: it is a test mode) NumPy arrays are wrapped zero-copy with ``torch.from_numpy``.
Kernels written by the interpreted kernel land in the NumPy array itself.

Nothing here imports triton, cupy or torch at module import: ``import tensorlite`` stays cheap,
and the ``*_triton`` modules (which do import triton) are loaded on a kernel's first call.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy

from ._registry import register

__all__ = [
    "DevicePointer", "autotune", "available", "cuda_do_bench", "gemm_config", "cdiv", "interpreting", "launch_arg", "register_lazy",
    "unavailable_reason",
]


def interpreting() -> bool:
    """True when ``TRITON_INTERPRET`` asks for Triton's CPU interpreter."""
    return os.environ.get("TRITON_INTERPRET", "").strip().lower() in ("1", "true", "yes", "on")


def unavailable_reason() -> str | None:
    """None when Triton kernels can run in this process, else why not (one line)."""
    if importlib.util.find_spec("triton") is None:
        return "Triton is not installed (pip install 'tensorlite[cuda]')"
    if interpreting():
        if importlib.util.find_spec("torch") is None:
            return "TRITON_INTERPRET=1 needs torch (test-only) to hand CPU arrays to the interpreter"
        return None
    from tensorlite.backend.device import cuda_available, cuda_unavailable_reason

    if not cuda_available():
        return f"Triton needs a CUDA device: {cuda_unavailable_reason()}"
    return None


def available() -> bool:
    return unavailable_reason() is None


def register_lazy(kernel: str, module: str, attr: str | None = None) -> None:
    """Register ``tensorlite.kernels.<module>.<attr>`` as the ``triton`` implementation of
    ``kernel``, importing that module (and with it triton) on the first call only."""
    attr = attr or kernel
    target: list[Callable[..., Any]] = []

    def trampoline(*args: Any, **kwargs: Any) -> Any:
        if not target:
            target.append(getattr(importlib.import_module(f"{__package__}.{module}"), attr))
        return target[0](*args, **kwargs)

    trampoline.__name__ = trampoline.__qualname__ = f"{attr}_triton"
    trampoline.__doc__ = f"Triton implementation of {kernel!r} (loads {__package__}.{module} on first call)."
    register(kernel, "triton", available=available)(trampoline)


def cdiv(a: int, b: int) -> int:
    return -(-a // b)


class DevicePointer:
    """A CuPy array as Triton's launcher sees a tensor: an address and a dtype name."""

    __slots__ = ("_ptr", "dtype")

    def __init__(self, array: Any):
        self._ptr = int(array.data.ptr)
        self.dtype = str(array.dtype)  # "float32", "bfloat16", ...: Triton maps the name

    def data_ptr(self) -> int:
        return self._ptr


def launch_arg(array: Any) -> Any:
    """What to pass Triton for ``array``: a :class:`DevicePointer` for a CuPy array; under the
    interpreter, a torch CPU tensor sharing the NumPy array's memory.  Strides are not passed
    implicitly: kernels take them as explicit arguments (in elements)."""
    if type(array).__module__.split(".", 1)[0] == "cupy":
        return DevicePointer(array)
    if isinstance(array, numpy.ndarray):
        if not interpreting():
            raise RuntimeError(
                "Triton kernels run on CUDA (CuPy) arrays; NumPy arrays only under TRITON_INTERPRET=1 (tests)"
            )
        import torch  # noqa: PLC0415 - the interpreter's test mode only

        if array.ndim == 0 or array.size == 0:
            array = numpy.ascontiguousarray(array)
        if array.dtype.name == "bfloat16":  # ml_dtypes' type, which torch.from_numpy refuses: pass the bits
            return torch.from_numpy(array.view(numpy.int16)).view(torch.bfloat16)
        if not array.flags.writeable:  # a read-only input (kernels never write inputs): silence torch's warning
            import warnings  # noqa: PLC0415

            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
                return torch.from_numpy(array)
        return torch.from_numpy(array)
    raise TypeError(f"launch_arg: expected a CuPy or NumPy array, got {type(array).__name__}")


def cuda_do_bench(fn: Callable[[], Any], quantiles: Sequence[float] | None = None,
                   warmup: int = 5, rep: int = 20) -> Any:
    """Median (or ``quantiles``) milliseconds of ``fn`` timed with CUDA events on CuPy's stream."""
    import cupy  # noqa: PLC0415

    fn()
    cupy.cuda.get_current_stream().synchronize()
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(rep):
        start, end = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(cupy.cuda.get_elapsed_time(start, end))
    arr = numpy.asarray(times)
    if quantiles:
        return [float(numpy.quantile(arr, q)) for q in quantiles]
    return float(numpy.median(arr))


def gemm_config(block_m: int, block_n: int, block_k: int, warps: int, stages: int) -> Any:
    """A ``triton.Config`` of a GEMM-shaped kernel's tile (BLOCK_M x BLOCK_N, reduction step BLOCK_K)."""
    import triton  # noqa: PLC0415 - callers are *_triton modules, which import triton anyway

    return triton.Config({"BLOCK_M": block_m, "BLOCK_N": block_n, "BLOCK_K": block_k}, num_warps=warps,
                         num_stages=stages)


def autotune(configs: list[Any], key: list[str], **kwargs: Any) -> Callable[[Any], Any]:
    """``triton.autotune`` timed with CuPy events (no torch).  Under the interpreter only the
    first configuration runs: timing interpreted kernels measures nothing, and is slow."""
    import triton  # noqa: PLC0415 - callers are *_triton modules, which import triton anyway

    if interpreting():
        return triton.autotune(configs=configs[:1], key=key, **kwargs)
    return triton.autotune(configs=configs, key=key, do_bench=cuda_do_bench, **kwargs)
