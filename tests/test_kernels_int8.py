"""int8 matmul kernels (kernels/int8_matmul.py, csrc/int8_matmul.cpp) and the CPU dispatch
(csrc/cpu_features.*, kernels/cpu.py).

Every implementation runs the same tests: ``reference`` and ``native`` on each SIMD path this
CPU supports (portable, avx2, avx512), forced in-process with ``cpu.force_path`` (one test
also forces it with TENSORLITE_CPU_PATH in a subprocess).

Oracles: the integer product against float64 BLAS matmul of the int8 values (exact: every
partial sum is an integer below 2**53), compared **exactly**.  The fused form against the
contract's formula in float64 (with the scales rounded to float32 first, as the contract
takes them), to

    |y - y64| <= 4 * 2**-24 * (|acc * a_scale * w_scale| + |bias|)

The native epilogue rounds three times in float32 (int32 -> float, a_scale * w_scale, the
fma with bias): at most ~3 ulps of that magnitude; the reference rounds once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import tensorlite.kernels as K
from tensorlite.kernels import _native, cpu
from tensorlite.kernels import int8_matmul as im
from kernel_checks import int8_linear_float64

ROOT = Path(__file__).resolve().parents[1]
NATIVE, NATIVE_REASON = _native.load()
requires_native = pytest.mark.skipif(NATIVE is None, reason=f"native extension unavailable: {NATIVE_REASON}")
BEST = cpu.path()["best"] if NATIVE is not None else None
_RANK = {"portable": 0, "avx2": 1, "avx512": 2}


def _impl_params() -> list:
    params = [pytest.param(("reference", None), id="reference")]
    for path in cpu.PATHS:
        marks = [requires_native]
        if NATIVE is not None and _RANK[path] > _RANK[BEST]:
            marks.append(pytest.mark.skip(reason=f"this CPU's best path is {BEST}"))
        params.append(pytest.param(("native", path), id=f"native-{path}", marks=marks))
    return params


@pytest.fixture(params=_impl_params())
def impl(request: pytest.FixtureRequest) -> Iterator[str]:
    """Force one implementation (and, for native, one SIMD path) for the test's body."""
    name, path = request.param
    with K.use(name):
        if path is None:
            yield name
        else:
            with cpu.force_path(path):
                assert cpu.kernel_paths()["int8_matmul"] == path
                yield f"{name}-{path}"


def _int8(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(-128, 128, size=shape, dtype=np.int8)


def _exact(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for int8 inputs, exact (float64 BLAS: every partial sum is an integer < 2**53)."""
    return (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)


# --- int8_matmul: exactness --------------------------------------------------------------------

SHAPES = [
    (1, 1, 1),
    (1, 3, 1),
    (2, 17, 3),
    (5, 63, 7),
    (7, 65, 64),
    (6, 100, 65),
    (1, 100, 300),  # M = 1 (a GEMV)
    (300, 100, 1),  # N = 1
    (13, 64, 129),
    (64, 256, 64),
    (97, 131, 250),
    (200, 300, 190),
]


@pytest.mark.parametrize("m,k,n", SHAPES, ids=lambda v: str(v))
def test_matmul_random_exact(impl: str, m: int, k: int, n: int) -> None:
    rng = np.random.default_rng(m * 10007 + k * 101 + n)
    a, b = _int8(rng, (m, k)), _int8(rng, (k, n))
    c = im.int8_matmul(a, b)
    assert c.dtype == np.int32 and c.shape == (m, n)
    np.testing.assert_array_equal(c, _exact(a, b))
    # NumPy's own int32 matmul agrees too (the reference *is* that, for the native paths a check).
    np.testing.assert_array_equal(c, a.astype(np.int32) @ b.astype(np.int32))


@pytest.mark.parametrize("k", [1, 3, 4, 17, 63, 65, 100, 1023])
@pytest.mark.parametrize("va,vb", [(-128, -128), (-128, 127), (127, 127), (127, -128)])
def test_matmul_saturating_values_exact(impl: str, k: int, va: int, vb: int) -> None:
    # The worst cases for accumulation: every product is +-16384 / +-16256 and they all add up.
    # (-128 is also the value the u8 shift maps to 0, and 127 to 255.)
    a = np.full((5, k), va, dtype=np.int8)
    b = np.full((k, 70), vb, dtype=np.int8)
    c = im.int8_matmul(a, b)
    assert (c == va * vb * k).all()


def test_matmul_mixed_extremes_exact(impl: str) -> None:
    rng = np.random.default_rng(7)
    a = rng.choice(np.array([-128, 127, 0, -1, 1], dtype=np.int8), size=(33, 301))
    b = rng.choice(np.array([-128, 127, 0, -1, 1], dtype=np.int8), size=(301, 77))
    np.testing.assert_array_equal(im.int8_matmul(a, b), _exact(a, b))


@pytest.mark.parametrize("m,k,n", [(0, 5, 3), (4, 0, 3), (3, 5, 0), (0, 0, 0)])
def test_matmul_zero_size(impl: str, m: int, k: int, n: int) -> None:
    a, b = np.zeros((m, k), np.int8), np.zeros((k, n), np.int8)
    c = im.int8_matmul(a, b)
    assert c.shape == (m, n) and c.dtype == np.int32 and not c.any()
    assert im.int8_matmul(a, im.pack_int8_weight(b)).shape == (m, n)


def test_matmul_strided_inputs(impl: str) -> None:
    rng = np.random.default_rng(3)
    a = _int8(rng, (40, 130))[::2, 1::2]  # non-contiguous rows and columns
    b = np.asfortranarray(_int8(rng, (65, 90)))
    np.testing.assert_array_equal(im.int8_matmul(a, b), _exact(a, b))


def test_matmul_packed_equals_unpacked(impl: str) -> None:
    rng = np.random.default_rng(4)
    for k, n in [(1, 1), (3, 64), (17, 65), (100, 200)]:
        a, b = _int8(rng, (9, k)), _int8(rng, (k, n))
        packed = im.pack_int8_weight(b)
        assert packed.shape == (k, n) and packed.data.dtype == np.uint8 and packed.col_sums.dtype == np.int32
        np.testing.assert_array_equal(packed.unpack(), b)
        np.testing.assert_array_equal(packed.col_sums, b.sum(0))
        np.testing.assert_array_equal(im.int8_matmul(a, packed), im.int8_matmul(a, b))


def test_matmul_deterministic(impl: str) -> None:
    rng = np.random.default_rng(5)
    a, b = _int8(rng, (150, 333)), _int8(rng, (333, 170))
    first = im.int8_matmul(a, b)
    for _ in range(3):
        np.testing.assert_array_equal(im.int8_matmul(a, b), first)


@requires_native
@pytest.mark.parametrize("path", cpu.PATHS)
@pytest.mark.parametrize("blocking", [(6, 64, 8), (12, 128, 20), (24, 64, 4)], ids=str)
def test_native_blocking_edges(path: str, blocking: tuple[int, int, int]) -> None:
    """Tiny block sizes: many tasks, several K blocks (partial sums in the per-thread tile),
    remainder rows / columns in every block, both pack paths."""
    if _RANK[path] > _RANK[BEST]:
        pytest.skip(f"this CPU's best path is {BEST}")
    rng = np.random.default_rng(6)
    a, b = _int8(rng, (53, 99)), _int8(rng, (99, 150))
    sa = rng.uniform(0.5, 2.0, 53).astype(np.float32)
    sw = rng.uniform(0.5, 2.0, 150).astype(np.float32)
    zw = rng.integers(-3, 3, 150)
    want_linear = int8_linear_float64(a, b, sa, sw, 5, zw, None, True)
    try:
        NATIVE._int8_set_blocking(*blocking)
        with K.use("native"), cpu.force_path(path):
            np.testing.assert_array_equal(im.int8_matmul(a, b), _exact(a, b))
            y = im.int8_linear(a, b, sa, sw, a_zero_point=5, w_zero_point=zw, relu=True)
    finally:
        NATIVE._int8_set_blocking(0, 0, 0)
    _assert_linear_close(y, *want_linear)


@pytest.mark.slow
@pytest.mark.parametrize("m,k,n", [(512, 2100, 256), (1024, 1024, 1024), (3, 9000, 70)])
def test_matmul_large_exact(impl: str, m: int, k: int, n: int) -> None:
    """Larger than one K block (2048) and many tasks."""
    if impl == "reference" and m * n * k > 3e8:
        pytest.skip("NumPy's integer matmul is not BLAS: too slow for this size")
    rng = np.random.default_rng(8)
    a, b = _int8(rng, (m, k)), _int8(rng, (k, n))
    np.testing.assert_array_equal(im.int8_matmul(a, im.pack_int8_weight(b)), _exact(a, b))


# --- int8_linear: the fused epilogue -----------------------------------------------------------


def _assert_linear_close(y: np.ndarray, y64: np.ndarray, magnitude: np.ndarray) -> None:
    assert y.dtype == np.float32 and y.shape == y64.shape
    err = np.abs(y.astype(np.float64) - y64)
    bound = 4 * 2.0**-24 * magnitude + 1e-37
    worst = np.argmax(err - bound) if err.size else None
    assert (err <= bound).all(), f"error {err.flat[worst]} > bound {bound.flat[worst]} at {worst}"


SCALES = {
    "per-row,per-col": lambda rng, m, n: (rng.uniform(1e-3, 0.1, m), rng.uniform(1e-3, 0.1, n)),
    "scalar,per-col": lambda rng, m, n: (0.05, rng.uniform(1e-3, 0.1, n).astype(np.float32)),
    "per-row,scalar": lambda rng, m, n: (rng.uniform(1e-3, 0.1, m).astype(np.float32), np.float32(0.02)),
    "0-d,0-d": lambda rng, m, n: (np.array(0.03), np.array(0.5, dtype=np.float32)),
}
ZERO_POINTS = {
    "none": lambda rng, m, n: (None, None),
    "scalar-a": lambda rng, m, n: (-7, None),
    "per-col-w": lambda rng, m, n: (None, rng.integers(-128, 128, n)),
    "both-per": lambda rng, m, n: (rng.integers(-128, 128, m), rng.integers(-128, 128, n)),
    "extreme": lambda rng, m, n: (255, -128),
}


@pytest.mark.parametrize("scales", list(SCALES))
@pytest.mark.parametrize("zero_points", list(ZERO_POINTS))
@pytest.mark.parametrize("with_bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("relu", [False, True], ids=["linear", "relu"])
def test_linear_matches_float64_formula(impl: str, scales: str, zero_points: str, with_bias: bool, relu: bool) -> None:
    rng = np.random.default_rng(abs(hash((scales, zero_points, with_bias, relu))) % 2**32)
    m, k, n = 23, 67, 97
    a, w = _int8(rng, (m, k)), _int8(rng, (k, n))
    a_scale, w_scale = SCALES[scales](rng, m, n)
    za, zw = ZERO_POINTS[zero_points](rng, m, n)
    bias = rng.standard_normal(n).astype(np.float32) * 50 if with_bias else None
    y = im.int8_linear(a, w, a_scale, w_scale, a_zero_point=za, w_zero_point=zw, bias=bias, relu=relu)
    _assert_linear_close(y, *int8_linear_float64(a, w, a_scale, w_scale, za, zw, bias, relu))
    if relu:
        assert (y >= 0).all()
    # The packed weight gives the same bits.
    packed = im.pack_int8_weight(w)
    y2 = im.int8_linear(a, packed, a_scale, w_scale, a_zero_point=za, w_zero_point=zw, bias=bias, relu=relu)
    np.testing.assert_array_equal(y2, y)


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (1, 3, 200), (200, 17, 1), (65, 100, 129), (130, 260, 70)], ids=str)
def test_linear_shapes(impl: str, m: int, k: int, n: int) -> None:
    rng = np.random.default_rng(m + 7 * k + 11 * n)
    a, w = _int8(rng, (m, k)), _int8(rng, (k, n))
    sa, sw = rng.uniform(0.01, 0.1, m), rng.uniform(0.01, 0.1, n)
    bias = rng.standard_normal(n).astype(np.float32)
    za = rng.integers(-20, 20, m)
    y = im.int8_linear(a, w, sa, sw, a_zero_point=za, w_zero_point=3, bias=bias, relu=True)
    _assert_linear_close(y, *int8_linear_float64(a, w, sa, sw, za, 3, bias, True))


def test_linear_saturating_with_zero_points(impl: str) -> None:
    # |a - za| up to 255 and |w - zw| up to 255: the largest products the contract promises exact.
    a = np.full((4, 300), -128, dtype=np.int8)
    w = np.full((300, 66), 127, dtype=np.int8)
    y = im.int8_linear(a, w, 1.0, 1.0, a_zero_point=127, w_zero_point=-128)
    assert (y == np.float32(-255 * 255 * 300)).all()


def test_linear_k_zero_is_relu_of_bias(impl: str) -> None:
    bias = np.array([-1.5, 0.0, 2.5], np.float32)
    y = im.int8_linear(np.zeros((2, 0), np.int8), np.zeros((0, 3), np.int8), 1.0, 1.0, bias=bias, relu=True)
    np.testing.assert_array_equal(y, np.maximum(bias, 0)[None, :].repeat(2, 0))
    assert im.int8_linear(np.zeros((0, 4), np.int8), np.zeros((4, 3), np.int8), 1.0, 1.0).shape == (0, 3)


def test_linear_relu_keeps_nan(impl: str) -> None:
    a, w = np.ones((2, 4), np.int8), np.ones((4, 3), np.int8)
    y = im.int8_linear(a, w, np.array([1.0, np.nan], np.float32), 1.0, relu=True)
    assert np.isnan(y[1]).all() and (y[0] == 4).all()


def test_linear_deterministic(impl: str) -> None:
    rng = np.random.default_rng(9)
    a, w = _int8(rng, (120, 200)), _int8(rng, (200, 140))
    args = (rng.uniform(0.01, 0.1, 120), rng.uniform(0.01, 0.1, 140))
    first = im.int8_linear(a, w, *args, a_zero_point=3, bias=np.ones(140, np.float32), relu=True)
    for _ in range(3):
        np.testing.assert_array_equal(im.int8_linear(a, w, *args, a_zero_point=3, bias=np.ones(140, np.float32), relu=True), first)


# --- implementations agree with one another ---------------------------------------------------


@requires_native
def test_native_pack_matches_reference_bytes() -> None:
    rng = np.random.default_rng(10)
    for k, n in [(1, 1), (5, 63), (64, 64), (67, 130), (0, 3), (3, 0)]:
        b = _int8(rng, (k, n))
        ref, nat = im.pack_int8_weight_reference(b), im.pack_int8_weight_native(b)
        np.testing.assert_array_equal(nat.data, ref.data)
        np.testing.assert_array_equal(nat.col_sums, ref.col_sums)
        if nat.data.size:
            assert nat.data.ctypes.data % 64 == 0  # the native pack aligns for the vector loads


@requires_native
def test_native_paths_agree_bitwise_on_linear() -> None:
    rng = np.random.default_rng(11)
    a, w = _int8(rng, (77, 150)), _int8(rng, (150, 99))
    args = dict(a_zero_point=rng.integers(-9, 9, 77), w_zero_point=rng.integers(-9, 9, 99),
                bias=rng.standard_normal(99).astype(np.float32), relu=True)
    sa, sw = rng.uniform(0.01, 0.1, 77), rng.uniform(0.01, 0.1, 99)
    outs = []
    with K.use("native"):
        for path in cpu.PATHS:
            if _RANK[path] <= _RANK[BEST]:
                with cpu.force_path(path):
                    outs.append(im.int8_linear(a, w, sa, sw, **args))
    for y in outs[1:]:  # the same float32 operations in the same order on every path
        np.testing.assert_array_equal(y, outs[0])


def test_use_forces_the_implementation() -> None:
    with K.use("reference"):
        assert K.resolve(im.KERNEL_MATMUL).name == "reference"
        assert K.resolve(im.KERNEL_LINEAR).name == "reference"
        assert K.resolve(im.KERNEL_PACK).name == "reference"
    if NATIVE is not None:
        assert K.resolve(im.KERNEL_MATMUL).name == "native"  # automatic: the fastest available
        with K.use("native"):
            assert K.resolve(im.KERNEL_LINEAR).name == "native"
    from tensorlite.kernels import _triton

    ones = np.ones((2, 2), np.int8)
    with K.use("triton"):
        if _triton.interpreting() and _triton.available():  # triton serves CPU arrays only in this test mode
            np.testing.assert_array_equal(im.int8_matmul(ones, ones), np.full((2, 2), 2))
        else:
            with pytest.raises(RuntimeError, match="int8_matmul"):
                im.int8_matmul(ones, ones)


def test_forcing_native_without_the_extension_fails_clearly() -> None:
    code = (
        "import numpy as np, tensorlite.kernels as K\n"
        "from tensorlite.kernels import int8_matmul as im\n"
        "a = np.ones((2, 3), np.int8)\n"
        "print(im.int8_matmul(a, a.T.copy()).sum())\n"  # automatic: the reference serves
        "with K.use('native'):\n"
        "    try:\n"
        "        im.int8_matmul(a, a.T.copy())\n"
        "    except RuntimeError as e:\n"
        "        print('RuntimeError', e)\n"
    )
    out = _run([ "-c", code], TENSORLITE_NO_EXT="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("12\n") and "RuntimeError" in out.stdout and "int8_matmul" in out.stdout


# --- errors --------------------------------------------------------------------------------------


def _ok(m=3, k=4, n=5):
    return np.ones((m, k), np.int8), np.ones((k, n), np.int8)


@pytest.mark.parametrize(
    "call,exc,pattern",
    [
        (lambda: im.int8_matmul(np.ones((3, 4), np.float32), _ok()[1]), TypeError, r"int8_matmul: a must have dtype int8, got float32"),
        (lambda: im.int8_matmul(_ok()[0], np.ones((4, 5), np.int16)), TypeError, r"int8_matmul: b must have dtype int8, got int16"),
        (lambda: im.int8_matmul([[1, 2]], _ok()[1]), TypeError, r"int8_matmul: a must be an int8 array, got list"),
        (lambda: im.int8_matmul(np.ones(4, np.int8), _ok()[1]), ValueError, r"int8_matmul: a must be 2-D, got shape \(4,\)"),
        (lambda: im.int8_matmul(np.ones((2, 3, 4), np.int8), _ok()[1]), ValueError, r"must be 2-D"),
        (lambda: im.int8_matmul(np.ones((3, 4), np.int8), np.ones((5, 2), np.int8)), ValueError, r"int8_matmul: a \(3, 4\) and weight \(5, 2\) cannot be multiplied"),
        (lambda: im.int8_matmul(_ok()[0], im.pack_int8_weight(np.ones((6, 2), np.int8))), ValueError, r"\(3, 4\) and weight \(6, 2\)"),
        (lambda: im.pack_int8_weight(np.ones((3, 4), np.uint8)), TypeError, r"pack_int8_weight: b must have dtype int8, got uint8"),
        (lambda: im.int8_linear(*_ok(), np.ones(2), 1.0), ValueError, r"int8_linear: a_scale must be a scalar or of shape \(3,\), got shape \(2,\)"),
        (lambda: im.int8_linear(*_ok(), 1.0, np.ones((5, 1))), ValueError, r"w_scale must be a scalar or of shape \(5,\)"),
        (lambda: im.int8_linear(*_ok(), 1.0, "x"), TypeError, r"int8_linear: w_scale must be a real scalar or array, got str"),
        (lambda: im.int8_linear(*_ok(), np.ones(3, np.complex64), 1.0), TypeError, r"a_scale must have a real dtype"),
        (lambda: im.int8_linear(*_ok(), 1.0, 1.0, a_zero_point=0.5), TypeError, r"int8_linear: a_zero_point must be an int or an integer array"),
        (lambda: im.int8_linear(*_ok(), 1.0, 1.0, w_zero_point=np.ones(5, np.float32)), TypeError, r"w_zero_point must be an int"),
        (lambda: im.int8_linear(*_ok(), 1.0, 1.0, w_zero_point=np.ones(4, np.int64)), ValueError, r"w_zero_point must be an int or of shape \(5,\)"),
        (lambda: im.int8_linear(*_ok(), 1.0, 1.0, a_zero_point=2**40), ValueError, r"a_zero_point must fit in int32"),
        (lambda: im.int8_linear(*_ok(), 1.0, 1.0, bias=np.ones(4, np.float32)), ValueError, r"int8_linear: bias must have shape \(5,\), got \(4,\)"),
        (lambda: im.int8_linear(*_ok(), 1.0, 1.0, bias=[1.0] * 5), TypeError, r"bias must be a real array"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_errors(impl: str, call, exc: type, pattern: str) -> None:
    with pytest.raises(exc, match=pattern):
        call()


@requires_native
def test_native_entry_points_check_their_arguments() -> None:
    # The C++ functions re-check what they rely on, so a direct caller cannot read out of bounds.
    a, b = _ok()
    with pytest.raises(TypeError, match="int8_matmul: a must have dtype int8"):
        NATIVE.int8_matmul(a.astype(np.int32), b)
    with pytest.raises(ValueError, match=r"int8_matmul: shapes \(3, 4\) and \(5, 5\) cannot be multiplied"):
        NATIVE.int8_matmul(a, np.ones((5, 5), np.int8))
    packed = im.pack_int8_weight_native(b)
    with pytest.raises(ValueError, match="packed data has"):
        NATIVE.int8_matmul_packed(a, packed.data[:-1], packed.col_sums, 4, 5)
    with pytest.raises(ValueError, match="a_scale has 2 elements, expected 3"):
        NATIVE.int8_linear(a, b, np.ones(2, np.float32), np.ones(5, np.float32), None, None, None, False)


# --- CPU dispatch ---------------------------------------------------------------------------------


def _run(args: list[str], **env_changes: str | None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@requires_native
def test_cpu_features_match_proc_cpuinfo() -> None:
    feats = cpu.features()
    assert feats["x86_64"] == (os.uname().machine in ("x86_64", "AMD64"))
    for key in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx_vnni"):
        assert isinstance(feats[key], bool)
    try:
        flags = set(re.search(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(), re.M).group(1).split())
    except (OSError, AttributeError):
        pytest.skip("no /proc/cpuinfo")
    # The kernel lists a flag only when the OS supports its register state, as XGETBV says.
    for key, flag in [("avx2", "avx2"), ("fma", "fma"), ("avx512f", "avx512f"), ("avx512bw", "avx512bw"),
                      ("avx512vl", "avx512vl"), ("avx512_vnni", "avx512_vnni"), ("avx512_bf16", "avx512_bf16"),
                      ("avx_vnni", "avx_vnni")]:
        assert feats[key] == (flag in flags), key
    expected = "avx512" if {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"} <= flags else (
        "avx2" if {"avx2", "fma"} <= flags else "portable")
    assert cpu.path()["best"] == expected


@requires_native
def test_force_path_clamps_and_restores() -> None:
    before = cpu.kernel_paths()["int8_matmul"]
    with cpu.force_path("portable"):
        assert cpu.kernel_paths()["int8_matmul"] == "portable"
        assert cpu.path()["active"] == "portable"
        with cpu.force_path("avx512"):  # clamped to what the CPU has
            assert cpu.kernel_paths()["int8_matmul"] == BEST
        assert cpu.kernel_paths()["int8_matmul"] == "portable"
    assert cpu.kernel_paths()["int8_matmul"] == before
    assert cpu.kernel_paths()["gelu_forward"] == "portable"  # no SIMD-specific code
    with pytest.raises(ValueError, match="force_path"):
        with cpu.force_path("sse9"):
            pass
    with pytest.raises(ValueError, match="set_cpu_path"):
        NATIVE.set_cpu_path("sse9")


@requires_native
@pytest.mark.parametrize("path", cpu.PATHS)
def test_env_var_forces_a_lower_path(path: str) -> None:
    code = (
        "import numpy as np\n"
        "from tensorlite.kernels import cpu, int8_matmul as im\n"
        "rng = np.random.default_rng(0)\n"
        "a = rng.integers(-128, 128, (37, 91), dtype=np.int8); b = rng.integers(-128, 128, (91, 70), dtype=np.int8)\n"
        "ok = (im.int8_matmul(a, b) == a.astype(np.int64) @ b.astype(np.int64)).all()\n"
        "print(cpu.kernel_paths()['int8_matmul'], cpu.path()['requested'], bool(ok))\n"
    )
    out = _run(["-c", code], TENSORLITE_CPU_PATH=path.upper() if path == "avx2" else path)
    assert out.returncode == 0, out.stderr
    expected = path if _RANK[path] <= _RANK[BEST] else BEST
    assert out.stdout.split() == [expected, path, "True"]


@requires_native
def test_env_var_unknown_value_is_reported_and_ignored() -> None:
    code = "from tensorlite.kernels import cpu; p = cpu.path(); print(p['active'], '|', p['env_error'])"
    out = _run(["-c", code], TENSORLITE_CPU_PATH="avx9000")
    assert out.returncode == 0, out.stderr
    active, error = out.stdout.split("|")
    assert active.strip() == BEST and "avx9000" in error


@requires_native
def test_peak_probe() -> None:
    kinds = {"avx512": ["vnni512", "fma512", "avx2_int8", "fma256"], "avx2": ["avx2_int8", "fma256"], "portable": []}[BEST]
    for kind in kinds:
        assert NATIVE.peak_gops(kind, seconds=0.005, repeats=1) > 0
    with pytest.raises(ValueError, match="unknown kind"):
        NATIVE.peak_gops("fma1024")
    if BEST != "avx512":
        with pytest.raises(RuntimeError, match="vnni512"):
            NATIVE.peak_gops("vnni512")


def test_info_reports_kernel_paths() -> None:
    from tensorlite.cli import collect_info

    info = collect_info()
    if NATIVE is None:
        assert info["native"].get("kernel_paths") in (None, {})
        return
    assert info["native"]["kernel_paths"]["int8_matmul"] == cpu.kernel_paths()["int8_matmul"]
    assert info["native"]["cpu_path"]["best"] == BEST
    out = _run(["-m", "tensorlite", "info"])
    assert out.returncode == 0, out.stderr
    assert re.search(r"int8_matmul .*native: " + cpu.kernel_paths()["int8_matmul"], out.stdout), out.stdout
