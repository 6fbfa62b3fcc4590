"""Fused scaled-dot-product attention kernels (forward and backward).

Contract
--------
Shapes: ``q`` (B..., Lq, D), ``k`` (B..., Lk, D), ``v`` (B..., Lk, Dv), where ``B...`` is any
number (zero included) of batch dims, **the same for q, k and v** (a caller that broadcasts
batch dims expands them first: views, no copies).  dtype float16, bfloat16 (with ml_dtypes),
float32 or float64, the same for all three; arrays may be strided.  The 16-bit types are computed
in float32 (as PyTorch's CPU math does): out and the gradients keep the 16-bit type, lse stays
float32 (the backward needs its precision).
Sizes may be 0 (Lq = 0 gives an empty result, Lk = 0 gives zeros).

``mask`` is None, a bool array (True = attend, False = masked out) or a float array added to
the scores (``-inf`` masks out); either way broadcastable to (B..., Lq, Lk).  ``causal=True``
masks key j for query i when j > i: PyTorch's top-left aligned ``is_causal`` (for Lq > Lk the
last rows see every key, for Lq < Lk row i sees keys 0..i).  ``causal`` and ``mask`` combine.
``scale`` is a Python float, None meaning 1/sqrt(D) (and 1 when D = 0, where the scores are 0).

    S   = scale * q @ k^T  (+ mask, or -inf where the bool mask is False / causal masks out)
    P   = softmax(S, dim=-1)                 rows that are entirely masked out give P = 0
    out = P @ v                              (B..., Lq, Dv)
    lse = logsumexp(S, dim=-1)               (B..., Lq); -inf for an entirely masked row

``attention_forward(q, k, v, mask=None, causal=False, scale=None) -> (out, lse)``

``attention_backward(grad_out, q, k, v, out, lse, mask=None, causal=False, scale=None,
need_dmask=False) -> (dq, dk, dv)`` or ``(dq, dk, dv, dmask)`` when ``need_dmask``:

    P    = exp(S - lse)                      recomputed, not stored (0 on entirely masked rows)
    dv   = P^T @ dO,   dP = dO @ v^T,   Drow = rowsum(dO * out)
    dS   = P * (dP - Drow)
    dq   = scale * dS @ k,   dk = scale * dS^T @ q
    dmask = dS summed to the float mask's shape (the gradient of an additive mask)

Entirely masked rows: PyTorch's ``scaled_dot_product_attention`` (checked on 2.13, CPU, float32
and float64) returns 0 for them, not NaN, and a zero gradient; so do these kernels.  A mask
holding +inf or NaN gives NaN rows, as the plain formula does.

Results are new arrays of the inputs' dtype (but lse of float16 inputs: float32); inputs are
never written.  Accuracy: computed in the input dtype (float32 for float16) with the row max
subtracted before exponentiating, so nothing overflows.

Implementations: ``reference`` (NumPy/CuPy, cpu and cuda) materialises the (Lq, Lk) score
matrix once per call (forward and backward each).  Fused ``native`` / ``triton``
implementations of the same contract (tiled, never holding Lq x Lk) register under the same
kernel names (attention_native.py: C++, cpu; attention_triton.py: Triton, cuda).
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from ._registry import dispatch, register
from ._xp import _xp, device_of
from tensorlite._dtype import BFLOAT16_NP

__all__ = ["attention_forward", "attention_backward", "default_scale"]

FORWARD = "attention_forward"
BACKWARD = "attention_backward"


def default_scale(head_dim: int) -> float:
    """1/sqrt(D), PyTorch's default; 1 for D = 0 (the scores are then all 0 whatever the scale)."""
    return 1.0 / math.sqrt(head_dim) if head_dim > 0 else 1.0


_DTYPES = tuple(d for d in (numpy.float16, BFLOAT16_NP, numpy.float32, numpy.float64) if d is not None)


def _check(q: Any, k: Any, v: Any, name: str) -> None:
    if q.dtype not in _DTYPES or k.dtype != q.dtype or v.dtype != q.dtype:
        raise TypeError(f"{name}: expected q, k, v of one dtype, float16, bfloat16, float32 or float64; got "
                        f"{q.dtype}, {k.dtype}, {v.dtype}")
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(f"{name}: expected q, k, v of the same rank >= 2, got shapes {q.shape}, {k.shape}, {v.shape}")
    if q.shape[:-2] != k.shape[:-2] or q.shape[:-2] != v.shape[:-2] or q.shape[-1] != k.shape[-1] \
            or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{name}: shapes q {q.shape}, k {k.shape}, v {v.shape} do not fit (B..., Lq, D), "
                         f"(B..., Lk, D), (B..., Lk, Dv)")


def _check_backward(grad_out: Any, q: Any, k: Any, v: Any, out: Any, lse: Any, mask: Any, need_dmask: bool) -> None:
    """What every backward implementation checks: q, k, v as forward, and grad_out, out, lse shaped to fit."""
    _check(q, k, v, BACKWARD)
    batch, lq, dv = q.shape[:-2], q.shape[-2], v.shape[-1]
    if grad_out.shape != batch + (lq, dv) or out.shape != batch + (lq, dv) or lse.shape != batch + (lq,):
        raise ValueError(f"{BACKWARD}: grad_out {grad_out.shape}, out {out.shape} and lse {lse.shape} do not fit "
                         f"q {q.shape}, k {k.shape}, v {v.shape}: expected {batch + (lq, dv)}, {batch + (lq, dv)} "
                         f"and {batch + (lq,)}")
    if need_dmask and mask is None:
        raise ValueError(f"{BACKWARD}: need_dmask=True asks for the gradient of a mask, but mask is None")


def attention_forward(q: Any, k: Any, v: Any, mask: Any = None, causal: bool = False,
                      scale: float | None = None) -> tuple[Any, Any]:
    """(out, logsumexp) by the implementation the registry picks (see the module docstring)."""
    _check(q, k, v, FORWARD)
    return dispatch(FORWARD, device_of(q))(q, k, v, mask, causal, scale)


def attention_backward(grad_out: Any, q: Any, k: Any, v: Any, out: Any, lse: Any, mask: Any = None,
                       causal: bool = False, scale: float | None = None, need_dmask: bool = False) -> tuple:
    """(dq, dk, dv[, dmask]) by the implementation the registry picks (see the module docstring)."""
    _check_backward(grad_out, q, k, v, out, lse, mask, need_dmask)
    return dispatch(BACKWARD, device_of(q))(grad_out, q, k, v, out, lse, mask, causal, scale, need_dmask)


# -- reference -----------------------------------------------------------------------------------------------
def _scores(xp: Any, q: Any, k: Any, mask: Any, causal: bool, scale: float) -> Any:
    """S = scale q k^T with the masks applied: a fresh (B..., Lq, Lk) array of q's dtype."""
    s = q @ xp.swapaxes(k, -1, -2)
    s *= scale  # a Python float: keeps float32 float32
    lq, lk = s.shape[-2], s.shape[-1]
    if mask is not None:
        if mask.dtype == numpy.bool_:
            xp.copyto(s, -xp.inf, where=xp.logical_not(mask))
        else:
            s += mask
    if causal:
        # top-left aligned: key j is hidden from query i when j > i
        above = xp.arange(lk)[None, :] > xp.arange(lq)[:, None]
        xp.copyto(s, -xp.inf, where=above)
    return s


@register(FORWARD, "reference")
def attention_forward_reference(q: Any, k: Any, v: Any, mask: Any = None, causal: bool = False,
                                scale: float | None = None) -> tuple[Any, Any]:
    """The spec, in the formulas of the module docstring; materialises S once (in place thereafter)."""
    xp = _xp(q)
    if q.dtype.itemsize == 2:  # float16 / bfloat16: computed in float32; lse is returned in float32
        out, lse = attention_forward_reference(*_f32(q, k, v, mask), causal, scale)
        return out.astype(q.dtype), lse
    if scale is None:
        scale = default_scale(q.shape[-1])
    batch, lq, lk, dv = q.shape[:-2], q.shape[-2], k.shape[-2], v.shape[-1]
    if lk == 0:  # nothing to attend to: every row is "entirely masked"
        return xp.zeros(batch + (lq, dv), dtype=q.dtype), xp.full(batch + (lq,), -xp.inf, dtype=q.dtype)
    s = _scores(xp, q, k, mask, causal, float(scale))
    m = s.max(axis=-1, keepdims=True)
    # An entirely masked row has max -inf; shifting by 0 instead keeps exp(-inf) = 0 (not NaN).
    xp.copyto(m, 0, where=m == -xp.inf)
    with numpy.errstate(invalid="ignore"):  # +inf in a float mask: inf - inf, NaN as in PyTorch
        s -= m
    xp.exp(s, out=s)
    denom = s.sum(axis=-1, keepdims=True)
    out = s @ v
    with numpy.errstate(divide="ignore"):  # log(0) = -inf is the lse of an entirely masked row
        lse = (m + xp.log(denom))[..., 0]
    xp.copyto(denom, 1, where=denom == 0)  # masked rows: P = 0, so out = 0
    out /= denom
    return out, lse


@register(BACKWARD, "reference")
def attention_backward_reference(grad_out: Any, q: Any, k: Any, v: Any, out: Any, lse: Any, mask: Any = None,
                                 causal: bool = False, scale: float | None = None,
                                 need_dmask: bool = False) -> tuple:
    """The spec's backward: recompute P from lse, then dS = P (dP - rowsum(dO out))."""
    xp = _xp(q)
    if q.dtype.itemsize == 2:  # float16 / bfloat16: computed in float32, results rounded back
        q32, k32, v32, mask32 = _f32(q, k, v, mask)
        grads = attention_backward_reference(grad_out.astype(numpy.float32), q32, k32, v32,
                                             out.astype(numpy.float32), lse, mask32, causal, scale, need_dmask)
        return tuple(g.astype(q.dtype) for g in grads)
    if scale is None:
        scale = default_scale(q.shape[-1])
    scale = float(scale)
    dtype = q.dtype
    grad_out = grad_out.astype(dtype, copy=False)
    lk = k.shape[-2]
    if lk == 0 or q.shape[-2] == 0:
        dq, dk, dv = xp.zeros(q.shape, dtype), xp.zeros(k.shape, dtype), xp.zeros(v.shape, dtype)
        if not need_dmask:
            return dq, dk, dv
        return dq, dk, dv, xp.zeros(mask.shape, dtype)
    p = _scores(xp, q, k, mask, causal, scale)
    shift = lse[..., None].astype(dtype, copy=True)
    xp.copyto(shift, xp.inf, where=shift == -xp.inf)  # entirely masked row: exp(-inf - inf) = 0
    with numpy.errstate(invalid="ignore"):
        p -= shift
    xp.exp(p, out=p)
    dv = xp.swapaxes(p, -1, -2) @ grad_out
    ds = grad_out @ xp.swapaxes(v, -1, -2)  # dP
    ds -= (grad_out * out).sum(axis=-1, keepdims=True)
    ds *= p  # dS; p's buffer is free after this
    dq = ds @ k
    dq *= scale
    dk = xp.swapaxes(ds, -1, -2) @ q
    dk *= scale
    if not need_dmask:
        return dq, dk, dv
    return dq, dk, dv, _sum_to(xp, ds, mask.shape)


def _f32(q: Any, k: Any, v: Any, mask: Any) -> tuple:
    """q, k, v (and a float mask) cast to float32: how the reference computes float16 inputs."""
    if mask is not None and mask.dtype != numpy.bool_:
        mask = mask.astype(numpy.float32)
    return q.astype(numpy.float32), k.astype(numpy.float32), v.astype(numpy.float32), mask


def _sum_to(xp: Any, a: Any, shape: tuple) -> Any:
    """Sum the broadcast dims of `a` away so it has `shape` (the adjoint of broadcasting)."""
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and a.shape[i + lead] != 1)
    if axes:
        a = a.sum(axis=axes, keepdims=True)
    return a.reshape(shape)
