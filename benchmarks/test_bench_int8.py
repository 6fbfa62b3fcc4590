"""pytest-benchmark version of bench_int8_matmul.py: `pytest benchmarks/test_bench_int8.py --benchmark-only`.

One group per size; tensorlite native and its peers (torch._int_mm, onnxruntime MatMulInteger
u8s8, NumPy float32 for scale) in each, so pytest-benchmark's table holds the ratios.  The
figures in reports come from bench_int8_matmul.py (interleaved rounds, % of peak, waiting
policy); run this file with OMP_WAIT_POLICY=PASSIVE on a shared machine (see there why).
"""

from __future__ import annotations

import numpy as np
import pytest

from tensorlite.kernels import _native
from tensorlite.kernels import int8_matmul as im

from bench_int8_matmul import make_ort, make_torch  # benchmarks/ is on sys.path under pytest

SIZES = [1024, 2048]
LIBS = ["native-packed", "native", "native-linear", "reference", "torch", "onnxruntime-u8s8", "numpy-f32"]


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n{n}")
def operands(request: pytest.FixtureRequest) -> tuple[int, np.ndarray, np.ndarray]:
    n = request.param
    rng = np.random.default_rng(n)
    return n, rng.integers(-128, 128, (n, n), dtype=np.int8), rng.integers(-128, 128, (n, n), dtype=np.int8)


def _threads() -> int:
    module, _ = _native.load()
    return int(module.openmp_max_threads()) if module is not None else 1


@pytest.mark.parametrize("lib", LIBS)
def test_int8_matmul(benchmark, operands, lib: str) -> None:
    n, a, b = operands
    benchmark.group = f"int8 matmul {n}^3"
    benchmark.extra_info["gop"] = 2 * n**3 / 1e9
    if lib.startswith("native"):
        if not _native.is_available():
            pytest.skip(f"native extension unavailable: {_native.load()[1]}")
        packed = im.pack_int8_weight_native(b)
        if lib == "native-packed":
            fn = lambda: im.int8_matmul_native(a, packed)  # noqa: E731
        elif lib == "native":
            fn = lambda: im.int8_matmul_native(a, b)  # noqa: E731
        else:
            sa, sw = np.full(n, 1e-3, np.float32), np.full(n, 1e-3, np.float32)
            bias = np.zeros(n, np.float32)
            fn = lambda: im.int8_linear_native(a, packed, sa, sw, None, None, bias, True)  # noqa: E731
    elif lib == "reference":
        if n > 1024:
            pytest.skip("NumPy's integer matmul: about a minute per call at 2048")
        fn = lambda: im.int8_matmul_reference(a, b)  # noqa: E731
        benchmark.pedantic(fn, rounds=1, iterations=1)
        return
    elif lib == "torch":
        fn, note = make_torch(a, b, _threads())
        if fn is None:
            pytest.skip(note)
    elif lib == "onnxruntime-u8s8":
        fn, note = make_ort(a, b, _threads(), unsigned_a=True, spin=False)
        if fn is None:
            pytest.skip(note)
    else:
        af, bf = a.astype(np.float32), b.astype(np.float32)
        fn = lambda: af @ bf  # noqa: E731
    benchmark(fn)
