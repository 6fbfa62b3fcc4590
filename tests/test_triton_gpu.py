"""The Triton kernels on a real GPU (CuPy arrays), against the reference kernels on the same arrays.

Marked `gpu`: skipped without CUDA (tests/conftest.py), run by `make gpu-check`.  The CPU
interpreter tests (tests/test_kernels_*_triton.py) check the same kernels at small shapes; these
use shapes big enough for every autotuned block configuration and the float16 paths.
"""
from __future__ import annotations

import numpy as np
import pytest

import tensorlite as tl

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def cp():
    import cupy

    return cupy


def _rand(cp, shape, dtype, seed):
    return cp.asarray(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("shape", [(2, 4, 256, 64), (1, 3, 197, 128), (2, 2, 100, 150, 32)])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_attention_triton_matches_reference(cp, shape, causal, dtype):
    from tensorlite.kernels import attention as att

    if len(shape) == 5:  # Lq != Lk
        b, h, lq, lk, d = shape
        q = _rand(cp, (b, h, lq, d), dtype, 0)
        k, v = _rand(cp, (b, h, lk, d), dtype, 1), _rand(cp, (b, h, lk, d), dtype, 2)
    else:
        q, k, v = (_rand(cp, shape, dtype, s) for s in range(3))
    go = _rand(cp, q.shape, dtype, 3)
    with tl.kernels.use("triton"):
        out, lse = att.attention_forward(q, k, v, causal=causal)
        grads = att.attention_backward(go, q, k, v, out, lse, causal=causal)
    f32 = [a.astype(cp.float32) for a in (q, k, v, go)]
    with tl.kernels.use("reference"):
        rout, rlse = att.attention_forward(*f32[:3], causal=causal)
        rgrads = att.attention_backward(f32[3], *f32[:3], rout, rlse, causal=causal)
    tol = 2e-2 if dtype == np.float16 else 2e-4
    assert out.dtype == q.dtype
    cp.testing.assert_allclose(out.astype(cp.float32), rout, atol=tol, rtol=tol)
    for g, r in zip(grads, rgrads):
        assert g.dtype == q.dtype
        scale = float(cp.abs(r).max()) + 1e-6
        assert float(cp.abs(g.astype(cp.float32) - r).max()) <= 5 * tol * scale


@pytest.mark.parametrize("cfg", [
    # (N, C, H, W, O, k, stride, pad, dilation, groups)
    (4, 16, 28, 28, 32, 3, 1, 1, 1, 1),
    (2, 32, 15, 17, 64, 3, 2, 1, 1, 1),
    (2, 64, 14, 14, 64, 1, 1, 0, 1, 1),
    (2, 32, 20, 20, 32, 3, 1, 2, 2, 32),
    (2, 24, 12, 12, 48, 5, 1, 2, 1, 2),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_conv2d_triton_matches_reference(cp, cfg, dtype):
    from tensorlite.kernels import conv as kconv

    n, c, h, w, o, k, s, p, d, g = cfg
    x = _rand(cp, (n, c, h, w), dtype, 0)
    wt = _rand(cp, (o, c // g, k, k), dtype, 1) * dtype(0.2)
    bias = _rand(cp, (o,), dtype, 2)
    args = ((s, s), (p, p), (d, d), g)
    with tl.kernels.use("triton"):
        y = kconv.conv2d_forward(x, wt, bias, *args)
        gy = _rand(cp, y.shape, dtype, 3)
        gx = kconv.conv2d_backward_input(gy, wt, x.shape, *args)
        gw = kconv.conv2d_backward_weight(x, gy, wt.shape, *args)
    f = [a.astype(cp.float32) for a in (x, wt, bias, gy)]
    with tl.kernels.use("reference"):
        ry = kconv.conv2d_forward(f[0], f[1], f[2], *args)
        rgx = kconv.conv2d_backward_input(f[3], f[1], x.shape, *args)
        rgw = kconv.conv2d_backward_weight(f[0], f[3], wt.shape, *args)
    tol = 2e-2 if dtype == np.float16 else 1e-4
    for got, ref in ((y, ry), (gx, rgx), (gw, rgw)):
        assert got.dtype == x.dtype and got.shape == ref.shape
        scale = float(cp.abs(ref).max()) + 1e-6
        assert float(cp.abs(got.astype(cp.float32) - ref).max()) <= tol * scale


@pytest.mark.parametrize("mnk", [(1, 1, 1), (257, 129, 300), (512, 1024, 333), (1, 4096, 64)])
def test_int8_matmul_triton_exact(cp, mnk):
    from tensorlite.kernels import int8_matmul as i8

    m, n, k = mnk
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (m, k)).astype(np.int8)
    b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    a[0, :] = -128
    b[:, 0] = -128
    with tl.kernels.use("triton"):
        c = i8.int8_matmul(cp.asarray(a), cp.asarray(b))
    np.testing.assert_array_equal(cp.asnumpy(c), a.astype(np.int32) @ b.astype(np.int32))


def test_int8_linear_triton_epilogue(cp):
    from tensorlite.kernels import int8_matmul as i8

    rng = np.random.default_rng(1)
    m, n, k = 300, 200, 520
    a = rng.integers(-128, 128, (m, k)).astype(np.int8)
    w = rng.integers(-128, 128, (k, n)).astype(np.int8)
    a_scale = rng.uniform(0.01, 0.1, m).astype(np.float32)
    w_scale = rng.uniform(0.01, 0.1, n).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    ref = i8.int8_linear(a, w, a_scale, w_scale, a_zero_point=3, bias=bias, relu=True)
    with tl.kernels.use("triton"):
        got = i8.int8_linear(*(cp.asarray(t) for t in (a, w, a_scale, w_scale)), a_zero_point=3,
                             bias=cp.asarray(bias), relu=True)
    np.testing.assert_allclose(cp.asnumpy(got), ref, rtol=1e-5, atol=1e-4 * float(np.abs(ref).max()))
