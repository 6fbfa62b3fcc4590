"""Triton implementations of ``int8_matmul``, ``int8_linear`` and ``pack_int8_weight``
(contract: kernels/int8_matmul.py).

Read side by side with the other two forms of the same math:

* the spec (kernels/int8_matmul.py, ``reference``): ``(a - za) @ (w - zw)`` in int32, then
  ``* a_scale[:, None] * w_scale[None, :] + bias`` in float64, ReLU, one rounding to float32;
* the C++ kernel (csrc/int8_matmul_kernels.h): a u8 x s8 ``vpdpbusd`` register tile over the
  packed ``k4n64u8`` weight; the ``+128`` of the unsigned trick and the zero points are
  removed in the epilogue with row sums of ``a`` and column terms of ``w``
  (``epilogue_scalar``), then one fma ``v * (a_scale * w_scale) + bias`` in float32;
* here: each program owns a BLOCK_M x BLOCK_N tile of ``c``; for each BLOCK_K slice it loads an
  int8 tile of ``a`` and of ``w`` and runs ``tl.dot(a, w, acc)`` with an **int32**
  accumulator (tensor-core IMMA: exact, wrapping modulo 2**32 like the other paths).  No
  zero-point subtraction happens on the int8 tiles (``a - za`` does not fit int8); instead,
  modulo 2**32,

      (a - za) @ (w - zw) = a @ w - zw[n] rowsum(a)[m] - za[m] colsum(w)[n] + K za[m] zw[n],

  with the row sums of the ``a`` tile and column sums of the ``w`` tile accumulated in the same
  K loop (only when the matching zero point is given).  The epilogue then does what the C++ one
  does: ``y = fma(float(v), a_scale[m] * w_scale[n], bias[n])`` in float32, ``relu`` as
  ``y < 0 ? 0 : y`` (NaN kept), so results match ``native`` to float32 rounding and
  ``reference`` to a few float32 ulps of ``|v * scale| + |bias|``.

A :class:`PackedInt8Weight` is read in place: element (k, n) of the weight is byte
``((n // 64 * K4 + k // 4) * 64 + n % 64) * 4 + k % 4`` of ``data``, holding ``w + 128``;
the kernel computes that address per tile element and subtracts 128 after the load (no
unpacked copy is made or cached).  Either weight form goes through the same kernel.

``pack_int8_weight``'s ``triton`` implementation is the reference packing (NumPy/CuPy array
ops: a one-off per layer, and the layout every implementation shares), registered so that
``tl.kernels.use("triton")`` covers the whole quantized-linear path.

Autotuned (``_CONFIGS``, keyed on M, N, K; under TRITON_INTERPRET=1 only the first, a small
tile, runs).  int8 ``tl.dot`` wants BLOCK_K >= 32 and BLOCK_M, BLOCK_N >= 16.
"""

from __future__ import annotations

from typing import Any

import triton
import triton.language as tl

from ._triton import autotune, cdiv, gemm_config, launch_arg
from ._xp import _xp
from .int8_matmul import GROUP, PackedInt8Weight, pack_int8_weight_reference

__all__ = ["int8_linear", "int8_matmul", "pack_int8_weight"]


# First: the interpreter's (small: tiny test shapes still span several tiles and K blocks).  (16, 64, 256) and
# (32, 64, 256) serve skinny M (a batch of a few rows); the rest are Hopper-sized IMMA tiles.
_CONFIGS = [
    gemm_config(32, 32, 64, 4, 2),
    gemm_config(128, 256, 128, 8, 3),
    gemm_config(256, 128, 128, 8, 3),
    gemm_config(128, 128, 128, 8, 3),
    gemm_config(128, 128, 64, 4, 4),
    gemm_config(64, 128, 128, 4, 4),
    gemm_config(128, 64, 128, 4, 4),
    gemm_config(64, 64, 128, 4, 4),
    gemm_config(32, 64, 256, 4, 3),
    gemm_config(16, 64, 256, 4, 3),
]


@autotune(_CONFIGS, key=["M", "N", "K"])
@triton.jit
def _int8_gemm_kernel(a_ptr, b_ptr, c_ptr,
                      a_scale_ptr, w_scale_ptr, a_zp_ptr, w_zp_ptr, bias_ptr,
                      M, N, K, K4,
                      sam, sak, sbk, sbn,
                      PACKED: tl.constexpr, LINEAR: tl.constexpr, HAS_AZP: tl.constexpr, HAS_WZP: tl.constexpr,
                      HAS_BIAS: tl.constexpr, RELU: tl.constexpr,
                      BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    """c[m, n] = sum_k a[m, k] w[k, n] in int32; LINEAR: the quantized-linear epilogue on it (module docstring)."""
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    m_ok = offs_m < M
    n_ok = offs_n < N
    a_rows = offs_m.to(tl.int64) * sam
    if PACKED:
        # the (panel, column-in-panel) part of the packed address; the k part is added per slice
        b_cols = (offs_n // 64).to(tl.int64) * K4 * 256 + (offs_n % 64) * 4
    else:
        b_cols = offs_n.to(tl.int64) * sbn
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.int32)
    row_sum = tl.zeros((BLOCK_M,), dtype=tl.int32)
    col_sum = tl.zeros((BLOCK_N,), dtype=tl.int32)
    for k0 in range(0, K, BLOCK_K):
        offs_k = k0 + tl.arange(0, BLOCK_K)
        k_ok = offs_k < K
        a = tl.load(a_ptr + a_rows[:, None] + (offs_k.to(tl.int64) * sak)[None, :],
                    mask=m_ok[:, None] & k_ok[None, :], other=0)
        b_mask = k_ok[:, None] & n_ok[None, :]
        if PACKED:
            b_rows = (offs_k // 4) * 256 + offs_k % 4
            u = tl.load(b_ptr + b_rows[:, None] + b_cols[None, :], mask=b_mask, other=128)
            b = (u.to(tl.int32) - 128).to(tl.int8)  # the stored byte is w + 128
        else:
            b = tl.load(b_ptr + (offs_k.to(tl.int64) * sbk)[:, None] + b_cols[None, :], mask=b_mask, other=0)
        acc = tl.dot(a, b, acc)
        if LINEAR and HAS_WZP:
            row_sum += tl.sum(a.to(tl.int32), axis=1)
        if LINEAR and HAS_AZP:
            col_sum += tl.sum(b.to(tl.int32), axis=0)
    mask = m_ok[:, None] & n_ok[None, :]
    c_offs = offs_m.to(tl.int64)[:, None] * N + offs_n[None, :]
    if LINEAR:
        v = acc
        if HAS_WZP:
            zw = tl.load(w_zp_ptr + offs_n, mask=n_ok, other=0)
            v -= row_sum[:, None] * zw[None, :]
            if HAS_AZP:
                za = tl.load(a_zp_ptr + offs_m, mask=m_ok, other=0)
                v -= za[:, None] * col_sum[None, :]
                v += (za * K)[:, None] * zw[None, :]
        elif HAS_AZP:
            za = tl.load(a_zp_ptr + offs_m, mask=m_ok, other=0)
            v -= za[:, None] * col_sum[None, :]
        scale = tl.load(a_scale_ptr + offs_m, mask=m_ok, other=0.0)[:, None] * \
            tl.load(w_scale_ptr + offs_n, mask=n_ok, other=0.0)[None, :]
        if HAS_BIAS:
            bias = tl.load(bias_ptr + offs_n, mask=n_ok, other=0.0)
            y = tl.fma(v.to(tl.float32), scale, bias[None, :])
        else:
            y = v.to(tl.float32) * scale
        if RELU:
            y = tl.where(y < 0.0, 0.0, y)  # y < 0 is false for NaN: relu(NaN) = NaN, as in torch
        tl.store(c_ptr + c_offs, y, mask=mask)
    else:
        tl.store(c_ptr + c_offs, acc, mask=mask)


def _launch(a: Any, w: Any, out: Any, linear: bool, a_scale: Any = None, w_scale: Any = None, a_zp: Any = None,
            w_zp: Any = None, bias: Any = None, relu: bool = False) -> Any:
    """One launch of the kernel for a (M, K) x w (K, N) or packed; the caller allocated ``out`` (M, N)."""
    m, k = a.shape
    n = out.shape[1]
    packed = isinstance(w, PackedInt8Weight)
    b = w.data if packed else w
    if _xp(b) is not _xp(a):
        raise TypeError(f"int8 triton: a and the weight are on different devices "
                        f"({_xp(a).__name__} and {_xp(b).__name__})")
    if m == 0 or n == 0:
        return out
    if not packed and (b.strides[0] < 0 or b.strides[1] < 0):
        b = _xp(b).ascontiguousarray(b)
    if a.strides[0] < 0 or a.strides[1] < 0:
        a = _xp(a).ascontiguousarray(a)
    dummy = launch_arg(out)  # stands in for the pointers a flag switches off (never read)
    arg = lambda t: dummy if t is None else launch_arg(t)  # noqa: E731
    sbk, sbn = (0, 0) if packed else (b.strides[0], b.strides[1])  # int8: strides in bytes are in elements
    grid = lambda meta: (cdiv(m, meta["BLOCK_M"]), cdiv(n, meta["BLOCK_N"]))  # noqa: E731
    _int8_gemm_kernel[grid](
        launch_arg(a), launch_arg(b), launch_arg(out),
        arg(a_scale), arg(w_scale), arg(a_zp), arg(w_zp), arg(bias),
        m, n, k, cdiv(k, GROUP), a.strides[0], a.strides[1], sbk, sbn,
        PACKED=packed, LINEAR=linear, HAS_AZP=a_zp is not None, HAS_WZP=w_zp is not None,
        HAS_BIAS=bias is not None, RELU=bool(relu),
    )
    return out


def int8_matmul(a: Any, b: Any) -> Any:
    """``a.astype(int32) @ b.astype(int32)``, exact (wrapping modulo 2**32); ``b`` int8 (K, N) or packed.
    Arguments were checked by ``tensorlite.kernels.int8_matmul.int8_matmul``."""
    xp = _xp(a)
    out = xp.empty((a.shape[0], b.shape[1]), dtype=xp.int32)
    return _launch(a, b, out, linear=False)  # K = 0: the K loop is empty and the tile of zeros is stored


def int8_linear(a: Any, w: Any, a_scale: Any, w_scale: Any, a_zero_point: Any, w_zero_point: Any, bias: Any,
                relu: bool) -> Any:
    """``relu?((a - za) @ (w - zw) * a_scale[:, None] * w_scale[None, :] + bias)``, float32 (M, N).

    Scales arrive as float32 (M,) / (N,), zero points as int32 vectors or None, bias float32 (N,) or None
    (``tensorlite.kernels.int8_matmul.int8_linear`` normalised them)."""
    xp = _xp(a)
    m, n = a.shape[0], w.shape[1]
    out = xp.empty((m, n), dtype=xp.float32)
    # K = 0 needs no special case: the loop is empty, acc = 0, and the epilogue gives relu?(bias).
    return _launch(a, w, out, True, a_scale, w_scale, a_zero_point, w_zero_point, bias, relu)


def pack_int8_weight(b: Any) -> PackedInt8Weight:
    """The ``k4n64u8`` packing (the reference's array ops; see the module docstring)."""
    return pack_int8_weight_reference(b)
