"""pytest-benchmark version of bench_attention.py: `pytest benchmarks/test_bench_attention.py --benchmark-only`.

Forward + backward of attention (B=1, H=8, d=64, float32), causal and not, for the reference
and native kernels and PyTorch's SDPA, grouped per size so the comparison table that
pytest-benchmark prints holds the ratios.  GFLOP/s (analytic count, see bench_attention.py) is
stored in each result's extra_info.  Threads: as bench_attention.py sets them for its own
process, set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS before running (torch follows
OMP_NUM_THREADS).  The figures in reports come from bench_attention.py.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import tensorlite.kernels as K

pytest.importorskip("pytest_benchmark")

from bench_attention import H, flops, make_inputs, runner  # noqa: E402 - benchmarks/ is on sys.path (rootdir)

SIZES = [512, 1024, 2048]


def _impl_available(impl: str) -> bool:
    if impl == "torch":
        try:
            import torch  # noqa: F401
        except ImportError:
            return False
        return True
    return impl in K.available("cpu").get("attention_forward", [])


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("impl", ["reference", "native", "torch"])
def test_attention_fwd_bwd(benchmark, impl, n, causal):
    if not _impl_available(impl):
        pytest.skip(f"{impl} not available")
    if impl == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    benchmark.group = f"attention fwd+bwd B=1 H={H} N={n} d=64 {'causal' if causal else 'full'}"
    q, k, v, g = make_inputs(1, n)
    fwd, bwd = runner(impl, q, k, v, g, causal)

    def step():
        fwd()
        bwd()

    rounds = 5 if n <= 1024 else 3
    benchmark.pedantic(step, rounds=rounds, iterations=1, warmup_rounds=1)
    if benchmark.stats is not None:  # None under --benchmark-disable (the step ran once, untimed)
        f_fwd, f_bwd = flops(1, n, causal)
        benchmark.extra_info["gflops"] = (f_fwd + f_bwd) / benchmark.stats.stats.median / 1e9
        assert np.isfinite(benchmark.extra_info["gflops"])
