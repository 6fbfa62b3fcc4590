"""Compile the Triton kernels for a GPU target (sm_90: H100 / H200) on a machine without a GPU.

Triton's CPU interpreter (the `triton_interpret` tests) is lenient: it runs the kernels as NumPy-ish
Python, so a type error, an illegal ``tl.dot`` shape or a bad constexpr branch the tests never take
goes unnoticed until a GPU compiles the kernel.  Lowering to sm_90 machine code needs no GPU, only
Triton's compiler (and its bundled ptxas), so these helpers do it here:

* :func:`recorded_launches` runs the *host* code of a ``*_triton`` module (``conv2d_forward(x, ...)``
  on NumPy arrays) with every kernel launch recorded instead of executed, and every array handed to
  Triton as the same :class:`DevicePointer` a CuPy array becomes (dtype name, and an address with the
  alignment a CuPy allocation has);
* :func:`compile_for_sm90` replays a recorded launch through ``JITFunction.warmup``, which binds the
  arguments exactly as a real launch does (Triton's own specialization: integer arguments equal to 1
  become constants, multiples of 16 and 16-byte aligned pointers get divisibility hints) and compiles
  without launching, under a stand-in driver that reports an sm_90 device, then checks the kernel fits
  sm_90's shared memory (what a launch would check when it loads the binary);
* :func:`run_aot_script` runs such a script in a fresh process with ``TRITON_INTERPRET=0`` (the
  test process has the interpreter on, and ``@triton.jit`` reads that when it decorates).

Subprocess scripts import this module via ``sys.path`` (see :data:`SCRIPT_PRELUDE`).  It must not
import pytest, torch or the kernels at module import.  It leans on Triton 3.9 internals (the driver's
``_active`` slot, ``JITFunction.warmup`` with a non-tensor pointer object); a Triton upgrade may need it
adjusted, and would show as every AOT test failing at once.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SM90_MAX_SHARED = 232448  # bytes of shared memory one block may use on sm_90 (227 KiB)
_BASE_ADDRESS = 1 << 32  # fake device addresses: CuPy's pool hands out (at least) 512-byte aligned blocks

# The first lines of every compile script: make this module importable.
SCRIPT_PRELUDE = f"import sys\nsys.path.insert(0, {str(TESTS)!r})\n"


class _Sm90Driver:
    """The part of Triton's driver interface that compiling (JITFunction.warmup) asks for: device 0, stream 0,
    an sm_90 target.  Launching or loading a binary is not possible and not needed."""

    def get_current_device(self) -> int:
        return 0

    def get_current_stream(self, device: int) -> int:
        return 0

    def get_current_target(self) -> Any:
        from triton.backends.compiler import GPUTarget

        return GPUTarget("cuda", 90, 32)


@contextlib.contextmanager
def sm90_driver() -> Iterator[None]:
    """Within: Triton compiles for sm_90 as if such a GPU were the current device."""
    from triton.runtime.driver import driver

    saved = driver._active  # not reset_active(): that would create the real driver, which needs a GPU
    driver.set_active(_Sm90Driver())
    try:
        yield
    finally:
        driver._active = saved


@dataclass
class Launch:
    """One recorded ``kernel[grid](*args, **kwargs)``."""

    name: str
    kernel: Any  # the module's kernel object (an Autotuner around a JITFunction, or a JITFunction)
    grid: Any
    args: tuple
    kwargs: dict
    note: str = ""  # which case launched it, for messages


def fake_pointer(array: Any) -> Any:
    """The :class:`DevicePointer` ``launch_arg`` makes of a CuPy array, for a NumPy array: same dtype name, and
    an address as aligned as the array's offset inside its allocation (a CuPy block starts 512-byte aligned)."""
    from tensorlite.kernels._triton import DevicePointer

    base = array
    while getattr(base, "base", None) is not None and hasattr(base.base, "__array_interface__"):
        base = base.base
    offset = array.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    ptr = DevicePointer.__new__(DevicePointer)
    ptr._ptr = _BASE_ADDRESS + offset
    ptr.dtype = str(array.dtype)
    return ptr


def _is_kernel(obj: Any) -> bool:
    from triton.runtime.autotuner import Autotuner
    from triton.runtime.jit import JITFunction

    return isinstance(obj, (Autotuner, JITFunction))


@contextlib.contextmanager
def recorded_launches(module: Any, note: Callable[[], str] = lambda: "") -> Iterator[list[Launch]]:
    """Within: ``module``'s kernels record their launches (into the yielded list) instead of running, and arrays
    become :func:`fake_pointer`\\ s, so the module's host functions can be called on NumPy arrays as if on CuPy
    ones.  ``note()`` labels each launch (e.g. the case being run)."""
    from tensorlite.kernels import _triton

    launches: list[Launch] = []

    class _Recorder:
        def __init__(self, name: str, kernel: Any):
            self.name, self.kernel = name, kernel

        def __getitem__(self, grid: Any) -> Callable[..., None]:
            def launch(*args: Any, **kwargs: Any) -> None:
                launches.append(Launch(self.name, self.kernel, grid, args, kwargs, note()))
            return launch

    patches = {name: _Recorder(name, obj) for name, obj in vars(module).items() if _is_kernel(obj)}
    if not patches:
        raise AssertionError(f"recorded_launches: {module.__name__} has no Triton kernels")
    if hasattr(module, "launch_arg"):
        patches["launch_arg"] = fake_pointer
    with contextlib.ExitStack() as stack:
        for name in patches:  # restorers registered before patching: the originals come back whatever happens
            stack.callback(setattr, module, name, getattr(module, name))
        stack.callback(setattr, _triton, "launch_arg", _triton.launch_arg)
        # Outputs are never written (nothing runs): host code post-processing them sees uninitialised memory.
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, value in patches.items():
            setattr(module, name, value)
        _triton.launch_arg = fake_pointer  # modules that call _triton.launch_arg(...) through the module
        yield launches


def _block_volume(config: Any) -> tuple:
    kw = config.kwargs
    return (kw.get("BLOCK_M", 1) * kw.get("BLOCK_N", 1) * kw.get("BLOCK_K", 1), config.num_warps,
            config.num_stages)


def extreme_configs(kernel: Any) -> list[Any]:
    """The smallest and the largest (by BLOCK_M BLOCK_N BLOCK_K, then warps, then stages) autotune configs of
    ``kernel``; [None] for a kernel without autotuning."""
    configs = getattr(kernel, "configs", None)
    if not configs:
        return [None]
    small, large = min(configs, key=_block_volume), max(configs, key=_block_volume)
    return [small] if small is large else [small, large]


def compile_for_sm90(launch: Launch, configs: Sequence[Any] | None = None) -> list[Any]:
    """Compile ``launch`` for sm_90 with each autotune config in ``configs`` (default: :func:`extreme_configs`),
    binding its arguments as a real launch would; check the kernel fits sm_90's shared memory.  Returns the
    CompiledKernels.  A compile error propagates with the launch named."""
    from triton.runtime.jit import JITFunction

    fn = launch.kernel
    while not isinstance(fn, JITFunction):  # unwrap the autotuner (and any heuristics)
        fn = fn.fn
    compiled = []
    with sm90_driver():
        for config in (extreme_configs(launch.kernel) if configs is None else configs):
            meta = {} if config is None else config.all_kwargs()
            where = f"{launch.name} [{launch.note}] config {config}"
            try:
                kernel = fn.warmup(*launch.args, grid=launch.grid, **launch.kwargs, **meta)
            except Exception as exc:
                raise RuntimeError(f"sm_90 compile failed: {where}: {type(exc).__name__}: {exc}") from exc
            if kernel.metadata.shared > SM90_MAX_SHARED:
                raise RuntimeError(f"{where} needs {kernel.metadata.shared} bytes of shared memory, sm_90 has "
                                   f"{SM90_MAX_SHARED}")
            compiled.append(kernel)
    return compiled


def compile_all(launches: Sequence[Launch], configs: Sequence[Any] | None = None) -> None:
    """Compile every launch (see :func:`compile_for_sm90`), printing one timing line each and a final
    ``compiled N kernels`` line (what :func:`run_aot_script` looks for)."""
    total = 0
    for launch in launches:
        start = time.perf_counter()
        total += len(compile_for_sm90(launch, configs))
        print(f"{time.perf_counter() - start:6.1f}s {launch.name} [{launch.note}]", flush=True)
    print(f"compiled {total} kernels", flush=True)


def run_aot_script(script: str, cache_dir: Path, timeout: float = 600) -> str:
    """Run ``SCRIPT_PRELUDE + script`` in a fresh process with Triton's interpreter off and its cache in
    ``cache_dir`` (every compile is a real one); assert it printed ``compiled N kernels``.  Returns stdout."""
    env = {**os.environ, "TRITON_INTERPRET": "0", "TRITON_DEFAULT_FP_FUSION": "1", "TRITON_CACHE_DIR": str(cache_dir)}
    run = subprocess.run([sys.executable, "-c", SCRIPT_PRELUDE + script], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=timeout)
    assert run.returncode == 0 and "compiled " in run.stdout, (run.stdout[-2000:] + run.stderr[-6000:])
    return run.stdout
