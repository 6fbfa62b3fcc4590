"""Matrix product kernel: ``gemm(a, b, out=None) -> c``, the 2-D products of Linear and matmul.

Contract
--------
* ``a`` (M, K) and ``b`` (K, N): 2-D NumPy or CuPy arrays of one dtype, any strides (transposed
  views included: ``g.T @ x`` and ``x @ W.T`` cost no copy on the native path).  Sizes may be 0.
* ``c[i, j] = sum_k a[i, k] b[k, j]``: a new C-contiguous (M, N) array of that dtype, or ``out``
  (shape (M, N), the same dtype and array type, writeable, any strides), which is returned.
  K = 0 gives zeros.  ``out`` may overlap ``a`` or ``b`` (the product then goes through a temporary).
* Errors: operands not 2-D, inner sizes that differ, dtypes or array types that differ, a bad
  ``out``: ValueError / TypeError naming ``gemm`` and the shapes / dtypes.

Implementations
---------------
``reference``  ``xp.matmul`` (NumPy's BLAS, cuBLAS for CuPy): every dtype and device.
``native``     csrc/gemm.cpp for float32 NumPy arrays: a packed, register-tiled SGEMM (AVX-512 8x32,
               AVX2 6x16 or portable micro-kernel, chosen at run time), OpenMP over column (and row)
               chunks of C; other dtypes run the reference.  CPU only.

Accuracy and determinism (native, float32): each c[i, j] is one float32 FMA chain over k in order
within reduction blocks of 384, blocks added in order, so |error| <= ~K 2**-24 sum_k |a_ik b_kj|
(the usual float32 GEMM bound, with a small constant), and results are bitwise identical from run
to run and for every OMP_NUM_THREADS (they differ between SIMD paths by rounding only).  The
reference inherits BLAS's properties (OpenBLAS: not guaranteed independent of the thread count).

Selection: automatic dispatch takes ``native`` only for float32 NumPy products in the size range
where it measured faster than NumPy's BLAS (see ``_NATIVE_MIN_FLOPS``); ``tl.kernels.use("native")``
forces it for every size, ``use("reference")`` forces NumPy / CuPy.  A forced implementation that
gemm does not have (``use("triton")``) leaves gemm on automatic selection: the library's own
matrix products run through this kernel, and "Triton where there is one" is what that asks for.
"""

from __future__ import annotations

from typing import Any

import numpy

from . import _native
from ._registry import forced, register, resolve
from ._xp import _xp, device_of

__all__ = ["gemm", "gemm_reference", "gemm_native", "use_native_for", "release_workspace"]

KERNEL = "gemm"

# Automatic selection, float32 on the CPU: native when 2 M N K >= _NATIVE_MIN_FLOPS and A (M K floats,
# the size of the per-thread packed copy the kernel keeps between calls) is at most _NATIVE_MAX_A.
# Measured with benchmarks/bench_gemm.py (medians of interleaved rounds, each library in its own
# process; this project's 2-core Zen 4 VM, AVX-512 path; NumPy's OpenBLAS 0.3.31), native vs NumPy, us:
#                               1 thread          2 threads
#     128x64x256   x W1^T     40 vs 51          25 vs 36
#     128x256x256  x W2^T    156 vs 190         82 vs 109
#     128x256x256  g W2      156 vs 165         92 vs 97
#     256x128x256  g^T x     156 vs 166         86 vs 100
#     256x128x64   g^T x      43 vs 45          23 vs 25
#     512^3                 2540 vs 2650      1290 vs 1380
#     1024^3               20900 vs 21000    11100 vs 11000
#     128x256x10   x W3^T     14 vs 15.5        (1 thread below 1 MFLOP)
#     128x10x256   g W3        8 vs 8
#     10x128x256   g^T x      13 vs 8
# Below ~1 MFLOP (the 10-wide layer's products, 0.66 MFLOP) the two are even or BLAS wins (its
# small-matrix kernels skip the packing), above it native wins or ties: 2^20 flops is the threshold.
_NATIVE_MIN_FLOPS = 1 << 20
_NATIVE_MAX_A = 1 << 22  # floats (16 MB): beyond, BLAS, whose blocking bounds its workspace


def _check(a: Any, b: Any, out: Any) -> None:
    if getattr(a, "ndim", None) != 2 or getattr(b, "ndim", None) != 2:
        raise ValueError(f"gemm: expected 2-D arrays a (M, K) and b (K, N), got shapes "
                         f"{getattr(a, 'shape', type(a).__name__)} and {getattr(b, 'shape', type(b).__name__)}")
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"gemm: a {a.shape} and b {b.shape} do not fit (M, K) @ (K, N)")
    if a.dtype != b.dtype or type(a) is not type(b):
        raise TypeError(f"gemm: a and b must have one dtype and array type, got {type(a).__name__} {a.dtype} "
                        f"and {type(b).__name__} {b.dtype}")
    if out is not None:
        want = (a.shape[0], b.shape[1])
        if type(out) is not type(a) or out.dtype != a.dtype or out.shape != want:
            raise ValueError(f"gemm: out must be a {type(a).__name__} of dtype {a.dtype} and shape {want}, got "
                             f"{type(out).__name__} {getattr(out, 'dtype', None)} {getattr(out, 'shape', None)}")
        if type(out) is numpy.ndarray and not out.flags.writeable:
            raise ValueError(f"gemm: out (shape {out.shape}) is read-only")


_F32 = numpy.dtype(numpy.float32)


def _native_module() -> Any:
    module, _ = _native.load()
    return module if module is not None and hasattr(module, "gemm_f32") else None


def _native_available() -> bool:
    return _native_module() is not None


def _in_native_range(a: Any, b: Any) -> bool:
    """float32 NumPy operands in the size range where native measured faster (see _NATIVE_MIN_FLOPS)."""
    if type(a) is not numpy.ndarray or a.dtype != _F32:
        return False
    m, k = a.shape
    return 2 * m * k * b.shape[1] >= _NATIVE_MIN_FLOPS and m * k <= _NATIVE_MAX_A


def use_native_for(a: Any, b: Any) -> bool:
    """Whether automatic selection runs ``a @ b`` natively (float32 NumPy operands in the measured range)."""
    return _in_native_range(a, b) and b.dtype == a.dtype and _native_available()


def gemm(a: Any, b: Any, out: Any = None) -> Any:
    """c = a @ b for 2-D a (M, K), b (K, N), by the implementation selected as the module docstring says."""
    _check(a, b, out)
    want = forced()
    if want == "native" or want == "reference":
        return resolve(KERNEL, device_of(a)).fn(a, b, out)
    if _in_native_range(a, b):
        module = _native_module()
        if module is not None:
            return _run_native(module, a, b, out)
    return _xp(a).matmul(a, b, out=out)


@register(KERNEL, "reference")
def gemm_reference(a: Any, b: Any, out: Any = None) -> Any:
    """c = xp.matmul(a, b) (into out when given)."""
    _check(a, b, out)
    return _xp(a).matmul(a, b, out=out)


@register(KERNEL, "native", available=_native_available)
def gemm_native(a: Any, b: Any, out: Any = None) -> Any:
    """C++ (csrc/gemm.cpp) for float32 NumPy arrays of any strides; the reference for other dtypes
    (non-native byte order included)."""
    _check(a, b, out)
    if type(a) is not numpy.ndarray:
        raise TypeError(f"gemm native: expected NumPy arrays (CPU), got {type(a).__name__}")
    if a.dtype != _F32:
        return gemm_reference(a, b, out)
    module = _native_module()
    if module is None:  # the registry checked availability; TENSORLITE_NO_EXT may have been set since
        raise RuntimeError(f"gemm native: extension unavailable: {_native.load()[1]}")
    return _run_native(module, a, b, out)


def _run_native(module: Any, a: Any, b: Any, out: Any) -> Any:
    if out is None:
        return module.gemm_f32(a, b)
    if numpy.may_share_memory(out, a) or numpy.may_share_memory(out, b):
        out[...] = module.gemm_f32(a, b)  # the kernel writes out while it reads a and b
        return out
    return module.gemm_f32(a, b, out)


def release_workspace() -> None:
    """Free the native kernel's reusable buffers (packed operands) in this thread and the OpenMP pool."""
    module, _ = _native.load()
    if module is not None and hasattr(module, "gemm_f32_release_workspace"):
        module.gemm_f32_release_workspace()
