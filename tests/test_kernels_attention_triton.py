"""The Triton attention kernels (kernels/attention_triton.py) against the NumPy reference, run on
the CPU by Triton's interpreter (TRITON_INTERPRET=1, set by conftest.py on machines without an
NVIDIA GPU).  The interpreter executes every program instance in Python, so shapes stay tiny.

The interpreter runs the first autotuning config only (BLOCK_M=64, BLOCK_N=32 forward and dK/dV;
BLOCK_M=32, BLOCK_N=64 dQ): lengths 1, 17, 33, 65, 70 cover one, two and three blocks, partial
last blocks and the causal loop bounds.

Tolerances: the kernels tile the sums and rescale with an online softmax, so they round
differently from the reference.  ``|ours - ref| <= rtol |ref| + atol M`` with M the magnitude of
the quantities summed (max|v| for out, max(1, max|lse|) for lse, the largest gradient for the
gradients, as in test_kernels_attention.py).  float32: rtol 1e-4, atol 1e-5 (measured: a few
1e-7).  float16: the kernels multiply float16 tiles (P and dS rounded to float16 before their
products, as FlashAttention does), the reference computes in float32 from the same float16
inputs: rtol 5e-3, atol 5e-3 (measured: 6e-4).  NaN must match NaN, +-inf must match, and
entirely masked rows must be exactly 0.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.kernels as K
from tensorlite.kernels.attention import attention_backward_reference, attention_forward_reference
from triton_aot import run_aot_script

pytestmark = pytest.mark.triton_interpret

TOL = {np.float32: (1e-4, 1e-5), np.float16: (5e-3, 5e-3), np.float64: (1e-12, 1e-12)}


def _triton_impls():
    with K.use("triton"):
        return K.dispatch("attention_forward"), K.dispatch("attention_backward")


def _magnitude(*arrays: np.ndarray) -> float:
    return max((float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0)) for a in arrays), default=0.0)


def assert_matches(ours, ref, dtype, what: str, magnitude: float | None = None) -> None:
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != reference {ref.shape}"
    assert ours.dtype == ref.dtype, f"{what}: dtype {ours.dtype} != reference {ref.dtype}"
    ours, ref = ours.astype(np.float64), ref.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg=f"{what}: NaN positions")
    np.testing.assert_array_equal(np.isinf(ours) & (ours > 0), np.isinf(ref) & (ref > 0), f"{what}: +inf")
    np.testing.assert_array_equal(np.isinf(ours) & (ours < 0), np.isinf(ref) & (ref < 0), f"{what}: -inf")
    finite = np.isfinite(ref)
    rtol, atol = TOL[dtype]
    m = _magnitude(ref) if magnitude is None else magnitude
    err = np.abs(ours[finite] - ref[finite])
    bound = rtol * np.abs(ref[finite]) + atol * m
    worst = float(np.max(err - bound, initial=-1.0))
    assert worst <= 0, f"{what}: max error {float(np.max(err, initial=0)):.3g} exceeds the bound (magnitude {m:.3g})"


def _inputs(rng, batch, lq, lk, d, dv=None, dtype=np.float32):
    dv = d if dv is None else dv
    q = rng.standard_normal(batch + (lq, d)).astype(dtype)
    k = rng.standard_normal(batch + (lk, d)).astype(dtype)
    v = rng.standard_normal(batch + (lk, dv)).astype(dtype)
    return q, k, v


def check(q, k, v, mask=None, causal=False, scale=None, need_dmask=False, dtype=np.float32):
    """Triton forward and backward == reference forward and backward on the same inputs."""
    fwd, bwd = _triton_impls()
    out, lse = fwd(q, k, v, mask, causal, scale)
    rout, rlse = attention_forward_reference(q, k, v, mask, causal, scale)
    assert_matches(out, rout, dtype, "out", max(_magnitude(v), 1e-30))
    assert_matches(lse, rlse, dtype, "lse", max(1.0, _magnitude(rlse)))
    rng = np.random.default_rng(1)
    g = rng.standard_normal(rout.shape).astype(q.dtype)
    got = bwd(g, q, k, v, out, lse, mask, causal, scale, need_dmask)
    ref = attention_backward_reference(g, q, k, v, rout, rlse, mask, causal, scale, need_dmask)
    assert len(got) == len(ref) == (4 if need_dmask else 3)
    m = max(_magnitude(*ref[:3]), 1e-30)
    for name, a, b in zip(("dq", "dk", "dv", "dmask"), got, ref):
        assert_matches(a, b, dtype, name, m)
    return out, lse, got


# -- shapes, causal, head dims, batch dims ---------------------------------------------------------------------
@pytest.mark.parametrize("batch,lq,lk,d,causal", [
    ((), 1, 1, 16, False),
    ((), 1, 17, 16, True),
    ((3,), 17, 33, 16, False),
    ((3,), 33, 17, 24, True),
    ((2, 2), 17, 17, 24, True),
    ((), 70, 65, 24, True),
    ((), 65, 70, 16, False),
    ((2,), 33, 33, 64, True),
    ((), 17, 40, 64, False),
    ((2, 1), 20, 33, 128, True),
])
def test_matches_reference(batch, lq, lk, d, causal):
    check(*_inputs(np.random.default_rng(0), batch, lq, lk, d), causal=causal)


def test_value_dim_differs_and_explicit_scale():
    q, k, v = _inputs(np.random.default_rng(2), (2,), 17, 33, 24, dv=40)
    check(q, k, v, causal=True, scale=0.3)
    check(*_inputs(np.random.default_rng(3), (), 9, 12, 5, dv=3))  # head dims below 16: padded too


# -- masks -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mask_shape", [(33, 17), (3, 1, 17), (2, 1, 33, 17), (1, 1, 1, 17)])
def test_float_mask_and_its_gradient(mask_shape):
    rng = np.random.default_rng(4)
    q, k, v = _inputs(rng, (2, 3), 33, 17, 16)
    mask = rng.standard_normal(mask_shape).astype(np.float32)
    check(q, k, v, mask, need_dmask=True)


def test_float_mask_with_causal_and_minus_inf():
    rng = np.random.default_rng(5)
    q, k, v = _inputs(rng, (2,), 40, 33, 16)
    mask = rng.standard_normal((2, 40, 33)).astype(np.float32)
    mask[:, 5, :] = -np.inf  # an entirely masked row
    mask[:, :, 3] = -np.inf
    out, lse, grads = check(q, k, v, mask, causal=True, need_dmask=True)
    assert np.all(out[:, 5] == 0) and np.all(lse[:, 5] == -np.inf)
    assert np.all(grads[0][:, 5] == 0) and np.all(grads[3][:, 5] == 0)


def test_bool_mask_with_entirely_masked_rows():
    rng = np.random.default_rng(6)
    q, k, v = _inputs(rng, (2, 2), 17, 40, 24)
    mask = rng.random((2, 1, 17, 40)) > 0.4
    mask[0, :, 3] = False
    mask[1, :, 16] = False
    out, lse, (dq, dk, dv) = check(q, k, v, mask)
    assert np.all(out[0, :, 3] == 0) and np.all(lse[0, :, 3] == -np.inf) and np.all(dq[0, :, 3] == 0)
    assert np.all(out[1, :, 16] == 0) and np.all(dq[1, :, 16] == 0)
    check(q, k, v, np.ones((1, 40), bool), causal=True)  # a broadcast all-True bool mask with causal
    check(q, k, v, mask, causal=True)


def test_nan_and_inf_in_the_mask_give_nan_rows():
    rng = np.random.default_rng(7)
    q, k, v = _inputs(rng, (), 17, 17, 16)
    mask = np.zeros((17, 17), np.float32)
    mask[2, 4] = np.inf
    mask[6, 1] = np.nan
    with np.errstate(invalid="ignore"):  # inf - inf in the interpreted kernel: the NaN asked for
        out, lse, _ = check(q, k, v, mask)
    assert np.isnan(out[2]).all() and np.isnan(out[6]).all() and np.isfinite(out[0]).all()


# -- dtypes ----------------------------------------------------------------------------------------------------
def test_float16_computed_with_float32_accumulation():
    q, k, v = _inputs(np.random.default_rng(8), (2,), 33, 40, 64, dtype=np.float16)
    mask = np.random.default_rng(9).standard_normal((33, 40)).astype(np.float16)
    out, lse, grads = check(q, k, v, mask, causal=True, need_dmask=True, dtype=np.float16)
    assert out.dtype == np.float16 and lse.dtype == np.float32
    assert all(g.dtype == np.float16 for g in grads)
    check(*_inputs(np.random.default_rng(10), (), 17, 17, 24, dtype=np.float16), dtype=np.float16)


@pytest.mark.skipif(tl._dtype.BFLOAT16_NP is None, reason="bfloat16 needs ml_dtypes")
def test_bfloat16_computed_with_float32_accumulation():
    """bfloat16 (8 significant bits) runs the same tiles as float16; lse stays float32."""
    bf16 = tl._dtype.BFLOAT16_NP
    TOL[bf16] = (3e-2, 3e-2)  # P and dS are rounded to bfloat16 before their products, as FlashAttention does
    q, k, v = _inputs(np.random.default_rng(11), (2,), 33, 40, 64, dtype=bf16)
    mask = np.random.default_rng(12).standard_normal((33, 40)).astype(bf16)
    out, lse, grads = check(q, k, v, mask, causal=True, need_dmask=True, dtype=bf16)
    assert out.dtype == bf16 and lse.dtype == np.float32
    assert all(g.dtype == bf16 for g in grads)


def test_float16_reference_matches_torch_half():
    """The reference the float16 kernels are checked against agrees with PyTorch's CPU half sdpa."""
    torch = pytest.importorskip("torch")
    q, k, v = _inputs(np.random.default_rng(14), (2,), 17, 33, 24, dtype=np.float16)
    g = np.random.default_rng(15).standard_normal((2, 17, 24)).astype(np.float16)
    out, lse = attention_forward_reference(q, k, v, None, True)
    grads = attention_backward_reference(g, q, k, v, out, lse, None, True)
    xs = [torch.tensor(x, requires_grad=True) for x in (q, k, v)]
    ref = torch.nn.functional.scaled_dot_product_attention(*xs, is_causal=True)
    ref.backward(torch.tensor(g))
    assert_matches(out, ref.detach().numpy(), np.float16, "out", _magnitude(v))
    for name, ours, x in zip(("dq", "dk", "dv"), grads, xs):
        assert_matches(ours, x.grad.numpy(), np.float16, name, _magnitude(*grads))


@pytest.mark.parametrize("shape", [(2, 5, 7, 8), (2, 5, 7, 300), (2, 0, 7, 8), (2, 5, 0, 8)])
def test_float64_wide_heads_and_empty_inputs_are_answered_by_the_reference(shape):
    b, lq, lk, d = shape
    dtype = np.float64 if d == 8 and lq and lk else np.float32
    q, k, v = _inputs(np.random.default_rng(11), (b,), lq, lk, d, dtype=dtype)
    fwd, bwd = _triton_impls()
    out, lse = fwd(q, k, v, None, True)
    rout, rlse = attention_forward_reference(q, k, v, None, True)
    np.testing.assert_array_equal(out, rout)
    np.testing.assert_array_equal(lse, rlse)
    g = np.ones_like(out)
    ref = attention_backward_reference(g, q, k, v, rout, rlse, None, True)
    for ours, theirs in zip(bwd(g, q, k, v, out, lse, None, True), ref):
        np.testing.assert_array_equal(ours, theirs)


# -- layouts ---------------------------------------------------------------------------------------------------
def test_strided_inputs_are_read_in_place_or_copied():
    rng = np.random.default_rng(12)
    # (B, L, H, D) arrays seen as (B, H, L, D): heads transposed, read through their strides
    q = rng.standard_normal((2, 33, 3, 16)).astype(np.float32).transpose(0, 2, 1, 3)
    k = rng.standard_normal((2, 17, 3, 16)).astype(np.float32).transpose(0, 2, 1, 3)
    v = rng.standard_normal((2, 17, 3, 24)).astype(np.float32).transpose(0, 2, 1, 3)
    check(q, k, v, causal=True)
    # one key/value head broadcast to 3 (stride 0), and a column-major q
    k1 = np.broadcast_to(rng.standard_normal((2, 1, 17, 16)).astype(np.float32), (2, 3, 17, 16))
    v1 = np.broadcast_to(rng.standard_normal((2, 1, 17, 24)).astype(np.float32), (2, 3, 17, 24))
    check(np.asfortranarray(q), k1, v1)
    # three batch dims whose outer two no single stride addresses (copied), and a mask broadcast
    # along one outer dim only (materialised over the outer dims), and reversed rows
    q3 = rng.standard_normal((2, 2, 2, 17, 16)).astype(np.float32).transpose(1, 0, 2, 3, 4)
    k3, v3 = (x[..., ::-1, :] for x in _inputs(rng, (2, 2, 2), 33, 33, 16)[1:])
    mask = rng.standard_normal((2, 1, 1, 17, 33)).astype(np.float32)
    check(q3, k3, v3, mask, need_dmask=True)


# -- through the Tensor API ------------------------------------------------------------------------------------
def test_scaled_dot_product_attention_under_use_triton_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    q, k, v = _inputs(rng, (2, 2), 17, 33, 16)
    mask = rng.standard_normal((17, 33)).astype(np.float32)
    g = rng.standard_normal((2, 2, 17, 16)).astype(np.float32)
    for causal, m in ((True, None), (False, mask)):
        tq, tk, tv = (tl.tensor(x, requires_grad=True) for x in (q, k, v))
        tm = None if m is None else tl.tensor(m, requires_grad=True)
        with K.use("triton"):
            out = tl.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm, is_causal=causal)
            out.backward(tl.tensor(g))
        xq, xk, xv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
        xm = None if m is None else torch.tensor(m, requires_grad=True)
        ref = torch.nn.functional.scaled_dot_product_attention(xq, xk, xv, attn_mask=xm, is_causal=causal)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-5)
        pairs = [(tq, xq), (tk, xk), (tv, xv)] + ([] if m is None else [(tm, xm)])
        for ours, theirs in pairs:
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-5)


# -- dispatch --------------------------------------------------------------------------------------------------
def test_registered_lazily_and_forced_only():
    code = ("import sys, tensorlite.kernels as K; assert 'triton' not in sys.modules; "
            "assert 'triton' in K._registry._REGISTRY['attention_backward']; "
            "print(K.resolve('attention_forward', 'cpu').name)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "TRITON_INTERPRET": "1"}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() != "triton"  # automatic selection never picks the interpreter
    with K.use("triton"):
        assert K.resolve("attention_forward", "cpu").name == "triton"
        assert K.resolve("attention_backward", "cpu").name == "triton"


def test_use_triton_without_interpreter_or_cuda_says_why(monkeypatch):
    from tensorlite.backend.device import cuda_available

    if cuda_available():
        pytest.skip("a CUDA device is present")
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    f = np.ones((2, 5, 8), np.float32)
    with K.use("triton"):
        with pytest.raises(RuntimeError, match=r"attention_forward.*'triton'.*serves devices \['cuda'\]"):
            K.attention.attention_forward(f, f, f)
        with pytest.raises(RuntimeError, match=r"attention_backward.*triton: Triton needs a CUDA device"):
            K.resolve("attention_backward", "cuda")


# -- the GPU compilation path, without a GPU -------------------------------------------------------------------
# The host functions run on NumPy arrays with the launches recorded (tests/triton_aot.py); each launch compiles
# for sm_90 with the smallest and the largest autotune configs, specialised as a real launch would be.  The cases
# cover MASK_KIND 0 / 1 (float) / 2 (bool), CAUSAL on and off, NEED_DS on and off, float16, bfloat16 and float32
# (PRECISION ieee and tf32), equal and different head dims.
_AOT = """
import numpy as np
from triton_aot import compile_all, recorded_launches
from tensorlite.kernels import attention_triton as T

# name: (dtype, batch, Lq, Lk, D, Dv, mask, causal, need_dmask)
CASES = {
    "fp16 float mask causal dmask": (np.float16, (2, 2), 40, 40, 64, 64, "float", True, True),
    "fp32 bool mask": (np.float32, (1, 3), 33, 17, 32, 32, "bool", False, False),
    "fp32 no mask, D 16 Dv 48, tf32": (np.float32, (2,), 20, 70, 16, 48, None, False, False),
}
try:  # bfloat16 takes float16's tensor-core path (on a GPU: tl.dot of bf16 tiles, not the interpreter's upcast)
    import ml_dtypes
    CASES["bf16 bool mask causal"] = (ml_dtypes.bfloat16, (2,), 33, 40, 64, 64, "bool", True, False)
except ImportError:
    pass
case = [""]
with recorded_launches(T, lambda: case[0]) as launches:
    for name, (dtype, batch, lq, lk, d, dv, mask_kind, causal, need_dmask) in CASES.items():
        case[0] = name
        T.FP32_DOT_PRECISION = "tf32" if name.endswith("tf32") else "ieee"
        q, k, v = (np.zeros(batch + s, dtype) for s in ((lq, d), (lk, d), (lk, dv)))
        mask = None if mask_kind is None else np.zeros((lq, lk), np.bool_ if mask_kind == "bool" else dtype)
        out, lse = T.attention_forward(q, k, v, mask, causal)
        T.attention_backward(np.zeros(out.shape, dtype), q, k, v, out, lse, mask, causal, need_dmask=need_dmask)
assert {launch.name for launch in launches} == {"_attn_fwd", "_attn_bwd_preprocess", "_attn_bwd_dkdv",
                                               "_attn_bwd_dq"}
compile_all(launches)
"""


@pytest.mark.slow
def test_kernels_compile_for_a_gpu_target(tmp_path):
    """The compiled (non-interpreted) path: Triton lowers every kernel to sm_90 machine code, which needs
    no GPU, so errors the interpreter is lenient about (types, constexpr branches) show here."""
    print(run_aot_script(_AOT, tmp_path))
