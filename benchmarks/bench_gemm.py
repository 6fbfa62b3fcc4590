"""float32 matrix products: tensorlite's native GEMM (csrc/gemm.cpp) against NumPy's BLAS and PyTorch,
at the shapes of the MLP training step (64-256-256-10, batch 128) and at 512 / 1024 squares.

    OMP_NUM_THREADS=2 python benchmarks/bench_gemm.py [--rounds 7] [--repeats 20] [--shapes mlp|square|all]
                                                      [--wait env|passive] [--json out.json]

Shapes, written as the operands are laid out in the training step (".T": a transposed view, no copy):
    fc1    x (128, 64)   @ W1.T (64, 256)       gW3   g3.T (10, 128)  @ h2 (128, 256)
    fc2    h1 (128, 256) @ W2.T (256, 256)      gx2   g2 (128, 256)   @ W2 (256, 256)
    fc3    h2 (128, 256) @ W3.T (256, 10)       gW2   g2.T (256, 128) @ h1 (128, 256)
    gx3    g3 (128, 10)  @ W3 (10, 256)         gW1   g1.T (256, 128) @ x (128, 64)
    sq512, sq1024: contiguous squares.

Implementations on the same operands: `native` (_C.gemm_f32, what tensorlite.kernels.gemm runs under
use("native")), `numpy` (a @ b: OpenBLAS here), `torch` (torch.mm on the same memory, from_numpy views).
Results are checked against a float64 product first.

Method, for a shared machine: each library runs in its own worker process (in one process the thread
pools of libgomp, torch's OpenMP and OpenBLAS spun against each other on 2 cores, stalling calls for
whole scheduler slices); the workers take turns: for each round and shape, every library runs --repeats
calls back to back (after one untimed call), in a shuffled order, so load from other processes falls on
all alike.  Reported: the median call in microseconds and GFLOP/s (2 M N K / time), native's speed-up
over each, and the load average.  --wait passive sets OMP_WAIT_POLICY=PASSIVE in the workers (idle
threads sleep at once, so every parallel call pays a wake-up); the default leaves it as set (unset:
libgomp spins briefly, then sleeps).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

MLP_SHAPES = (  # name, (M, K, N), a transposed?, b transposed?
    ("fc1", (128, 64, 256), False, True),
    ("fc2", (128, 256, 256), False, True),
    ("fc3", (128, 256, 10), False, True),
    ("gx3", (128, 10, 256), False, False),
    ("gx2", (128, 256, 256), False, False),
    ("gW3", (10, 128, 256), True, False),
    ("gW2", (256, 128, 256), True, False),
    ("gW1", (256, 128, 64), True, False),
)
SQUARE_SHAPES = (("sq512", (512, 512, 512), False, False), ("sq1024", (1024, 1024, 1024), False, False))


def operands(m: int, k: int, n: int, a_t: bool, b_t: bool, rng: np.random.Generator) -> tuple[Any, Any]:
    """a (m, k), b (k, n), float32, as transposed views of contiguous arrays where asked."""
    a = rng.standard_normal((k, m), dtype=np.float32).T if a_t else rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((n, k), dtype=np.float32).T if b_t else rng.standard_normal((k, n), dtype=np.float32)
    return a, b


WORKER = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[2])
import bench_gemm
lib, rows = sys.argv[1], json.loads(sys.argv[3])
rng = np.random.default_rng(0)
fns = []
for m, k, n, a_t, b_t in rows:
    a, b = bench_gemm.operands(m, k, n, a_t, b_t, rng)
    fn = bench_gemm.implementation(lib, a, b)
    bench_gemm.check(lib, fn, a, b)
    fns.append(fn)
print("ready", flush=True)
for line in sys.stdin:
    i, reps = map(int, line.split())
    fns[i]()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fns[i]()
        out.append(time.perf_counter() - t0)
    print(json.dumps(out), flush=True)
"""


def implementation(lib: str, a: Any, b: Any) -> Callable[[], Any] | None:
    """The call timed for `lib` on operands a, b (None: unavailable here)."""
    if lib == "native":
        from tensorlite.kernels import _native

        module, _ = _native.load()
        if module is None or not hasattr(module, "gemm_f32"):
            return None
        return lambda: module.gemm_f32(a, b)
    if lib == "numpy":
        return lambda: a @ b
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)  # strided views of the same memory
    return lambda: torch.mm(ta, tb)


def check(lib: str, fn: Callable[[], Any] | None, a: Any, b: Any) -> None:
    """fn's product against float64, within float32 GEMM rounding (8 K u max|a||b|)."""
    if fn is None:
        return
    ref = a.astype(np.float64) @ b.astype(np.float64)
    tol = 8 * a.shape[1] * 2.0**-24 * float((np.abs(a).astype(np.float64) @ np.abs(b)).max())
    err = float(np.abs(np.asarray(fn()) - ref).max())
    if err > tol:
        raise AssertionError(f"{lib}: max error {err:.3g} > {tol:.3g} on {a.shape} @ {b.shape}")


class Worker:
    """One library in its own process: the OpenMP / BLAS thread pools of different libraries never
    share this machine's cores at once (in one process their spinning workers stalled each other
    for whole 16 ms scheduler slices at 2 threads)."""

    def __init__(self, lib: str, shapes: list) -> None:
        rows = [[*shape, a_t, b_t] for _, shape, a_t, b_t in shapes]
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER, lib, os.path.dirname(os.path.abspath(__file__)),
                                      json.dumps(rows)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ok = self.proc.stdout.readline().strip() == "ready"

    def run(self, index: int, reps: int) -> list[float]:
        self.proc.stdin.write(f"{index} {reps}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def bench(shapes: list, libs: list[str], rounds: int, repeats: int, rng: np.random.Generator) -> list[dict]:
    workers = {lib: Worker(lib, shapes) for lib in libs}
    workers = {lib: w for lib, w in workers.items() if w.ok}
    times = {(i, lib): [] for i in range(len(shapes)) for lib in workers}
    try:
        for _ in range(rounds):
            for i, (_, (m, k, n), _, _) in enumerate(shapes):
                reps = max(2, min(repeats, int(repeats * 4e6 / (2 * m * n * k)) + 1))  # short rounds for squares
                order = list(workers)
                rng.shuffle(order)
                for lib in order:
                    times[i, lib] += workers[lib].run(i, reps)
    finally:
        for w in workers.values():
            w.close()
    rows = []
    for i, (name, (m, k, n), a_t, b_t) in enumerate(shapes):
        med = {lib: statistics.median(times[i, lib]) for lib in workers}
        rows.append({"name": name, "shape": [m, k, n], "a_transposed": a_t, "b_transposed": b_t,
                     "median_us": {lib: 1e6 * t for lib, t in med.items()},
                     "gflops": {lib: 2.0 * m * n * k / t / 1e9 for lib, t in med.items()}})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--shapes", choices=["mlp", "square", "all"], default="all")
    p.add_argument("--wait", choices=["env", "passive"], default="env")
    p.add_argument("--json")
    args = p.parse_args(argv)
    if args.wait == "passive":
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # before any OpenMP runtime loads
    import tensorlite  # noqa: F401  (after the wait policy is settled)
    from tensorlite.kernels import _native

    shapes = {"mlp": MLP_SHAPES, "square": SQUARE_SHAPES, "all": MLP_SHAPES + SQUARE_SHAPES}[args.shapes]
    module, _ = _native.load()
    path = module.gemm_f32_path() if module is not None and hasattr(module, "gemm_f32_path") else "unavailable"
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    load = os.getloadavg()
    print(f"OMP_NUM_THREADS={threads}  native path: {path}  OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}  "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    rows = bench(list(shapes), ["native", "numpy", "torch"], args.rounds, args.repeats, np.random.default_rng(0))
    impls = list(rows[0]["median_us"])
    head = f"{'shape':<8}{'M x K x N':>16}" + "".join(f"{i + ' us':>12}{'GF/s':>7}" for i in impls)
    head += "".join(f"{'speed-up vs ' + i:>18}" for i in impls if i != "native")  # peer time / native time
    print(head)
    for r in rows:
        line = f"{r['name']:<8}{'x'.join(map(str, r['shape'])):>16}"
        line += "".join(f"{r['median_us'][i]:12.1f}{r['gflops'][i]:7.1f}" for i in impls)
        if "native" in impls:
            line += "".join(f"{r['median_us'][i] / r['median_us']['native']:17.2f}x" for i in impls if i != "native")
        print(line)
    if "native" in impls and args.shapes in ("mlp", "all"):
        mlp = [r for r in rows if r["name"] in {s[0] for s in MLP_SHAPES}]
        total = {i: sum(r["median_us"][i] for r in mlp) for i in impls}
        print("MLP step products, summed medians (us): " + ", ".join(f"{i} {t:.1f}" for i, t in total.items()))
    if args.json:  # rows as `tensorlite bench` collects them: ratio = native time / peer time
        out = []
        for r in rows:
            us = r["median_us"]
            row = {"bench": f"gemm {r['name']} {'x'.join(map(str, r['shape']))}", "unit": "us",
                   "tensorlite": us.get("native"), "gflops": r["gflops"].get("native"), "threads": threads,
                   "path": path, "load_average": load[0], **{f"{i}_us": t for i, t in us.items() if i != "native"}}
            for peer in ("torch", "numpy"):
                if "native" in us and peer in us:
                    row[f"ratio_vs_{peer}"] = us["native"] / us[peer]
            out.append(row)
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
