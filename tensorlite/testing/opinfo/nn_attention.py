"""Registry entries for attention (tensorlite/nn/functional/attention.py).

`scaled_dot_product_attention`: 2-D, 3-D and 4-D inputs, Lq != Lk, broadcast batch dims, an
explicit scale, causal masks (Lq < Lk and Lq > Lk), bool masks (with an entirely masked row,
which gives 0) and float masks (differentiable, broadcast, holding -inf), grouped-query heads,
zero-size dims. `multi_head_attention_forward`: packed and separate projections, masks, bias_kv,
zero attention, with and without the weights.
"""
from __future__ import annotations

import numpy as np

from ...nn.functional import attention as A
from . import ErrorSample, OpInfo, Sample, arr


def _torch_f():
    import torch.nn.functional as F  # noqa: PLC0415 - torch is the test oracle, imported only when checking

    return F


# -- scaled_dot_product_attention -------------------------------------------------------------------------------
def _sdpa_samples(rng):
    def qkv(batch, lq, lk, e=3, ev=2):
        return arr(rng, *batch, lq, e), arr(rng, *batch, lk, e), arr(rng, *batch, lk, ev)

    yield Sample(qkv((2,), 3, 4), desc="3-d, Lq != Lk")
    yield Sample(qkv((1, 2), 2, 3), desc="4-d")
    yield Sample(qkv((), 3, 2), desc="2-d (no batch)")
    yield Sample(qkv((2,), 4, 4), {"scale": 0.7}, desc="explicit scale")
    yield Sample(qkv((2,), 2, 4), {"is_causal": True}, desc="causal, Lq < Lk")
    yield Sample(qkv((2,), 4, 2), {"is_causal": True}, desc="causal, Lq > Lk (top-left aligned)")
    q, k, v = qkv((2,), 3, 4)
    yield Sample((q, k[:1], v[:1]), desc="key/value batch dim broadcast")
    mask = np.array([[True, False, True, True], [False, False, False, False], [True, True, False, True]])
    yield Sample(qkv((2,), 3, 4), {"attn_mask": mask}, desc="bool mask with an entirely masked row")
    yield Sample(qkv((1, 2), 3, 4), {"attn_mask": mask[None, None, 0:1]}, desc="bool mask broadcast over rows")
    fmask = arr(rng, 3, 4)
    fmask[0, 1] = -np.inf
    yield Sample(qkv((2,), 3, 4), {"attn_mask": fmask}, desc="float mask (differentiable), one -inf")
    yield Sample(qkv((2, 2), 2, 3), {"attn_mask": arr(rng, 2, 1, 1, 3)}, desc="float mask broadcast")
    yield Sample(qkv((2,), 3, 4), {"attn_mask": arr(rng, 3, 4)}, desc="float mask, no grad", grad=(1, 1, 1, 0))
    q = arr(rng, 1, 4, 2, 3)
    yield Sample((q, arr(rng, 1, 2, 3, 3), arr(rng, 1, 2, 3, 2)), {"enable_gqa": True}, desc="grouped-query heads")
    yield Sample(qkv((2,), 0, 3), desc="Lq = 0")
    yield Sample(qkv((2,), 3, 0), desc="Lk = 0 (output 0)")
    yield Sample(qkv((0,), 2, 3), desc="batch 0")
    yield Sample(qkv((2,), 3, 4, e=1, ev=1), desc="head dim 1")


def _sdpa_errors():
    f4 = np.ones((2, 3, 4))
    yield ErrorSample((np.ones(4), np.ones(4), np.ones(4)), {}, RuntimeError, desc="1-d inputs")
    yield ErrorSample((f4, f4.astype(np.float32), f4), {}, RuntimeError, desc="dtype mismatch")
    yield ErrorSample((f4, np.ones((2, 3, 5)), f4), {}, RuntimeError, desc="embedding size mismatch")
    yield ErrorSample((f4, f4, np.ones((2, 5, 4))), {}, RuntimeError, desc="key/value length mismatch")
    yield ErrorSample((f4, np.ones((3, 3, 4)), np.ones((3, 3, 4))), {}, RuntimeError, desc="batch dims mismatch")
    yield ErrorSample((f4, f4, f4), {"attn_mask": np.ones((3, 3), bool), "is_causal": True}, RuntimeError,
                      desc="attn_mask with is_causal")
    yield ErrorSample((f4, f4, f4), {"attn_mask": np.ones((3, 3), np.int64)}, RuntimeError, desc="int mask")
    yield ErrorSample((f4.astype(np.float32),) * 3, {"attn_mask": np.ones((3, 3))}, RuntimeError,
                      desc="float64 mask with float32 query")
    yield ErrorSample((f4, f4, f4), {"attn_mask": np.ones((3, 2))}, RuntimeError, desc="mask shape")
    yield ErrorSample((f4, f4, f4), {"attn_mask": np.ones((2, 2, 3, 3))}, RuntimeError,
                      desc="mask broadcasting beyond the output")
    yield ErrorSample((f4, f4, f4), {"dropout_p": 1.5}, RuntimeError, desc="dropout_p > 1")
    yield ErrorSample((np.ones((1, 4, 2, 3)), np.ones((1, 3, 2, 3)), np.ones((1, 3, 2, 3))), {"enable_gqa": True},
                      RuntimeError, desc="query heads not a multiple of key heads")
    yield ErrorSample((np.ones((2, 3, 4), np.int64),) * 3, {}, RuntimeError, desc="int64 inputs")


# -- multi_head_attention_forward ------------------------------------------------------------------------------
E, H = 4, 2


def _mha_args(rng, lq=3, lk=2, n=2, batched=True, bias=True, bias_kv=False, zero_attn=False, cross=False):
    lead_q = (lq, n) if batched else (lq,)
    lead_k = (lk, n) if batched else (lk,)
    query = arr(rng, *lead_q, E)
    key = arr(rng, *lead_k, E) if cross else query
    value = arr(rng, *lead_k, E) if cross else query
    w_in, b_in = arr(rng, 3 * E, E, low=-0.7, high=0.7), (arr(rng, 3 * E) if bias else None)
    bk, bv = (arr(rng, 1, 1, E), arr(rng, 1, 1, E)) if bias_kv else (None, None)
    w_out, b_out = arr(rng, E, E, low=-0.7, high=0.7), (arr(rng, E) if bias else None)
    return (query, key, value, E, H, w_in, b_in, bk, bv, zero_attn, 0.0, w_out, b_out)


def _mha_samples(rng):
    yield Sample(_mha_args(rng, lq=3, lk=3), {"training": False}, desc="self-attention, weights averaged")
    yield Sample(_mha_args(rng, cross=True), {"need_weights": False}, desc="cross-attention, no weights")
    yield Sample(_mha_args(rng, cross=True), {"average_attn_weights": False}, desc="per-head weights")
    yield Sample(_mha_args(rng, batched=False, cross=True), desc="unbatched")
    kpm = np.array([[False, True], [False, False]])
    am = np.array([[0.0, -1.0], [0.5, 0.0], [0.0, 0.0]])
    yield Sample(_mha_args(rng, cross=True), {"key_padding_mask": np.where(kpm, -1.5, 0.0), "attn_mask": am,
                                              "need_weights": False}, desc="float padding + float attn masks")
    yield Sample(_mha_args(rng, cross=True), {"key_padding_mask": kpm, "attn_mask": am < 0},
                 desc="bool padding + bool attn masks")
    causal = np.triu(np.ones((3, 3), bool), 1)
    yield Sample(_mha_args(rng, lq=3, lk=3), {"attn_mask": causal, "is_causal": True, "need_weights": False},
                 desc="causal hint")
    yield Sample(_mha_args(rng, cross=True, bias_kv=True, zero_attn=True), {"key_padding_mask": kpm},
                 desc="bias_kv and zero attention")
    yield Sample(_mha_args(rng, cross=True, bias=False), desc="no biases")
    args = list(_mha_args(rng, cross=True))
    args[5] = None
    kw = {"use_separate_proj_weight": True, "q_proj_weight": arr(rng, E, E), "k_proj_weight": arr(rng, E, E),
          "v_proj_weight": arr(rng, E, E)}
    yield Sample(tuple(args), kw, desc="separate projection weights")


def _mha_errors():
    def base(**over):
        a = dict(query=np.ones((3, 2, E)), key=np.ones((2, 2, E)), value=np.ones((2, 2, E)))
        a.update(over)
        return (a["query"], a["key"], a["value"], E, H, np.ones((3 * E, E)), np.ones(3 * E), None, None, False, 0.0,
                np.ones((E, E)), np.ones(E))

    yield ErrorSample(base(query=np.ones((3, 2, 2, E))), {}, AssertionError, desc="4-d query")
    yield ErrorSample(base(key=np.ones((2, E))), {}, AssertionError, desc="batched query, 2-d key")
    yield ErrorSample(base(query=np.ones((3, 2, E + 1))), {}, AssertionError, desc="embed dim mismatch")
    yield ErrorSample(base(), {"attn_mask": np.ones((3, 3))}, RuntimeError, desc="2-d attn_mask shape")
    yield ErrorSample(base(), {"attn_mask": np.ones((5, 3, 2))}, RuntimeError, desc="3-d attn_mask shape")
    yield ErrorSample(base(), {"key_padding_mask": np.ones((2, 3), bool)}, AssertionError,
                      desc="key_padding_mask length")
    yield ErrorSample(base(), {"is_causal": True}, RuntimeError, desc="is_causal without attn_mask")


def _torch_mha(*args, **kwargs):
    return _torch_f().multi_head_attention_forward(*args, **kwargs)


OPS = [
    OpInfo("scaled_dot_product_attention", A.scaled_dot_product_attention,
           lambda *a, **k: _torch_f().scaled_dot_product_attention(*a, **k), _sdpa_samples, _sdpa_errors,
           notes="fused kernel forward/backward; composed Tensor ops under create_graph (double backward)"),
    OpInfo("multi_head_attention_forward", A.multi_head_attention_forward, _torch_mha, _mha_samples, _mha_errors,
           notes="dropout_p = 0 (dropout draws differ from PyTorch's)"),
]
