"""Triton implementations of the attention kernels: FlashAttention-2 forward and backward.

Contract: kernels/attention.py (``attention_forward`` / ``attention_backward``); these functions
are registered lazily as their ``triton`` implementations (kernels/__init__.py), so importing
tensorlite never imports triton.  They launch on CuPy arrays (no torch), or on NumPy arrays under
Triton's CPU interpreter (``TRITON_INTERPRET=1``, a test mode: see kernels/_triton.py).

The same algorithm three ways -- read them side by side:

  contract (attention.py, reference)    C++ (csrc/attention.cpp,          here (Triton)
                                        attention_kernels.h)
  S = scale q k^T + mask                forward_block: S_ij tile          _attn_fwd: tl.dot(q, k^T) * scale,
                                                                          _scores() adds mask / -inf
  P = softmax(S), out = P v             online softmax over key blocks:   the same loop, one program per
                                        m, l, O_i rescaled by exp(m-m')   (head, block of BLOCK_M queries)
  lse = logsumexp(S)                    lse_i = m + log l                 the same, stored in float32
  Drow = rowsum(dO * out)               computed once per row             _attn_bwd_preprocess
  P = exp(S - lse); dV = P^T dO;        backward_blocks: one task per     _attn_bwd_dkdv: one program per
  dS = P (dO v^T - Drow);               (head, key block), streaming      (head, key block), streaming over
  dK = scale dS^T q                     over query blocks                 query blocks (no atomics)
  dQ = scale dS k                       per-chunk dQ accumulators,        _attn_bwd_dq: one program per
                                        summed in a fixed order           (head, query block), streaming over
                                                                          key blocks (recomputes P and dS)

What is specific to this implementation:

* Tiles: BLOCK_M query rows x BLOCK_N key rows, autotuned (``_FWD_CONFIGS``, ``_DKDV_CONFIGS``,
  ``_DQ_CONFIGS``) per (head dims, bucketed Lq and Lk, causal, mask kind, dtypes); the head dims
  are padded to the next power of two >= 16 (``BLOCK_D``, ``BLOCK_DV``) with masked loads, and
  rows past Lq / Lk are masked too, so any lengths work.  With ``causal``, key blocks entirely
  after a query block are never visited (and query blocks entirely before a key block).
* Precision: float16 tiles are multiplied on tensor cores with float32 accumulation; the softmax
  statistics, accumulators and lse are float32.  float32 inputs use IEEE float32 products
  (``FP32_DOT_PRECISION = "ieee"``; "tf32" trades ~3 digits for speed).  The kernels are generic
  in the element type: bfloat16 (ml_dtypes arrays) takes float16's tensor-core path.  float64 (no
  fast path in Triton) and head dims over ``MAX_HEAD_DIM`` (register tiles too large) are answered
  by the reference implementation, as are zero-size inputs, which have nothing to fuse.
* Layout: no copies for the usual layouts.  The batch dims B... are addressed as (outer, inner)
  = (B[:-1] merged, B[-1]), each with its own stride, so a (B, H, L, D) view of a (B, L, H, D)
  array (heads transposed) or heads broadcast with stride 0 are read in place; only inputs whose
  outer batch dims cannot be merged into one stride are copied (``ascontiguousarray``).
* Masks are read in place through strides (0 along broadcast dims): a float mask is added in
  float32, a bool mask is read as bytes.  ``need_dmask`` writes dS densely (float32, the one
  Lq x Lk buffer) and sums it to the mask's shape afterwards, as the C++ kernel does.
* Entirely masked rows: out 0, lse -inf, P = 0 in the backward, so their gradients are 0.
* Offsets: per-head offsets are int64; offsets within a head are int32 (so L x row stride, and
  Lq x Lk for dS, stay below 2^31 elements).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy
import triton
import triton.language as tl

from . import _triton
from ._xp import _xp
from .attention import (
    _check_backward,
    BACKWARD,
    FORWARD,
    _check,
    _sum_to,
    attention_backward_reference,
    attention_forward_reference,
    default_scale,
)

__all__ = ["attention_forward", "attention_backward", "FP32_DOT_PRECISION", "MAX_HEAD_DIM"]

MAX_HEAD_DIM = 256
FP32_DOT_PRECISION = "ieee"
_NO_MASK, _FLOAT_MASK, _BOOL_MASK = 0, 1, 2


# -- autotuning ----------------------------------------------------------------------------------------------
def _configs(shapes: list[tuple[int, int, int, int]]) -> list[triton.Config]:
    return [triton.Config({"BLOCK_M": m, "BLOCK_N": n}, num_warps=w, num_stages=s) for m, n, w, s in shapes]


# (BLOCK_M, BLOCK_N, num_warps, num_stages).  The first of each list is what the interpreter runs
# (kernels/_triton.autotune): unequal blocks, so the tests cover causal bounds across block sizes.
_FWD_CONFIGS = _configs([(64, 32, 4, 2), (64, 64, 4, 2), (64, 64, 4, 3), (128, 64, 8, 2), (128, 64, 8, 3),
                         (128, 128, 8, 2), (128, 32, 4, 3), (32, 64, 4, 2)])
# dK/dV: a program owns BLOCK_N keys and streams over BLOCK_M queries.
_DKDV_CONFIGS = _configs([(64, 32, 4, 2), (32, 64, 4, 2), (32, 128, 8, 2), (64, 64, 4, 3), (64, 128, 8, 3),
                          (32, 32, 4, 3)])
# dQ: a program owns BLOCK_M queries and streams over BLOCK_N keys.
_DQ_CONFIGS = _configs([(32, 64, 4, 2), (64, 32, 4, 2), (128, 32, 8, 2), (64, 64, 4, 3), (128, 64, 8, 3),
                        (32, 32, 4, 3)])
_TUNE_KEY = ["LQ_KEY", "LK_KEY", "BLOCK_D", "BLOCK_DV", "CAUSAL", "MASK_KIND"]


def _prune(resident: str) -> Any:
    """Drop configs whose resident tiles (``resident`` rows x the padded head dim) exceed 128 x 128
    elements: they spill registers or run out of shared memory for head dims 256."""

    def prune(configs: list[triton.Config], nargs: dict, **kwargs: Any) -> list[triton.Config]:
        args = {**nargs, **kwargs}
        width = max(args["BLOCK_D"], args["BLOCK_DV"])
        kept = [c for c in configs if c.kwargs[resident] * width <= 128 * 128]
        return kept or configs[:1]

    return prune


# -- the kernels ---------------------------------------------------------------------------------------------
@triton.jit
def _dot(a, b, PRECISION: tl.constexpr):
    """a @ b accumulated in float32.  PRECISION "upcast" multiplies float32 copies instead: the same
    result for 16-bit tiles (their products are exact in float32), used under Triton's CPU interpreter,
    whose bfloat16 dot is wrong."""
    if PRECISION == "upcast":
        return tl.dot(a.to(tl.float32), b.to(tl.float32), input_precision="ieee")
    return tl.dot(a, b, input_precision=PRECISION)


@triton.jit
def _load_tile(ptr, rows, cols, stride_r, stride_c, n_rows, n_cols):
    """The (rows x cols) tile of a strided matrix at ptr; zeros past n_rows / n_cols (the padding)."""
    return tl.load(ptr + rows[:, None] * stride_r + cols[None, :] * stride_c,
                   mask=(rows[:, None] < n_rows) & (cols[None, :] < n_cols), other=0.0)


@triton.jit
def _scores(s, offs_m, offs_n, m_ptr, stride_mm, stride_mn, Lq, Lk,
            MASK_KIND: tl.constexpr, CAUSAL: tl.constexpr):
    """The tile s of scale q k^T with the masks applied: + float mask, -inf where a bool mask is False,
    where causal hides key j from query i (j > i), and for key rows past Lk (padding)."""
    keep = offs_n[None, :] < Lk
    inside = (offs_m[:, None] < Lq) & keep
    if MASK_KIND == 1:
        add = tl.load(m_ptr + offs_m[:, None] * stride_mm + offs_n[None, :] * stride_mn, mask=inside, other=0.0)
        s = s + add.to(tl.float32)
    if MASK_KIND == 2:
        byte = tl.load(m_ptr + offs_m[:, None] * stride_mm + offs_n[None, :] * stride_mn, mask=inside, other=0)
        keep = keep & (byte != 0)
    if CAUSAL:
        keep = keep & (offs_n[None, :] <= offs_m[:, None])
    return tl.where(keep, s, float("-inf"))


@_triton.autotune(_FWD_CONFIGS, key=_TUNE_KEY, prune_configs_by={"early_config_prune": _prune("BLOCK_M")})
@triton.jit
def _attn_fwd(Q, K, V, M, O, LSE,
              sqz, sqh, sqm, sqd, skz, skh, skn, skd, svz, svh, svn, svd, smz, smh, smm, smn,
              H, Lq, Lk, D, DV, scale, LQ_KEY, LK_KEY,
              MASK_KIND: tl.constexpr, CAUSAL: tl.constexpr, PRECISION: tl.constexpr,
              BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_DV: tl.constexpr):
    """out, lse for BLOCK_M queries of one head: online softmax over the key blocks."""
    bh = tl.program_id(0).to(tl.int64)
    start_m = tl.program_id(1) * BLOCK_M
    z, h = bh // H, bh % H
    q_ptr = Q + z * sqz + h * sqh
    k_ptr = K + z * skz + h * skh
    v_ptr = V + z * svz + h * svh
    m_ptr = M + z * smz + h * smh if MASK_KIND != 0 else M
    offs_m = start_m + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    offs_dv = tl.arange(0, BLOCK_DV)
    row_ok = offs_m < Lq
    q = _load_tile(q_ptr, offs_m, offs_d, sqm, sqd, Lq, D)

    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)  # running row max
    l_i = tl.zeros([BLOCK_M], tl.float32)  # running sum of exp(S - m_i)
    acc = tl.zeros([BLOCK_M, BLOCK_DV], tl.float32)  # running sum of exp(S - m_i) v
    hi = Lk
    if CAUSAL:  # keys after the block's last query are hidden from all of its rows
        hi = tl.minimum(Lk, start_m + BLOCK_M)
    for start_n in range(0, hi, BLOCK_N):
        offs_n = start_n + tl.arange(0, BLOCK_N)
        k = _load_tile(k_ptr, offs_n, offs_d, skn, skd, Lk, D)
        s = _dot(q, tl.trans(k), PRECISION) * scale
        s = _scores(s, offs_m, offs_n, m_ptr, smm, smn, Lq, Lk, MASK_KIND, CAUSAL)
        m_new = tl.maximum(m_i, tl.max(s, 1))
        # A row masked so far has max -inf: shift by 0 instead, so exp(-inf) = 0 rather than NaN.
        shift = tl.where(m_new == float("-inf"), 0.0, m_new)
        alpha = tl.exp(m_i - shift)  # rescales what was summed under the previous max
        p = tl.exp(s - shift[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        v = _load_tile(v_ptr, offs_n, offs_dv, svn, svd, Lk, DV)
        acc = acc * alpha[:, None] + _dot(p.to(v.dtype), v, PRECISION)
        m_i = m_new

    dead = l_i == 0.0  # entirely masked row: out 0, lse -inf (a NaN row stays NaN)
    out = acc / tl.where(dead, 1.0, l_i)[:, None]
    lse = tl.where(dead, float("-inf"), m_i + tl.log(tl.where(dead, 1.0, l_i)))
    o_ptr = O + bh * Lq * DV
    tl.store(o_ptr + offs_m[:, None] * DV + offs_dv[None, :], out.to(O.dtype.element_ty),
             mask=row_ok[:, None] & (offs_dv[None, :] < DV))
    tl.store(LSE + bh * Lq + offs_m, lse, mask=row_ok)


@triton.jit
def _attn_bwd_preprocess(O, DO, DELTA, soz, soh, som, sod, sgz, sgh, sgm, sgd, H, Lq, DV,
                         BLOCK_M: tl.constexpr, BLOCK_DV: tl.constexpr):
    """DELTA = rowsum(dO * out) in float32 (Drow of the contract)."""
    bh = tl.program_id(0).to(tl.int64)
    z, h = bh // H, bh % H
    offs_m = tl.program_id(1) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_dv = tl.arange(0, BLOCK_DV)
    inside = (offs_m[:, None] < Lq) & (offs_dv[None, :] < DV)
    o = tl.load(O + z * soz + h * soh + offs_m[:, None] * som + offs_dv[None, :] * sod, mask=inside, other=0.0)
    do = tl.load(DO + z * sgz + h * sgh + offs_m[:, None] * sgm + offs_dv[None, :] * sgd, mask=inside, other=0.0)
    delta = tl.sum(o.to(tl.float32) * do.to(tl.float32), 1)
    tl.store(DELTA + bh * Lq + offs_m, delta, mask=offs_m < Lq)


@triton.jit
def _recompute_probs(q, k, scale, offs_m, offs_n, m_ptr, stride_mm, stride_mn, Lq, Lk, LSE, DELTA, bh,
                     MASK_KIND: tl.constexpr, CAUSAL: tl.constexpr, PRECISION: tl.constexpr):
    """The backward's tile of P = exp(S - lse), S = scale q k^T masked as in the forward (0 on entirely
    masked rows and rows past Lq), and the rows' Drow."""
    s = _dot(q, tl.trans(k), PRECISION) * scale
    s = _scores(s, offs_m, offs_n, m_ptr, stride_mm, stride_mn, Lq, Lk, MASK_KIND, CAUSAL)
    row_ok = offs_m < Lq
    lse = tl.load(LSE + bh * Lq + offs_m, mask=row_ok, other=float("-inf"))
    delta = tl.load(DELTA + bh * Lq + offs_m, mask=row_ok, other=0.0)
    dead = lse == float("-inf")  # every score of the row is -inf: shift by 0, then P = 0
    p = tl.where(dead[:, None], 0.0, tl.exp(s - tl.where(dead, 0.0, lse)[:, None]))
    return p, delta


@_triton.autotune(_DKDV_CONFIGS, key=_TUNE_KEY + ["NEED_DS"],
                  prune_configs_by={"early_config_prune": _prune("BLOCK_N")})
@triton.jit
def _attn_bwd_dkdv(Q, K, V, M, DO, LSE, DELTA, DK, DVO, DS,
                   sqz, sqh, sqm, sqd, skz, skh, skn, skd, svz, svh, svn, svd, smz, smh, smm, smn,
                   sgz, sgh, sgm, sgd, H, Lq, Lk, D, DV, scale, LQ_KEY, LK_KEY,
                   MASK_KIND: tl.constexpr, CAUSAL: tl.constexpr, NEED_DS: tl.constexpr, PRECISION: tl.constexpr,
                   BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_DV: tl.constexpr):
    """dK, dV for BLOCK_N keys of one head, streaming over the query blocks (and dS when NEED_DS)."""
    bh = tl.program_id(0).to(tl.int64)
    start_n = tl.program_id(1) * BLOCK_N
    z, h = bh // H, bh % H
    q_ptr = Q + z * sqz + h * sqh
    g_ptr = DO + z * sgz + h * sgh
    m_ptr = M + z * smz + h * smh if MASK_KIND != 0 else M
    offs_n = start_n + tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, BLOCK_D)
    offs_dv = tl.arange(0, BLOCK_DV)
    col_ok = offs_n < Lk
    k = _load_tile(K + z * skz + h * skh, offs_n, offs_d, skn, skd, Lk, D)
    v = _load_tile(V + z * svz + h * svh, offs_n, offs_dv, svn, svd, Lk, DV)
    dk = tl.zeros([BLOCK_N, BLOCK_D], tl.float32)
    dv = tl.zeros([BLOCK_N, BLOCK_DV], tl.float32)
    lo = 0
    if CAUSAL:  # queries before the block's first key see none of its keys
        lo = start_n
    for start_m in range(lo, Lq, BLOCK_M):
        offs_m = start_m + tl.arange(0, BLOCK_M)
        row_ok = offs_m < Lq
        q = _load_tile(q_ptr, offs_m, offs_d, sqm, sqd, Lq, D)
        p, delta = _recompute_probs(q, k, scale, offs_m, offs_n, m_ptr, smm, smn, Lq, Lk, LSE, DELTA, bh,
                                    MASK_KIND, CAUSAL, PRECISION)
        do = _load_tile(g_ptr, offs_m, offs_dv, sgm, sgd, Lq, DV)
        dv += _dot(tl.trans(p.to(do.dtype)), do, PRECISION)  # dV_j += P^T dO_i
        dp = _dot(do, tl.trans(v), PRECISION)  # dP = dO_i V_j^T
        ds = p * (dp - delta[:, None])
        if NEED_DS:
            tl.store(DS + bh * Lq * Lk + offs_m[:, None] * Lk + offs_n[None, :], ds,
                     mask=row_ok[:, None] & col_ok[None, :])
        dk += _dot(tl.trans(ds.to(q.dtype)), q, PRECISION)  # dK_j += dS^T Q_i
    dk = dk * scale
    tl.store(DK + bh * Lk * D + offs_n[:, None] * D + offs_d[None, :], dk.to(DK.dtype.element_ty),
             mask=col_ok[:, None] & (offs_d[None, :] < D))
    tl.store(DVO + bh * Lk * DV + offs_n[:, None] * DV + offs_dv[None, :], dv.to(DVO.dtype.element_ty),
             mask=col_ok[:, None] & (offs_dv[None, :] < DV))


@_triton.autotune(_DQ_CONFIGS, key=_TUNE_KEY, prune_configs_by={"early_config_prune": _prune("BLOCK_M")})
@triton.jit
def _attn_bwd_dq(Q, K, V, M, DO, LSE, DELTA, DQ,
                 sqz, sqh, sqm, sqd, skz, skh, skn, skd, svz, svh, svn, svd, smz, smh, smm, smn,
                 sgz, sgh, sgm, sgd, H, Lq, Lk, D, DV, scale, LQ_KEY, LK_KEY,
                 MASK_KIND: tl.constexpr, CAUSAL: tl.constexpr, PRECISION: tl.constexpr,
                 BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_D: tl.constexpr, BLOCK_DV: tl.constexpr):
    """dQ for BLOCK_M queries of one head, streaming over the key blocks (P and dS recomputed)."""
    bh = tl.program_id(0).to(tl.int64)
    start_m = tl.program_id(1) * BLOCK_M
    z, h = bh // H, bh % H
    k_ptr = K + z * skz + h * skh
    v_ptr = V + z * svz + h * svh
    m_ptr = M + z * smz + h * smh if MASK_KIND != 0 else M
    offs_m = start_m + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, BLOCK_D)
    offs_dv = tl.arange(0, BLOCK_DV)
    row_ok = offs_m < Lq
    q = _load_tile(Q + z * sqz + h * sqh, offs_m, offs_d, sqm, sqd, Lq, D)
    do = _load_tile(DO + z * sgz + h * sgh, offs_m, offs_dv, sgm, sgd, Lq, DV)
    dq = tl.zeros([BLOCK_M, BLOCK_D], tl.float32)
    hi = Lk
    if CAUSAL:
        hi = tl.minimum(Lk, start_m + BLOCK_M)
    for start_n in range(0, hi, BLOCK_N):
        offs_n = start_n + tl.arange(0, BLOCK_N)
        k = _load_tile(k_ptr, offs_n, offs_d, skn, skd, Lk, D)
        v = _load_tile(v_ptr, offs_n, offs_dv, svn, svd, Lk, DV)
        p, delta = _recompute_probs(q, k, scale, offs_m, offs_n, m_ptr, smm, smn, Lq, Lk, LSE, DELTA, bh,
                                    MASK_KIND, CAUSAL, PRECISION)
        dp = _dot(do, tl.trans(v), PRECISION)
        ds = p * (dp - delta[:, None])
        dq += _dot(ds.to(k.dtype), k, PRECISION)  # dQ_i += dS K_j
    dq = dq * scale
    tl.store(DQ + bh * Lq * D + offs_m[:, None] * D + offs_d[None, :], dq.to(DQ.dtype.element_ty),
             mask=row_ok[:, None] & (offs_d[None, :] < D))


# -- host side -----------------------------------------------------------------------------------------------
def _elem_strides(x: Any) -> list[int]:
    return [s // x.itemsize for s in x.strides]


def _merged_stride(sizes: tuple, strides: list[int]) -> int | None:
    """The one stride addressing dims (sizes, strides) as a single C-order dim, or None if none does."""
    dims = [(n, s) for n, s in zip(sizes, strides) if n != 1]
    if not dims:
        return 0
    for (_, s0), (n1, s1) in zip(dims, dims[1:]):
        if s0 != s1 * n1:
            return None
    return dims[-1][1]


def _batch_strides(batch: tuple, strides: list[int]) -> tuple[int, int] | None:
    """(outer, inner) strides of the batch dims as (B[:-1] merged, B[-1]), or None."""
    if not batch:
        return 0, 0
    outer = _merged_stride(batch[:-1], strides[:len(batch) - 1])
    return None if outer is None else (outer, strides[len(batch) - 1])


def _operand(x: Any, batch: tuple) -> tuple[Any, tuple[int, int, int, int]]:
    """x (B..., L, E) and its element strides (outer batch, inner batch, row, column); a copy only
    when x has negative strides or outer batch dims no single stride addresses."""
    xp = _xp(x)
    if any(s < 0 for s in x.strides):
        x = xp.ascontiguousarray(x)
    st = _elem_strides(x)
    zh = _batch_strides(batch, st)
    if zh is None:
        x = xp.ascontiguousarray(x)
        st = _elem_strides(x)
        zh = _batch_strides(batch, st)
    return x, (*zh, st[-2], st[-1])


def _mask_operand(mask: Any, batch: tuple, lq: int, lk: int, name: str) -> tuple[Any, int, tuple]:
    """(array, kind, strides (outer, inner, row, column)) reading ``mask`` broadcast to (B..., Lq, Lk)
    in place: stride 0 along broadcast dims; a bool mask is viewed as bytes."""
    if mask is None:
        return None, _NO_MASK, (0, 0, 0, 0)
    xp = _xp(mask)
    if mask.dtype == numpy.bool_:
        kind = _BOOL_MASK
    elif mask.dtype.kind in "fV":
        kind = _FLOAT_MASK
    else:
        raise TypeError(f"{name}: expected a bool or floating-point mask, got dtype {mask.dtype}")
    target = tuple(batch) + (lq, lk)
    try:
        fits = numpy.broadcast_shapes(mask.shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: mask of shape {mask.shape} does not broadcast to the scores' shape {target} "
                         f"(B..., Lq, Lk)")
    if any(s < 0 for s in mask.strides):
        mask = xp.ascontiguousarray(mask)
    arr = mask.view(numpy.uint8) if kind == _BOOL_MASK else mask
    sizes = (1,) * (len(target) - arr.ndim) + tuple(arr.shape)
    arr = arr.reshape(sizes)  # a view: only leading 1s were added
    strides = [0 if n == 1 else s for n, s in zip(sizes, _elem_strides(arr))]
    zh = _batch_strides(batch, strides)
    if zh is None:  # broadcast along some outer batch dims but not others: materialise those
        nb = len(batch)
        arr = xp.ascontiguousarray(xp.broadcast_to(arr, tuple(batch[:-1]) + sizes[nb - 1:]))
        strides = [0 if n == 1 else s for n, s in zip(arr.shape, _elem_strides(arr))]
        zh = _batch_strides(batch, strides)
    return arr, kind, (*zh, strides[-2], strides[-1])


def _launch_args(*arrays: Any) -> list[Any]:
    """What Triton is handed for each array (None stays None)."""
    if not _triton.interpreting():
        return [None if a is None else _triton.launch_arg(a) for a in arrays]
    with warnings.catch_warnings():
        # Broadcast views are read-only NumPy arrays; the kernels never write their inputs.
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return [None if a is None else _triton.launch_arg(a) for a in arrays]


def _delegated(q: Any, k: Any, v: Any) -> bool:
    """Whether the reference answers: float64, head dims over MAX_HEAD_DIM, or zero-size inputs."""
    return (q.dtype == numpy.float64 or q.shape[-1] > MAX_HEAD_DIM or v.shape[-1] > MAX_HEAD_DIM
            or 0 in q.shape or 0 in k.shape or 0 in v.shape)


def _precision(dtype: Any) -> str:
    """tl.dot's input precision: float32 as FP32_DOT_PRECISION; 16-bit tiles multiply natively ("tf32" is
    ignored for them), but bfloat16 under the interpreter is multiplied in float32 (see _dot)."""
    if dtype == numpy.float32:
        return FP32_DOT_PRECISION
    return "upcast" if dtype.name == "bfloat16" and _triton.interpreting() else "tf32"


def _block(n: int) -> int:
    return max(16, triton.next_power_of_2(n))  # tl.dot needs tiles of at least 16


def _common(q: Any, k: Any, v: Any, mask: Any, causal: bool, scale: float | None, name: str) -> dict:
    """Operands, strides and launch constants shared by the forward and backward launches."""
    batch, lq, lk, d, dv = q.shape[:-2], q.shape[-2], k.shape[-2], q.shape[-1], v.shape[-1]
    marr, kind, ms = _mask_operand(mask, batch, lq, lk, name)
    (qa, qs), (ka, ks), (va, vs) = (_operand(x, batch) for x in (q, k, v))
    return dict(
        batch=batch, bh=math.prod(batch), arrays=(qa, ka, va, marr), strides=(*qs, *ks, *vs, *ms),
        sizes=(batch[-1] if batch else 1, lq, lk, d, dv,
               default_scale(d) if scale is None else float(scale),
               triton.next_power_of_2(lq), triton.next_power_of_2(lk)),  # the last two: autotuning buckets
        meta=dict(MASK_KIND=kind, CAUSAL=bool(causal),
                  PRECISION=_precision(q.dtype),
                  BLOCK_D=_block(d), BLOCK_DV=_block(dv)),
    )


def attention_forward(q: Any, k: Any, v: Any, mask: Any = None, causal: bool = False,
                      scale: float | None = None) -> tuple[Any, Any]:
    """(out, logsumexp) by the fused Triton kernel (see the module docstring); lse is float32."""
    _check(q, k, v, FORWARD)
    if _delegated(q, k, v):
        return attention_forward_reference(q, k, v, mask, causal, scale)
    xp = _xp(q)
    c = _common(q, k, v, mask, causal, scale, FORWARD)
    batch, lq, dv = c["batch"], q.shape[-2], v.shape[-1]
    out = xp.empty(batch + (lq, dv), dtype=q.dtype)
    lse = xp.empty(batch + (lq,), dtype=numpy.float32)
    grid = lambda meta: (c["bh"], _triton.cdiv(lq, meta["BLOCK_M"]))  # noqa: E731
    _attn_fwd[grid](*_launch_args(*c["arrays"], out, lse), *c["strides"], *c["sizes"], **c["meta"])
    return out, lse


def attention_backward(grad_out: Any, q: Any, k: Any, v: Any, out: Any, lse: Any, mask: Any = None,
                       causal: bool = False, scale: float | None = None, need_dmask: bool = False) -> tuple:
    """(dq, dk, dv[, dmask]) by the fused Triton kernels (see the module docstring)."""
    _check_backward(grad_out, q, k, v, out, lse, mask, need_dmask)
    batch, lq, lk, dv = q.shape[:-2], q.shape[-2], k.shape[-2], v.shape[-1]
    if _delegated(q, k, v):
        return attention_backward_reference(grad_out, q, k, v, out, lse, mask, causal, scale, need_dmask)
    xp = _xp(q)
    c = _common(q, k, v, mask, causal, scale, BACKWARD)
    bh, meta = c["bh"], c["meta"]
    ga, gs = _operand(grad_out.astype(q.dtype, copy=False), batch)
    oa, os_ = _operand(out, batch)
    lse32 = xp.ascontiguousarray(lse, dtype=numpy.float32)
    delta = xp.empty(batch + (lq,), dtype=numpy.float32)
    block_m = max(16, min(64, 8192 // meta["BLOCK_DV"]))
    _attn_bwd_preprocess[(bh, _triton.cdiv(lq, block_m))](
        *_launch_args(oa, ga, delta), *os_, *gs, c["sizes"][0], lq, dv, BLOCK_M=block_m, BLOCK_DV=meta["BLOCK_DV"])

    dq, dk, dvv = (xp.empty(x.shape, dtype=q.dtype) for x in (q, k, v))
    ds = xp.zeros(batch + (lq, lk), dtype=numpy.float32) if need_dmask else None
    qa, ka, va, marr = _launch_args(*c["arrays"])
    g, l32, dl = _launch_args(ga, lse32, delta)
    common = (*c["strides"], *gs, *c["sizes"])
    _attn_bwd_dkdv[lambda m: (bh, _triton.cdiv(lk, m["BLOCK_N"]))](
        qa, ka, va, marr, g, l32, dl, *_launch_args(dk, dvv, ds), *common, NEED_DS=bool(need_dmask), **meta)
    _attn_bwd_dq[lambda m: (bh, _triton.cdiv(lq, m["BLOCK_M"]))](
        qa, ka, va, marr, g, l32, dl, *_launch_args(dq), *common, **meta)
    if not need_dmask:
        return dq, dk, dvv
    return dq, dk, dvv, _sum_to(xp, ds, mask.shape).astype(q.dtype, copy=False)
