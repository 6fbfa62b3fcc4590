"""Native (C++) implementations of the attention kernels: csrc/attention.cpp, FlashAttention-2.

Contract: kernels/attention.py (``attention_forward`` / ``attention_backward``); these
functions register as their ``native`` implementations and return what the reference returns,
to float32 rounding (tests/test_kernels_attention.py states the tolerances).  What is specific
to this implementation:

* Fused for float32 and float64, any head dims D, Dv >= 1 (tuned for 16..256), causal or not,
  with or without a mask.  The (Lq, Lk) score matrix is never held: memory is O((Lq + Lk) D)
  per head.  The one exception is ``need_dmask=True`` (the gradient of a float mask, which is
  itself (Lq, Lk) per head): the kernel then writes dS densely, and it is summed to the mask's
  shape here.
* Inputs are made C-contiguous with the batch dims flattened (a no-op for the usual layout; a
  broadcast k or v, e.g. grouped-query heads expanded by the caller, is copied: O(Lk D) per head).
* A bool mask becomes an additive 0 / -inf array of the mask's own shape; a float mask is cast
  to the inputs' dtype.  Neither is broadcast in memory: the kernel reads it through a per-batch
  offset and its row / column strides (0 along broadcast dims).
* Zero-size inputs (an empty batch, Lq, Lk, D or Dv) have nothing to fuse: the reference answers
  them.  float16 and bfloat16 are not compiled: they run through the float32 kernel and are rounded back.
* The C++ code has AVX-512, AVX2 and portable builds; ``tensorlite._C.cpu_path()`` says which
  one runs (``TENSORLITE_CPU_PATH`` / ``_C.set_cpu_path`` force a lower one).  Results are
  bitwise repeatable from run to run for a given path and thread count.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from . import _native
from ._registry import register
from .attention import (
    _f32,
    _check_backward,
    BACKWARD,
    FORWARD,
    _check,
    _sum_to,
    attention_backward_reference,
    attention_forward_reference,
    default_scale,
)

__all__ = ["attention_forward_native", "attention_backward_native"]


def _available() -> bool:
    module = _native.load()[0]
    # An extension built before this kernel existed loads but lacks it.
    return module is not None and hasattr(module, "attention_forward")


def _heads(x: numpy.ndarray, bh: int) -> numpy.ndarray:
    """x (B..., L, E) as a C-contiguous (BH, L, E) array (a view when it already is contiguous)."""
    return numpy.ascontiguousarray(x).reshape((bh,) + x.shape[-2:])


def _mask_layout(mask: Any, batch: tuple, lq: int, lk: int, dtype: numpy.dtype, name: str) -> tuple:
    """``(array, offsets, row_stride, col_stride)`` addressing ``mask`` broadcast to batch + (lq, lk):
    element (b, i, j) of the flattened-batch view is ``array.flat_data[offsets[b] + i rs + j cs]``
    (element strides; 0 along broadcast dims).  ``(None, None, 0, 0)`` for no mask."""
    if mask is None:
        return None, None, 0, 0
    mask = numpy.asarray(mask)
    if mask.dtype == numpy.bool_:
        additive = numpy.where(mask, dtype.type(0), dtype.type(-numpy.inf))
    elif mask.dtype.kind in "fV":
        additive = mask.astype(dtype, copy=False)
    else:
        raise TypeError(f"{name}: expected a bool or floating-point mask, got dtype {mask.dtype}")
    target = tuple(batch) + (lq, lk)
    try:
        view = numpy.broadcast_to(additive, target)
    except ValueError:
        raise ValueError(f"{name}: mask of shape {mask.shape} does not broadcast to the scores' shape {target} "
                         f"(B..., Lq, Lk)") from None
    strides = [s // view.itemsize for s in view.strides]
    offsets = numpy.zeros(batch, dtype=numpy.int64)
    for axis, (size, stride) in enumerate(zip(batch, strides[:-2])):
        if size > 1 and stride:
            shape = [1] * len(batch)
            shape[axis] = size
            offsets = offsets + (numpy.arange(size, dtype=numpy.int64) * stride).reshape(shape)
    return view, numpy.ascontiguousarray(offsets).reshape(-1), strides[-2], strides[-1]


def _empty(q: Any, k: Any, v: Any) -> bool:
    return 0 in q.shape or 0 in k.shape or 0 in v.shape


@register(FORWARD, "native", available=_available)
def attention_forward_native(q: Any, k: Any, v: Any, mask: Any = None, causal: bool = False,
                             scale: float | None = None) -> tuple[Any, Any]:
    """(out, logsumexp) by the fused C++ kernel (see the module docstring)."""
    _check(q, k, v, FORWARD)
    if _empty(q, k, v):
        return attention_forward_reference(q, k, v, mask, causal, scale)
    if q.dtype.itemsize == 2:  # float16 / bfloat16: the C++ kernel runs in float32, out is rounded back
        out, lse = attention_forward_native(*_f32(q, k, v, mask), causal, scale)
        return out.astype(q.dtype), lse
    ext = _native.require()
    scale = default_scale(q.shape[-1]) if scale is None else float(scale)
    batch, lq, lk = q.shape[:-2], q.shape[-2], k.shape[-2]
    bh = math.prod(batch)
    m, offsets, rs, cs = _mask_layout(mask, batch, lq, lk, q.dtype, FORWARD)
    out, lse = ext.attention_forward(_heads(q, bh), _heads(k, bh), _heads(v, bh), m, offsets, rs, cs,
                                     bool(causal), scale)
    return out.reshape(batch + (lq, v.shape[-1])), lse.reshape(batch + (lq,))


@register(BACKWARD, "native", available=_available)
def attention_backward_native(grad_out: Any, q: Any, k: Any, v: Any, out: Any, lse: Any, mask: Any = None,
                              causal: bool = False, scale: float | None = None, need_dmask: bool = False) -> tuple:
    """(dq, dk, dv[, dmask]) by the fused C++ kernel (see the module docstring)."""
    _check_backward(grad_out, q, k, v, out, lse, mask, need_dmask)
    batch, lq, lk, dv = q.shape[:-2], q.shape[-2], k.shape[-2], v.shape[-1]
    if _empty(q, k, v):
        return attention_backward_reference(grad_out, q, k, v, out, lse, mask, causal, scale, need_dmask)
    if q.dtype.itemsize == 2:  # float16 / bfloat16: in float32, gradients rounded back
        q32, k32, v32, mask32 = _f32(q, k, v, mask)
        grads = attention_backward_native(grad_out.astype(numpy.float32), q32, k32, v32, out.astype(numpy.float32),
                                          lse, mask32, causal, scale, need_dmask)
        return tuple(g.astype(q.dtype) for g in grads)
    ext = _native.require()
    scale = default_scale(q.shape[-1]) if scale is None else float(scale)
    bh = math.prod(batch)
    dtype = q.dtype
    m, offsets, rs, cs = _mask_layout(mask, batch, lq, lk, dtype, BACKWARD)
    heads = [_heads(x.astype(dtype, copy=False), bh) for x in (grad_out, q, k, v, out)]
    lse2 = numpy.ascontiguousarray(lse, dtype=dtype).reshape(bh, lq)
    dq, dk, dvv, ds = ext.attention_backward(*heads, lse2, m, offsets, rs, cs, bool(causal), scale,
                                             bool(need_dmask))
    grads = (dq.reshape(q.shape), dk.reshape(k.shape), dvv.reshape(v.shape))
    if not need_dmask:
        return grads
    return grads + (_sum_to(numpy, ds.reshape(batch + (lq, lk)), numpy.shape(mask)),)
