"""pytest-benchmark version of bench_gemm.py: `pytest benchmarks/test_bench_gemm.py --benchmark-only`.

One group per shape (the MLP training step's products and two squares); tensorlite's native GEMM,
NumPy's BLAS and PyTorch in each, so pytest-benchmark's table holds the ratios.  The figures in
reports come from bench_gemm.py (interleaved rounds, each library in its own process).
"""

from __future__ import annotations

import numpy as np
import pytest

from tensorlite.kernels import _native
from tensorlite.kernels import gemm as G

# (name, M, K, N): x W^T and the backward's g W and g^T x of the MLP 64-256-256-10 at batch 128
SHAPES = [("fc1", 128, 64, 256), ("fc2", 128, 256, 256), ("gW2", 256, 128, 256), ("sq512", 512, 512, 512),
          ("sq1024", 1024, 1024, 1024)]
LIBS = ["native", "numpy", "torch"]


@pytest.fixture(scope="module", params=SHAPES, ids=lambda s: s[0])
def operands(request: pytest.FixtureRequest) -> tuple[str, np.ndarray, np.ndarray]:
    name, m, k, n = request.param
    rng = np.random.default_rng(m * n + k)
    return name, rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32)


@pytest.mark.parametrize("lib", LIBS)
def test_gemm(benchmark, operands, lib: str) -> None:
    name, a, b = operands
    benchmark.group = f"gemm {name} {a.shape[0]}x{a.shape[1]}x{b.shape[1]}"
    benchmark.extra_info["gflop"] = 2 * a.shape[0] * a.shape[1] * b.shape[1] / 1e9
    if lib == "native":
        if not _native.is_available():
            pytest.skip(f"native extension unavailable: {_native.load()[1]}")
        fn = lambda: G.gemm_native(a, b)  # noqa: E731
    elif lib == "numpy":
        fn = lambda: a @ b  # noqa: E731
    else:
        torch = pytest.importorskip("torch")
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        fn = lambda: ta @ tb  # noqa: E731
    out = benchmark(fn)
    np.testing.assert_allclose(np.asarray(out), a.astype(np.float64) @ b, rtol=1e-3, atol=1e-3 * a.shape[1] ** 0.5)
