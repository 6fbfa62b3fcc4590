"""The gemm kernel (kernels/gemm.py): native float32 GEMM (csrc/gemm.cpp) against float64 NumPy.

Every comparison runs the native kernel on float32 operands and NumPy's matmul in float64 on the
same values.  Tolerance (why this bound): c[i, j] is a sum of K products; float32 summation in any
order errs by at most about K u sum_k |a_ik b_kj| (u = 2**-24), so with the exact sum from float64,

    |native - reference| <= (K + 4) * 2**-24 * R,   R = |a| @ |b| (float64)

(the + 4 covers the final rounding and the addition of the per-384 reduction blocks).  This is the
worst-case bound, not a fudge factor: a failure means a wrong or missing term.  Measured over the
grid: worst 37%, median 3.5% of the bound (the worst at small K; errors grow like sqrt(K), the bound like K).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.kernels as K
from tensorlite.kernels import _native
from tensorlite.kernels import gemm as G
from kernel_checks import assert_same_across_calls, assert_same_across_thread_counts, run_script, supported_paths

NATIVE, NATIVE_REASON = _native.load()
HAS_GEMM = NATIVE is not None and hasattr(NATIVE, "gemm_f32")
needs_native = pytest.mark.skipif(not HAS_GEMM, reason=f"native gemm unavailable: {NATIVE_REASON or 'old build'}")

U32 = 2.0 ** -24


def operand(rng: np.random.Generator, rows: int, cols: int, layout: str) -> np.ndarray:
    """A float32 (rows, cols) matrix laid out as `layout`: c (C order), t (a transposed view),
    s (a strided slice, no unit stride), n (negative strides)."""
    if layout == "c":
        return rng.standard_normal((rows, cols), dtype=np.float32)
    if layout == "t":
        return rng.standard_normal((cols, rows), dtype=np.float32).T
    if layout == "s":
        return rng.standard_normal((2 * rows, 3 * cols), dtype=np.float32)[::2, ::3]
    return rng.standard_normal((rows, cols), dtype=np.float32)[::-1, ::-1]


def check(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Assert c matches a @ b within the bound of the module docstring; return error / bound."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    ref = a64 @ b64
    assert c.shape == ref.shape and c.dtype == np.float32
    if c.size == 0:
        return 0.0
    bound = (a.shape[1] + 4) * U32 * (np.abs(a64) @ np.abs(b64)) + np.finfo(np.float32).tiny
    ratio = float((np.abs(c - ref) / bound).max())
    assert ratio <= 1.0, f"error {ratio:.3g} x the bound for {a.shape} @ {b.shape}"
    return ratio


# -- correctness ---------------------------------------------------------------------------------------------
SIZES_M = (1, 7, 9, 64, 131, 300)
SIZES_N = (1, 10, 33, 64, 257)
SIZES_K = (1, 5, 64, 385, 800)  # 385, 800: more than one reduction block of 384


@needs_native
@pytest.mark.parametrize("layout", ["cc", "ct", "tc", "tt"])
def test_grid_matches_reference(layout):
    rng = np.random.default_rng(sum(map(ord, layout)))
    worst = 0.0
    for m in SIZES_M:
        for n in SIZES_N:
            for k in SIZES_K:
                a, b = operand(rng, m, k, layout[0]), operand(rng, k, n, layout[1])
                worst = max(worst, check(NATIVE.gemm_f32(a, b), a, b))
    assert worst < 0.5  # far below the worst case; a wrong term would be >> 1


@needs_native
@pytest.mark.parametrize("layout", ["sc", "cs", "ss", "nc", "cn", "nn", "ts"])
def test_strided_and_negative_strides(layout):
    rng = np.random.default_rng(5)
    for m, k, n in ((1, 1, 1), (9, 17, 33), (64, 300, 10), (131, 64, 97), (3, 400, 2)):
        a, b = operand(rng, m, k, layout[0]), operand(rng, k, n, layout[1])
        check(NATIVE.gemm_f32(a, b), a, b)


@needs_native
def test_prime_sizes_and_vectors():
    rng = np.random.default_rng(6)
    for m, k, n in ((1, 97, 1), (1, 13, 257), (257, 13, 1), (2, 3, 5), (97, 101, 103), (8, 384, 32), (16, 1, 64)):
        for la in "ct":
            for lb in "ct":
                a, b = operand(rng, m, k, la), operand(rng, k, n, lb)
                check(NATIVE.gemm_f32(a, b), a, b)


@needs_native
def test_empty_and_k_zero():
    with K.use("native"):
        for m, k, n in ((0, 5, 4), (4, 5, 0), (0, 0, 0), (3, 0, 4), (1, 0, 1)):
            a, b = np.ones((m, k), np.float32), np.ones((k, n), np.float32)
            c = G.gemm(a, b)
            assert c.shape == (m, n) and c.dtype == np.float32
            np.testing.assert_array_equal(c, np.zeros((m, n), np.float32))
        out = np.full((3, 4), 7.0, np.float32)
        assert G.gemm(np.ones((3, 0), np.float32), np.ones((0, 4), np.float32), out) is out
        np.testing.assert_array_equal(out, 0.0)


@needs_native
def test_out_argument():
    rng = np.random.default_rng(7)
    a, b = operand(rng, 40, 70, "c"), operand(rng, 70, 50, "t")
    with K.use("native"):
        out = np.empty((40, 50), np.float32)
        assert G.gemm(a, b, out) is out
        check(out, a, b)
        big = np.zeros((80, 150), np.float32)
        view = big[::2, ::3]  # strided out
        assert G.gemm(a, b, view) is view
        check(view, a, b)
        assert not big[1::2].any()  # nothing written outside the view
        fort = np.empty((40, 50), np.float32, order="F")  # column-major out: the transposed orientation
        G.gemm(a, b, fort)
        check(fort, a, b)
        # out overlapping an operand: the product goes through a temporary
        sq = operand(rng, 48, 48, "c")
        expect = sq.astype(np.float64) @ sq
        G.gemm(sq, sq, sq)
        np.testing.assert_allclose(sq, expect, rtol=1e-4, atol=1e-3)
        with pytest.raises(ValueError, match="gemm: out must be"):
            G.gemm(a, b, np.empty((40, 50), np.float64))
        with pytest.raises(ValueError, match="gemm: out must be"):
            G.gemm(a, b, np.empty((50, 40), np.float32))
        ro = np.empty((40, 50), np.float32)
        ro.flags.writeable = False
        with pytest.raises(ValueError, match="gemm: out .* is read-only"):
            G.gemm(a, b, ro)
        with pytest.raises(ValueError, match="not writeable"):
            NATIVE.gemm_f32(a, b, ro)


def test_other_dtypes_run_the_reference():
    rng = np.random.default_rng(8)
    a64, b64 = rng.standard_normal((9, 12)), rng.standard_normal((12, 5))
    ai, bi = rng.integers(-9, 9, (9, 12)), rng.integers(-9, 9, (12, 5))
    for impl in (None, "native", "reference") if HAS_GEMM else (None, "reference"):
        with K.use(impl):
            np.testing.assert_array_equal(G.gemm(a64, b64), a64 @ b64)
            np.testing.assert_array_equal(G.gemm(ai, bi), ai @ bi)
            big_endian = a64.astype(">f4")
            np.testing.assert_allclose(G.gemm(big_endian, b64.astype(">f4")), a64 @ b64, rtol=1e-4, atol=1e-4)


def test_bad_inputs_raise_naming_the_kernel():
    f32 = np.ones((3, 4), np.float32)
    for impl in ("native", "reference") if HAS_GEMM else ("reference",):
        with K.use(impl):
            with pytest.raises(ValueError, match=r"gemm: a \(3, 4\) and b \(3, 4\) do not fit"):
                G.gemm(f32, f32)
            with pytest.raises(ValueError, match="gemm: expected 2-D"):
                G.gemm(f32[0], f32.T)
            with pytest.raises(TypeError, match="gemm: a and b must have one dtype.*float32.*float64"):
                G.gemm(f32, f32.T.astype(np.float64))
    if HAS_GEMM:
        with pytest.raises(ValueError, match="gemm_f32: a .* do not fit"):
            NATIVE.gemm_f32(f32, f32)
        with pytest.raises(TypeError, match="gemm_f32: expected float32"):
            NATIVE.gemm_f32(f32.astype(np.float64), f32.T)


# -- determinism ---------------------------------------------------------------------------------------------
DET_SHAPES = ((128, 64, 256, "ct"), (128, 256, 10, "ct"), (10, 128, 256, "tc"), (256, 128, 64, "tc"),
              (131, 800, 97, "cc"), (300, 33, 257, "tt"), (5, 7, 3, "cc"))


def _det_results(seed: int = 17) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for m, k, n, layout in DET_SHAPES:
        a, b = operand(rng, m, k, layout[0]), operand(rng, k, n, layout[1])
        out.append(NATIVE.gemm_f32(a, b))
    return out


@needs_native
def test_deterministic_across_calls():
    assert_same_across_calls(_det_results)


@needs_native
def test_results_do_not_depend_on_the_thread_count(tmp_path):
    """Bitwise the same with 1, 2, 3 OpenMP threads: the work split changes, the arithmetic does not."""
    assert_same_across_thread_counts("test_kernels_gemm", _det_results, tmp_path, threads=("1", "2", "3"))


def _supported_paths() -> list[str]:
    return supported_paths(NATIVE if HAS_GEMM else None)


@pytest.mark.parametrize("path", ["portable", "avx2", "avx512"])
def test_every_cpu_path_matches_reference(path):
    if path not in _supported_paths():
        pytest.skip(f"CPU path {path!r} not available here (or the extension has no path control)")
    from tensorlite.kernels import cpu

    rng = np.random.default_rng(18)
    with cpu.force_path(path):
        assert NATIVE.kernel_paths().get("gemm_f32") == path
        assert NATIVE.gemm_f32_path() == path
        for m, k, n, layout in DET_SHAPES + ((7, 385, 45, "ts"), (33, 3, 70, "nc")):
            a, b = operand(rng, m, k, layout[0]), operand(rng, k, n, layout[1])
            check(NATIVE.gemm_f32(a, b), a, b)


# -- selection -----------------------------------------------------------------------------------------------
class _Spy:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


@needs_native
def test_size_policy_and_forcing(monkeypatch):
    spy = _Spy(NATIVE.gemm_f32)
    monkeypatch.setattr(NATIVE, "gemm_f32", spy)
    rng = np.random.default_rng(9)
    big_a, big_b = operand(rng, 128, 256, "c"), operand(rng, 256, 256, "t")
    tiny_a, tiny_b = operand(rng, 4, 4, "c"), operand(rng, 4, 4, "c")
    assert K.resolve("gemm").name == "native" and "native" in K.available("cpu")["gemm"]
    assert G.use_native_for(big_a, big_b) and not G.use_native_for(tiny_a, tiny_b)
    assert not G.use_native_for(big_a.astype(np.float64), big_b.astype(np.float64))
    G.gemm(big_a, big_b)
    assert spy.calls == 1  # automatic: native in the measured range
    G.gemm(tiny_a, tiny_b)
    assert spy.calls == 1  # automatic: BLAS below it
    with K.use("native"):
        check(G.gemm(tiny_a, tiny_b), tiny_a, tiny_b)
        assert spy.calls == 2  # forced: every size
    with K.use("reference"):
        check(G.gemm(big_a, big_b), big_a, big_b)
        assert spy.calls == 2
    with K.use("triton"):  # gemm has no Triton implementation: automatic selection, no error
        G.gemm(big_a, big_b)
        assert spy.calls == 3


_NO_EXT_SCRIPT = """
import json, numpy as np, tensorlite as tl
from tensorlite.kernels import gemm as G
a = np.random.default_rng(0).standard_normal((128, 256)).astype(np.float32)
b = np.random.default_rng(1).standard_normal((256, 64)).astype(np.float32)
err = float(np.abs(G.gemm(a, b.T.copy().T) - a.astype(np.float64) @ b).max())
lin = tl.nn.Linear(256, 64)
x = tl.tensor(a, requires_grad=True)
lin(x).sum().backward()
print(json.dumps([tl.kernels.selected()["gemm"], err, x.grad.shape == (128, 256)]))
"""


def test_no_extension_runs_the_reference():
    proc = run_script(_NO_EXT_SCRIPT, TENSORLITE_NO_EXT="1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    selected, err, grad_ok = json.loads(proc.stdout.strip().splitlines()[-1])
    assert selected == "reference" and err < 1e-3 and grad_ok


@needs_native
def test_workspace_can_be_released():
    rng = np.random.default_rng(10)
    a, b = operand(rng, 64, 64, "c"), operand(rng, 64, 64, "c")
    first = NATIVE.gemm_f32(a, b)
    G.release_workspace()
    np.testing.assert_array_equal(NATIVE.gemm_f32(a, b), first)


# -- through Linear and matmul, against PyTorch ----------------------------------------------------------------
@pytest.mark.parametrize("impl", [None, "native", "reference"])
def test_linear_and_matmul_match_torch(impl):
    torch = pytest.importorskip("torch")
    if impl == "native" and not HAS_GEMM:
        pytest.skip("native gemm unavailable")
    rng = np.random.default_rng(11)
    x = rng.standard_normal((128, 64), dtype=np.float32)
    x3 = rng.standard_normal((2, 5, 64), dtype=np.float32)
    w = (rng.standard_normal((256, 64), dtype=np.float32) / 8)
    bias = rng.standard_normal(256, dtype=np.float32)
    m2 = rng.standard_normal((256, 10), dtype=np.float32)
    tx, tx3, tw, tb, tm = (torch.from_numpy(v.copy()).requires_grad_() for v in (x, x3, w, bias, m2))
    ty = (torch.nn.functional.linear(tx, tw, tb).relu() @ tm).square().sum() + torch.nn.functional.linear(tx3, tw).sum()
    ty.backward()
    lx, lx3, lw, lb, lm = (tl.tensor(v.copy(), requires_grad=True) for v in (x, x3, w, bias, m2))
    with K.use(impl):
        ly = (tl.nn.functional.linear(lx, lw, lb).relu() @ lm).square().sum() + tl.nn.functional.linear(lx3, lw).sum()
        ly.backward()
    np.testing.assert_allclose(float(ly.item()), float(ty.item()), rtol=1e-5)
    for ours, theirs in ((lx, tx), (lx3, tx3), (lw, tw), (lb, tb), (lm, tm)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=2e-4, atol=2e-4)
