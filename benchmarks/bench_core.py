"""Core benchmarks: per-op overhead, large matmul, and elementwise/reduction bandwidth.

Each row is measured in this run against a peer (PyTorch CPU, and raw NumPy doing the same
array work), so a ratio says how much tensorlite's own machinery costs.

    python benchmarks/bench_core.py [--json out.json] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

import tensorlite as tl


def measure(fn, min_time: float = 0.3, repeats: int = 7) -> float:
    """Median seconds per call over `repeats` rounds, each at least `min_time` long."""
    fn()
    n, t = 1, 0.0
    while True:  # find a call count that takes ~min_time/repeats
        start = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - start
        if t > min_time / repeats:
            break
        n *= 2
    rounds = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - start) / n)
    return statistics.median(rounds)


def measure_interleaved(fns: dict, rounds: int = 15) -> dict:
    """Median seconds per call of each function, timed in alternation so load drifts hit all alike."""
    for f in fns.values():
        f()
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            start = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def overhead_rows(torch, calls: int = 200, rounds: int = 25):
    """Per-iteration time of a tiny forward+backward: what the Python machinery costs per op."""
    rows = []
    for size in (1, 1000):
        fns = {}
        for name, lib in (("tensorlite", tl), ("torch", torch)):
            if lib is None:
                continue
            x = lib.randn(size, requires_grad=True)

            def chunk(x=x):
                for _ in range(calls):
                    x.grad = None
                    ((x * 2 + 1).relu().sum()).backward()

            fns[name] = chunk
        t = measure_interleaved(fns, rounds)
        row = {"bench": f"overhead ((x*2+1).relu().sum()).backward(), n={size}", "unit": "us/iter",
               "tensorlite": t["tensorlite"] / calls * 1e6}
        if torch is not None:
            row["torch"] = t["torch"] / calls * 1e6
            row["ratio_vs_torch"] = row["tensorlite"] / row["torch"]
        rows.append(row)
    return rows


def matmul_rows(torch, n: int = 1024):
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((n, n), dtype=np.float32)
    b_np = rng.standard_normal((n, n), dtype=np.float32)
    g_np = np.ones((n, n), dtype=np.float32)
    a = tl.tensor(a_np, requires_grad=True)
    b = tl.tensor(b_np, requires_grad=True)
    gt = tl.tensor(g_np)

    def step():
        a.grad = b.grad = None
        (a @ b).backward(gt)

    def raw():
        c = a_np @ b_np
        ga = g_np @ b_np.T
        gb = a_np.T @ g_np
        return c, ga, gb

    flops = 3 * 2 * n ** 3
    fns = {"tensorlite": step, "numpy": raw}
    if torch is not None:
        at = torch.tensor(a_np, requires_grad=True)
        bt = torch.tensor(b_np, requires_grad=True)
        gtt = torch.tensor(g_np)

        def step_t():
            at.grad = bt.grad = None
            (at @ bt).backward(gtt)

        fns["torch"] = step_t
    t = measure_interleaved(fns)
    row = {"bench": f"matmul {n}x{n} forward+backward (float32)", "unit": "ms", "tensorlite": t["tensorlite"] * 1e3,
           "numpy": t["numpy"] * 1e3, "ratio_vs_numpy": t["tensorlite"] / t["numpy"],
           "tensorlite_GFLOPs": flops / t["tensorlite"] / 1e9}
    if torch is not None:
        row["torch"] = t["torch"] * 1e3
        row["ratio_vs_torch"] = t["tensorlite"] / t["torch"]
    return [row]


def bandwidth_rows(torch, n: int = 4 * 1024 * 1024):
    rng = np.random.default_rng(0)
    a_np, b_np, c_np = (rng.standard_normal(n, dtype=np.float32) for _ in range(3))
    a, b, c = tl.tensor(a_np), tl.tensor(b_np), tl.tensor(c_np)
    m_np = a_np.reshape(2048, -1)
    m = tl.tensor(m_np)
    rows = []
    cases = [
        ("a*b+c (4M float32)", 4 * 4 * n, lambda: a * b + c, lambda: a_np * b_np + c_np),
        ("x.sum() (4M float32)", 4 * n, lambda: a.sum(), lambda: a_np.sum()),
        ("x.sum(dim=1) (2048x2048)", 4 * n, lambda: m.sum(dim=1), lambda: m_np.sum(axis=1)),
        ("x.exp() (4M float32)", 8 * n, lambda: a.exp(), lambda: np.exp(a_np)),
    ]
    for name, nbytes, f_tl, f_np in cases:
        t_tl, t_np = measure(f_tl, 0.5, 5), measure(f_np, 0.5, 5)
        rows.append({"bench": name, "unit": "GB/s", "tensorlite": nbytes / t_tl / 1e9, "numpy": nbytes / t_np / 1e9,
                     "ratio_vs_numpy": t_tl / t_np})
    # forward + backward chain: reads a, b, c; writes grads of a, b, c
    ag, bg = tl.tensor(a_np, requires_grad=True), tl.tensor(b_np, requires_grad=True)

    def chain():
        ag.grad = bg.grad = None
        (ag * bg + c).relu().sum().backward()

    row = {"bench": "(a*b+c).relu().sum() fwd+bwd (4M)", "unit": "ms", "tensorlite": measure(chain, 0.5, 5) * 1e3}
    if torch is not None:
        at = torch.tensor(a_np, requires_grad=True)
        bt = torch.tensor(b_np, requires_grad=True)
        ct = torch.tensor(c_np)

        def chain_t():
            at.grad = bt.grad = None
            (at * bt + ct).relu().sum().backward()

        row["torch"] = measure(chain_t, 0.5, 5) * 1e3
        row["ratio_vs_torch"] = row["tensorlite"] / row["torch"]
    rows.append(row)
    return rows


def run(quick: bool = False) -> list[dict]:
    try:
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    except ImportError:
        torch = None
    rows = overhead_rows(torch)
    rows += matmul_rows(torch, 512 if quick else 1024)
    rows += bandwidth_rows(torch, 1 << 20 if quick else 4 << 20)
    return rows


def print_table(rows: list[dict]) -> None:
    cols = ["tensorlite", "torch", "numpy", "ratio_vs_torch", "ratio_vs_numpy"]
    print(f"{'benchmark':48s} {'unit':8s} " + " ".join(f"{c:>15s}" for c in cols))
    for r in rows:
        cells = [f"{r[c]:15.3f}" if c in r else f"{'-':>15s}" for c in cols]
        print(f"{r['bench']:48s} {r['unit']:8s} " + " ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the rows to this JSON file")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    rows = run(args.quick)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, tensorlite {tl.__version__}, "
          f"numpy {np.__version__}")
    print_table(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
