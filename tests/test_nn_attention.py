"""Attention: the kernel layer against a naive formula, `scaled_dot_product_attention` and
`multi_head_attention_forward` against PyTorch (values, gradients, double backward), and the
MultiheadAttention / Transformer modules against PyTorch's with the same state dict.
"""
from __future__ import annotations

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite.kernels import attention as K

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}


# -- helpers -----------------------------------------------------------------------------------------------------
def naive(q, k, v, mask=None, causal=False, scale=None):
    """softmax(scale q k^T + mask) v and logsumexp in float64, straight from the definition."""
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    if scale is None:
        scale = 1 / np.sqrt(q.shape[-1]) if q.shape[-1] else 1.0
    s = scale * q @ np.swapaxes(k, -1, -2)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    if causal:
        lq, lk = s.shape[-2:]
        s = np.where(np.tril(np.ones((lq, lk), bool)), s, -np.inf)
    m = s.max(-1, keepdims=True, initial=-np.inf)
    m = np.where(np.isneginf(m), 0, m)
    e = np.exp(s - m)
    total = e.sum(-1, keepdims=True)
    with np.errstate(divide="ignore"):
        lse = (m + np.log(total))[..., 0]
    return (e / np.where(total == 0, 1, total)) @ v, lse


def t2n(t) -> np.ndarray:
    return t.detach().numpy()


def load_from_torch(ours, theirs) -> None:
    state = {k: tl.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(state), "parameter names differ from PyTorch's"
    ours.load_state_dict(state)


def assert_close(a, b, dtype=np.float64, scale=1.0):
    tol = TOL[dtype]
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=tol["rtol"] * scale, atol=tol["atol"] * scale)


def grads_match(ours, theirs, dtype=np.float64, scale=1.0):
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        if tp.grad is None:
            assert p.grad is None or not np.any(t2n(p.grad)), name
            continue
        assert p.grad is not None, f"{name} got no gradient"
        assert_close(t2n(p.grad), t2n(tp.grad), dtype, scale)


# -- kernel layer --------------------------------------------------------------------------------------------------
KERNEL_CASES = [
    # batch, Lq, Lk, D, Dv, mask kind, causal
    ((2,), 5, 7, 4, 3, None, False),
    ((2, 3), 1, 1, 8, 8, None, False),
    ((), 6, 6, 4, 5, None, True),
    ((2,), 7, 3, 4, 4, None, True),   # Lq > Lk: last rows see every key
    ((2,), 3, 7, 4, 4, None, True),   # Lq < Lk
    ((2,), 5, 6, 4, 3, "bool", False),
    ((2,), 5, 6, 4, 3, "float", False),
    ((2,), 5, 6, 4, 3, "float", True),
    ((3,), 17, 33, 16, 8, "bool", True),  # not multiples of any block size
    ((2,), 0, 4, 3, 2, None, False),
    ((2,), 3, 0, 3, 2, None, False),
    ((2,), 3, 4, 0, 2, None, False),
]


def _kernel_inputs(rng, batch, lq, lk, d, dv, mask_kind, dtype):
    q, k, v = (rng.standard_normal(batch + s).astype(dtype) for s in ((lq, d), (lk, d), (lk, dv)))
    mask = None
    if mask_kind == "bool":
        mask = rng.random((lq, lk)) > 0.4
        if lq > 1:
            mask[1] = False  # an entirely masked row
    elif mask_kind == "float":
        mask = rng.standard_normal((1, lq, lk)).astype(dtype)
        if lq > 1 and lk > 1:
            mask[0, 0, 1] = -np.inf
            mask[0, 1] = -np.inf
    return q, k, v, mask


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", KERNEL_CASES, ids=lambda c: f"{c[0]}-{c[1]}x{c[2]}-{c[5]}-causal{c[6]}")
def test_kernel_forward_matches_naive(case, dtype):
    batch, lq, lk, d, dv, mask_kind, causal = case
    rng = np.random.default_rng(0)
    q, k, v, mask = _kernel_inputs(rng, batch, lq, lk, d, dv, mask_kind, dtype)
    copies = [a.copy() for a in (q, k, v)]
    with tl.kernels.use("reference"):
        out, lse = K.attention_forward(q, k, v, mask, causal)
    ref_out, ref_lse = naive(q, k, v, mask, causal)
    assert out.dtype == dtype and lse.dtype == dtype
    assert out.shape == batch + (lq, dv) and lse.shape == batch + (lq,)
    assert_close(out, ref_out, dtype, 10)
    assert np.array_equal(np.isneginf(lse), np.isneginf(ref_lse))
    finite = np.isfinite(ref_lse)
    assert_close(lse[finite], ref_lse[finite], dtype, 10)
    for a, b in zip((q, k, v), copies):
        assert np.array_equal(a, b), "the kernel wrote into its input"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", KERNEL_CASES, ids=lambda c: f"{c[0]}-{c[1]}x{c[2]}-{c[5]}-causal{c[6]}")
def test_kernel_backward_matches_torch(case, dtype):
    batch, lq, lk, d, dv, mask_kind, causal = case
    rng = np.random.default_rng(1)
    q, k, v, mask = _kernel_inputs(rng, batch, lq, lk, d, dv, mask_kind, dtype)
    out, lse = K.attention_forward(q, k, v, mask, causal)
    g = rng.standard_normal(out.shape).astype(dtype)
    need_dmask = mask_kind == "float"
    res = K.attention_backward(g, q, k, v, out, lse, mask, causal, None, need_dmask)
    tq, tk, tv = (torch.tensor(a.astype(np.float64), requires_grad=True) for a in (q, k, v))
    tm = None if mask is None else torch.tensor(mask if mask.dtype == bool else mask.astype(np.float64),
                                                requires_grad=need_dmask)
    torch_mask, torch_causal = tm, causal
    if tm is not None and causal:  # PyTorch takes one or the other: fold the causal mask into attn_mask
        tril = torch.ones(lq, lk, dtype=torch.bool).tril()
        torch_mask = tm & tril if mask.dtype == bool else tm + torch.zeros(lq, lk, dtype=torch.float64).masked_fill(
            ~tril, float("-inf"))
        torch_causal = False
    out_t = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch_mask, is_causal=torch_causal)
    out_t.backward(torch.tensor(g, dtype=torch.float64))
    expected = [tq.grad, tk.grad, tv.grad] + ([tm.grad] if need_dmask else [])
    assert len(res) == len(expected)
    for ours, theirs in zip(res, expected):
        assert ours.dtype == dtype and ours.shape == tuple(theirs.shape)
        assert_close(ours, theirs.numpy(), dtype, 20)


def test_kernel_fully_masked_rows_are_zero_like_torch():
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6)))
    mask = np.ones((3, 5), bool)
    mask[1] = False
    out, lse = K.attention_forward(q, k, v, mask)
    expected = TF.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask))
    assert not np.isnan(out).any()
    assert np.all(out[:, 1] == 0) and np.all(np.isneginf(lse[:, 1]))
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_kernel_is_stable_at_extreme_scores():
    rng = np.random.default_rng(3)
    q = (rng.standard_normal((1, 4, 8)) * 1e3).astype(np.float32)
    k = (rng.standard_normal((1, 6, 8)) * 1e3).astype(np.float32)
    v = rng.standard_normal((1, 6, 2)).astype(np.float32)
    out, lse = K.attention_forward(q, k, v)
    assert np.isfinite(out).all() and np.isfinite(lse).all()
    ref, ref_lse = naive(q, k, v)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(lse, ref_lse, rtol=1e-5)


def test_kernel_registry_and_forcing(monkeypatch):
    assert "reference" in tl.kernels.available("cpu")["attention_forward"]
    assert "reference" in tl.kernels.available("cpu")["attention_backward"]
    monkeypatch.setenv("TRITON_INTERPRET", "0")  # the interpreter would serve CPU arrays under use("triton")
    with tl.kernels.use("triton"), pytest.raises(RuntimeError, match="attention_forward"):
        K.attention_forward(np.ones((1, 2, 2), np.float32), np.ones((1, 2, 2), np.float32),
                            np.ones((1, 2, 2), np.float32))


@pytest.mark.gpu
@pytest.mark.parametrize("case", KERNEL_CASES[:9], ids=lambda c: f"{c[0]}-{c[1]}x{c[2]}-{c[5]}-causal{c[6]}")
def test_kernel_reference_on_cupy_matches_numpy(case):
    import cupy

    batch, lq, lk, d, dv, mask_kind, causal = case
    q, k, v, mask = _kernel_inputs(np.random.default_rng(0), batch, lq, lk, d, dv, mask_kind, np.float32)
    on_gpu = [cupy.asarray(a) for a in (q, k, v)] + [None if mask is None else cupy.asarray(mask)]
    out, lse = K.attention_forward(q, k, v, mask, causal)
    g_out, g_lse = K.attention_forward(*on_gpu, causal)
    np.testing.assert_allclose(cupy.asnumpy(g_out), out, rtol=1e-4, atol=1e-5)
    g = np.ones_like(out)
    ref = K.attention_backward(g, q, k, v, out, lse, mask, causal)
    got = K.attention_backward(cupy.asarray(g), *on_gpu[:3], g_out, g_lse, on_gpu[3], causal)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(cupy.asnumpy(a), b, rtol=1e-4, atol=1e-4)


def test_kernel_rejects_bad_inputs():
    f = np.ones((2, 3, 4))
    with pytest.raises(TypeError):
        K.attention_forward(f.astype(np.int64), f, f)
    with pytest.raises(ValueError):
        K.attention_forward(f, np.ones((3, 3, 4)), np.ones((3, 3, 4)))


# -- scaled_dot_product_attention vs torch -----------------------------------------------------------------------
SDPA_CASES = [
    dict(shapes=((2, 2, 5, 8), (2, 2, 7, 8), (2, 2, 7, 4))),
    dict(shapes=((2, 2, 5, 8), (2, 2, 7, 8), (2, 2, 7, 4)), is_causal=True),
    dict(shapes=((2, 7, 8), (2, 5, 8), (2, 5, 4)), is_causal=True),
    dict(shapes=((2, 5, 8), (2, 7, 8), (2, 7, 4)), mask="bool"),
    dict(shapes=((2, 5, 8), (2, 7, 8), (2, 7, 4)), mask="float"),
    dict(shapes=((2, 5, 8), (1, 7, 8), (1, 7, 4)), scale=0.25),
    dict(shapes=((3, 4, 5, 8), (3, 2, 7, 8), (3, 2, 7, 4)), enable_gqa=True),
]


def _sdpa_inputs(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in case["shapes"]]
    kwargs = {k: v for k, v in case.items() if k not in ("shapes", "mask")}
    lq, lk = case["shapes"][0][-2], case["shapes"][1][-2]
    mask = None
    if case.get("mask") == "bool":
        mask = rng.random((lq, lk)) > 0.3
        mask[0] = False
    elif case.get("mask") == "float":
        mask = rng.standard_normal((lq, lk)).astype(dtype)
        mask[2, :3] = -np.inf
    return arrays, mask, kwargs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", SDPA_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items() if k != "shapes"))
def test_sdpa_forward_backward_matches_torch(case, dtype):
    arrays, mask, kwargs = _sdpa_inputs(case, dtype)
    ours = [tl.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    m_ours = m_theirs = None
    if mask is not None:
        m_ours = tl.tensor(mask, requires_grad=mask.dtype != bool)
        m_theirs = torch.tensor(mask, requires_grad=mask.dtype != bool)
    o = F.scaled_dot_product_attention(*ours, attn_mask=m_ours, **kwargs)
    t = TF.scaled_dot_product_attention(*theirs, attn_mask=m_theirs, **kwargs)
    assert tuple(o.shape) == tuple(t.shape) and o.dtype.name == str(t.dtype).split(".")[-1]
    assert_close(t2n(o), t2n(t), dtype, 10)
    g = np.random.default_rng(9).standard_normal(t.shape).astype(dtype)
    o.backward(tl.tensor(g))
    t.backward(torch.tensor(g))
    pairs = list(zip(ours, theirs)) + ([(m_ours, m_theirs)] if mask is not None and mask.dtype != bool else [])
    for a, b in pairs:
        assert_close(t2n(a.grad), t2n(b.grad), dtype, 50)


@pytest.mark.parametrize("case", [SDPA_CASES[1], SDPA_CASES[3], SDPA_CASES[4]], ids=["causal", "bool", "float"])
def test_sdpa_double_backward_matches_torch(case):
    arrays, mask, kwargs = _sdpa_inputs(case, np.float64, seed=4)
    ours = [tl.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    m_ours = None if mask is None else tl.tensor(mask)
    m_theirs = None if mask is None else torch.tensor(mask)
    o = F.scaled_dot_product_attention(*ours, attn_mask=m_ours, **kwargs)
    t = TF.scaled_dot_product_attention(*theirs, attn_mask=m_theirs, **kwargs)
    w = np.random.default_rng(5).standard_normal(tuple(t.shape))
    g_ours = tl.autograd.grad((o * tl.tensor(w)).sum(), ours, create_graph=True)
    g_theirs = torch.autograd.grad((t * torch.tensor(w)).sum(), theirs, create_graph=True)
    sum(((g * g).sum() for g in g_ours), tl.tensor(0.0, dtype=tl.float64)).backward()
    sum((g * g).sum() for g in g_theirs).backward()
    for a, b in zip(ours, theirs):
        assert_close(t2n(a.grad), t2n(b.grad), np.float64, 100)


def test_sdpa_gradgradcheck():
    rng = np.random.default_rng(6)
    q, k, v = (tl.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3, 4), (2, 4, 4), (2, 4, 2)))
    fmask = tl.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert tl.autograd.gradgradcheck(lambda *a: F.scaled_dot_product_attention(*a, is_causal=True), (q, k, v))
    assert tl.autograd.gradgradcheck(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                                     (q, k, v, fmask))


def test_sdpa_fully_masked_row_gives_zero_and_zero_grad():
    rng = np.random.default_rng(7)
    q, k, v = (tl.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
               for s in ((1, 3, 4), (1, 5, 4), (1, 5, 2)))
    mask = np.ones((3, 5), bool)
    mask[2] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=tl.tensor(mask))
    out.sum().backward()
    assert np.all(t2n(out)[0, 2] == 0)
    assert np.all(t2n(q.grad)[0, 2] == 0)
    assert not np.isnan(t2n(k.grad)).any()


def test_sdpa_dropout():
    rng = np.random.default_rng(8)
    q, k, v = (tl.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 4, 3), (2, 5, 3), (2, 5, 2)))
    assert np.all(t2n(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)) == 0)
    tl.manual_seed(0)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    tl.manual_seed(0)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(t2n(a), t2n(b))
    assert not np.allclose(t2n(a), t2n(F.scaled_dot_product_attention(q, k, v)))
    a.sum().backward()
    assert q.grad is not None and np.isfinite(t2n(q.grad)).all()


def test_sdpa_float32_stays_float32_and_no_grad_outside_autograd():
    q = tl.randn(2, 3, 4)
    out = F.scaled_dot_product_attention(q, q, q)
    assert out.dtype == tl.float32 and not out.requires_grad


@pytest.mark.parametrize("kwargs, error", [
    (dict(attn_mask=np.ones((3, 3), bool), is_causal=True), RuntimeError),
    (dict(attn_mask=np.ones((3, 3), np.int64)), RuntimeError),
    (dict(attn_mask=np.ones((2, 2))), RuntimeError),
    (dict(dropout_p=2.0), RuntimeError),
])
def test_sdpa_errors_match_torch(kwargs, error):
    x = np.ones((2, 3, 4))
    ours = {k: tl.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    theirs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with pytest.raises(error):
        F.scaled_dot_product_attention(tl.tensor(x), tl.tensor(x), tl.tensor(x), **ours)
    with pytest.raises(error):
        TF.scaled_dot_product_attention(torch.tensor(x), torch.tensor(x), torch.tensor(x), **theirs)


# -- MultiheadAttention ------------------------------------------------------------------------------------------
MHA_CASES = [
    dict(),
    dict(batch_first=True),
    dict(kdim=3, vdim=5),
    dict(add_bias_kv=True, add_zero_attn=True),
    dict(bias=False),
]


def _mha_call_inputs(rng, kw, dtype, self_attention):
    shape_q = (5, 2, 8) if not kw.get("batch_first") else (2, 5, 8)
    shape_k = (6, 2, kw.get("kdim", 8)) if not kw.get("batch_first") else (2, 6, kw.get("kdim", 8))
    shape_v = shape_k[:-1] + (kw.get("vdim", 8),)
    q = rng.standard_normal(shape_q).astype(dtype)
    if self_attention:
        return q, q, q
    return q, rng.standard_normal(shape_k).astype(dtype), rng.standard_normal(shape_v).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("kw", MHA_CASES, ids=lambda k: "-".join(f"{a}={b}" for a, b in k.items()) or "default")
def test_multihead_attention_matches_torch(kw, need_weights, dtype):
    rng = np.random.default_rng(10)
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(8, 2, **kw).to(torch.float32 if dtype == np.float32 else torch.float64)
    ours = tl.nn.MultiheadAttention(8, 2, **kw).to(tl.float32 if dtype == np.float32 else tl.float64)
    load_from_torch(ours, theirs)
    self_attn = "kdim" not in kw
    arrays = _mha_call_inputs(rng, kw, dtype, self_attn)
    src_len = arrays[1].shape[0 if not kw.get("batch_first") else 1]
    kpm = np.zeros((2, src_len), bool)
    kpm[1, -2:] = True
    attn_mask = rng.random((5, src_len)) > 0.8
    if self_attn:
        x_ours = tl.tensor(arrays[0], requires_grad=True)
        x_theirs = torch.tensor(arrays[0], requires_grad=True)
        args_ours, args_theirs = (x_ours,) * 3, (x_theirs,) * 3
        leaves = [(x_ours, x_theirs)]
    else:
        leaves = [(tl.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)) for a in arrays]
        args_ours, args_theirs = tuple(p[0] for p in leaves), tuple(p[1] for p in leaves)
    o, w = ours(*args_ours, key_padding_mask=tl.tensor(kpm), attn_mask=tl.tensor(attn_mask), need_weights=need_weights)
    t, tw = theirs(*args_theirs, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(attn_mask),
                   need_weights=need_weights)
    assert_close(t2n(o), t2n(t), dtype, 10)
    if need_weights:
        assert_close(t2n(w), t2n(tw), dtype, 10)
    else:
        assert w is None and tw is None
    g = rng.standard_normal(tuple(t.shape)).astype(dtype)
    o.backward(tl.tensor(g))
    t.backward(torch.tensor(g))
    grads_match(ours, theirs, dtype, 50)
    for a, b in leaves:
        assert_close(t2n(a.grad), t2n(b.grad), dtype, 50)


def test_multihead_attention_variants_match_torch():
    rng = np.random.default_rng(11)
    torch.manual_seed(1)
    theirs = torch.nn.MultiheadAttention(6, 3).double()
    ours = tl.nn.MultiheadAttention(6, 3).double()
    load_from_torch(ours, theirs)
    q, k = rng.standard_normal((4, 6)), rng.standard_normal((5, 6))
    # unbatched, per-head weights, a 3-D float mask
    mask3 = rng.standard_normal((3, 4, 5))
    o, w = ours(tl.tensor(q), tl.tensor(k), tl.tensor(k), attn_mask=tl.tensor(mask3), average_attn_weights=False)
    t, tw = theirs(torch.tensor(q), torch.tensor(k), torch.tensor(k), attn_mask=torch.tensor(mask3),
                   average_attn_weights=False)
    assert tuple(w.shape) == (3, 4, 5)
    assert_close(t2n(o), t2n(t))
    assert_close(t2n(w), t2n(tw))
    # causal hint with the mask, no weights (the is_causal path of the kernel)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(4).double()
    x = rng.standard_normal((4, 2, 6))
    o, _ = ours(tl.tensor(x), tl.tensor(x), tl.tensor(x), attn_mask=tl.tensor(causal.numpy()), is_causal=True,
                need_weights=False)
    t, _ = theirs(torch.tensor(x), torch.tensor(x), torch.tensor(x), attn_mask=causal, is_causal=True,
                  need_weights=False)
    assert_close(t2n(o), t2n(t))


def test_multihead_attention_parameters_and_init():
    m = tl.nn.MultiheadAttention(8, 2)
    t = torch.nn.MultiheadAttention(8, 2)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert np.all(t2n(m.in_proj_bias) == 0) and np.all(t2n(m.out_proj.bias) == 0)
    bound = np.sqrt(6.0 / (8 + 24))  # xavier_uniform_ on the (3E, E) packed weight
    assert np.abs(t2n(m.in_proj_weight)).max() <= bound
    sep = tl.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True)
    tsep = torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True)
    assert list(sep.state_dict()) == list(tsep.state_dict())
    assert sep.in_proj_weight is None
    with pytest.raises(AssertionError):
        tl.nn.MultiheadAttention(8, 3)
    with pytest.raises(ValueError):
        tl.nn.MultiheadAttention(0, 2)


# -- Transformer layers --------------------------------------------------------------------------------------------
def _pair(cls_name, *args, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, cls_name)(*args, **kwargs).double()
    ours = getattr(tl.nn, cls_name)(*args, **kwargs).double()
    return ours, theirs


ENC_CASES = [dict(), dict(batch_first=True), dict(norm_first=True, activation="gelu"), dict(bias=False),
             dict(activation=lambda x: x.tanh() if hasattr(x, "tanh") else x)]


@pytest.mark.parametrize("kw", ENC_CASES, ids=["default", "batch_first", "norm_first-gelu", "no-bias", "callable"])
def test_encoder_layer_matches_torch_train_mode(kw):
    ours, theirs = _pair("TransformerEncoderLayer", 8, 2, 16, 0.0, **kw)
    load_from_torch(ours, theirs)
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 3, 8))
    mask = np.triu(np.full((4, 4), -np.inf), 1) if not kw.get("batch_first") else np.triu(np.full((3, 3), -np.inf), 1)
    batch = 4 if kw.get("batch_first") else 3
    seq = 3 if kw.get("batch_first") else 4
    kpm = np.zeros((batch, seq))
    kpm[1, -1] = -np.inf
    a, b = tl.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    o = ours(a, src_mask=tl.tensor(mask), src_key_padding_mask=tl.tensor(kpm))
    t = theirs(b, src_mask=torch.tensor(mask), src_key_padding_mask=torch.tensor(kpm))
    assert_close(t2n(o), t2n(t), scale=10)
    g = rng.standard_normal(x.shape)
    o.backward(tl.tensor(g))
    t.backward(torch.tensor(g))
    assert_close(t2n(a.grad), t2n(b.grad), scale=100)
    grads_match(ours, theirs, scale=100)


@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True), dict(norm_first=True)],
                         ids=["default", "batch_first", "norm_first"])
def test_decoder_layer_matches_torch_train_mode(kw):
    ours, theirs = _pair("TransformerDecoderLayer", 8, 2, 16, 0.0, **kw)
    load_from_torch(ours, theirs)
    rng = np.random.default_rng(13)
    tgt = rng.standard_normal((4, 3, 8))
    mem = rng.standard_normal((5, 3, 8) if not kw.get("batch_first") else (4, 5, 8))
    seq = 3 if kw.get("batch_first") else 4
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(seq).double()
    a, b = tl.tensor(tgt, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    m_ours, m_theirs = tl.tensor(mem, requires_grad=True), torch.tensor(mem, requires_grad=True)
    o = ours(a, m_ours, tgt_mask=tl.tensor(tgt_mask.numpy()), tgt_is_causal=True)
    t = theirs(b, m_theirs, tgt_mask=tgt_mask, tgt_is_causal=True)
    assert_close(t2n(o), t2n(t), scale=10)
    o.sum().backward()
    t.sum().backward()
    assert_close(t2n(a.grad), t2n(b.grad), scale=100)
    assert_close(t2n(m_ours.grad), t2n(m_theirs.grad), scale=100)
    grads_match(ours, theirs, scale=100)


def test_transformer_matches_torch_with_loaded_state_dict():
    ours, theirs = _pair("Transformer", 8, 2, 2, 2, 16, 0.1)
    load_from_torch(ours, theirs)
    ours.eval()
    theirs.eval()
    rng = np.random.default_rng(14)
    src, tgt = rng.standard_normal((5, 2, 8)), rng.standard_normal((4, 2, 8))
    tgt_mask = tl.nn.Transformer.generate_square_subsequent_mask(4, dtype=tl.float64)
    ref_mask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    np.testing.assert_array_equal(t2n(tgt_mask), ref_mask.numpy())
    src_kpm = np.zeros((2, 5), bool)
    src_kpm[0, -1] = True
    with torch.no_grad():
        t = theirs(torch.tensor(src), torch.tensor(tgt), tgt_mask=ref_mask,
                   src_key_padding_mask=torch.tensor(src_kpm), memory_key_padding_mask=torch.tensor(src_kpm))
    o = ours(tl.tensor(src), tl.tensor(tgt), tgt_mask=tgt_mask, src_key_padding_mask=tl.tensor(src_kpm),
             memory_key_padding_mask=tl.tensor(src_kpm))
    # PyTorch's eval path turns padded encoder positions into zeros (nested tensors); they are masked out of
    # the decoder's attention, so the decoder output agrees.
    assert_close(t2n(o), t2n(t), scale=100)


def test_transformer_encoder_eval_fast_path_agrees():
    ours, theirs = _pair("TransformerEncoderLayer", 8, 2, 16, 0.1, batch_first=True)
    load_from_torch(ours, theirs)
    enc_t = torch.nn.TransformerEncoder(theirs, 2, enable_nested_tensor=False).eval()
    enc_o = tl.nn.TransformerEncoder(ours, 2).eval()
    load_from_torch(enc_o, enc_t)
    x = np.random.default_rng(15).standard_normal((3, 4, 8))
    with torch.no_grad():
        t = enc_t(torch.tensor(x))
    with tl.no_grad():
        o = enc_o(tl.tensor(x))
    assert_close(t2n(o), t2n(t), scale=100)


def test_transformer_structure():
    m = tl.nn.Transformer(8, 2, 2, 1, 16)
    t = torch.nn.Transformer(8, 2, 2, 1, 16)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    layers = m.encoder.layers
    assert layers[0].linear1.weight is not layers[1].linear1.weight  # deep copies, not shared
    with tl.no_grad():
        layers[0].linear1.weight.fill_(0.0)
    assert np.any(t2n(layers[1].linear1.weight) != 0)
    with pytest.raises(RuntimeError):
        m(tl.randn(5, 2, 8), tl.randn(4, 3, 8))
    with pytest.raises(RuntimeError):
        tl.nn.TransformerEncoderLayer(8, 2, activation="tanh")


def test_transformer_trains():
    """A few SGD steps on a copy task lower the loss (the whole stack is differentiable end to end)."""
    tl.manual_seed(0)
    model = tl.nn.TransformerEncoder(tl.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), 2)
    x = tl.randn(4, 5, 8)
    params = list(model.parameters())
    losses = []
    for _ in range(15):
        loss = ((model(x) - x) ** 2).mean()
        losses.append(loss.item())
        for p in params:
            p.grad = None
        loss.backward()
        with tl.no_grad():
            for p in params:
                p -= 0.05 * p.grad
    assert losses[-1] < losses[0]
