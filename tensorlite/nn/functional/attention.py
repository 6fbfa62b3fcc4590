"""Attention: `scaled_dot_product_attention` and `multi_head_attention_forward`, as in PyTorch.

    out = softmax(scale * q k^T + mask) v        scale = 1/sqrt(E) by default

`scaled_dot_product_attention` is one Function around the kernel layer
(`tensorlite.kernels.attention`): forward calls `attention_forward` (which returns the output and
each row's logsumexp), backward calls `attention_backward` (which recomputes the probabilities
from the logsumexp instead of storing them). Fused implementations of those two kernels never
hold the (Lq, Lk) matrix.

Double backward: when a graph of the gradient is being built (`create_graph=True`), the backward
does not call the kernel but writes the same gradient formulas in differentiable Tensor ops
(scores, a masked softmax, matmuls), so gradients of any order work, as PyTorch's math path
does. Dropout (`dropout_p > 0`) also takes that composed path: the dropped probability matrix is
what the output and gradient need, so there is nothing for the fused kernel to save.

Entirely masked rows give 0 (and a zero gradient), as PyTorch 2.13 does on CPU in float32 and float64.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ...autograd import grad_mode
from ...amp import policy as _amp
from ...autograd.function import Function, check_same_device
from ...backend import get_array_module
from ...kernels import attention as _k
from ...ops.arithmetic import sum_to_shape
from ...ops.linalg import baddbmm, bmm, matmul
from ...ops.shape import pad
from ...ops.softmax import softmax
from ...tensor import Tensor
from .dropout import dropout as _dropout
from .linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_grad_enabled = grad_mode._grad_enabled
_TORCH_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
                "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _tname(t: Tensor) -> str:
    return _TORCH_NAMES.get(t._data.dtype.name, t._data.dtype.name)


# -- the op ----------------------------------------------------------------------------------------------------
class _Attention(Function):
    """out = softmax(scale q k^T + mask) v over (B..., Lq, Lk). Gradients: see kernels/attention.py.

    Inputs: q, k, v (equal batch dims) and optionally an additive float mask (differentiable, so its
    gradient dS summed to its shape flows). A bool mask and the causal flag are attributes.
    """

    save_output = True
    bfloat16_native = True  # the kernels take bfloat16 themselves (Triton on CUDA runs it on tensor cores)

    def forward(self, q, k, v, *float_mask, bool_mask=None, causal=False, scale=1.0):
        mask = float_mask[0] if float_mask else bool_mask
        out, lse = _k.attention_forward(q, k, v, mask, causal, scale)
        self.lse, self.bool_mask, self.causal, self.scale = lse, bool_mask, causal, scale
        return out

    def backward(self, grad):
        q, k, v = self.inputs[0], self.inputs[1], self.inputs[2]
        fmask = self.inputs[3] if len(self.inputs) > 3 else None
        need = self.needs_input_grad
        if _grad_enabled[0]:  # create_graph: differentiable formulas instead of the kernel
            row_dead = self.lse == -np.inf
            return _grads_composed(grad, q, k, v, fmask, self.bool_mask, self.causal, self.scale, row_dead, need)
        need_dmask = fmask is not None and need[3]
        mask = fmask._data if fmask is not None else self.bool_mask
        res = _k.attention_backward(grad._data, q._data, k._data, v._data, self.output()._data, self.lse, mask,
                                    self.causal, self.scale, need_dmask)
        grads = [Tensor._wrap(g) if n else None for g, n in zip(res[:3], need)]
        if fmask is not None:
            grads.append(Tensor._wrap(res[3]) if need_dmask else None)
        return tuple(grads)


def _additive_constant(xp, bool_mask, causal: bool, lq: int, lk: int, dtype):
    """The non-differentiable part of the mask as an additive array (0 / -inf), or None."""
    add = None
    if bool_mask is not None:
        add = xp.where(bool_mask, dtype.type(0), dtype.type(-np.inf))
    if causal:
        above = xp.where(xp.arange(lk)[None, :] > xp.arange(lq)[:, None], dtype.type(-np.inf), dtype.type(0))
        add = above if add is None else add + above
    return add


def _probs(q: Tensor, k: Tensor, fmask, bool_mask, causal: bool, scale: float, row_dead) -> Tensor:
    """P = softmax(scale q k^T + masks) in Tensor ops, 0 on entirely masked rows (`row_dead`, (B..., Lq))."""
    s = matmul(q, k.transpose(-2, -1)) * scale
    xp = _xp_of(q)
    add = _additive_constant(xp, bool_mask, causal, s._data.shape[-2], s._data.shape[-1], s._data.dtype)
    if add is not None:
        s = s + Tensor._wrap(add)
    if fmask is not None:
        s = s + fmask
    if row_dead is None:
        row_dead = (s._data == -xp.inf).all(axis=-1)  # True for Lk = 0 too (all() of nothing)
    if row_dead.any():
        # softmax of an all -inf row is NaN (and so is its gradient): give it finite scores, then zero it
        dead = Tensor._wrap(xp.broadcast_to(row_dead[..., None], s._data.shape))
        s = s.masked_fill(dead, 0.0)
        return softmax(s, -1).masked_fill(dead, 0.0)
    return softmax(s, -1)


def _xp_of(t: Tensor):
    return get_array_module(t._data)


def _grads_composed(grad, q, k, v, fmask, bool_mask, causal, scale, row_dead, need):
    """The kernel's backward formulas in Tensor ops (so they are differentiable again)."""
    p = _probs(q, k, fmask, bool_mask, causal, scale, row_dead)
    dq = dk = dv = dm = None
    if need[2]:
        dv = matmul(p.transpose(-2, -1), grad)
    if need[0] or need[1] or (fmask is not None and need[3]):
        dp = matmul(grad, v.transpose(-2, -1))
        ds = p * (dp - (p * dp).sum(-1, keepdim=True))
        if need[0]:
            dq = matmul(ds, k) * scale
        if need[1]:
            dk = matmul(ds.transpose(-2, -1), q) * scale
        if fmask is not None and need[3]:
            dm = sum_to_shape(ds, fmask._data.shape)
    return (dq, dk, dv) if fmask is None else (dq, dk, dv, dm)


# -- scaled_dot_product_attention ------------------------------------------------------------------------------
def _check_sdpa(query: Tensor, key: Tensor, value: Tensor, attn_mask, dropout_p: float, is_causal: bool) -> None:
    q, k, v = query._data, key._data, value._data
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_tname(query)} key.dtype: {_tname(key)} and value.dtype: {_tname(value)} instead.")
    if not (type(q) is type(k) is type(v)):
        raise RuntimeError(f"Expected query, key, and value to have the same device type, but got query.device: "
                           f"{query.device} key.device: {key.device} and value.device: {value.device} instead.")
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead.")
    if q.dtype.kind not in "fV":
        raise RuntimeError(f"scaled_dot_product_attention: expected floating-point query, key and value, got "
                           f"{_tname(query)}")
    if attn_mask is not None:
        m = attn_mask._data
        if m.dtype != np.bool_ and m.dtype != np.float32 and m.dtype != q.dtype:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_tname(attn_mask)} and  query.dtype: {_tname(query)} instead.")
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
    if dropout_p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


def _repeat_heads(t: Tensor, times: int) -> Tensor:
    """repeat_interleave along dim -3: head h of `t` serves query heads h*times .. h*times + times - 1."""
    if times == 1:
        return t
    shape = tuple(t._data.shape)
    grown = t.unsqueeze(-3).expand(*shape[:-2], times, *shape[-2:])
    return grown.reshape(*shape[:-3], shape[-3] * times, *shape[-2:])


def _gqa(query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor]:
    hq, hk, hv = query._data.shape[-3], key._data.shape[-3], value._data.shape[-3]
    if hk == 0 or hv == 0 or hq % hk or hq % hv:
        raise RuntimeError(f"Number of heads in key and value must divide the number of heads in query "
                           f"(got query heads {hq}, key heads {hk}, value heads {hv})")
    return _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hv)


def _expand_batch(t: Tensor, batch: tuple) -> Tensor:
    shape = t._data.shape
    if shape[:-2] == batch:
        return t
    return t.expand(*batch, *shape[-2:])


@_amp.autocast_op("scaled_dot_product_attention")
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(scale q k^T + mask) v, with q (N..., L, E), k (N..., S, E), v (N..., S, Ev) -> (N..., L, Ev).

    attn_mask: bool (True = take part in attention) or float (added to the scores), broadcastable to
    (N..., L, S). is_causal: the top-left aligned lower-triangular mask (not with attn_mask).
    dropout_p > 0 drops attention probabilities (always: like PyTorch's, this function has no
    `training` flag). enable_gqa: key/value heads (dim -3) are repeated to match the query's.
    Gradient: dV = P^T dO, dS = P (dO V^T - rowsum(dO O)), dQ = scale dS K, dK = scale dS^T Q.
    """
    _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal)
    check_same_device("scaled_dot_product_attention", query, key, value, attn_mask)
    if enable_gqa and query._data.ndim >= 3 and key._data.ndim >= 3 and value._data.ndim >= 3:
        key, value = _gqa(query, key, value)
    q, k, v = query._data, key._data, value._data
    if q.shape[-1] != k.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query and key must have the same embedding size, got "
                           f"query {tuple(q.shape)} and key {tuple(k.shape)}")
    if k.shape[-2] != v.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key and value must have the same sequence length, got "
                           f"key {tuple(k.shape)} and value {tuple(v.shape)}")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise RuntimeError(f"scaled_dot_product_attention: the batch dims of query {tuple(q.shape)}, key "
                           f"{tuple(k.shape)} and value {tuple(v.shape)} do not broadcast") from None
    lq, lk = q.shape[-2], k.shape[-2]
    if attn_mask is not None:
        target = batch + (lq, lk)
        try:
            ok = np.broadcast_shapes(attn_mask._data.shape, target) == target
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {tuple(attn_mask.shape)} does not "
                               f"broadcast to the attention shape {list(target)}")
    scale = _k.default_scale(q.shape[-1]) if scale is None else float(scale)
    query, key, value = (_expand_batch(t, batch) for t in (query, key, value))
    # float16 goes to the kernels as is: they accumulate in float32 (the Triton kernel on CUDA with half
    # tensor-core products; on the CPU the reference computes in float32, as PyTorch's CPU math does).
    # The explicit-probabilities path (dropout) has no such kernel: it computes half in float32.
    half = q.dtype == np.float16 and dropout_p > 0
    if half:
        query, key, value = query.float(), key.float(), value.float()
    fmask = bool_mask = None
    if attn_mask is not None:
        if attn_mask._data.dtype == np.bool_:
            bool_mask = attn_mask._data
        else:
            fmask = attn_mask if attn_mask._data.dtype == query._data.dtype else attn_mask.to(query.dtype)
    if dropout_p > 0:
        p = _probs(query, key, fmask, bool_mask, is_causal, scale, None)
        out = matmul(_dropout(p, dropout_p, training=True), value)
    elif fmask is not None:
        out = _Attention.apply(query, key, value, fmask, causal=is_causal, scale=scale)
    else:
        out = _Attention.apply(query, key, value, bool_mask=bool_mask, causal=is_causal, scale=scale)
    return out.half() if half else out


# -- multi_head_attention_forward ------------------------------------------------------------------------------
def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the input is batched; AssertionError for the shapes PyTorch rejects."""
    qd, kd, vd = query.dim(), key.dim(), value.dim()
    if qd == 3:
        if kd != 3 or vd != 3:
            raise AssertionError(f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found {kd}-D "
                                 f"and {vd}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(f"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.dim()}-D tensor instead")
        return True
    if qd == 2:
        if kd != 2 or vd != 2:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{kd}-D and {vd}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.dim()}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(f"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.dim()}-D tensor instead")
            if attn_mask.dim() == 3:
                expected = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected:
                    raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                         f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {qd}-D query tensor")


def _canonical_mask(mask, mask_name: str, other_type, other_name: str, target_type, check_other: bool = True):
    """A bool mask becomes the additive float mask (0 where True is absent, -inf where masked out)."""
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind != "b" and kind not in "fV":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      f"instead.", stacklevel=3)
    if kind == "b":
        xp = _xp_of(mask)
        np_dtype = target_type.np if hasattr(target_type, "np") else np.dtype(target_type)
        return Tensor._wrap(xp.where(mask._data, np_dtype.type(-np.inf), np_dtype.type(0)))
    return mask


def _none_or_dtype(t):
    if t is None:
        return None
    if isinstance(t, Tensor):
        return t.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or tensorlite.Tensor")


def _in_projection_packed(q, k, v, w, b):
    e = q.shape[-1]
    if k is v and q is k:  # self-attention: one GEMM for all three projections
        proj = linear(q, w, b)
        return proj.unflatten(-1, (3, e)).movedim(-2, 0).unbind(0)
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    if k is v:  # encoder-decoder attention: one GEMM for key and value
        kv = linear(k, w.narrow(0, e, 2 * e), None if b is None else b.narrow(0, e, 2 * e))
        k_proj, v_proj = kv.unflatten(-1, (2, e)).movedim(-2, 0).unbind(0)
        return linear(q, w_q, b_q), k_proj, v_proj
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
                                 bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight: Tensor, out_proj_bias: Tensor | None, training: bool = True,
                                 key_padding_mask: Tensor | None = None, need_weights: bool = True,
                                 attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
                                 q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
                                 v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
                                 static_v: Tensor | None = None, average_attn_weights: bool = True,
                                 is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on (L, N, E) query and (S, N, E) key/value (or unbatched (L, E), (S, E)).

    Projects q, k, v (packed `in_proj_weight` or separate weights), splits E into `num_heads`
    heads, attends per head (with the merged attn_mask and key_padding_mask), concatenates the
    heads and applies the output projection. Returns (output (L, N, E), attention weights
    (N, L, S) averaged over heads, or (N, H, L, S), or None when need_weights is False).
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                       query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone drives the attention kernel
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                                 f"{tuple(value.shape[:2])}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = linear(query, q_proj_weight, b_q), linear(key, k_proj_weight, b_k), linear(value, v_proj_weight, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        from ...ops.join import cat

        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # heads become part of the batch: (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        _check_static(static_k, "static_k", bsz * num_heads, head_dim)
        k = static_k
    if static_v is None:
        v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        _check_static(static_v, "static_v", bsz * num_heads, head_dim)
        v = static_v

    if add_zero_attn:
        from ...ops.join import cat

        zeros = Tensor._wrap(_xp_of(k).zeros((bsz * num_heads, 1, head_dim), dtype=k._data.dtype))
        k = cat([k, zeros], dim=1)
        v = cat([v, zeros.to(v.dtype)], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))

    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1) \
            .reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        q_scaled = q * math.sqrt(1.0 / float(q.shape[-1]))
        if attn_mask is not None:
            weights = baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
        else:
            weights = bmm(q_scaled, k.transpose(-2, -1))
        weights = softmax(weights, -1)
        if dropout_p > 0.0:
            weights = _dropout(weights, p=dropout_p)
        attn_output = bmm(weights, v)
        attn_output = attn_output.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
        attn_output = attn_output.reshape(tgt_len, bsz, attn_output.shape[1])
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            attn_output, weights = attn_output.squeeze(1), weights.squeeze(0)
        return attn_output, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    attn_output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    attn_output = attn_output.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
    attn_output = attn_output.reshape(tgt_len, bsz, attn_output.shape[1])
    if not is_batched:
        attn_output = attn_output.squeeze(1)
    return attn_output, None


def _check_static(t: Tensor, name: str, rows: int, head_dim: int) -> None:
    if t.shape[0] != rows:
        raise AssertionError(f"expecting {name}.size(0) of {rows}, but got {t.shape[0]}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")

