"""Native (C++) implementations of the conv2d kernels (csrc/conv.cpp; contract: kernels/conv.py).

Registers ``native`` for ``conv2d_forward``, ``conv2d_backward_input`` and
``conv2d_backward_weight``.  What it does with each input:

* float32 NumPy arrays: the C++ kernels.  Strided arrays (and non-native byte order) are first
  copied to C-contiguous native float32; results are new C-contiguous float32 arrays.
* float64, and any other dtype the reference takes: **the reference implementation** (the C++
  kernels are float32 only), so ``tl.kernels.use("native")`` runs every dtype and float32 takes
  the fast path.
* operands of different dtypes, or not NumPy arrays (native serves the CPU only): TypeError;
  arrays of the wrong rank, geometry that does not fit (channels vs groups, a kernel larger than
  the padded input, grad_out / input_shape / weight_shape inconsistent with the convolution):
  ValueError.  Every message names the kernel.

Method (csrc/conv.cpp): implicit-GEMM convolution on a packed SGEMM with an AVX-512 8x32 /
AVX2 6x16 / portable register tile, chosen at run time (``tensorlite.kernels.cpu``); stride-1
input gradients as the convolution with the flipped kernel, strided ones by GEMM + col2im;
depthwise convolutions by direct vectorised loops.  OpenMP threads (``OMP_NUM_THREADS``).

Accuracy and determinism (float32): dot products are summed in float32 in reduction blocks of
384 terms, partial sums added in block order (with FMA on the AVX2 / AVX-512 paths), so the
error is within a small multiple of ``K * 2**-24 * sum|terms|`` (K the reduction length), as
for any float32 GEMM.  Results are bitwise repeatable from run to run and do not depend on the
number of threads; they differ between SIMD paths by rounding only.
"""

from __future__ import annotations

from typing import Any

import numpy

from . import _native
from ._registry import register
from .conv import conv_backward_input_reference, conv_backward_weight_reference, conv_forward_reference

__all__ = ["conv2d_forward_native", "conv2d_backward_input_native", "conv2d_backward_weight_native"]


def _available() -> bool:
    """The extension is loaded and was built with the conv2d kernels."""
    module, _ = _native.load()
    return module is not None and hasattr(module, "conv2d_forward")


def _operands(kernel: str, names: tuple[str, ...], arrays: tuple[Any, ...]) -> bool:
    """Check the operands; True when they are float32 (the C++ path), False for the reference."""
    for name, a in zip(names, arrays):
        if a is not None and not isinstance(a, numpy.ndarray):
            raise TypeError(f"{kernel} native: expected NumPy arrays (CPU), got {name} of type {type(a).__name__}")
    dtype = arrays[0].dtype.newbyteorder("=")  # byte order is not the dtype: _f32 converts it
    for name, a in zip(names[1:], arrays[1:]):
        if a is not None and a.dtype.newbyteorder("=") != dtype:
            raise TypeError(f"{kernel} native: all operands must have the same dtype, got {names[0]} {dtype} "
                            f"and {name} {a.dtype.newbyteorder('=')}")
    for name, a in zip(names, arrays):
        want = 1 if name == "bias" else 4
        if a is not None and a.ndim != want:
            raise ValueError(f"{kernel} native: expected {name} to be {want}-d, got shape {a.shape}")
    return dtype == numpy.float32


def _f32(a: Any) -> Any:
    """C-contiguous float32 in native byte order (a copy only when needed)."""
    return numpy.ascontiguousarray(a, dtype=numpy.float32)


def _ints(kernel: str, name: str, values: Any) -> tuple:
    try:
        return tuple(int(v) for v in values)
    except TypeError:
        raise TypeError(f"{kernel} native: {name} must be a sequence of ints, got {values!r}") from None


@register("conv2d_forward", "native", available=_available)
def conv2d_forward_native(x: Any, w: Any, bias: Any, stride: tuple, padding: tuple, dilation: tuple,
                          groups: int) -> Any:
    """y[n, o] = bias[o] + sum_{c in group(o), r} w[o, c, r] xpad[n, c, q s + r d] (C++ for float32)."""
    k = "conv2d_forward"
    if not _operands(k, ("x", "w", "bias"), (x, w, bias)):
        return conv_forward_reference(x, w, bias, tuple(stride), tuple(padding), tuple(dilation), groups)
    return _native.require().conv2d_forward(_f32(x), _f32(w), None if bias is None else _f32(bias),
                                            _ints(k, "stride", stride), _ints(k, "padding", padding),
                                            _ints(k, "dilation", dilation), int(groups))


@register("conv2d_backward_input", "native", available=_available)
def conv2d_backward_input_native(grad_out: Any, w: Any, input_shape: tuple, stride: tuple, padding: tuple,
                                 dilation: tuple, groups: int) -> Any:
    """grad_x: the adjoint of the forward in x, of shape input_shape (C++ for float32)."""
    k = "conv2d_backward_input"
    if not _operands(k, ("grad_out", "w"), (grad_out, w)):
        return conv_backward_input_reference(grad_out, w, tuple(input_shape), tuple(stride), tuple(padding),
                                             tuple(dilation), groups)
    return _native.require().conv2d_backward_input(_f32(grad_out), _f32(w), _ints(k, "input_shape", input_shape),
                                                   _ints(k, "stride", stride), _ints(k, "padding", padding),
                                                   _ints(k, "dilation", dilation), int(groups))


@register("conv2d_backward_weight", "native", available=_available)
def conv2d_backward_weight_native(x: Any, grad_out: Any, weight_shape: tuple, stride: tuple, padding: tuple,
                                  dilation: tuple, groups: int) -> Any:
    """grad_w[o, c, r] = sum_{n, q} grad_out[n, o, q] xpad[n, c, q s + r d] (C++ for float32)."""
    k = "conv2d_backward_weight"
    if not _operands(k, ("x", "grad_out"), (x, grad_out)):
        return conv_backward_weight_reference(x, grad_out, tuple(weight_shape), tuple(stride), tuple(padding),
                                              tuple(dilation), groups)
    return _native.require().conv2d_backward_weight(_f32(x), _f32(grad_out), _ints(k, "weight_shape", weight_shape),
                                                    _ints(k, "stride", stride), _ints(k, "padding", padding),
                                                    _ints(k, "dilation", dilation), int(groups))
