"""int8 x int8 -> int32 matmul: tensorlite (native, reference) against torch._int_mm,
onnxruntime MatMulInteger and NumPy float32 matmul, with the machine's measured peak.

    python benchmarks/bench_int8_matmul.py                      # M = N = K = 1024 and 2048
    python benchmarks/bench_int8_matmul.py --sizes 512 1024 --rounds 9 --json out.json

Method.  Every implementation gets the same random int8 operands; results are checked equal
to tensorlite's before timing.  Timing runs in *rounds*: each round times every
implementation ``--repeats`` times back to back, and the rounds interleave the
implementations, so load from other processes on a shared machine falls on all of them alike.
Reported: the median and the best over all timed calls, as GOP/s = 2 M N K / time (for
NumPy float32, GFLOP/s of the same shape), the ratio to the best peer (median against
median), and the fraction of the peak that ``_C.peak_gops`` measures with a register-only
loop of the path's instruction (vpdpbusd for avx512) on all threads.  GOP/cpu-s divides
by the process CPU time of a call instead (all threads, spin-waits included): on a machine
shared with other work it still says how well the code uses the cores it gets (the bound
is the peak per thread).  The NumPy reference is timed once per round up to 1024, and
once in all above (a minute per call at 2048).

Waiting threads (--wait, default passive): OpenMP runtimes (tensorlite's and torch's each load
one) keep idle threads spinning for a while by default.  On a machine shared with other work
that is ruinous: measured here at load ~9 on 2 cores, tensorlite native went from 59 to 238
GOP/s median at 1024^3 with OMP_WAIT_POLICY=PASSIVE, a spinning thread having taken the core
its partner needed.  So by default every library waits passively (onnxruntime too, through
its allow_spinning option); --wait spin compares them spinning.

Implementations (all use the same number of threads: OpenMP's, i.e. OMP_NUM_THREADS):
  native packed     int8_matmul with the weight packed once (pack_int8_weight), the layer case
  native            int8_matmul on a plain int8 B (packs B into a reused buffer every call)
  native linear     int8_linear (packed weight, per-row/per-column scales, bias, ReLU fused)
  reference         NumPy int32 matmul (not BLAS; timed once per round, it is slow)
  torch._int_mm     PyTorch's int8 GEMM (oneDNN on CPU)
  ort s8s8 / u8s8   onnxruntime MatMulInteger, B a constant initializer (so ORT may prepack
                    it); u8s8 feeds A + 128 as uint8 with a zero point of 128 (the same
                    product), which is ORT's fast x86 path
  numpy f32         float32 matmul of the same shape (BLAS), for scale
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import time_calls  # noqa: E402

# tensorlite (and torch) are imported in main(), after --wait has set OMP_WAIT_POLICY: an
# OpenMP runtime reads it once, when it is loaded.
K: Any = None
_native: Any = None
cpu: Any = None
im: Any = None

PEERS = ("torch._int_mm", "ort s8s8", "ort u8s8")


def threads() -> int:
    module, _ = _native.load()
    return int(module.openmp_max_threads()) if module is not None else int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))


def make_torch(a: np.ndarray, b: np.ndarray, nthreads: int) -> tuple[Callable[[], Any] | None, str]:
    try:
        import torch
    except ImportError as exc:
        return None, f"torch not installed ({exc})"
    torch.set_num_threads(nthreads)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    try:
        torch._int_mm(ta[:32, :32].contiguous(), tb[:32, :32].contiguous())
    except Exception as exc:  # noqa: BLE001 - report what this torch build says
        return None, f"torch._int_mm unavailable on CPU: {type(exc).__name__}: {exc}"
    return (lambda: torch._int_mm(ta, tb).numpy()), f"torch {torch.__version__}"


def make_ort(
    a: np.ndarray, b: np.ndarray, nthreads: int, unsigned_a: bool, spin: bool
) -> tuple[Callable[[], Any] | None, str]:
    try:
        import onnx
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as exc:
        return None, f"onnxruntime/onnx not installed ({exc}); pip install 'tensorlite[bench]'"
    m, k = a.shape
    n = b.shape[1]
    a_type = TensorProto.UINT8 if unsigned_a else TensorProto.INT8
    inputs = ["A", "B"] + (["a_zero"] if unsigned_a else [])
    initializers = [numpy_helper.from_array(b, "B")]
    if unsigned_a:
        initializers.append(numpy_helper.from_array(np.array(128, dtype=np.uint8), "a_zero"))
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", inputs, ["Y"])],
        "int8_matmul",
        [helper.make_tensor_value_info("A", a_type, [m, k])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [m, n])],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = min(model.ir_version, 9)
    onnx.checker.check_model(model)
    options = ort.SessionOptions()
    options.intra_op_num_threads = nthreads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # The same waiting policy as the OpenMP libraries (--wait).
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {"A": (a.view(np.uint8) ^ 0x80) if unsigned_a else a}  # a + 128 as uint8, zero point 128
    return (lambda: session.run(None, feed)[0]), f"onnxruntime {ort.__version__}"


def peak(kind_for_path: str | None) -> tuple[float | None, str]:
    module, _ = _native.load()
    if module is None or not hasattr(module, "peak_gops"):
        return None, "no native extension"
    kind = {"avx512": "vnni512", "avx2": "avx2_int8"}.get(kind_for_path or "")
    if kind is None:
        return None, "no SIMD peak for the portable path"
    return float(module.peak_gops(kind, seconds=0.2, repeats=5)), kind


def bench_size(n: int, rounds: int, repeats: int, reference_max: int, nthreads: int, spin: bool) -> dict[str, Any]:
    rng = np.random.default_rng(n)
    a = rng.integers(-128, 128, size=(n, n), dtype=np.int8)
    b = rng.integers(-128, 128, size=(n, n), dtype=np.int8)
    ops = 2.0 * n * n * n
    notes: dict[str, str] = {}
    impls: dict[str, Callable[[], Any]] = {}

    if _native.is_available():
        packed = im.pack_int8_weight_native(b)
        sa = rng.uniform(1e-3, 1e-2, n).astype(np.float32)
        sw = rng.uniform(1e-3, 1e-2, n).astype(np.float32)
        bias = rng.standard_normal(n).astype(np.float32)
        with K.use("native"):
            impls["native packed"] = lambda: im.int8_matmul_native(a, packed)
            impls["native"] = lambda: im.int8_matmul_native(a, b)
            impls["native linear"] = lambda: im.int8_linear_native(a, packed, sa, sw, None, None, bias, True)
    else:
        notes["native"] = f"unavailable: {_native.load()[1]}"
    if n <= reference_max:
        impls["reference"] = lambda: im.int8_matmul_reference(a, b)
    else:
        notes["reference"] = f"skipped above --reference-max {reference_max}"
    fn, note = make_torch(a, b, nthreads)
    notes["torch._int_mm"] = note
    if fn is not None:
        impls["torch._int_mm"] = fn
    for unsigned_a, name in ((False, "ort s8s8"), (True, "ort u8s8")):
        fn, note = make_ort(a, b, nthreads, unsigned_a, spin)
        notes[name] = note
        if fn is not None:
            impls[name] = fn
    af, bf = a.astype(np.float32), b.astype(np.float32)
    numpy_f32 = lambda: af @ bf  # noqa: E731 - timed apart, see below

    # Everything integer must agree exactly (the float ones are not compared).
    expected = impls["native packed"]() if "native packed" in impls else (a.astype(np.float64) @ b.astype(np.float64))
    for name in ("native", "torch._int_mm", "ort s8s8", "ort u8s8") + (("reference",) if n <= 1024 else ()):
        if name in impls:
            got = impls[name]()
            if not np.array_equal(np.asarray(got, dtype=np.int64), np.asarray(expected, dtype=np.int64)):
                raise AssertionError(f"{name} disagrees with tensorlite native at n={n}")

    times: dict[str, list[float]] = {name: [] for name in impls}
    cpu_times: dict[str, list[float]] = {name: [] for name in impls}
    slow_reference = n > 1024  # NumPy's integer matmul: a minute per call at 2048
    order = list(impls)
    shuffle = np.random.default_rng(12345)
    for round_index in range(rounds):
        shuffle.shuffle(order)  # no implementation always runs right after the same other one
        for name in order:
            fn = impls[name]
            if name == "reference":
                if slow_reference and round_index > 0:
                    continue
                reps = 1
            else:
                # Let the previous library's thread pool stop spinning, then one untimed call
                # (wakes this library's threads, first-touch of its buffers).
                time.sleep(0.02)
                fn()
                reps = repeats
            wall, cpu_s = time_calls(fn, reps)
            times[name] += wall
            cpu_times[name] += cpu_s
    # NumPy float32 (OpenBLAS) last and apart: its threads busy-wait for a long time after a
    # call (up to ~0.1 s), which would slow whatever ran next.
    numpy_f32()
    times["numpy f32"], cpu_times["numpy f32"] = time_calls(numpy_f32, rounds * repeats)

    results = {}
    for name, ts in times.items():
        results[name] = {
            "median_s": statistics.median(ts),
            "best_s": min(ts),
            "calls": len(ts),
            "gops_median": ops / statistics.median(ts) / 1e9,
            "gops_best": ops / min(ts) / 1e9,
            # Per CPU-second of the whole process: what the code gets out of the cores it
            # actually ran on, whatever else the machine was doing.
            "gops_per_cpu_s": ops / statistics.median(cpu_times[name]) / 1e9,
        }
    return {"n": n, "ops": ops, "results": results, "notes": notes}


def report(run: dict[str, Any], peak_gops: float | None, path: str | None) -> None:
    res = run["results"]
    peers = [p for p in PEERS if p in res]
    best_peer = max(peers, key=lambda p: res[p]["gops_median"]) if peers else None
    n = run["n"]
    print(f"\nM = N = K = {n}  ({run['ops'] / 1e9:.1f} GOP per call; native path: {path})")
    header = f"  {'implementation':<16}{'GOP/s med':>11}{'GOP/s best':>12}{'calls':>7}"
    header += f"{'med vs ' + best_peer if best_peer else '':>24}{'% peak med/best':>18}{'GOP/cpu-s':>11}"
    print(header)
    for name, r in res.items():
        ratio = f"{r['gops_median'] / res[best_peer]['gops_median']:.2f}x" if best_peer else ""
        unit = "   (GFLOP/s)" if name == "numpy f32" else ""
        pct = (
            f"{100 * r['gops_median'] / peak_gops:5.1f}/{100 * r['gops_best'] / peak_gops:5.1f}%"
            if peak_gops and name != "numpy f32"
            else ""
        )
        print(
            f"  {name:<16}{r['gops_median']:>11.1f}{r['gops_best']:>12.1f}{r['calls']:>7}{ratio:>24}{pct:>18}"
            f"{r['gops_per_cpu_s']:>11.1f}{unit}"
        )
    for name, note in run["notes"].items():
        if name not in res or "unavailable" in note or "skipped" in note:
            print(f"  note: {name}: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per implementation per round")
    parser.add_argument("--reference-max", type=int, default=2048, help="largest size to time the NumPy reference at")

    parser.add_argument(
        "--wait",
        choices=["passive", "spin", "env"],
        default="passive",
        help="how idle worker threads wait, for every library alike: passive (OMP_WAIT_POLICY=PASSIVE, "
        "onnxruntime allow_spinning=0; the default: on a machine shared with other work a spinning "
        "thread takes the core its partner needs), spin (ACTIVE, allow_spinning=1), env (leave "
        "OMP_WAIT_POLICY as set; onnxruntime spins)",
    )
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    if args.wait != "env":
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE" if args.wait == "passive" else "ACTIVE"
    spin = args.wait == "spin" or (args.wait == "env" and os.environ.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE")
    global K, _native, cpu, im
    import tensorlite.kernels as K  # noqa: N811 - module-level name, bound late on purpose
    from tensorlite.kernels import _native, cpu
    from tensorlite.kernels import int8_matmul as im

    nthreads = threads()
    path = cpu.kernel_paths().get("int8_matmul")
    peak_gops, peak_kind = peak(path)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"tensorlite int8 matmul benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{nthreads} threads, load average {load}")
    print(f"CPU features: {' '.join(k for k, v in cpu.features().items() if v is True)}")
    print(f"waiting threads: OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, onnxruntime allow_spinning={int(spin)}")
    if peak_gops:
        print(f"measured peak ({peak_kind}, all threads): {peak_gops:.0f} GOP/s "
              f"({peak_gops / nthreads:.0f} per thread, the bound for GOP/cpu-s)")
    runs = [bench_size(n, args.rounds, args.repeats, args.reference_max, nthreads, spin) for n in args.sizes]
    for run in runs:
        report(run, peak_gops, path)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"threads": nthreads, "path": path, "peak_gops": peak_gops, "peak_kind": peak_kind,
                       "wait": args.wait, "load_average": load, "runs": runs}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
