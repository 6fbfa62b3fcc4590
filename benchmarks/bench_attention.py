"""Fused attention, forward + backward: tensorlite's kernels against PyTorch's CPU SDPA.

    python benchmarks/bench_attention.py [--quick | --full] [--threads 2] [--json out.json]

Compares, on the same float32 inputs (B, H=8, N, d=64), causal and not:
  reference  tensorlite.kernels attention_forward/backward, NumPy (materialises N x N scores)
  native     the same kernels, C++ FlashAttention-2 (csrc/attention.cpp)
  torch      torch.nn.functional.scaled_dot_product_attention + autograd backward (CPU)
each with `--threads` threads (OpenMP / OpenBLAS / torch.set_num_threads) and, by default,
OMP_WAIT_POLICY=passive for all (why: see where it is set).

Reported: median forward and backward times over `--repeats` rounds (implementations
interleaved within each round, so machine noise hits all alike), GFLOP/s of forward + backward
from the analytic count (forward 4 B H N^2 d, backward 2.5x that, both halved when causal),
the ratio torch time / our time (> 1: faster than PyTorch), and peak memory: the growth of the
resident set's high-water mark (VmHWM, Linux) over one forward + backward, measured in a fresh
process per point (C++ allocations included), plus tracemalloc's peak of NumPy allocations for
the tensorlite implementations.  The reference is skipped where its N x N buffers would not fit.
"""
from __future__ import annotations

import os
import sys


def _early_option(name: str, default: str) -> str:
    """--threads and --wait-policy must reach OpenMP/OpenBLAS before NumPy, torch and the
    extension load, so they are read here, before the imports (argparse checks them later)."""
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv[:-1] else default


THREADS = int(_early_option("--threads", "2"))
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)
# OpenMP threads that finished their share spin (by default) waiting for the next parallel
# region or the rest of the team.  On a machine with more runnable threads than cores (the
# shared 2-core box these figures come from) that spinning eats the time slices the working
# threads need, slowing native and torch alike by 20-40% and making the numbers erratic;
# "passive" makes waiting threads sleep.  Both implementations run under the same policy.
os.environ["OMP_WAIT_POLICY"] = _early_option("--wait-policy", "passive")

import argparse  # noqa: E402 - after the thread settings above
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import tensorlite.kernels as K  # noqa: E402
from tensorlite.kernels.attention import attention_backward, attention_forward  # noqa: E402

H, D = 8, 64
IMPLS = ("reference", "native", "torch")
REFERENCE_MAX_SCORES = 8 * 4096 * 4096  # B*H*N^2 elements (512 MiB per float32 copy); it holds several


def flops(b: int, n: int, causal: bool) -> tuple[float, float]:
    """(forward, backward) floating-point operations of attention at these sizes."""
    fwd = 4.0 * b * H * n * n * D * (0.5 if causal else 1.0)
    return fwd, 2.5 * fwd


def make_inputs(b: int, n: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal((b, H, n, D), dtype=np.float32) for _ in range(4))


def runner(impl: str, q, k, v, g, causal: bool):
    """(forward, backward) callables; backward uses the latest forward's results."""
    if impl == "torch":
        import torch

        tq, tk, tv = (torch.from_numpy(x).requires_grad_() for x in (q, k, v))
        tg = torch.from_numpy(g)
        state = {}

        def fwd():
            state["out"] = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)

        def bwd():
            tq.grad = tk.grad = tv.grad = None
            state["out"].backward(tg)

        return fwd, bwd
    state = {}

    def fwd():
        with K.use(impl):
            state["res"] = attention_forward(q, k, v, None, causal)

    def bwd():
        with K.use(impl):
            attention_backward(g, q, k, v, *state["res"], None, causal)

    return fwd, bwd


def time_point(b: int, n: int, causal: bool, impls: list[str], repeats: int) -> dict[str, tuple[float, float]]:
    """{impl: (median forward s, median backward s)}, implementations interleaved per round."""
    q, k, v, g = make_inputs(b, n)
    runs = {impl: runner(impl, q, k, v, g, causal) for impl in impls}
    times: dict[str, tuple[list, list]] = {impl: ([], []) for impl in impls}
    for rnd in range(repeats + 1):  # round 0 warms up (thread pools, workspaces, page faults)
        for impl, (fwd, bwd) in runs.items():
            t0 = time.perf_counter()
            fwd()
            t1 = time.perf_counter()
            bwd()
            t2 = time.perf_counter()
            if rnd:
                times[impl][0].append(t1 - t0)
                times[impl][1].append(t2 - t1)
    return {impl: (statistics.median(f), statistics.median(bw)) for impl, (f, bw) in times.items()}


def _peak_child(impl: str, b: int, n: int, causal: bool) -> None:
    """In a fresh process: VmHWM growth and tracemalloc peak over one forward + backward."""
    import tracemalloc

    q, k, v, g = make_inputs(b, n)
    fwd, bwd = runner(impl, q, k, v, g, causal)

    def hwm() -> int:
        with open("/proc/self/status") as f:
            return int(next(line for line in f if line.startswith("VmHWM")).split()[1]) * 1024

    before = hwm()
    tracemalloc.start()
    fwd()
    bwd()
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"vmhwm_growth": hwm() - before, "tracemalloc_peak": traced if impl != "torch" else None}))


def peak_memory(impl: str, b: int, n: int, causal: bool) -> dict | None:
    if not os.path.exists("/proc/self/status"):
        return None
    cmd = [sys.executable, __file__, "--threads", str(THREADS), "--wait-policy", os.environ["OMP_WAIT_POLICY"],
           "--_peak", impl, str(b), str(n), str(int(causal))]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def available_impls() -> list[str]:
    impls = ["reference"]
    if "native" in K.available("cpu").get("attention_forward", []):
        impls.append("native")
    try:
        import torch

        torch.set_num_threads(THREADS)
        impls.append("torch")
    except ImportError:
        pass
    return impls


def grid(quick: bool, full: bool) -> list[tuple[int, int]]:
    """(B, N) points.  Default: B in 1, 2, 4 and N in 512..8192 with B N^2 <= 8192^2 (a few
    seconds per forward + backward); --full: all of them; --quick: B = 1, N <= 2048."""
    if quick:
        return [(1, n) for n in (512, 1024, 2048)]
    points = [(b, n) for b in (1, 2, 4) for n in (512, 1024, 2048, 4096, 8192)]
    return points if full else [(b, n) for b, n in points if b * n * n <= 8192 * 8192]


def run(args) -> list[dict]:
    impls = available_impls()
    rows = []
    for b, n in grid(args.quick, args.full):
        for causal in (False, True):
            todo = [i for i in impls if i != "reference" or b * H * n * n <= REFERENCE_MAX_SCORES]
            repeats = args.repeats if b * n * n <= 2048 * 2048 else max(3, args.repeats // 2)
            measured = time_point(b, n, causal, todo, repeats)
            f_fwd, f_bwd = flops(b, n, causal)
            torch_total = sum(measured["torch"]) if "torch" in measured else None
            for impl, (t_fwd, t_bwd) in measured.items():
                total = t_fwd + t_bwd
                rows.append({
                    "impl": impl, "B": b, "H": H, "N": n, "d": D, "causal": causal, "threads": THREADS,
                    "fwd_ms": t_fwd * 1e3, "bwd_ms": t_bwd * 1e3, "total_ms": total * 1e3,
                    "fwd_gflops": f_fwd / t_fwd / 1e9, "bwd_gflops": f_bwd / t_bwd / 1e9,
                    "gflops": (f_fwd + f_bwd) / total / 1e9,
                    "speedup_vs_torch": torch_total / total if torch_total else None,
                })
            print_rows(rows[-len(measured):], header=not rows[:-len(measured)])
    if not args.no_memory:
        mem_rows = []
        for n in (512, 1024, 2048, 4096, 8192) if not args.quick else (512, 1024, 2048):
            for impl in impls:
                if impl == "reference" and H * n * n > REFERENCE_MAX_SCORES:
                    continue
                peak = peak_memory(impl, 1, n, False)
                if peak is not None:
                    mem_rows.append({"impl": impl, "B": 1, "H": H, "N": n, "d": D, "causal": False, **peak})
        print_memory(mem_rows)
        rows += [dict(r, kind="memory") for r in mem_rows]
    return rows


def print_rows(rows: list[dict], header: bool) -> None:
    if header:
        print(f"{'impl':10s} {'B':>2s} {'N':>5s} {'causal':>6s} {'fwd ms':>9s} {'bwd ms':>9s} {'total ms':>9s} "
              f"{'fwd GF/s':>9s} {'bwd GF/s':>9s} {'GF/s':>7s} {'torch/ours':>10s}")
    for r in rows:
        ratio = f"{r['speedup_vs_torch']:10.2f}" if r["speedup_vs_torch"] and r["impl"] != "torch" else f"{'-':>10s}"
        print(f"{r['impl']:10s} {r['B']:2d} {r['N']:5d} {str(r['causal']):>6s} {r['fwd_ms']:9.1f} {r['bwd_ms']:9.1f} "
              f"{r['total_ms']:9.1f} {r['fwd_gflops']:9.1f} {r['bwd_gflops']:9.1f} {r['gflops']:7.1f} {ratio}",
              flush=True)


def print_memory(rows: list[dict]) -> None:
    print(f"\npeak memory of one forward + backward (B=1, H={H}, d={D}, float32, fresh process per point)")
    print(f"{'impl':10s} {'N':>5s} {'VmHWM growth MiB':>17s} {'tracemalloc MiB':>16s} {'N x N scores MiB':>17s}")
    for r in rows:
        if "error" in r:
            print(f"{r['impl']:10s} {r['N']:5d} error: {r['error']}")
            continue
        traced = f"{r['tracemalloc_peak'] / 2**20:16.1f}" if r.get("tracemalloc_peak") is not None else f"{'-':>16s}"
        print(f"{r['impl']:10s} {r['N']:5d} {r['vmhwm_growth'] / 2**20:17.1f} {traced} "
              f"{H * r['N'] ** 2 * 4 / 2**20:17.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="B=1, N <= 2048: a smoke run")
    parser.add_argument("--full", action="store_true", help="every B in 1, 2, 4 with every N up to 8192")
    parser.add_argument("--threads", type=int, default=2, help="threads for every implementation (default 2)")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds per point (median; halved for big ones)")
    parser.add_argument("--wait-policy", choices=["passive", "active"], default="passive",
                        help="OMP_WAIT_POLICY for every implementation (default passive: see the source)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurements")
    parser.add_argument("--json", help="write the rows to this JSON file")
    parser.add_argument("--_peak", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._peak:
        impl, b, n, causal = args._peak
        _peak_child(impl, int(b), int(n), bool(int(causal)))
        return
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    try:
        from tensorlite.kernels import cpu

        path = cpu.kernel_paths().get("attention", "?")
    except ImportError:
        path = "?"
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {THREADS} threads, "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, native path {path}, numpy {np.__version__}, "
          f"torch {torch_version}, load average {os.getloadavg()[0]:.1f}")
    rows = run(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
