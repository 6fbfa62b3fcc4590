"""pytest-benchmark versions of the core benchmarks: `pytest benchmarks/ --benchmark-only`.

Each case has a tensorlite and a peer variant in the same group, so the comparison table that
pytest-benchmark prints holds the ratio. The figures in the README come from bench_core.py.
"""
import numpy as np
import pytest

import tensorlite as tl

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("size", [1, 1000])
@pytest.mark.parametrize("lib", ["tensorlite", "torch"])
def test_overhead(benchmark, lib, size):
    benchmark.group = f"overhead n={size}"
    mod = tl if lib == "tensorlite" else torch
    x = mod.randn(size, requires_grad=True)

    def step():
        x.grad = None
        ((x * 2 + 1).relu().sum()).backward()

    benchmark(step)


@pytest.mark.parametrize("lib", ["tensorlite", "torch", "numpy"])
def test_matmul_1024_fwd_bwd(benchmark, lib):
    benchmark.group = "matmul 1024 fwd+bwd"
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 1024, 1024), dtype=np.float32)
    g = np.ones((1024, 1024), dtype=np.float32)
    if lib == "numpy":
        benchmark(lambda: (a @ b, g @ b.T, a.T @ g))
        return
    mod = tl if lib == "tensorlite" else torch
    at, bt, gt = mod.tensor(a, requires_grad=True), mod.tensor(b, requires_grad=True), mod.tensor(g)

    def step():
        at.grad = bt.grad = None
        (at @ bt).backward(gt)

    benchmark(step)
