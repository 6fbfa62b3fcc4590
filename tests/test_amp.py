"""Mixed precision: tl.autocast and tl.amp.GradScaler against torch.autocast / torch.amp.GradScaler on CPU.

Every op runs under `tl.autocast("cpu", dtype=tl.float16)` and `torch.autocast("cpu", dtype=torch.float16)`
on the same NumPy inputs; output dtypes must be equal and values agree to float16 precision. The
GradScaler runs the same training steps as torch's (same parameters, data and injected overflows):
the scale trajectory must be identical and the parameters equal to float32 precision.
"""
from __future__ import annotations

import pickle
import threading
import warnings

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.nn.functional as F
from tensorlite.amp import policy

torch = pytest.importorskip("torch")
tF = torch.nn.functional

RNG = np.random.default_rng(0)


def _arrays() -> dict:
    r = np.random.default_rng(1)
    f = lambda *s: r.standard_normal(s).astype(np.float32)  # noqa: E731
    a = {"x": f(4, 8), "w": f(5, 8), "b": f(5), "img": f(2, 3, 8, 8), "cw": f(4, 3, 3, 3), "cb": f(4),
         "seq": f(2, 3, 8), "cw1": f(4, 3, 3), "vol": f(1, 2, 4, 4, 4), "cw3": f(2, 2, 2, 2, 2), "q": f(2, 5, 8),
         "pw": np.array([0.25], np.float32), "grid": (r.random((2, 4, 4, 2)) * 2 - 1).astype(np.float32),
         "tgt": r.integers(0, 5, 4).astype(np.int64), "pm": r.choice([-1.0, 1.0], 4).astype(np.float32),
         "x3": f(3, 2, 8), "m": f(8), "ln_w": f(8), "bn_w": f(3), "rm": np.zeros(3, np.float32),
         "rv": np.ones(3, np.float32), "ctc_t": np.array([[1, 2]], np.int64)}
    for k in ("x", "img", "vol", "seq", "q", "x3"):
        a[k + "h"] = a[k].astype(np.float16)
    return a


ARRAYS = _arrays()


class _Lib:
    """The same spelling for both libraries: m (tl or torch), F, and a.<name> tensors (fresh copies)."""

    def __init__(self, name: str, requires_grad: bool = False):
        self.m, self.F = (tl, F) if name == "tl" else (torch, tF)
        self.name = name
        self.a = type("A", (), {})()
        for k, v in ARRAYS.items():
            t = tl.tensor(v.copy()) if name == "tl" else torch.from_numpy(v.copy())
            if requires_grad and v.dtype == np.float32 and k not in ("tgt", "rm", "rv", "pm"):
                t.requires_grad_(True)
            setattr(self.a, k, t)

    def autocast(self, enabled: bool = True):
        if self.name == "tl":
            return tl.autocast("cpu", dtype=tl.float16, enabled=enabled)
        return torch.autocast("cpu", dtype=torch.float16, enabled=enabled)


def _cdist(m, F):
    return getattr(m, "cdist", None) or F.cdist  # torch.cdist; tensorlite has F.cdist


# (name, fn(m, F, a)) run under both autocasts; the expected dtype is whatever torch produces.
CASES = [
    # float16 list (CPU "lower precision" ops) on float32 inputs
    ("matmul", lambda m, F, a: a.x @ a.w.T),
    ("matmul_1d", lambda m, F, a: m.matmul(a.w, a.m)),
    ("mm", lambda m, F, a: m.mm(a.x, a.w.T)),
    ("bmm", lambda m, F, a: m.bmm(a.q, a.q.transpose(1, 2))),
    ("addmm", lambda m, F, a: m.addmm(a.b, a.x, a.w.T)),
    ("baddbmm", lambda m, F, a: m.baddbmm(a.b, a.q, a.q.transpose(1, 2))),
    ("addbmm", lambda m, F, a: m.addbmm(a.b[:, None], a.q, a.q.transpose(1, 2))),
    ("einsum", lambda m, F, a: m.einsum("ij,kj->ik", a.x, a.w)),
    ("linear", lambda m, F, a: F.linear(a.x, a.w, a.b)),
    ("linear_3d", lambda m, F, a: F.linear(a.q, a.w)),
    ("conv1d", lambda m, F, a: F.conv1d(a.seq, a.cw1, a.cb, padding=1)),
    ("conv2d", lambda m, F, a: F.conv2d(a.img, a.cw, a.cb, stride=2)),
    ("conv3d", lambda m, F, a: F.conv3d(a.vol, a.cw3)),
    ("conv_transpose1d", lambda m, F, a: F.conv_transpose1d(a.seq, a.cw1.transpose(0, 1))),
    ("conv_transpose2d", lambda m, F, a: F.conv_transpose2d(a.img, a.cw.transpose(0, 1), stride=2)),
    ("conv_transpose3d", lambda m, F, a: F.conv_transpose3d(a.vol, a.cw3)),
    ("prelu", lambda m, F, a: F.prelu(a.x, a.pw)),
    ("sdpa", lambda m, F, a: F.scaled_dot_product_attention(a.q, a.q, a.q)),
    ("sdpa_mask", lambda m, F, a: F.scaled_dot_product_attention(a.q, a.q, a.q, attn_mask=a.q[0, :, :5])),
    ("sdpa_causal_f16", lambda m, F, a: F.scaled_dot_product_attention(a.qh, a.q, a.q, is_causal=True)),
    # not on the CPU lists: stay float32 (mv, addmv, addr, dot are CUDA-only float16 ops)
    ("mv", lambda m, F, a: m.mv(a.w, a.m)),
    ("addmv", lambda m, F, a: m.addmv(a.b, a.w, a.m)),
    ("addr", lambda m, F, a: m.addr(a.x, a.x[:, 0], a.m)),
    ("dot", lambda m, F, a: m.dot(a.m, a.m)),
    ("matmul_f64", lambda m, F, a: a.x.double() @ a.w.double().T),
    # float32 list (CPU): float16 inputs are upcast
    ("mse_loss", lambda m, F, a: F.mse_loss(a.xh, a.x)),
    ("l1_loss", lambda m, F, a: F.l1_loss(a.xh, a.xh * 0)),
    ("smooth_l1_loss", lambda m, F, a: F.smooth_l1_loss(a.xh, a.xh * 0)),
    ("huber_loss", lambda m, F, a: F.huber_loss(a.xh, a.xh * 0)),
    ("cross_entropy", lambda m, F, a: F.cross_entropy(a.xh[:, :5], a.tgt)),
    ("cross_entropy_probs", lambda m, F, a: F.cross_entropy(a.xh[:, :5], a.x[:, :5].softmax(1), label_smoothing=0.1)),
    ("nll_loss", lambda m, F, a: F.nll_loss(a.xh[:, :5], a.tgt)),
    ("binary_cross_entropy", lambda m, F, a: F.binary_cross_entropy(a.xh.sigmoid(), (a.x > 0).half())),
    ("bce_with_logits", lambda m, F, a: F.binary_cross_entropy_with_logits(a.xh, (a.x > 0).half())),
    ("kl_div", lambda m, F, a: F.kl_div(a.xh.log_softmax(1), a.xh.softmax(1), reduction="batchmean")),
    ("poisson_nll_loss", lambda m, F, a: F.poisson_nll_loss(a.xh, a.xh.abs())),
    ("cosine_embedding_loss", lambda m, F, a: F.cosine_embedding_loss(a.xh, a.xh * 2, a.pm)),
    ("margin_ranking_loss", lambda m, F, a: F.margin_ranking_loss(a.xh[0], a.xh[1], a.pm.repeat(2).half())),
    ("hinge_embedding_loss", lambda m, F, a: F.hinge_embedding_loss(a.xh, a.pm[:, None].half())),
    ("soft_margin_loss", lambda m, F, a: F.soft_margin_loss(a.xh, a.pm[:, None].expand(4, 8).half())),
    ("multi_margin_loss", lambda m, F, a: F.multi_margin_loss(a.xh[:, :5], a.tgt)),
    ("triplet_margin_loss", lambda m, F, a: F.triplet_margin_loss(a.xh, a.xh * 0.5, a.xh.flip(0))),
    ("ctc_loss", lambda m, F, a: F.ctc_loss(a.x3h[:, :1, :5].log_softmax(-1), a.ctc_t, [3], [2])),
    ("cdist", lambda m, F, a: _cdist(m, F)(a.xh, a.xh * 2)),
    ("cdist_mm", lambda m, F, a: _cdist(m, F)(a.x, a.x * 2, compute_mode="use_mm_for_euclid_dist")),
    ("trace", lambda m, F, a: a.xh[:, :4].trace()),
    ("prod", lambda m, F, a: (a.xh[0] * 0.5 + 1).prod()),
    ("avg_pool3d", lambda m, F, a: F.avg_pool3d(a.volh, 2)),
    ("max_pool3d", lambda m, F, a: F.max_pool3d(a.volh, 2)),
    ("adaptive_avg_pool3d", lambda m, F, a: F.adaptive_avg_pool3d(a.volh, 2)),
    ("adaptive_max_pool3d", lambda m, F, a: F.adaptive_max_pool3d(a.volh, 2)),
    ("lp_pool3d", lambda m, F, a: F.lp_pool3d(a.volh.abs() + 1, 2, 2)),
    ("max_unpool2d", lambda m, F, a: F.max_unpool2d(*F.max_pool2d(a.imgh, 2, return_indices=True), 2)),
    ("max_unpool1d", lambda m, F, a: F.max_unpool1d(*F.max_pool1d(a.seqh, 2, return_indices=True), 2)),
    ("reflect_pad1d", lambda m, F, a: F.pad(a.seqh, (1, 2), mode="reflect")),
    ("reflect_pad2d", lambda m, F, a: F.pad(a.imgh, (1, 2, 2, 1), mode="reflect")),
    ("replicate_pad1d", lambda m, F, a: F.pad(a.seqh, (1, 2), mode="replicate")),
    ("replicate_pad2d", lambda m, F, a: F.pad(a.imgh, (1, 1, 1, 1), mode="replicate")),
    ("replicate_pad3d", lambda m, F, a: F.pad(a.volh, (1, 1, 1, 1, 1, 1), mode="replicate")),
    ("grid_sample", lambda m, F, a: F.grid_sample(a.imgh, a.grid, align_corners=False)),
    ("index_copy", lambda m, F, a: a.x.index_copy(0, a.tgt[:1] * 0, a.xh[:1])),
    # on no CPU list: run in the input's dtype (float16 stays float16)
    ("softmax", lambda m, F, a: F.softmax(a.xh, 1)),
    ("log_softmax", lambda m, F, a: F.log_softmax(a.xh, 1)),
    ("sum", lambda m, F, a: a.xh.sum()),
    ("cumsum", lambda m, F, a: a.xh.cumsum(0)),
    ("exp", lambda m, F, a: a.xh.exp()),
    ("pow", lambda m, F, a: a.xh ** 2),
    ("norm", lambda m, F, a: a.xh.norm()),
    ("relu", lambda m, F, a: F.relu(a.xh)),
    ("gelu", lambda m, F, a: F.gelu(a.xh)),
    ("max_pool2d", lambda m, F, a: F.max_pool2d(a.imgh, 2)),
    ("max_pool3d_with_indices", lambda m, F, a: F.max_pool3d(a.volh, 2, return_indices=True)[0]),
    ("reflect_pad3d", lambda m, F, a: F.pad(a.volh, (1, 1, 1, 1, 1, 1), mode="reflect")),
    ("circular_pad2d", lambda m, F, a: F.pad(a.imgh, (1, 1, 1, 1), mode="circular")),
    ("cosine_similarity", lambda m, F, a: F.cosine_similarity(a.xh, a.xh * 2)),
    ("normalize", lambda m, F, a: F.normalize(a.xh)),
    ("layer_norm_mixed", lambda m, F, a: F.layer_norm(a.xh, (8,), a.ln_w, a.ln_w)),
    ("batch_norm_mixed", lambda m, F, a: F.batch_norm(a.imgh, a.rm.clone(), a.rv.clone(), a.bn_w, a.bn_w, True)),
    ("batch_norm_eval_mixed", lambda m, F, a: F.batch_norm(a.imgh, a.rm, a.rv, a.bn_w, a.bn_w, False)),
    ("group_norm_mixed", lambda m, F, a: F.group_norm(a.imgh, 3, a.bn_w, a.bn_w)),
    ("instance_norm_mixed", lambda m, F, a: F.instance_norm(a.imgh, weight=a.bn_w, bias=a.bn_w)),
    ("embedding", lambda m, F, a: F.embedding(a.tgt, a.w)),
    ("interpolate", lambda m, F, a: F.interpolate(a.imgh, scale_factor=2, mode="bilinear")),
    ("pairwise_distance", lambda m, F, a: F.pairwise_distance(a.xh, a.xh * 2)),
    # mixed float16/float32 inputs: ordinary promotion to the widest type
    ("add_mixed", lambda m, F, a: a.xh + a.x),
    ("cat_mixed", lambda m, F, a: m.cat([a.xh, a.x])),
    ("stack_mixed", lambda m, F, a: m.stack([a.xh, a.x])),
    ("atan2_mixed", lambda m, F, a: m.atan2(a.xh, a.x)),
    ("addcmul_mixed", lambda m, F, a: m.addcmul(a.xh, a.x, a.xh)),
    # composites of list ops: each inner op follows its own policy
    ("linear_then_ce", lambda m, F, a: F.cross_entropy(F.linear(a.x, a.w, a.b), a.tgt)),
    ("mha_like", lambda m, F, a: F.scaled_dot_product_attention(F.linear(a.q, a.w[:, :8].repeat(2, 1)[:8]), a.q,
                                                                 a.q).sum()),
]


def _dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


def _to_np(t) -> np.ndarray:
    return t.detach().float().numpy() if hasattr(t, "detach") else np.asarray(t)


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_op_dtype_and_value_match_torch_autocast(name, fn):
    outs = {}
    for lib in ("tl", "torch"):
        L = _Lib(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's rms/kl_div/sdpa notices
            with L.autocast():
                outs[lib] = fn(L.m, L.F, L.a)
    got, want = outs["tl"], outs["torch"]
    assert _dtype_name(got) == _dtype_name(want), f"{name}: {got.dtype} vs torch {want.dtype}"
    assert tuple(got.shape) == tuple(want.shape)
    if name in _FLOAT32_ONLY:  # never touched float16: float32 agreement
        np.testing.assert_allclose(_to_np(got), _to_np(want), rtol=1e-5, atol=1e-5, err_msg=name)
    else:  # float16 products or inputs somewhere: agreement to a few float16 ulps
        scale = max(1.0, float(np.abs(_to_np(want)).max()))
        np.testing.assert_allclose(_to_np(got), _to_np(want), rtol=1e-2, atol=1e-2 * scale, err_msg=name)


_FLOAT32_ONLY = {"mv", "addmv", "addr", "dot", "matmul_f64"}


GRAD_CASES = ["linear", "linear_3d", "conv2d", "conv1d", "conv_transpose2d", "matmul", "addmm", "baddbmm", "einsum",
              "prelu", "sdpa", "linear_then_ce", "cdist_mm", "layer_norm_mixed", "batch_norm_mixed", "mha_like"]


@pytest.mark.parametrize("name", GRAD_CASES)
def test_gradients_reach_float32_leaves_in_float32(name):
    fn = dict(CASES)[name]
    grads = {}
    for lib in ("tl", "torch"):
        L = _Lib(lib, requires_grad=True)
        with L.autocast():
            out = fn(L.m, L.F, L.a)
        (out.float() * 1.5).sum().backward()  # backward outside the region, as the docs recommend
        grads[lib] = {k: getattr(L.a, k).grad for k in ARRAYS if getattr(L.a, k).grad is not None}
    assert set(grads["tl"]) == set(grads["torch"]) and grads["tl"]
    for k, g in grads["tl"].items():
        assert g.dtype == tl.float32, f"{name}: grad of {k} is {g.dtype}"
        want = grads["torch"][k]
        scale = max(1.0, float(want.abs().max()))
        np.testing.assert_allclose(g.numpy(), want.numpy(), rtol=2e-2, atol=2e-2 * scale, err_msg=f"{name}: d{k}")


def test_backward_inside_region_matches_backward_outside():
    res = []
    for inside in (False, True):
        L = _Lib("tl", requires_grad=True)
        with tl.autocast("cpu", dtype=tl.float16):
            y = F.log_softmax(F.linear(L.a.x, L.a.w, L.a.b), 1)
            loss = F.nll_loss(y, L.a.tgt)
            if inside:
                loss.backward()
        if not inside:
            loss.backward()
        res.append((L.a.w.grad.numpy(), L.a.b.grad.numpy()))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])


def test_nesting_disabled_region_and_decorator():
    x, w = tl.randn(3, 4), tl.randn(4, 2)
    assert not tl.is_autocast_enabled("cpu")
    with tl.autocast("cpu", dtype=tl.float16):
        assert tl.is_autocast_enabled("cpu") and tl.get_autocast_dtype("cpu") == tl.float16
        assert (x @ w).dtype == tl.float16
        with tl.autocast("cpu", enabled=False):
            assert not tl.is_autocast_enabled("cpu")
            assert (x @ w).dtype == tl.float32
            with tl.autocast("cpu"):  # no dtype: the current one (float16), as torch
                assert tl.get_autocast_dtype("cpu") == tl.float16 and (x @ w).dtype == tl.float16
        assert tl.is_autocast_enabled("cpu") and (x @ w).dtype == tl.float16
    assert not tl.is_autocast_enabled("cpu") and (x @ w).dtype == tl.float32
    assert policy.active[0] == 0

    @tl.autocast("cpu", dtype=tl.float16)
    def f(a, b):
        return a @ b, tl.is_autocast_enabled("cpu")

    out, on = f(x, w)
    assert on and out.dtype == tl.float16 and not tl.is_autocast_enabled("cpu")
    assert tl.amp.autocast is tl.autocast

    region = tl.autocast("cpu", dtype=tl.float16)
    with region:
        with region:  # re-entering the same object restores correctly
            pass
        assert tl.is_autocast_enabled("cpu")
    assert not tl.is_autocast_enabled("cpu")


def test_state_is_thread_local_and_exceptions_restore_it():
    seen = []
    with tl.autocast("cpu", dtype=tl.float16):
        t = threading.Thread(target=lambda: seen.append((tl.is_autocast_enabled("cpu"),
                                                         (tl.ones(2, 2) @ tl.ones(2, 2)).dtype)))
        t.start()
        t.join()
    assert seen == [(False, tl.float32)]
    with pytest.raises(ValueError):
        with tl.autocast("cpu", dtype=tl.float16):
            raise ValueError
    assert not tl.is_autocast_enabled("cpu") and policy.active[0] == 0


def test_unsupported_dtype_and_device_warn_and_disable_like_torch():
    for tl_d, t_d in ((tl.float32, torch.float32), (tl.float64, torch.float64), (tl.int32, torch.int32)):
        with pytest.warns(UserWarning, match="not supported"):
            with tl.autocast("cpu", dtype=tl_d):
                ours = tl.is_autocast_enabled("cpu")
        with pytest.warns(UserWarning):
            with torch.autocast("cpu", dtype=t_d):
                theirs = torch.is_autocast_enabled("cpu")
        assert ours is theirs is False
    with pytest.warns(UserWarning, match="CUDA"):
        with tl.autocast("cuda"):
            assert not tl.is_autocast_enabled("cuda") and tl.get_autocast_dtype("cuda") == tl.float16
    with pytest.warns(UserWarning):
        with tl.cuda.amp.autocast():
            assert not tl.is_autocast_enabled()
    with pytest.raises(RuntimeError):
        tl.autocast("tpu")
    with pytest.raises(RuntimeError):
        torch.autocast("tpu")
    with pytest.raises(TypeError, match="tensorlite dtype"):
        tl.autocast("cpu", dtype="half-ish")


def test_bfloat16_request_is_a_clear_error_or_supported():
    if hasattr(tl, "bfloat16"):
        with tl.autocast("cpu", dtype=tl.bfloat16):
            assert tl.get_autocast_dtype("cpu") == tl.bfloat16
    else:
        with pytest.raises(TypeError, match="bfloat16"):
            tl.autocast("cpu", dtype="bfloat16")
        with pytest.raises(TypeError, match="bfloat16"):
            tl.autocast("cpu", dtype=torch.bfloat16)
        with pytest.raises(AttributeError, match="float16"):
            tl.bfloat16  # noqa: B018
        assert tl.get_autocast_dtype("cpu") == tl.float16  # documented stand-in for torch's bfloat16 default


def test_weight_cast_cache_reused_within_region_and_cleared_on_exit():
    w = tl.randn(4, 4, requires_grad=True)
    x = tl.randn(2, 4)
    with tl.autocast("cpu", dtype=tl.float16):
        y1 = F.linear(x, w)
        y2 = F.linear(y1.float(), w)
        assert len(policy.state.cache) == 1
        with tl.no_grad():
            F.linear(x, w)  # a cast made under no_grad is never cached (it has no graph)
        assert len(policy.state.cache) == 1
        w.data.mul_(1.0)  # an in-place change invalidates the cached copy
        F.linear(x, w)
    assert len(policy.state.cache) == 0
    y2.sum().backward()
    # torch, same computation: the weight gradient sums both uses
    tw, tx = torch.from_numpy(w.detach().numpy().copy()).requires_grad_(), torch.from_numpy(x.numpy().copy())
    with torch.autocast("cpu", dtype=torch.float16):
        t2 = tF.linear(tF.linear(tx, tw).float(), tw)
    t2.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=2e-2, atol=2e-2)
    with tl.autocast("cpu", dtype=tl.float16, cache_enabled=False):
        F.linear(x, w)
        assert len(policy.state.cache) == 0


def test_cuda_policy_mechanics_on_the_documented_lists(monkeypatch):
    """No GPU here: route CPU tensors through the "cuda" table to check the CUDA float16/float32/promote
    behaviour PyTorch documents (softmax/sum/exp/layer_norm to float32, mv to float16, dtype= respected,
    binary_cross_entropy refused)."""
    monkeypatch.setattr(policy, "_device_of", lambda args: "cuda" if _any_tensor(args) else None)
    monkeypatch.setattr(policy, "_eligible", lambda t, device: _floating_not_double(t))
    x, xh = tl.randn(4, 8), tl.randn(4, 8).half()
    tl.set_autocast_dtype("cuda", tl.float16)
    tl.set_autocast_enabled("cuda", True)
    try:
        assert tl.mv(x, x[0]).dtype == tl.float16
        assert (x @ x.T).dtype == tl.float16
        for out in (F.softmax(xh, 1), xh.sum(), xh.exp(), xh.log_softmax(1), F.layer_norm(xh, (8,)), xh.cumsum(0),
                    xh ** 2, F.softplus(xh), xh.norm(), F.mse_loss(xh, xh), F.cosine_similarity(xh, xh)):
            assert out.dtype == tl.float32
        assert xh.sum(dtype=tl.float16).dtype == tl.float16  # an explicit dtype= wins
        assert F.relu(xh).dtype == tl.float16 and tl.dot(xh[0], x[0]).dtype == tl.float32
        assert F.bilinear(xh, xh, tl.randn(3, 8, 8)).dtype == tl.float32  # promote; inner matmul not downcast
        assert F.cdist(x, x, compute_mode="use_mm_for_euclid_dist").dtype == tl.float32
        with pytest.raises(RuntimeError, match="binary_cross_entropy_with_logits"):
            F.binary_cross_entropy(xh.sigmoid(), (xh > 0).half())
    finally:
        tl.set_autocast_enabled("cuda", False)
    assert policy.active[0] == 0


def _any_tensor(args) -> bool:
    return any(isinstance(a, tl.Tensor) or (isinstance(a, (list, tuple)) and _any_tensor(a)) for a in args)


def _floating_not_double(t) -> bool:
    return isinstance(t, tl.Tensor) and t._data.dtype.kind == "f" and t._data.dtype.itemsize < 8


# -- GradScaler ---------------------------------------------------------------------------------------------
def _mlp(lib: str, seed: int = 3):
    r = np.random.default_rng(seed)
    shapes = [(16, 6), (16,), (3, 16), (3,)]
    arrays = [(r.standard_normal(s) * 0.4).astype(np.float32) for s in shapes]
    if lib == "tl":
        return [tl.tensor(a, requires_grad=True) for a in arrays]
    return [torch.tensor(a, requires_grad=True) for a in arrays]


def _data(n: int = 32):
    r = np.random.default_rng(7)
    x = r.standard_normal((n, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5).astype(np.int64)
    return x, y


def _run_scaler(lib: str, steps: int, autocast: bool, inject: set, **scaler_kw):
    m, Fn = (tl, F) if lib == "tl" else (torch, tF)
    params = _mlp(lib)
    opt = (tl.optim.SGD if lib == "tl" else torch.optim.SGD)(params, lr=0.1, momentum=0.9)
    scaler = (tl.amp.GradScaler if lib == "tl" else torch.amp.GradScaler)("cpu", **scaler_kw)
    xs, ys = _data()
    x, y = m.tensor(xs), m.tensor(ys)
    ctx = (lambda: tl.autocast("cpu", dtype=tl.float16, enabled=autocast)) if lib == "tl" else (
        lambda: torch.autocast("cpu", dtype=torch.float16, enabled=autocast))
    scales, losses, trackers = [], [], []
    for step in range(steps):
        opt.zero_grad()
        with ctx():
            h = Fn.relu(Fn.linear(x, params[0], params[1]))
            loss = Fn.cross_entropy(Fn.linear(h, params[2], params[3]), y)
        scaler.scale(loss).backward()
        if step in inject:
            params[2].grad[1, 2] = float("inf") if step % 2 else float("nan")
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
        trackers.append(scaler._get_growth_tracker())
        losses.append(float(loss))
    return scales, trackers, losses, [p.detach().numpy().copy() for p in params], scaler


# float16 overflow is the point of these runs: NumPy reports it where torch is silent
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("autocast", [False, True], ids=["fp32", "autocast_fp16"])
def test_grad_scaler_matches_torch_over_training_steps(autocast):
    kw = dict(init_scale=2.0 ** 10, growth_factor=2.0, backoff_factor=0.25, growth_interval=3)
    inject = {4, 5, 11, 17}
    ours = _run_scaler("tl", 20, autocast, inject, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _run_scaler("torch", 20, autocast, inject, **kw)
    assert ours[0] == theirs[0]  # the scale trajectory, step by step
    assert ours[1] == theirs[1]  # the growth tracker
    assert len(set(ours[0])) > 3  # it grew and backed off
    tol = 1e-6 if not autocast else 3e-3
    np.testing.assert_allclose(ours[2], theirs[2], rtol=tol, atol=tol)
    for a, b in zip(ours[3], theirs[3]):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_grad_scaler_natural_overflow_backs_off_like_torch():
    # A huge initial scale overflows the float16 backward: steps are skipped until the scale is small enough.
    kw = dict(init_scale=2.0 ** 40, growth_interval=100)
    ours = _run_scaler("tl", 8, True, set(), **kw)
    theirs = _run_scaler("torch", 8, True, set(), **kw)
    assert ours[0] == theirs[0]
    assert ours[0][0] < 2.0 ** 40
    for a, b in zip(ours[3], theirs[3]):
        np.testing.assert_allclose(a, b, rtol=3e-3, atol=3e-3)


def test_grad_scaler_scale_nested_outputs_and_unscale_before_clipping():
    s = tl.amp.GradScaler("cpu", init_scale=8.0)
    a, b = tl.ones(2), tl.ones(3).half()
    out = s.scale([a, (b, a)])
    assert isinstance(out, list) and isinstance(out[1], tuple)
    np.testing.assert_array_equal(out[0].numpy(), 8 * np.ones(2))
    ts = torch.amp.GradScaler("cpu", init_scale=8.0)
    want = ts.scale([torch.ones(2), (torch.ones(3).half(), torch.ones(2))])[1][0]
    assert _dtype_name(out[1][0]) == _dtype_name(want)  # half * the float32 0-d scale: promotion as torch
    assert _dtype_name(s.scale(tl.ones(()).half())) == _dtype_name(ts.scale(torch.ones(()).half()))
    with pytest.raises(ValueError):
        s.scale([a, "x"])
    p = tl.tensor([1.0, 2.0], requires_grad=True)
    opt = tl.optim.SGD([p], lr=1.0)
    (s.scale((p * p).sum())).backward()
    s.unscale_(opt)
    np.testing.assert_allclose(p.grad.numpy(), [2.0, 4.0])
    tl.nn.utils.clip_grad_norm_([p], 1.0)
    s.step(opt)
    s.update()
    assert s.get_scale() == 8.0 and s._get_growth_tracker() == 1


def _error_sequence(lib: str, seq: str):
    params = _mlp(lib)
    opt = (tl.optim.SGD if lib == "tl" else torch.optim.SGD)(params, lr=0.1)
    scaler = (tl.amp.GradScaler if lib == "tl" else torch.amp.GradScaler)("cpu")
    if seq == "factor":
        (tl.amp.GradScaler if lib == "tl" else torch.amp.GradScaler)("cpu", growth_factor=1.0)
    if seq == "step_without_scale":
        scaler.step(opt)
    elif seq == "unscale_without_scale":
        scaler.unscale_(opt)
    elif seq == "update_without_scale":
        scaler.update()
    if seq.endswith("_without_scale"):
        return
    loss = params[0].sum() + params[2].sum()
    scaler.scale(loss).backward()
    if seq == "unscale_twice":
        scaler.unscale_(opt)
        scaler.unscale_(opt)
    elif seq == "unscale_after_step":
        scaler.step(opt)
        scaler.unscale_(opt)
    elif seq == "step_twice":
        scaler.step(opt)
        scaler.step(opt)
    elif seq == "update_without_step":
        scaler.update()
    elif seq == "closure":
        scaler.step(opt, closure=lambda: loss)
    elif seq == "fp16_grads":
        half = (tl if lib == "tl" else torch).ones(3, dtype=(tl if lib == "tl" else torch).float16,
                                                   requires_grad=True)
        opt16 = (tl.optim.SGD if lib == "tl" else torch.optim.SGD)([half], lr=0.1)
        scaler.scale(half.sum()).backward()
        scaler.unscale_(opt16)
    elif seq == "load_empty":
        scaler.load_state_dict({})
    elif seq == "new_scale_bad":
        scaler.step(opt)
        scaler.update((tl if lib == "tl" else torch).ones(2))


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("seq", ["unscale_twice", "unscale_after_step", "step_twice", "update_without_step",
                                 "step_without_scale", "update_without_scale", "unscale_without_scale", "closure",
                                 "fp16_grads", "load_empty", "factor", "new_scale_bad"])
def test_grad_scaler_errors_match_torch_exception_types(seq):
    with pytest.raises(Exception) as want:
        _error_sequence("torch", seq)
    with pytest.raises(want.type):
        _error_sequence("tl", seq)


def test_grad_scaler_state_dict_round_trip_and_pickle():
    ours = _run_scaler("tl", 7, False, {2}, init_scale=64.0, growth_interval=2)[4]
    theirs = _run_scaler("torch", 7, False, {2}, init_scale=64.0, growth_interval=2)[4]
    assert ours.state_dict() == theirs.state_dict()
    fresh = tl.amp.GradScaler("cpu")
    fresh.load_state_dict(theirs.state_dict())
    assert fresh.state_dict() == ours.state_dict() and fresh.get_scale() == ours.get_scale()
    clone = pickle.loads(pickle.dumps(ours))
    assert clone.state_dict() == ours.state_dict()
    off = tl.amp.GradScaler("cpu", enabled=False)
    assert off.state_dict() == {} and off.get_scale() == 1.0 and not off.is_enabled()
    x = tl.ones(2)
    assert off.scale(x) is x
    s = tl.amp.GradScaler("cpu")
    s.set_growth_factor(3.0)
    s.set_backoff_factor(0.1)
    s.set_growth_interval(5)
    assert (s.get_growth_factor(), s.get_backoff_factor(), s.get_growth_interval()) == (3.0, 0.1, 5)


def test_cuda_scalers_disable_without_a_gpu():
    with pytest.warns(UserWarning, match="CUDA"):
        s = tl.cuda.amp.GradScaler()
    assert not s.is_enabled()
    with pytest.warns(UserWarning, match="CUDA"):
        assert not tl.amp.GradScaler("cuda").is_enabled()


def test_grad_scaler_update_with_explicit_new_scale():
    s = tl.amp.GradScaler("cpu", init_scale=4.0)
    s.scale(tl.ones(1))
    s.update(2.0)
    assert s.get_scale() == 2.0
    s.update(tl.tensor([16.0]))
    assert s.get_scale() == 16.0


def test_float16_mixed_precision_training_converges():
    tl.manual_seed(0)
    r = np.random.default_rng(11)
    centers = r.standard_normal((3, 10)).astype(np.float32) * 2
    labels = r.integers(0, 3, 256)
    xs = (centers[labels] + r.standard_normal((256, 10)).astype(np.float32) * 0.7).astype(np.float32)
    x, y = tl.tensor(xs), tl.tensor(labels.astype(np.int64))
    model = tl.nn.Sequential(tl.nn.Linear(10, 32), tl.nn.LayerNorm(32), tl.nn.ReLU(), tl.nn.Linear(32, 3))
    opt = tl.optim.Adam(model.parameters(), lr=1e-2)
    scaler = tl.amp.GradScaler("cpu", growth_interval=10)
    losses = []
    for step in range(40):
        opt.zero_grad()
        with tl.autocast("cpu", dtype=tl.float16):
            logits = model(x)
            assert logits.dtype == tl.float16
            loss = F.cross_entropy(logits, y)
            assert loss.dtype == tl.float32
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(float(loss))
    assert all(p.dtype == tl.float32 for p in model.parameters())
    assert losses[-1] < 0.3 * losses[0], losses
    assert scaler.get_scale() > 2.0 ** 16  # it grew: no overflow in a healthy run
