"""The build path: the C++ extension, the kernel dispatch layer, erf/erfc, the CLI.

Tolerances (why these numbers):
  * erf / erfc vs math.erf / math.erfc, float64: relative 1e-15 / 2e-15.  Ours is measured
    at 4.3e-16 / 8e-16 against mpmath; math.erfc itself is off by up to 7e-16.
  * erf vs torch.erf, float32: relative 1e-6 (~8 ulp).  Ours is computed in float64 and
    rounded once; torch's float32 erf is within a few ulp.
  * GELU native vs reference: both compute in float64 (erfc form and sigmoid form, no
    cancellation in the left tail) and round once to the input dtype.  float32: identical
    in practice (measured 0), checked to relative 1e-6; float64: relative 1e-14 (glibc
    erfc/exp vs kernels.special.erfc/numpy.exp; measured 1.9e-15).  Results in the
    subnormal range get an absolute slack of a few subnormal steps.
"""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.kernels as K
from tensorlite.kernels import _native
from tensorlite.kernels.special import erf, erfc

ROOT = Path(__file__).resolve().parents[1]
NATIVE, NATIVE_REASON = _native.load()
requires_native = pytest.mark.skipif(NATIVE is None, reason=f"native extension unavailable: {NATIVE_REASON}")

RTOL = {np.float32: 1e-6, np.float64: 1e-14}
SUBNORMAL_SLACK = {np.float32: 1e-44, np.float64: 1e-320}


def _run(args: list[str], **env_changes: str | None) -> subprocess.CompletedProcess[str]:
    """Run the interpreter of this test session in the repository root, env adjusted."""
    env = dict(os.environ)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# --- erf / erfc ---------------------------------------------------------------------------


def _dense_grid() -> np.ndarray:
    tiny = np.geomspace(1e-300, 1e-3, 3000)  # normal numbers only: the subnormal grid is too coarse
    grid = np.concatenate([np.linspace(-30.0, 30.0, 120_001), tiny, -tiny, np.geomspace(1e-3, 30.0, 20_000)])
    return np.concatenate([grid, -grid[-20_000:], [0.0, -0.0, 0.5, -0.5, np.nextafter(0.5, 0.0)]])


def test_erf_matches_math_erf_on_dense_grid() -> None:
    x = _dense_grid()
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), expected, rtol=1e-15, atol=0)


def test_erfc_matches_math_erfc_on_dense_grid() -> None:
    x = _dense_grid()
    expected = np.array([math.erfc(v) for v in x])
    # erfc(x) for x > 26.55 is subnormal in float64: there only absolute agreement is meaningful.
    np.testing.assert_allclose(erfc(x), expected, rtol=2e-15, atol=SUBNORMAL_SLACK[np.float64])


def test_erf_erfc_special_values_and_dtypes() -> None:
    x = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0])
    np.testing.assert_array_equal(erf(x), [1.0, -1.0, np.nan, 0.0, -0.0])
    np.testing.assert_array_equal(erfc(x), [0.0, 2.0, np.nan, 1.0, 1.0])
    assert np.signbit(erf(x)[4])
    for dtype in (np.float16, np.float32, np.float64):
        assert erf(np.ones(3, dtype)).dtype == dtype
        assert erfc(np.ones(3, dtype)).dtype == dtype
    assert erf(np.arange(3)).dtype == np.float64
    assert erf(np.zeros((2, 0, 3))).shape == (2, 0, 3)
    assert erf(np.float64(0.25)).shape == ()
    assert erf(np.arange(12.0).reshape(3, 4)[:, ::2]).shape == (3, 2)


def test_erf_float32_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    x = np.concatenate([np.linspace(-10, 10, 200_001), np.geomspace(1e-30, 1, 1000)]).astype(np.float32)
    expected = torch.erf(torch.from_numpy(x)).numpy()
    got = erf(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)


# --- GELU: native vs reference -----------------------------------------------------------


def _gelu_input(n: int, dtype: type, contiguous: bool) -> np.ndarray:
    rng = np.random.default_rng(n)
    base = (rng.standard_normal(2 * n) * 4).astype(dtype)  # reaches both tails
    if n >= 7:
        base[:7] = [0.0, -0.0, 1e-30, -1e-30, 12.5, -12.5, -40.0]
    x = base[:n] if contiguous else base[::2]
    assert x.flags.c_contiguous == contiguous or n <= 1
    return x


def _assert_gelu_close(got: np.ndarray, want: np.ndarray, x: np.ndarray) -> None:
    dtype = x.dtype.type
    assert got.shape == want.shape == x.shape and got.dtype == want.dtype == x.dtype
    bound = RTOL[dtype] * np.abs(want) + SUBNORMAL_SLACK[dtype]
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    bad = ~(err <= bound)
    assert not bad.any(), f"{bad.sum()} mismatches, first at x={x[bad][0]!r}: {got[bad][0]!r} vs {want[bad][0]!r}"


@requires_native
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("contiguous", [True, False], ids=["contiguous", "strided"])
@pytest.mark.parametrize("n", [0, 1, 7, 1_000_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_native_matches_reference(dtype: type, n: int, contiguous: bool, approximate: str) -> None:
    x = _gelu_input(n, dtype, contiguous)
    before = x.copy()
    with K.use("native"):
        got = K.gelu_forward(x, approximate)
    with K.use("reference"):
        want = K.gelu_forward(x, approximate)
    np.testing.assert_array_equal(x, before)  # input untouched
    _assert_gelu_close(got, want, x)


@requires_native
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("contiguous", [True, False], ids=["contiguous", "strided"])
@pytest.mark.parametrize("n", [0, 1, 7, 100_000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_backward_native_matches_reference(dtype: type, n: int, contiguous: bool, approximate: str) -> None:
    x = _gelu_input(n, dtype, contiguous)
    g = _gelu_input(n, dtype, contiguous)[::-1]
    with K.use("native"):
        got = K.gelu_backward(g, x, approximate)
    with K.use("reference"):
        want = K.gelu_backward(g, x, approximate)
    assert got.shape == want.shape == x.shape and got.dtype == want.dtype == x.dtype
    # The slope Phi(x) + x phi(x) cancels to 0 near x = -0.75, so the error is bounded relative to
    # its terms (|Phi| <= 1, |x phi| <= 0.25; the slope itself stays under 1.2), not to the result:
    # a few ulps of |g| (measured: at most 7 eps |g|, the tanh form).
    eps = np.finfo(dtype).eps
    bound = 16 * eps * np.abs(g.astype(np.float64)) + SUBNORMAL_SLACK[dtype]
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    assert (err <= bound).all(), f"max error {err.max()!r}"


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gelu_backward_matches_torch(dtype: str, approximate: str) -> None:
    """Through the op: the first-order backward takes the kernel (native where built)."""
    torch = pytest.importorskip("torch")
    x_np = _gelu_input(5000, getattr(np, dtype), True)
    g_np = np.random.default_rng(3).standard_normal(x_np.shape).astype(x_np.dtype)
    x = tl.tensor(x_np, requires_grad=True)
    tl.nn.functional.gelu(x, approximate=approximate).backward(tl.tensor(g_np))
    # The oracle is torch in float64 (its float32 kernel flushes the left tail, x < -5, to 0, where the
    # kernel here computes in float64 and keeps ~1e-6).
    tx = torch.tensor(x_np.astype(np.float64), requires_grad=True)
    torch.nn.functional.gelu(tx, approximate=approximate).backward(torch.tensor(g_np.astype(np.float64)))
    tol = 1e-6 if dtype == "float32" else 1e-14  # absolute: |g| ~ 1 and the slope cancels near x = -0.75
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)


@requires_native
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_native_shapes_and_special_values(dtype: type) -> None:
    x2d = np.arange(-7.5, 7.5, 1.0, dtype=dtype).reshape(3, 5)
    for x in (x2d, x2d.T, x2d[:, ::-2], np.array(0.75, dtype=dtype), np.zeros((2, 0, 3), dtype)):
        for approximate in ("none", "tanh"):
            with K.use("native"):
                got = K.gelu_forward(x, approximate)
            with K.use("reference"):
                want = K.gelu_forward(x, approximate)
            _assert_gelu_close(got, want, x)
    specials = np.array([np.inf, -np.inf, np.nan], dtype)
    for impl in ("native", "reference"):
        with K.use(impl):
            np.testing.assert_array_equal(K.gelu_forward(specials), [np.inf, np.nan, np.nan])


def test_gelu_reference_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    x = np.linspace(-8, 8, 10_001)  # torch loses the far left tail (1 + erf cancels): stay above -8
    for approximate in ("none", "tanh"):
        with K.use("reference"):
            got = K.gelu_forward(x, approximate)
        want = torch.nn.functional.gelu(torch.from_numpy(x), approximate=approximate).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_gelu_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="float32 or float64"):
        K.gelu_forward(np.arange(3))
    with pytest.raises(ValueError, match="approximate"):
        K.gelu_forward(np.ones(3), approximate="sigmoid")


# --- dispatch and use() --------------------------------------------------------------------


def test_use_forces_reference_and_native() -> None:
    with K.use("reference"):
        assert K.resolve("gelu_forward").name == "reference"
        assert K.selected()["gelu_forward"] == "reference"
    if NATIVE is not None:
        with K.use("native"):
            assert K.resolve("gelu_forward").name == "native"
        assert K.resolve("gelu_forward").name == "native"  # automatic: fastest available
    else:
        assert K.resolve("gelu_forward").name == "reference"


def test_forcing_an_unavailable_impl_raises() -> None:
    x = np.ones(4)
    with K.use("triton"):  # Triton never serves CPU arrays
        with pytest.raises(RuntimeError, match=r"gelu_forward.*triton.*reference"):
            K.gelu_forward(x)


def test_forcing_native_with_extension_disabled_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENSORLITE_NO_EXT", "1")  # read by _native.load() on every call
    assert K.available()["gelu_forward"] == ["reference"]
    assert all("native" not in impls for impls in K.available().values())
    with K.use("native"):
        with pytest.raises(RuntimeError, match=r"gelu_forward.*TENSORLITE_NO_EXT.*\['reference'\]"):
            K.gelu_forward(np.ones(4))


def test_use_nesting_set_default_and_validation() -> None:
    try:
        K.set_default("reference")
        assert K.forced() == "reference"
        with K.use("triton"):
            assert K.forced() == "triton"
            with K.use(None):
                assert K.forced() is None  # automatic inside, despite the process default
            assert K.forced() == "triton"
        assert K.forced() == "reference"
    finally:
        K.set_default(None)
    assert K.forced() is None
    with pytest.raises(ValueError, match="unknown kernel implementation"):
        with K.use("fast"):
            pass


def test_native_loads_when_its_build_succeeded() -> None:
    if _native.disabled_by_env():
        pytest.skip("TENSORLITE_NO_EXT is set")
    status = _native.build_status()
    if status is None or status.get("status") != "built":
        pytest.skip(f"no successful build recorded: {status and status.get('reason')}")
    assert NATIVE is not None, NATIVE_REASON


def test_native_required_in_ci() -> None:
    """.ci/run sets TENSORLITE_REQUIRE_NATIVE=1 where a compiler exists: a silently failed
    build must not turn every native test into a skip."""
    if os.environ.get("TENSORLITE_REQUIRE_NATIVE") != "1":
        pytest.skip("TENSORLITE_REQUIRE_NATIVE is not set")
    assert NATIVE is not None, NATIVE_REASON


def test_kernels_never_import_the_tensor_layer() -> None:
    for path in sorted((ROOT / "kernels").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith(("tensorlite.tensor", "tensorlite.autograd", "..")), (
                    f"{path.name} imports {name}: kernels/ must stay below the Tensor layer"
                )


# --- subprocesses: the CLI and TENSORLITE_NO_EXT --------------------------------------------


def test_info_runs_and_reports_native_status() -> None:
    proc = _run(["-m", "tensorlite", "info"])  # same environment as this session, so same NATIVE
    assert proc.returncode == 0, proc.stderr
    native_line = next(line for line in proc.stdout.splitlines() if line.startswith("native"))
    assert ("not available:" in native_line) == (NATIVE is None), native_line
    assert "gelu_forward" in proc.stdout

    proc = _run(["-m", "tensorlite", "info", "--json"])
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["native"]["available"] == (NATIVE is not None)
    assert "reference" in info["kernels"]["gelu_forward"]["available"]


def test_no_ext_env_leaves_reference_only() -> None:
    code = (
        "import json, tensorlite.kernels as K, numpy as np; "
        "K.gelu_forward(np.ones(3)); "
        "print(json.dumps([K.available(), K.load_native()[1]]))"
    )
    proc = _run(["-c", code], TENSORLITE_NO_EXT="1")
    assert proc.returncode == 0, proc.stderr
    available, reason = json.loads(proc.stdout)
    assert available["gelu_forward"] == ["reference"]
    assert all("native" not in impls for impls in available.values())
    assert "TENSORLITE_NO_EXT" in reason

    proc = _run(["-m", "tensorlite", "info"], TENSORLITE_NO_EXT="1")
    assert proc.returncode == 0, proc.stderr
    assert "TENSORLITE_NO_EXT" in proc.stdout


def test_bench_lists_suites_and_rejects_unknown_ones() -> None:
    proc = _run(["-m", "tensorlite", "bench", "--list"])
    assert proc.returncode == 0, proc.stderr
    assert "core" in proc.stdout.split() and "training" in proc.stdout.split()
    proc = _run(["-m", "tensorlite", "bench", "no-such-suite"])
    assert proc.returncode == 2 and "unknown suite" in proc.stderr
