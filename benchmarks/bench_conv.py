"""conv2d forward + backward on the ResNet-18 layer shapes: tensorlite (native, reference)
against PyTorch's torch.nn.functional.conv2d with autograd, with the machine's measured peak.

    python benchmarks/bench_conv.py                        # batch 32, 32x32 inputs (CIFAR-size ResNet-18)
    python benchmarks/bench_conv.py --batch 8 --rounds 9 --json out.json

Layers (the small-input variant of ResNet-18, float32, NCHW, no bias as in ResNet):
    layer1   64 ->  64  32x32  3x3 s1      layer3.0 128 -> 256  16x16  3x3 s2
    layer2.0 64 -> 128  32x32  3x3 s2      layer3   256 -> 256   8x8   3x3 s1
    layer2  128 -> 128  16x16  3x3 s1      layer4.0 256 -> 512   8x8   3x3 s2
    down2    64 -> 128  32x32  1x1 s2      layer4   512 -> 512   4x4   3x3 s1
    down3   128 -> 256  16x16  1x1 s2      down4    256 -> 512   8x8   1x1 s2
(sizes are the layer's input; "down" the 1x1 downsample of the shortcut).

Work: one pass = 2 N O (C/g) kh kw Ho Wo FLOP; a training step (forward, input gradient, weight
gradient) = 3 passes.  Implementations, all on the same random operands:
  native      the kernels tensorlite.kernels.conv2d_{forward,backward_input,backward_weight}, native
  tl.nn       tensorlite.nn.functional.conv2d + backward(): the same kernels through autograd
  reference   the same kernels, NumPy reference implementation (timed once per round: slow)
  torch       torch.nn.functional.conv2d on tensors requiring grad, then backward(grad) (oneDNN)
Results are checked against each other before timing.

Method (as benchmarks/bench_int8_matmul.py, for a shared machine): timing runs in rounds; each
round times every implementation --repeats times back to back, in a shuffled order, so load from
other processes falls on all alike; reported are the median and best call, GFLOP/s, the ratio
to torch (median against median), the fraction of the FMA peak that _C.peak_gops measures
(register-only vfmadd231ps loop on all threads, each timed in thread CPU time), and GFLOP per
process CPU-second (what the code gets out of the cores it ran on, whatever else the machine
did; its bound is the peak per thread).  Idle OpenMP threads wait passively by default (--wait):
a spinning worker of one library steals the core the other library's worker needs.  The last
table breaks the step down into its three passes (native and torch, median GFLOP/s).

GFLOP/s always use the direct-convolution count above, so an implementation with a fast
algorithm can pass 100% of the FMA peak: oneDNN's forward on the 3x3 stride-1 layers measured
up to ~115% here (its result is accurate to float32 rounding, so not a lower precision).
--json writes the rows `tensorlite bench` collects (bench, tensorlite / torch ms,
ratio_vs_torch = tensorlite time / torch time, GFLOP/s, % of peak, and the run's settings).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import time_calls  # noqa: E402

# Imported in main(), after --wait has set OMP_WAIT_POLICY (an OpenMP runtime reads it once, when loaded).
tl: Any = None
K: Any = None
conv: Any = None
_native: Any = None
cpu: Any = None

# name, in channels, out channels, input size, kernel, stride, padding
LAYERS = [
    ("layer1", 64, 64, 32, 3, 1, 1),
    ("layer2.0", 64, 128, 32, 3, 2, 1),
    ("layer2", 128, 128, 16, 3, 1, 1),
    ("layer3.0", 128, 256, 16, 3, 2, 1),
    ("layer3", 256, 256, 8, 3, 1, 1),
    ("layer4.0", 256, 512, 8, 3, 2, 1),
    ("layer4", 512, 512, 4, 3, 1, 1),
    ("down2", 64, 128, 32, 1, 2, 0),
    ("down3", 128, 256, 16, 1, 2, 0),
    ("down4", 256, 512, 8, 1, 2, 0),
]
IMPLS = ("native", "tl.nn", "reference", "torch")


def load_libraries() -> None:
    """Import tensorlite into this module's globals (after OMP_WAIT_POLICY is settled)."""
    global tl, K, conv, _native, cpu
    import tensorlite as tl  # noqa: N811 - bound late on purpose (see above)
    import tensorlite.kernels as K  # noqa: N811
    from tensorlite.kernels import _native, cpu
    from tensorlite.kernels import conv


def threads() -> int:
    module, _ = _native.load()
    return int(module.openmp_max_threads()) if module is not None else int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))


def pass_flop(n: int, c: int, o: int, size: int, k: int, s: int, p: int) -> float:
    out = (size + 2 * p - k) // s + 1
    return 2.0 * n * o * c * k * k * out * out


class Layer:
    """Operands of one layer and a step function per implementation (forward + both gradients)."""

    def __init__(self, name: str, n: int, c: int, o: int, size: int, k: int, s: int, p: int, nthreads: int):
        self.name, self.geom = name, ((s, s), (p, p), (1, 1), 1)
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.x = rng.standard_normal((n, c, size, size)).astype(np.float32)
        self.w = (rng.standard_normal((o, c, k, k)) / np.sqrt(c * k * k)).astype(np.float32)
        out = (size + 2 * p - k) // s + 1
        self.g = rng.standard_normal((n, o, out, out)).astype(np.float32)
        self.flop = pass_flop(n, c, o, size, k, s, p)
        self.steps: dict[str, Callable[[], Any]] = {}
        self.passes: dict[str, dict[str, Callable[[], Any]]] = {}
        self.notes: dict[str, str] = {}
        if _native.is_available() and hasattr(_native.load()[0], "conv2d_forward"):
            self.steps["native"] = self._kernels("native")
            self.passes["native"] = self._kernel_passes("native")
            self.steps["tl.nn"] = self._tl_autograd()
        else:
            self.notes["native"] = f"unavailable: {_native.load()[1]}"
        self.steps["reference"] = self._kernels("reference")
        self._add_torch(nthreads)

    def _kernel_passes(self, impl: str) -> dict[str, Callable[[], Any]]:
        x, w, g, geom = self.x, self.w, self.g, self.geom

        def run(fn):
            def call():
                with K.use(impl):
                    return fn()
            return call

        return {"forward": run(lambda: conv.conv2d_forward(x, w, None, *geom)),
                "input grad": run(lambda: conv.conv2d_backward_input(g, w, x.shape, *geom)),
                "weight grad": run(lambda: conv.conv2d_backward_weight(x, g, w.shape, *geom))}

    def _kernels(self, impl: str) -> Callable[[], Any]:
        x, w, g, geom = self.x, self.w, self.g, self.geom

        def step():
            with K.use(impl):
                y = conv.conv2d_forward(x, w, None, *geom)
                return y, conv.conv2d_backward_input(g, w, x.shape, *geom), conv.conv2d_backward_weight(x, g, w.shape, *geom)
        return step

    def _tl_autograd(self) -> Callable[[], Any]:
        (s, _), (p, _), _, _ = self.geom
        x = tl.tensor(self.x, requires_grad=True)
        w = tl.tensor(self.w, requires_grad=True)
        g = tl.tensor(self.g)

        def step():
            x.grad = w.grad = None
            with K.use("native"):
                y = tl.nn.functional.conv2d(x, w, None, s, p)
                y.backward(g)
            return y.detach().numpy(), x.grad.numpy(), w.grad.numpy()
        return step

    def _add_torch(self, nthreads: int) -> None:
        try:
            import torch
        except ImportError as exc:
            self.notes["torch"] = f"torch not installed ({exc})"
            return
        torch.set_num_threads(nthreads)
        (s, _), (p, _), _, _ = self.geom
        x = torch.from_numpy(self.x).requires_grad_()
        w = torch.from_numpy(self.w).requires_grad_()
        g = torch.from_numpy(self.g)
        xd, wd = x.detach(), w.detach()

        def step():
            x.grad = w.grad = None
            y = torch.nn.functional.conv2d(x, w, None, s, p)
            y.backward(g)
            return y.detach().numpy(), x.grad.numpy(), w.grad.numpy()

        cb = torch.ops.aten.convolution_backward
        args = ((s, s), (p, p), (1, 1), False, (0, 0), 1)
        self.steps["torch"] = step
        self.passes["torch"] = {
            "forward": lambda: torch.nn.functional.conv2d(xd, wd, None, s, p),
            "input grad": lambda: cb(g, xd, wd, None, *args, (True, False, False)),
            "weight grad": lambda: cb(g, xd, wd, None, *args, (False, True, False)),
        }
        self.notes["torch"] = f"torch {torch.__version__}"

    def check(self) -> None:
        """Every implementation's (y, grad_x, grad_w) agrees with float64 within float32 GEMM accuracy."""
        geom = self.geom
        x64, w64, g64 = (a.astype(np.float64) for a in (self.x, self.w, self.g))
        with K.use("reference"):
            want = (conv.conv2d_forward(x64, w64, None, *geom), conv.conv2d_backward_input(g64, w64, self.x.shape, *geom),
                    conv.conv2d_backward_weight(x64, g64, self.w.shape, *geom))
        for name, step in self.steps.items():
            for got, ref, what in zip(step(), want, ("y", "grad_x", "grad_w")):
                err = float(np.max(np.abs(got - ref))) / max(float(np.max(np.abs(ref))), 1e-30)
                if err > 1e-4:
                    raise AssertionError(f"{self.name}: {name} {what} differs from float64 by {err:.2e} (relative to max)")


def bench_layer(layer: Layer, rounds: int, repeats: int, shuffle: np.random.Generator) -> dict[str, Any]:
    jobs: dict[str, Callable[[], Any]] = dict(layer.steps)
    for impl, passes in layer.passes.items():
        for pname, fn in passes.items():
            jobs[f"{impl}/{pname}"] = fn
    times: dict[str, list[float]] = {name: [] for name in jobs}
    cpu_times: dict[str, list[float]] = {name: [] for name in jobs}
    order = list(jobs)
    for _ in range(rounds):
        shuffle.shuffle(order)  # no implementation always runs right after the same other one
        for name in order:
            time.sleep(0.01)  # let the previous library's worker threads go idle
            jobs[name]()      # one untimed call: wakes this library's threads, touches its buffers
            wall, cpu_s = time_calls(jobs[name], 1 if name == "reference" else repeats)
            times[name] += wall
            cpu_times[name] += cpu_s
    results = {}
    for name, ts in times.items():
        flop = layer.flop * (1 if "/" in name else 3)
        results[name] = {
            "median_s": statistics.median(ts),
            "best_s": min(ts),
            "calls": len(ts),
            "gflops_median": flop / statistics.median(ts) / 1e9,
            "gflops_best": flop / min(ts) / 1e9,
            "gflop_per_cpu_s": flop / statistics.median(cpu_times[name]) / 1e9,
        }
    return {"layer": layer.name, "flop_per_pass": layer.flop, "results": results, "notes": layer.notes}


def peak(path: str | None) -> tuple[float | None, str]:
    module, _ = _native.load()
    kind = {"avx512": "fma512", "avx2": "fma256"}.get(path or "")
    if module is None or not hasattr(module, "peak_gops") or kind is None:
        return None, "no peak probe for this path"
    return float(module.peak_gops(kind, seconds=0.2, repeats=5)), kind


def report(runs: list[dict[str, Any]], peak_gflops: float | None, nthreads: int) -> dict[str, Any]:
    print(f"\nforward + input grad + weight grad (3 passes), GFLOP/s; ratio = torch median time / ours")
    head = f"  {'layer':<10}{'impl':<11}{'med':>8}{'best':>8}{'calls':>7}{'vs torch':>10}{'% peak':>8}{'/cpu-s':>8}"
    print(head)
    totals: dict[str, float] = {}
    for run in runs:
        res = run["results"]
        for name in IMPLS:
            if name not in res:
                continue
            r = res[name]
            totals[name] = totals.get(name, 0.0) + r["median_s"]
            ratio = f"{res['torch']['median_s'] / r['median_s']:.2f}x" if "torch" in res else ""
            pct = f"{100 * r['gflops_median'] / peak_gflops:5.1f}%" if peak_gflops else ""
            print(f"  {run['layer']:<10}{name:<11}{r['gflops_median']:>8.1f}{r['gflops_best']:>8.1f}{r['calls']:>7}"
                  f"{ratio:>10}{pct:>8}{r['gflop_per_cpu_s']:>8.1f}")
    flop = 3 * sum(run["flop_per_pass"] for run in runs)
    print(f"\nwhole network (sum of the median times of the {len(runs)} layers, {flop / 1e9:.1f} GFLOP):")
    summary = {}
    for name, seconds in totals.items():
        summary[name] = {"seconds": seconds, "gflops": flop / seconds / 1e9,
                         "vs_torch": totals["torch"] / seconds if "torch" in totals else None}
        vs = f"  {totals['torch'] / seconds:.2f}x torch" if "torch" in totals else ""
        pct = f"  {100 * flop / seconds / 1e9 / peak_gflops:.0f}% of peak" if peak_gflops else ""
        print(f"  {name:<11}{seconds * 1e3:9.1f} ms  {flop / seconds / 1e9:7.1f} GFLOP/s{vs}{pct}")
    print("\nper pass, median GFLOP/s (native / torch)")
    print(f"  {'layer':<10}{'forward':>16}{'input grad':>16}{'weight grad':>16}")
    for run in runs:
        res = run["results"]
        cells = []
        for pname in ("forward", "input grad", "weight grad"):
            a, b = res.get(f"native/{pname}"), res.get(f"torch/{pname}")
            cells.append(f"{a['gflops_median'] if a else float('nan'):6.1f} / {b['gflops_median'] if b else float('nan'):6.1f}")
        print(f"  {run['layer']:<10}" + "".join(f"{c:>16}" for c in cells))
    for run in runs[:1]:
        for name, note in run["notes"].items():
            print(f"  note: {name}: {note}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--layers", nargs="+", help="a subset of the layer names")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per implementation per round")
    parser.add_argument("--wait", choices=["passive", "spin", "env"], default="passive",
                        help="how idle OpenMP threads wait, for both libraries: passive (OMP_WAIT_POLICY=PASSIVE, "
                             "the default), spin (ACTIVE), env (leave OMP_WAIT_POLICY as set)")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    if args.wait != "env":
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE" if args.wait == "passive" else "ACTIVE"
    load_libraries()
    nthreads = threads()
    path = cpu.kernel_paths().get("conv2d")
    peak_gflops, peak_kind = peak(path)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"tensorlite conv2d benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{nthreads} threads, batch {args.batch}, native path {path}, load average {load}")
    print(f"waiting threads: OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    if peak_gflops:
        print(f"measured FMA peak ({peak_kind}, all threads): {peak_gflops:.0f} GFLOP/s "
              f"({peak_gflops / nthreads:.0f} per thread, the bound for GFLOP/cpu-s)")
    layers = [spec for spec in LAYERS if not args.layers or spec[0] in args.layers]
    shuffle = np.random.default_rng(12345)
    runs = []
    for name, c, o, size, k, s, p in layers:
        layer = Layer(name, args.batch, c, o, size, k, s, p, nthreads)
        layer.check()
        runs.append(bench_layer(layer, args.rounds, args.repeats, shuffle))
        print(f"  {name}: done", flush=True)
    summary = report(runs, peak_gflops, nthreads)
    if args.json:
        meta = {"threads": nthreads, "batch": args.batch, "path": path, "peak_gflops": peak_gflops,
                "wait": args.wait, "load_average": load}
        with open(args.json, "w") as fh:
            json.dump(json_rows(runs, summary, meta), fh, indent=2)
    return 0


def json_rows(runs: list[dict[str, Any]], summary: dict[str, Any], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows in the form `tensorlite bench` collects: bench, unit, tensorlite / torch times and
    ratio_vs_torch = tensorlite time / torch time (< 1: tensorlite faster), plus GFLOP/s."""
    peak_gflops = meta["peak_gflops"]

    def row(bench: str, ours: dict[str, Any], theirs: dict[str, Any] | None, flop: float) -> dict[str, Any]:
        r = {"bench": bench, "unit": "ms", "tensorlite": 1e3 * ours["median_s"],
             "gflops": flop / ours["median_s"] / 1e9, **meta}
        if "best_s" in ours:
            r["tensorlite_best"] = 1e3 * ours["best_s"]
            r["gflop_per_cpu_s"] = ours["gflop_per_cpu_s"]
        if peak_gflops:
            r["pct_peak"] = 100 * r["gflops"] / peak_gflops
        if theirs is not None:
            r["torch"] = 1e3 * theirs["median_s"]
            r["ratio_vs_torch"] = ours["median_s"] / theirs["median_s"]
        return r

    rows = []
    for run in runs:
        res, flop = run["results"], run["flop_per_pass"]
        for impl in ("native", "tl.nn", "reference"):
            if impl in res:
                rows.append(row(f"conv2d fwd+bwd {run['layer']} ({impl})", res[impl], res.get("torch"), 3 * flop))
        for pname in ("forward", "input grad", "weight grad"):
            if f"native/{pname}" in res:
                rows.append(row(f"conv2d {pname} {run['layer']} (native)", res[f"native/{pname}"],
                                res.get(f"torch/{pname}"), flop))
    flop = 3 * sum(run["flop_per_pass"] for run in runs)
    for impl in ("native", "tl.nn", "reference"):
        if impl in summary:
            ours = {"median_s": summary[impl]["seconds"]}
            theirs = {"median_s": summary["torch"]["seconds"]} if "torch" in summary else None
            rows.append(row(f"conv2d fwd+bwd ResNet-18 layers, total ({impl})", ours, theirs, flop))
    return rows


if __name__ == "__main__":
    sys.exit(main())
