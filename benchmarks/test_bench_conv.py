"""pytest-benchmark version of bench_conv.py: `pytest benchmarks/test_bench_conv.py --benchmark-only`.

One group per ResNet-18 layer (batch 32, 32x32 inputs); in each, a training step of the
convolution (forward, input gradient, weight gradient) by tensorlite's native kernels, the same
through tensorlite autograd, the NumPy reference (one round: slow) and PyTorch
(torch.nn.functional.conv2d + backward), so pytest-benchmark's table holds the ratios.  The
figures in reports come from bench_conv.py (interleaved rounds, GFLOP/s, % of peak, per-pass
breakdown); on a shared machine run this file with OMP_WAIT_POLICY=PASSIVE (see there why).
"""

from __future__ import annotations

import pytest

import bench_conv  # benchmarks/ is on sys.path under pytest
from bench_conv import LAYERS, Layer

BATCH = 32
LIBS = ["native", "tl.nn", "reference", "torch"]


@pytest.fixture(scope="module", params=LAYERS, ids=[spec[0] for spec in LAYERS])
def layer(request: pytest.FixtureRequest) -> Layer:
    bench_conv.load_libraries()
    name, c, o, size, k, s, p = request.param
    return Layer(name, BATCH, c, o, size, k, s, p, bench_conv.threads())


@pytest.mark.parametrize("lib", LIBS)
def test_conv2d_training_step(benchmark, layer: Layer, lib: str) -> None:
    benchmark.group = f"conv2d fwd+bwd {layer.name}"
    benchmark.extra_info["gflop"] = 3 * layer.flop / 1e9
    if lib not in layer.steps:
        pytest.skip(layer.notes.get(lib.split(".")[0], f"{lib} unavailable"))
    step = layer.steps[lib]
    if lib == "reference":
        benchmark.pedantic(step, rounds=1, iterations=1, warmup_rounds=1)
        return
    benchmark.pedantic(step, rounds=5, iterations=1, warmup_rounds=1)
