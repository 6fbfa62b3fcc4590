"""The Triton int8 kernels (kernels/int8_matmul_triton.py) against exact integer arithmetic and the
contract's formula, run on the CPU by Triton's interpreter (TRITON_INTERPRET=1, set by conftest.py
on machines without an NVIDIA GPU).

The interpreter runs the first autotuning config only (BLOCK_M = BLOCK_N = 32, BLOCK_K = 64): the
shapes cover M or N = 1, several tiles with partial last ones, and K not a multiple of 64 (and of 4,
the packed layout's group).

Oracles: the integer product against the float64 matmul of the int8 values (exact: every partial
sum is an integer below 2**53), compared **exactly**, and, past 2**31, against that value wrapped
modulo 2**32 (the contract's overflow rule).  The fused form against the contract's formula in
float64 (scales rounded to float32 first, as the kernel takes them), to
``|y - y64| <= 4 * 2**-24 * (|acc * a_scale * w_scale| + |bias|)`` (the kernel rounds int32 -> float,
a_scale * w_scale and one fma with bias, like the C++ epilogue), and bit for bit against the
``native`` (C++) kernel, whose epilogue does the same float32 operations, when it is built.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorlite.kernels as K
from tensorlite.kernels import int8_matmul as im
from triton_aot import run_aot_script
from kernel_checks import int8_linear_float64

pytestmark = pytest.mark.triton_interpret

SHAPES = [(1, 1, 1), (1, 100, 1), (3, 130, 70), (70, 64, 33), (40, 257, 1), (1, 257, 40), (33, 0, 5)]  # (M, K, N)


def _int8(rng, shape):
    return rng.integers(-128, 128, shape).astype(np.int8)


def _exact(a, b):
    c = a.astype(np.float64) @ b.astype(np.float64)
    return c.astype(np.int64)


def _wrap32(c):
    return ((np.asarray(c, np.int64) + 2**31) % 2**32 - 2**31).astype(np.int32)


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "packed"])
@pytest.mark.parametrize("mkn", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_int8_matmul_triton_exact(mkn, packed):
    m, k, n = mkn
    rng = np.random.default_rng(sum(mkn))
    a, b = _int8(rng, (m, k)), _int8(rng, (k, n))
    if k:  # saturating rows / columns: the largest |products|
        a[0] = -128
        b[:, 0] = -128
        a[-1] = 127
        b[:, -1] = 127
    w = im.pack_int8_weight(b) if packed else b
    with K.use("triton"):
        c = im.int8_matmul(a, w)
    assert c.dtype == np.int32 and c.shape == (m, n)
    np.testing.assert_array_equal(c, _exact(a, b))


def test_int8_matmul_triton_saturating_and_strided():
    """All -128 (and -128 x 127) blocks, and non-contiguous a and b (views, a Fortran-order b, a flipped a)."""
    k = 200
    a = np.full((3, k), -128, np.int8)
    b = np.full((k, 2), -128, np.int8)
    b[:, 1] = 127
    with K.use("triton"):
        c = im.int8_matmul(a, b)
    np.testing.assert_array_equal(c, [[128 * 128 * k, -128 * 127 * k]] * 3)
    rng = np.random.default_rng(1)
    big_a = _int8(rng, (37, 2 * 150))
    b_t = _int8(rng, (45, 150))
    for a_view in (big_a[:, ::2], big_a[::-1, 1::2]):
        b_view = b_t.T  # (150, 45), Fortran order
        with K.use("triton"):
            c = im.int8_matmul(a_view, b_view)
        np.testing.assert_array_equal(c, _exact(a_view, b_view))


def test_int8_matmul_triton_wraps_past_int32():
    """|c| > 2**31 - 1 (K > 131071 of -128 x -128) wraps modulo 2**32 like every implementation."""
    k = 131072 + 100
    a = np.full((1, k), -128, np.int8)
    b = np.full((k, 1), -128, np.int8)
    with K.use("triton"):
        c = im.int8_matmul(a, b)
    assert 128 * 128 * k > 2**31 - 1
    np.testing.assert_array_equal(c, _wrap32([[128 * 128 * k]]))


# --- int8_linear: the fused epilogue -----------------------------------------------------------------------


def _assert_close(y, y64, magnitude):
    assert y.dtype == np.float32 and y.shape == y64.shape
    err = np.abs(y.astype(np.float64) - y64)
    bound = 4 * 2.0**-24 * magnitude + 1e-37
    assert (err <= bound).all(), f"max excess {np.max(err - bound):.3g}"


# (scales, a zero point, w zero point, bias, relu): scales "row,col" per-row / per-column, "s,s" scalars, ...
LINEAR_CASES = {
    "scalar scales only": ("s,s", None, None, False, False),
    "per-row,per-col + bias": ("row,col", None, None, True, False),
    "per-col + relu": ("s,col", None, None, False, True),
    "a zero point int": ("row,col", 3, None, True, True),
    "w zero points vector": ("row,s", None, "vec", True, False),
    "both zero points vectors + relu": ("row,col", "vec", "vec", True, True),
    "both zero points ints": ("s,col", -7, 5, False, False),
}


def _linear_args(rng, m, n, case):
    scales, za, zw, has_bias, relu = case
    sa_kind, sw_kind = scales.split(",")
    a_scale = rng.uniform(1e-3, 0.1, m).astype(np.float32) if sa_kind == "row" else 0.05
    w_scale = rng.uniform(1e-3, 0.1, n).astype(np.float32) if sw_kind == "col" else 0.02
    za = rng.integers(-20, 20, m).astype(np.int32) if za == "vec" else za
    zw = rng.integers(-20, 20, n).astype(np.int32) if zw == "vec" else zw
    bias = rng.standard_normal(n).astype(np.float32) if has_bias else None
    return a_scale, w_scale, za, zw, bias, relu


@pytest.mark.parametrize("packed", [False, True], ids=["plain", "packed"])
@pytest.mark.parametrize("name", list(LINEAR_CASES))
def test_int8_linear_triton_epilogue(name, packed):
    m, k, n = (3, 130, 70) if packed else (40, 257, 1)
    rng = np.random.default_rng(len(name))
    a, w = _int8(rng, (m, k)), _int8(rng, (k, n))
    a[0] = -128
    w[:, 0] = 127
    a_scale, w_scale, za, zw, bias, relu = _linear_args(rng, m, n, LINEAR_CASES[name])
    wt = im.pack_int8_weight(w) if packed else w
    with K.use("triton"):
        y = im.int8_linear(a, wt, a_scale, w_scale, a_zero_point=za, w_zero_point=zw, bias=bias, relu=relu)
    _assert_close(y, *int8_linear_float64(a, w, a_scale, w_scale, za, zw, bias, relu))
    if relu:
        assert (y >= 0).all()
    if "native" in K.available("cpu")["int8_linear"]:
        with K.use("native"):
            y_native = im.int8_linear(a, wt, a_scale, w_scale, a_zero_point=za, w_zero_point=zw, bias=bias, relu=relu)
        np.testing.assert_array_equal(y, y_native)  # the same float32 epilogue, operation for operation


def test_int8_linear_triton_shapes_one_and_empty_k():
    rng = np.random.default_rng(3)
    for m, k, n in [(1, 1, 1), (1, 100, 1), (1, 257, 40), (33, 0, 5)]:
        a, w = _int8(rng, (m, k)), _int8(rng, (k, n))
        a_scale, w_scale, za, zw, bias, relu = _linear_args(rng, m, n, LINEAR_CASES["both zero points vectors + relu"])
        with K.use("triton"):
            y = im.int8_linear(a, w, a_scale, w_scale, a_zero_point=za, w_zero_point=zw, bias=bias, relu=relu)
        _assert_close(y, *int8_linear_float64(a, w, a_scale, w_scale, za, zw, bias, relu))


def test_int8_linear_triton_zero_point_products_wrap_like_reference():
    """Zero points far outside int8 make (a - za)(w - zw) overflow int32: every implementation wraps the same."""
    rng = np.random.default_rng(4)
    a, w = _int8(rng, (5, 90)), _int8(rng, (90, 7))
    args = dict(a_zero_point=2**20, w_zero_point=-(2**20) + 5)
    with K.use("triton"):
        y = im.int8_linear(a, w, 1.0, 1.0, **args)
    acc = _wrap32((a.astype(np.int64) - 2**20) @ (w.astype(np.int64) + 2**20 - 5))
    assert np.abs((a.astype(np.int64) - 2**20) @ (w.astype(np.int64) + 2**20 - 5)).max() > 2**31
    np.testing.assert_array_equal(y, acc.astype(np.float32))  # scales 1: float32(v) exactly
    np.testing.assert_array_equal(y, im.int8_linear_reference(a, w, np.ones(5, np.float32), np.ones(7, np.float32),
                                                               np.full(5, 2**20, np.int32),
                                                               np.full(7, -(2**20) + 5, np.int32), None, False))


def test_int8_linear_triton_relu_keeps_nan():
    rng = np.random.default_rng(5)
    a, w = _int8(rng, (4, 40)), _int8(rng, (40, 6))
    a_scale = np.array([np.nan, 0.1, 0.1, 0.1], np.float32)
    with K.use("triton"):
        y = im.int8_linear(a, w, a_scale, 0.5, relu=True)
    assert np.isnan(y[0]).all() and not np.isnan(y[1:]).any() and (y[1:] >= 0).all()


def test_int8_triton_dispatch_and_packing():
    """use("triton") covers the whole path, packing included (the shared k4n64u8 layout)."""
    rng = np.random.default_rng(6)
    b = _int8(rng, (70, 130))
    with K.use("triton"):
        for kernel in ("int8_matmul", "int8_linear", "pack_int8_weight"):
            assert K.resolve(kernel, "cpu").name == "triton"
        p = im.pack_int8_weight(b)
    ref = im.pack_int8_weight_reference(b)
    np.testing.assert_array_equal(p.data, ref.data)
    np.testing.assert_array_equal(p.col_sums, ref.col_sums)
    np.testing.assert_array_equal(p.unpack(), b)


# -- the GPU compilation path, without a GPU -------------------------------------------------------------------
# The host functions run on NumPy arrays with the launches recorded (tests/triton_aot.py); each launch compiles
# for sm_90 with the smallest and the largest autotune configs, specialised as a real launch would be (M = 1,
# unit strides and K4 = 1 become constants).  Between them the cases take every constexpr branch: PACKED on/off,
# the plain int32 product and the LINEAR epilogue with each zero-point combination (HAS_AZP, HAS_WZP, both,
# neither), HAS_BIAS and RELU on and off, contiguous, transposed and unaligned (sliced) operands.
_INT8_AOT = """
import numpy as np
from triton_aot import compile_all, recorded_launches
from tensorlite.kernels import int8_matmul_triton as T
from tensorlite.kernels.int8_matmul import pack_int8_weight_reference

def i8(*shape):
    return np.zeros(shape, np.int8)

def f32(n):
    return np.ones(n, np.float32)

def i32(n):
    return np.zeros(n, np.int32)

case = [""]
with recorded_launches(T, lambda: case[0]) as launches:
    case[0] = "matmul plain contiguous"
    T.int8_matmul(i8(64, 128), i8(128, 96))
    case[0] = "matmul packed M=1"
    T.int8_matmul(i8(1, 100), pack_int8_weight_reference(i8(100, 40)))
    case[0] = "matmul plain, a transposed, b sliced (unaligned)"
    T.int8_matmul(i8(70, 33).T, i8(70, 41)[:, 1:])
    case[0] = "linear plain, no zero points, no bias, no relu"
    T.int8_linear(i8(48, 64), i8(64, 32), f32(48), f32(32), None, None, None, False)
    case[0] = "linear plain, both zero points, bias, relu"
    T.int8_linear(i8(40, 257), i8(257, 70), f32(40), f32(70), i32(40), i32(70), f32(70), True)
    case[0] = "linear packed, w zero point, bias"
    T.int8_linear(i8(3, 130), pack_int8_weight_reference(i8(130, 70)), f32(3), f32(70), None, i32(70), f32(70),
                  False)
    case[0] = "linear packed, a zero point, relu"
    T.int8_linear(i8(16, 64), pack_int8_weight_reference(i8(64, 64)), f32(16), f32(64), i32(16), None, None, True)
assert {launch.name for launch in launches} == {"_int8_gemm_kernel"}
compile_all(launches)
"""


@pytest.mark.slow
def test_int8_kernels_compile_for_sm90(tmp_path):
    """Triton lowers the int8 kernel, in each constexpr branch, to sm_90 machine code (no GPU needed), so errors
    the interpreter is lenient about (types, branches it never takes) show here."""
    print(run_aot_script(_INT8_AOT, tmp_path))
