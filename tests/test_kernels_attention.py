"""The native (C++, FlashAttention-2) attention kernels against the NumPy reference.

Both implement kernels/attention.py's contract; kernels/attention_native.py registers the
native one.  Every comparison runs both on the same random inputs.

Tolerances (why these numbers): the two compute in the inputs' dtype but round differently --
the native kernel sums the scores block by block with an online softmax, exponentiates with its
own exp2 (relative error 5e-9 in float32, 6e-18 in float64) and accumulates its GEMMs in another
order.  So results are compared elementwise with ``|native - ref| <= rtol |ref| + atol M``, atol
relative to a magnitude M of the quantities summed, since a result may be much smaller than
its terms (out = P v averages v's rows; dq = scale dS k with dS = P (dP - D) cancels exactly
when there is a single key): M = max|v| for out, max(1, max|lse|) for lse, and for the
gradients the largest of max|dq|, max|dk|, max|dv| (dv = P^T dO does not cancel systematically):
  * float32: rtol 1e-4, atol 1e-5 (measured: worst 2e-6 of the magnitude);
  * float64: rtol 1e-9, atol 1e-11 (measured: worst 3e-15).
NaN must match NaN (a mask holding +inf or NaN), -inf must match -inf (lse of an entirely
masked row), and entirely masked rows must be exactly 0.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tensorlite.kernels as K
from tensorlite.kernels import _native
from tensorlite.kernels.attention import (
    attention_backward,
    attention_backward_reference,
    attention_forward,
    attention_forward_reference,
)
from tensorlite.kernels.attention_native import attention_backward_native, attention_forward_native

ROOT = Path(__file__).resolve().parents[1]
NATIVE, NATIVE_REASON = _native.load()
HAS_ATTENTION = NATIVE is not None and hasattr(NATIVE, "attention_forward")
pytestmark = pytest.mark.skipif(not HAS_ATTENTION,
                                reason=f"native attention unavailable: {NATIVE_REASON or 'built before attention.cpp'}")

TOL = {np.float32: (1e-4, 1e-5), np.float64: (1e-9, 1e-11)}


# -- helpers ---------------------------------------------------------------------------------------------------
def _magnitude(*arrays: np.ndarray) -> float:
    return max((float(np.max(np.abs(a[np.isfinite(a)]), initial=0.0)) for a in arrays), default=0.0)


def assert_matches(ours: np.ndarray, ref: np.ndarray, dtype, what: str, magnitude: float | None = None) -> None:
    """ours == ref within TOL[dtype]: rtol |ref| + atol magnitude (default max|ref|); same NaNs and infinities."""
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != reference {ref.shape}"
    assert ours.dtype == ref.dtype, f"{what}: dtype {ours.dtype} != reference {ref.dtype}"
    rtol, atol = TOL[dtype]
    finite = np.isfinite(ref)
    if magnitude is None:
        magnitude = _magnitude(ref)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref), err_msg=f"{what}: NaN positions differ")
    np.testing.assert_array_equal(ours[~finite & ~np.isnan(ref)], ref[~finite & ~np.isnan(ref)],
                                  err_msg=f"{what}: infinities differ")
    np.testing.assert_allclose(ours[finite], ref[finite], rtol=rtol, atol=atol * magnitude, err_msg=what)


def make_inputs(rng, batch, lq, lk, d, dv, dtype):
    q = rng.standard_normal(batch + (lq, d)).astype(dtype)
    k = rng.standard_normal(batch + (lk, d)).astype(dtype)
    v = rng.standard_normal(batch + (lk, dv)).astype(dtype)
    g = rng.standard_normal(batch + (lq, dv)).astype(dtype)
    return q, k, v, g


def compare(q, k, v, g, mask=None, causal=False, scale=None, need_dmask=False, what=""):
    """Run reference and native forward + backward on the same inputs; assert they match."""
    dtype = q.dtype.type
    out_r, lse_r = attention_forward_reference(q, k, v, mask, causal, scale)
    out_n, lse_n = attention_forward_native(q, k, v, mask, causal, scale)
    assert_matches(out_n, out_r, dtype, f"out {what}", _magnitude(v))
    assert_matches(lse_n, lse_r, dtype, f"lse {what}", max(1.0, _magnitude(lse_r)))
    # The backward gets the reference's forward results, so it is compared on its own.
    grads_r = attention_backward_reference(g, q, k, v, out_r, lse_r, mask, causal, scale, need_dmask)
    grads_n = attention_backward_native(g, q, k, v, out_r, lse_r, mask, causal, scale, need_dmask)
    assert len(grads_n) == len(grads_r)
    magnitude = _magnitude(*grads_r[:3])
    for name, a, b in zip(("dq", "dk", "dv", "dmask"), grads_n, grads_r):
        assert_matches(a, b, dtype, f"{name} {what}", magnitude)
    return (out_n, lse_n), grads_n


# -- the grid --------------------------------------------------------------------------------------------------
LENGTHS = [(1, 1), (7, 7), (64, 64), (65, 65), (130, 130), (257, 257),
           (1, 257), (257, 1), (7, 130), (130, 7), (64, 65), (65, 257)]
HEAD_DIMS = [16, 32, 64, 80, 128, 256]


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("d", HEAD_DIMS, ids=lambda d: f"d{d}")
@pytest.mark.parametrize("lq, lk", LENGTHS, ids=[f"{a}x{b}" for a, b in LENGTHS])
@pytest.mark.parametrize("batch", [(1,), (3,)], ids=["bh1", "bh3"])
def test_grid_float32(batch, lq, lk, d, causal):
    rng = np.random.default_rng([lq, lk, d, len(batch), batch[0], causal])
    compare(*make_inputs(rng, batch, lq, lk, d, d, np.float32), causal=causal, what=f"{batch} {lq}x{lk} d={d}")


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("lq, lk, d, dv", [(65, 130, 64, 64), (130, 65, 80, 48), (7, 257, 16, 32),
                                           (257, 7, 256, 256), (64, 64, 3, 5), (33, 70, 300, 1)])
def test_float64_and_unequal_head_dims(lq, lk, d, dv, causal):
    rng = np.random.default_rng([lq, lk, d, dv])
    for dtype in (np.float64, np.float32):
        compare(*make_inputs(rng, (2,), lq, lk, d, dv, dtype), causal=causal, what=f"{dtype.__name__} d={d} dv={dv}")


@pytest.mark.parametrize("scale", [None, 0.3, 2.0])
def test_scale_and_several_batch_dims(scale):
    rng = np.random.default_rng(1)
    compare(*make_inputs(rng, (2, 3), 70, 90, 32, 24, np.float32), scale=scale, what=f"scale={scale}")
    compare(*make_inputs(rng, (), 70, 90, 32, 24, np.float32), scale=scale, causal=True, what="no batch dims")


def test_strided_and_broadcast_inputs():
    """Non-contiguous q, k, v (transposed views, every other row) and a k/v batch dim broadcast
    by the caller (np.broadcast_to, stride 0) give what the reference gives."""
    rng = np.random.default_rng(2)
    q = rng.standard_normal((2, 3, 66, 40)).astype(np.float32).swapaxes(-1, -2)[..., ::2]  # (2, 3, 40, 33)
    k = np.broadcast_to(rng.standard_normal((1, 3, 50, 33)).astype(np.float32), (2, 3, 50, 33))
    v = rng.standard_normal((2, 3, 17, 100)).astype(np.float32).swapaxes(-1, -2)[:, :, :50]  # (2, 3, 50, 17)
    g = rng.standard_normal((2, 3, 40, 17)).astype(np.float32)
    assert not q.flags.c_contiguous and not v.flags.c_contiguous
    for causal in (False, True):
        compare(q, k, v, g, causal=causal, what="strided")


# -- masks -----------------------------------------------------------------------------------------------------
MASK_SHAPES = [(70, 90), (1, 90), (70, 1), (3, 1, 90), (2, 3, 70, 90), (2, 1, 1, 90), (1,)]


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("shape", MASK_SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("kind", ["float", "bool"])
def test_masks_broadcast(kind, shape, causal):
    rng = np.random.default_rng(len(shape))
    q, k, v, g = make_inputs(rng, (2, 3), 70, 90, 32, 16, np.float32)
    if kind == "bool":
        mask = rng.random(shape) < 0.7
    else:
        mask = rng.standard_normal(shape).astype(np.float32)
        mask[rng.random(shape) < 0.2] = -np.inf
    compare(q, k, v, g, mask=mask, causal=causal, need_dmask=kind == "float", what=f"{kind} mask {shape}")


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_fully_masked_rows_give_zero(causal):
    """Rows whose every key is masked out (bool False or float -inf): out 0, lse -inf, no gradient."""
    rng = np.random.default_rng(3)
    q, k, v, g = make_inputs(rng, (3,), 130, 257, 64, 64, np.float32)
    bool_mask = rng.random((3, 130, 257)) < 0.5
    bool_mask[:, [0, 5, 64, 129]] = False            # rows entirely masked, in several blocks
    bool_mask[1] = False                              # a whole head
    float_mask = np.where(bool_mask, np.float32(0.5), np.float32(-np.inf))
    for mask in (bool_mask, float_mask):
        (out, lse), (dq, dk, dv, *_) = compare(q, k, v, g, mask=mask, causal=causal,
                                               need_dmask=mask.dtype != bool, what=f"{mask.dtype} mask")
        dead = ~bool_mask.any(-1)
        assert np.all(out[dead] == 0) and np.all(np.isneginf(lse[dead])) and np.all(dq[dead] == 0)
        assert np.all(dk[1] == 0) and np.all(dv[1] == 0)


def test_mask_nan_and_plus_inf_give_nan_rows_like_the_reference():
    rng = np.random.default_rng(4)
    q, k, v, g = make_inputs(rng, (2,), 20, 70, 16, 16, np.float32)
    mask = np.zeros((20, 70), np.float32)
    mask[3, 5] = np.nan
    mask[7, 68] = np.inf
    compare(q, k, v, g, mask=mask, what="nan/inf mask")


def test_mask_strided_and_other_dtypes():
    """A transposed, reversed mask (negative strides), a float64 mask for float32 inputs and a
    float32 mask for float64 inputs (cast to the inputs' dtype)."""
    rng = np.random.default_rng(5)
    base = rng.standard_normal((90, 70))
    for dtype in (np.float32, np.float64):
        q, k, v, g = make_inputs(rng, (2,), 70, 90, 16, 16, dtype)
        for mask in (base.T[::-1], base.T.astype(np.float32 if dtype == np.float64 else np.float64)):
            compare(q, k, v, g, mask=mask, need_dmask=True, what=f"strided mask {mask.dtype}")


# -- numerics, determinism, code paths -------------------------------------------------------------------------
def test_extreme_scores_do_not_overflow():
    """Scores up to ~1e4 (exp would overflow without the running max) and tiny ones.  Float32
    scores that large carry rounding errors of eps |S| ~ 1e-3 whoever computes them, so both
    implementations are measured against float64 on the same inputs: the native kernel must be
    finite and no less accurate than the float32 reference (or within 1e-5 of the magnitude)."""
    rng = np.random.default_rng(6)
    q, k, v, g = make_inputs(rng, (2,), 100, 150, 64, 64, np.float32)
    for factor, causal in itertools.product((1e2, 1e-6), (False, True)):
        args32 = (q * np.float32(factor), k * np.float32(factor), v)
        args64 = tuple(a.astype(np.float64) for a in args32)
        truth = attention_forward_reference(*args64, None, causal, 1.0)
        truth += attention_backward_reference(g.astype(np.float64), *args64, *truth, None, causal, 1.0)
        ref = attention_forward_reference(*args32, None, causal, 1.0)
        ref += attention_backward_reference(g, *args32, *ref, None, causal, 1.0)
        ours = attention_forward_native(*args32, None, causal, 1.0)
        ours += attention_backward_native(g, *args32, *ours, None, causal, 1.0)
        for name, a, b, t in zip(("out", "lse", "dq", "dk", "dv"), ours, ref, truth):
            assert np.all(np.isfinite(a)), f"{name}: non-finite values at factor {factor}"
            magnitude = _magnitude(t)
            err_ours = float(np.max(np.abs(a - t))) / magnitude
            err_ref = float(np.max(np.abs(b - t))) / magnitude
            assert err_ours <= max(2 * err_ref, 1e-5), f"{name} x{factor} causal={causal}: {err_ours} vs {err_ref}"


@pytest.mark.parametrize("batch", [(1,), (3,), (8,)], ids=["bh1", "bh3", "bh8"])
def test_deterministic(batch):
    """Bitwise identical results on repeated calls (the dQ partial sums are added in a fixed order,
    whatever the thread schedule)."""
    rng = np.random.default_rng(7)
    q, k, v, g = make_inputs(rng, batch, 300, 333, 64, 64, np.float32)
    mask = rng.standard_normal((300, 333)).astype(np.float32)
    runs = []
    for _ in range(3):
        out, lse = attention_forward_native(q, k, v, mask, True)
        runs.append((out, lse) + attention_backward_native(g, q, k, v, out, lse, mask, True, None, True))
    for run in runs[1:]:
        for a, b in zip(runs[0], run):
            np.testing.assert_array_equal(a, b)


def _supported_paths() -> list[str]:
    if not hasattr(NATIVE, "set_cpu_path"):
        return []
    best = NATIVE.cpu_path()["best"]
    order = ["portable", "avx2", "avx512"]
    return order[: order.index(best) + 1]


@pytest.mark.parametrize("path", ["portable", "avx2", "avx512"])
def test_every_cpu_path_matches_reference(path):
    if path not in _supported_paths():
        pytest.skip(f"CPU path {path!r} not available here (or the extension has no path control)")
    from tensorlite.kernels import cpu

    rng = np.random.default_rng(8)
    with cpu.force_path(path):
        assert NATIVE.kernel_paths().get("attention") == path
        for dtype, (lq, lk, d, dv), causal in itertools.product(
                (np.float32, np.float64), [(65, 130, 64, 64), (130, 7, 80, 48), (1, 257, 256, 16)], (False, True)):
            q, k, v, g = make_inputs(rng, (3,), lq, lk, d, dv, dtype)
            mask = rng.standard_normal((lq, lk)).astype(dtype)
            compare(q, k, v, g, causal=causal, what=f"{path} {dtype.__name__}")
            compare(q, k, v, g, mask=mask, causal=causal, need_dmask=True, what=f"{path} mask")


def test_zero_size_inputs_match_reference():
    rng = np.random.default_rng(9)
    for batch, lq, lk, d, dv in [((0,), 3, 4, 8, 8), ((2,), 0, 4, 8, 8), ((2,), 3, 0, 8, 8), ((2,), 3, 4, 0, 8),
                                 ((2,), 3, 4, 8, 0)]:
        compare(*make_inputs(rng, batch, lq, lk, d, dv, np.float32), what=f"{batch} {lq} {lk} {d} {dv}")


# -- dispatch and errors ---------------------------------------------------------------------------------------
def test_registered_and_selected():
    assert "native" in K.available("cpu")["attention_forward"]
    assert "native" in K.available("cpu")["attention_backward"]
    with K.use("native"):
        assert K.resolve("attention_forward").name == "native"
        assert K.resolve("attention_backward").name == "native"


def test_bad_inputs_raise_naming_kernel_and_shapes():
    f4 = np.ones((2, 5, 8), np.float32)
    with K.use("native"):
        with pytest.raises(TypeError, match="attention_forward.*float64"):
            attention_forward(f4, f4, f4.astype(np.float64))
        with pytest.raises(TypeError, match="attention_forward.*int64"):
            attention_forward(*(np.ones((2, 5, 8), np.int64),) * 3)
        with pytest.raises(ValueError, match=r"attention_forward.*\(2, 5, 8\).*\(2, 5, 9\)"):
            attention_forward(f4, np.ones((2, 5, 9), np.float32), f4)
        with pytest.raises(ValueError, match=r"attention_forward.*\(3, 5, 8\)"):
            attention_forward(f4, np.ones((3, 5, 8), np.float32), np.ones((3, 5, 8), np.float32))
        with pytest.raises(ValueError, match=r"attention_forward: mask of shape \(4, 5\) does not broadcast"):
            attention_forward(f4, f4, f4, np.zeros((4, 5), np.float32))
        with pytest.raises(TypeError, match="attention_forward: expected a bool or floating-point mask"):
            attention_forward(f4, f4, f4, np.zeros((5, 5), np.int64))
        out, lse = attention_forward(f4, f4, f4)
        with pytest.raises(ValueError, match=r"attention_backward: grad_out \(2, 5, 7\)"):
            attention_backward(np.ones((2, 5, 7), np.float32), f4, f4, f4, out, lse)
        with pytest.raises(ValueError, match=r"attention_backward.*lse \(2, 4\)"):
            attention_backward(f4, f4, f4, f4, out, lse[:, :4])
    # The extension itself checks what it is handed (the wrapper is not its only caller).
    with pytest.raises(ValueError, match=r"attention_forward \(native\).*\(2, 5, 8\)"):
        NATIVE.attention_forward(f4, f4[:1], f4)
    with pytest.raises(ValueError, match=r"attention_forward \(native\): expected q with 3 dims"):
        NATIVE.attention_forward(f4[0], f4, f4)
    with pytest.raises(TypeError, match=r"attention_backward \(native\).*int32"):
        NATIVE.attention_backward(*(np.ones((2, 5, 8), np.int32),) * 5, np.ones((2, 5), np.int32))


# -- the op's registry entries under the native kernels ----------------------------------------------------------
def _sdpa_entries():
    from tensorlite.testing.opinfo import all_ops

    return [info for info in all_ops() if info.name.startswith("scaled_dot_product_attention")]


CHECKS = ["gradcheck", "gradgradcheck", "parity-float32-contig", "parity-float32-noncontig",
          "parity-float64-contig", "parity-float64-noncontig", "errors"]


@pytest.fixture
def native_kernels():
    with K.use("native"):
        yield


@pytest.mark.parametrize("which", CHECKS)
def test_sdpa_registry_entries_with_native_kernels(native_kernels, which):
    from tensorlite.testing import check

    entries = _sdpa_entries()
    if not entries:
        pytest.skip("no scaled_dot_product_attention entry in the registry")
    assert K.resolve("attention_forward").name == "native"
    for info in entries:
        try:
            if which == "gradcheck":
                check.check_gradcheck(info)
            elif which == "gradgradcheck":
                check.check_gradgradcheck(info)
            elif which == "errors":
                check.check_errors(info)
            else:
                _, dtype, layout = which.split("-")
                check.check_torch_parity(info, dtype, layout == "contig")
        except check.NotApplicable:
            continue


# -- memory ----------------------------------------------------------------------------------------------------
_PEAK_SCRIPT = """
import json, sys, numpy as np
from tensorlite.kernels.attention_native import attention_forward_native as f, attention_backward_native as b
n = int(sys.argv[1]); rng = np.random.default_rng(0)
q, k, v, g = (rng.standard_normal((1, n, 64), dtype=np.float32) for _ in range(4))
def hwm():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) * 1024
before = hwm()
out, lse = f(q, k, v, None, True)
b(g, q, k, v, out, lse, None, True)
print(json.dumps(hwm() - before))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_memory_is_linear_in_sequence_length():
    """Peak resident memory of forward + backward at N = 4096 (a fresh process): far below one
    N x N float32 matrix (64 MiB), which the reference would allocate several times."""
    env = dict(os.environ, OMP_NUM_THREADS="2")
    proc = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, "4096"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    growth = json.loads(proc.stdout.strip().splitlines()[-1])
    assert growth < 16 * 2**20, f"peak RSS grew by {growth / 2**20:.1f} MiB at N = 4096"
