"""The Triton conv2d kernels (kernels/conv_triton.py) against the reference (kernels/conv.py), run on
the CPU by Triton's interpreter (TRITON_INTERPRET=1, set by conftest.py on machines without an
NVIDIA GPU), plus one end-to-end check of ``tl.nn.functional.conv2d`` against PyTorch.

The interpreter runs the first autotuning config only (BLOCK_M = BLOCK_N = BLOCK_K = 32), so the
shapes below, tiny as they are, still cover several M tiles (N Ho Wo > 32), several N tiles
(channels > 32), several K slices (C kh kw > 32) and partial last tiles.

Oracle: the reference in float64 on the same values (the inputs are float32 / float16 numbers).
float32: |ours - ref| <= 1e-5 (1 + |ref|) (the sums have <= ~400 terms of size ~1: float32 rounding
is ~1e-6).  float16: the kernels load float16, accumulate in float32 and round once to float16,
so the error is ~half an ulp of float16: <= 2e-3 (1 + |ref|).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import tensorlite as tl
import tensorlite.kernels as K
from tensorlite.kernels import conv as kconv
from triton_aot import run_aot_script

pytestmark = pytest.mark.triton_interpret

TOL = {np.float32: 1e-5, np.float16: 2e-3}

# (N, C, H, W, O, groups, kernel, stride, padding, dilation, bias)
CASES = {
    "3x3 same": (1, 3, 5, 5, 4, 1, (3, 3), (1, 1), (1, 1), (1, 1), True),
    "3x3 stride2 groups2 odd": (2, 4, 7, 6, 6, 2, (3, 3), (2, 2), (1, 1), (1, 1), False),
    "depthwise stride2 dilation2": (1, 4, 9, 9, 4, 4, (3, 3), (2, 2), (0, 0), (2, 2), True),
    "depthwise multiplier2": (2, 3, 7, 8, 6, 3, (3, 3), (2, 2), (1, 1), (1, 1), True),
    "depthwise same": (1, 6, 9, 7, 6, 6, (3, 3), (1, 1), (1, 1), (1, 1), False),
    "5x5 same": (2, 3, 7, 7, 5, 1, (5, 5), (1, 1), (2, 2), (1, 1), True),
    "5x5 stride3 pad1": (1, 2, 11, 10, 3, 1, (5, 5), (3, 3), (1, 1), (1, 1), False),
    "1x1": (2, 5, 6, 7, 3, 1, (1, 1), (1, 1), (0, 0), (1, 1), True),
    "1x1 stride2": (1, 4, 8, 9, 8, 1, (1, 1), (2, 2), (0, 0), (1, 1), False),
    "1x1 stride3 pad1 (unreached pixels)": (1, 3, 7, 5, 2, 1, (1, 1), (3, 3), (1, 1), (1, 1), True),
    "3x5 mixed geometry": (1, 2, 11, 9, 3, 1, (3, 5), (2, 3), (1, 2), (1, 2), True),
    "dilation2 same": (1, 3, 8, 8, 4, 1, (3, 3), (1, 1), (2, 2), (2, 2), True),
    "kernel wider than input": (1, 2, 3, 4, 3, 1, (5, 5), (1, 1), (2, 2), (1, 1), True),
    "many tiles": (2, 20, 9, 9, 40, 1, (3, 3), (1, 1), (1, 1), (1, 1), True),
    "groups4 many channels": (1, 16, 6, 6, 36, 4, (3, 3), (2, 2), (1, 1), (1, 1), False),
}


def _data(case, dtype, seed=0):
    n, c, h, w, o, groups, kernel, stride, padding, dilation, has_bias = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = (rng.standard_normal((o, c // groups, *kernel)) / np.sqrt(c // groups * kernel[0] * kernel[1])).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype) if has_bias else None
    return x, wt, bias, (stride, padding, dilation, groups)


def _f64(a):
    return None if a is None else a.astype(np.float64)


def _check(ours, ref64, dtype, what):
    assert ours.dtype == dtype, f"{what}: dtype {ours.dtype}, expected {np.dtype(dtype)}"
    assert ours.shape == ref64.shape, f"{what}: shape {ours.shape} != {ref64.shape}"
    assert ours.flags.c_contiguous, f"{what}: result is not C-contiguous"
    err = np.abs(ours.astype(np.float64) - ref64)
    bound = TOL[dtype] * (1 + np.abs(ref64))
    assert (err <= bound).all(), f"{what}: max error {err.max():.3g}, bound {bound.flat[np.argmax(err - bound)]:.3g}"


def _run_all(x, wt, bias, geom, dtype, grad_seed=1):
    """Triton forward / both gradients on (x, wt, bias) vs the float64 reference."""
    y64 = kconv.conv_forward_reference(_f64(x), _f64(wt), _f64(bias), *geom)
    gy = np.random.default_rng(grad_seed).standard_normal(y64.shape).astype(dtype)
    with K.use("triton"):
        y = kconv.conv2d_forward(x, wt, bias, *geom)
        gx = kconv.conv2d_backward_input(gy, wt, x.shape, *geom)
        gw = kconv.conv2d_backward_weight(x, gy, wt.shape, *geom)
    _check(y, y64, dtype, "forward")
    _check(gx, kconv.conv_backward_input_reference(_f64(gy), _f64(wt), x.shape, *geom), dtype, "backward_input")
    _check(gw, kconv.conv_backward_weight_reference(_f64(x), _f64(gy), wt.shape, *geom), dtype, "backward_weight")


@pytest.mark.parametrize("name", list(CASES))
def test_conv2d_triton_matches_reference_float32(name):
    _run_all(*_data(CASES[name], np.float32), np.float32)


@pytest.mark.parametrize("name", ["3x3 stride2 groups2 odd", "depthwise multiplier2", "5x5 same", "many tiles"])
def test_conv2d_triton_matches_reference_float16(name):
    _run_all(*_data(CASES[name], np.float16), np.float16)


@pytest.mark.parametrize("layout", ["channels_last", "sliced", "transposed weight"])
def test_conv2d_triton_strided_operands(layout):
    """Strides are passed explicitly: non-contiguous x, grad_out and w give the contiguous results."""
    x, wt, bias, geom = _data(CASES["3x3 stride2 groups2 odd"], np.float32, seed=3)
    y64 = kconv.conv_forward_reference(_f64(x), _f64(wt), _f64(bias), *geom)
    gy = np.random.default_rng(4).standard_normal(y64.shape).astype(np.float32)
    if layout == "channels_last":  # NHWC memory seen as NCHW
        xs = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        gys = np.ascontiguousarray(gy.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
        ws = np.ascontiguousarray(wt.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    elif layout == "sliced":  # every other element of a bigger array
        xs = np.zeros((x.shape[0], 2 * x.shape[1], x.shape[2], 2 * x.shape[3]), np.float32)[:, ::2, :, 1::2]
        xs[...] = x
        gys = np.zeros(gy.shape[:3] + (gy.shape[3] + 3,), np.float32)[..., 2:-1]
        gys[...] = gy
        ws = np.zeros((2 * wt.shape[0],) + wt.shape[1:], np.float32)[1::2]
        ws[...] = wt
    else:  # kernel dims swapped in memory, and a negative-stride (flipped) grad_out view
        ws = np.ascontiguousarray(wt.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
        xs = x
        gys = np.ascontiguousarray(gy[:, :, ::-1])[:, :, ::-1]
    assert not (xs.flags.c_contiguous and gys.flags.c_contiguous and ws.flags.c_contiguous)
    with K.use("triton"):
        y = kconv.conv2d_forward(xs, ws, bias, *geom)
        gx = kconv.conv2d_backward_input(gys, ws, x.shape, *geom)
        gw = kconv.conv2d_backward_weight(xs, gys, wt.shape, *geom)
    _check(y, y64, np.float32, "forward")
    _check(gx, kconv.conv_backward_input_reference(_f64(gy), _f64(wt), x.shape, *geom), np.float32, "backward_input")
    _check(gw, kconv.conv_backward_weight_reference(_f64(x), _f64(gy), wt.shape, *geom), np.float32,
           "backward_weight")


@pytest.mark.parametrize("split", [2, 3, 1000])
def test_conv2d_triton_backward_weight_split_reduction(split):
    """The split-K path (partial sums in a float32 buffer, added on the host) gives the same gradient."""
    from tensorlite.kernels import conv_triton

    for name in ("5x5 same", "depthwise multiplier2"):
        x, wt, _, geom = _data(CASES[name], np.float32, seed=5)
        out = kconv.output_size(x.shape[2:], wt.shape[2:], *geom[:3])
        gy = np.random.default_rng(6).standard_normal((x.shape[0], wt.shape[0], *out)).astype(np.float32)
        gw = conv_triton.conv2d_backward_weight(x, gy, wt.shape, *geom, split=split)
        _check(gw, kconv.conv_backward_weight_reference(_f64(x), _f64(gy), wt.shape, *geom), np.float32,
               f"backward_weight split={split}")


def test_conv2d_triton_float64_delegates_to_reference():
    x, wt, bias, geom = _data(CASES["3x3 stride2 groups2 odd"], np.float64)
    gy = np.random.default_rng(7).standard_normal((2, 6, 4, 3))
    with K.use("triton"):
        assert K.resolve("conv2d_forward", "cpu").name == "triton"
        y = kconv.conv2d_forward(x, wt, bias, *geom)
        gx = kconv.conv2d_backward_input(gy, wt, x.shape, *geom)
        gw = kconv.conv2d_backward_weight(x, gy, wt.shape, *geom)
    np.testing.assert_array_equal(y, kconv.conv_forward_reference(x, wt, bias, *geom))
    np.testing.assert_array_equal(gx, kconv.conv_backward_input_reference(gy, wt, x.shape, *geom))
    np.testing.assert_array_equal(gw, kconv.conv_backward_weight_reference(x, gy, wt.shape, *geom))


def test_conv2d_triton_empty_batch_and_errors():
    x = np.zeros((0, 4, 5, 5), np.float32)
    w = np.ones((6, 2, 3, 3), np.float32)
    args = ((1, 1), (1, 1), (1, 1), 2)
    with K.use("triton"):
        assert kconv.conv2d_forward(x, w, None, *args).shape == (0, 6, 5, 5)
        assert kconv.conv2d_backward_input(np.zeros((0, 6, 5, 5), np.float32), w, x.shape, *args).shape == x.shape
        np.testing.assert_array_equal(kconv.conv2d_backward_weight(x, np.zeros((0, 6, 5, 5), np.float32), w.shape,
                                                                   *args), np.zeros_like(w))
        x1 = np.ones((1, 4, 5, 5), np.float32)
        with pytest.raises(TypeError, match="conv2d_forward triton: .*same dtype"):
            kconv.conv2d_forward(x1, w.astype(np.float16), None, *args)
        with pytest.raises(ValueError, match="conv2d_forward triton: .*groups=3"):
            kconv.conv2d_forward(x1, w, None, (1, 1), (1, 1), (1, 1), 3)
        with pytest.raises(ValueError, match="does not fit"):
            kconv.conv2d_forward(x1, np.ones((2, 4, 9, 9), np.float32), None, (1, 1), (0, 0), (1, 1), 1)
        with pytest.raises(ValueError, match="conv2d_backward_input triton: grad_out has shape"):
            kconv.conv2d_backward_input(np.ones((1, 6, 4, 4), np.float32), w, x1.shape, *args)
        with pytest.raises(RuntimeError, match="conv3d_forward.*no 'triton' implementation"):
            kconv.conv3d_forward(np.ones((1, 2, 3, 3, 3), np.float32), np.ones((2, 2, 1, 1, 1), np.float32), None,
                                 (1, 1, 1), (0, 0, 0), (1, 1, 1), 1)


def test_functional_conv2d_forward_backward_with_triton_vs_torch():
    """tl.nn.functional.conv2d under use("triton"): output and the three gradients against PyTorch."""
    torch = pytest.importorskip("torch")
    import tensorlite.nn.functional as F

    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 4, 7, 8)).astype(np.float32)
    w = (rng.standard_normal((6, 2, 3, 3)) * 0.3).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    kw = dict(stride=2, padding=1, dilation=1, groups=2)
    tx, tw, tb = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, **kw)
    g = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    ty.backward(torch.from_numpy(g))
    lx, lw, lb = (tl.tensor(a.copy(), requires_grad=True) for a in (x, w, b))
    with K.use("triton"):
        ly = F.conv2d(lx, lw, lb, **kw)
        ly.backward(tl.tensor(g))
    np.testing.assert_allclose(ly.detach().numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    for ours, theirs in ((lx, tx), (lw, tw), (lb, tb)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_import_tensorlite_does_not_import_triton():
    code = ("import sys, tensorlite, tensorlite.kernels as K; "
            "assert 'triton' not in sys.modules, 'triton imported'; "
            "assert 'tensorlite.kernels.conv_triton' not in sys.modules; "
            "assert 'tensorlite.kernels.int8_matmul_triton' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ), timeout=120)


# -- the GPU compilation path, without a GPU -------------------------------------------------------------------
# Each case runs the three host functions on NumPy arrays with the launches recorded (tests/triton_aot.py), and
# every launch is compiled for sm_90 with the smallest and the largest autotune configs, specialised as a real
# launch would be (arguments equal to 1 become constants: stride / dilation / padding 1, depthwise Cg = Og = 1,
# unit memory strides, SPLIT = 1).  Between them the cases take every constexpr branch: kernel 1x1 / 3x3 / 5x5 /
# 1x3, bias on and off, PRECISION ieee and tf32, float32 and float16, groups (depthwise, multiplier 2),
# NCHW / channels-last / unaligned sliced inputs, and the weight gradient's split = 1 (output in the input
# dtype) and split > 1 (float32 partial sums).
_CONV_AOT = """
import numpy as np
from triton_aot import compile_all, recorded_launches
from tensorlite.kernels import conv_triton as T

# name: (dtype, N, C, H, W, O, groups, kernel, stride, padding, dilation, bias, layout, tf32, splits)
CASES = {
    "fp32 3x3 s1 p1 bias NCHW": (np.float32, 2, 16, 16, 16, 32, 1, (3, 3), (1, 1), (1, 1), (1, 1), True, "nchw",
                                 False, (1, 3)),
    "fp16 3x3 s2 d2 groups2 channels-last": (np.float16, 1, 6, 9, 7, 4, 2, (3, 3), (2, 2), (1, 1), (2, 2), False,
                                             "nhwc", False, (1, 4)),
    "fp16 depthwise 3x3 s1 bias": (np.float16, 2, 8, 8, 8, 8, 8, (3, 3), (1, 1), (1, 1), (1, 1), True, "nchw",
                                   False, (1,)),
    "fp32 depthwise x2 5x5 s2 sliced": (np.float32, 1, 4, 11, 10, 8, 4, (5, 5), (2, 2), (2, 2), (1, 1), False,
                                        "sliced", False, (1,)),
    "fp32 1x1 s1 p0 tf32 bias": (np.float32, 2, 8, 5, 6, 16, 1, (1, 1), (1, 1), (0, 0), (1, 1), True, "nchw",
                                 True, (1,)),
    "fp16 1x3 s(1,2) p(0,1)": (np.float16, 1, 3, 6, 9, 5, 1, (1, 3), (1, 2), (0, 1), (1, 1), True, "nchw",
                               False, (1,)),
}
case = [""]
with recorded_launches(T, lambda: case[0]) as launches:
    for name, (dtype, n, c, h, w, o, groups, kernel, stride, padding, dilation, has_bias, layout, tf32,
               splits) in CASES.items():
        case[0] = name
        T.ALLOW_TF32 = tf32
        if layout == "nhwc":  # channels-last memory seen as NCHW: the channel stride is 1
            x = np.zeros((n, h, w, c), dtype).transpose(0, 3, 1, 2)
        elif layout == "sliced":  # starts one element into its allocation: no 16-byte alignment
            x = np.zeros((n, c, h, w + 1), dtype)[..., 1:]
        else:
            x = np.zeros((n, c, h, w), dtype)
        wt = np.zeros((o, c // groups, *kernel), dtype)
        bias = np.zeros(o, dtype) if has_bias else None
        geom = (stride, padding, dilation, groups)
        y = T.conv2d_forward(x, wt, bias, *geom)
        T.conv2d_backward_input(np.zeros(y.shape, dtype), wt, x.shape, *geom)
        for split in splits:
            T.conv2d_backward_weight(x, np.zeros(y.shape, dtype), wt.shape, *geom, split=split)
    T.ALLOW_TF32 = False
kernels = {launch.name for launch in launches}
assert kernels == {"_forward_kernel", "_backward_input_kernel", "_backward_weight_kernel"}, kernels
compile_all(launches)
"""


@pytest.mark.slow
def test_conv_kernels_compile_for_sm90(tmp_path):
    """Triton lowers every conv kernel, in each constexpr branch, to sm_90 machine code (no GPU needed), so
    errors the interpreter is lenient about (types, branches it never takes) show here."""
    print(run_aot_script(_CONV_AOT, tmp_path))
