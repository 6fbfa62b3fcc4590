"""`tensorlite bench [SUITE ...] [--out DIR]`: run the benchmark suites of a source checkout.

Each suite is a script `benchmarks/bench_<suite>.py` that measures tensorlite next to a peer
(PyTorch, NumPy, onnxruntime) in the same run, prints its table and writes JSON (`--json PATH`):
a list of rows with `ratio_vs_*` fields, or a report of its own shape. This command runs the chosen suites, then writes DIR/summary.json and
DIR/summary.png (one bar per row: tensorlite's time relative to the peer; < 1 is faster).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path


def benchmarks_dir() -> Path:
    here = Path(__file__).resolve().parent.parent / "benchmarks"
    if not here.is_dir():
        raise SystemExit("tensorlite bench: the benchmarks/ folder of a source checkout is needed "
                         "(it is not installed with the package); run it from a clone of the repository")
    return here


def suites() -> list[str]:
    return sorted(p.stem[len("bench_"):] for p in benchmarks_dir().glob("bench_*.py"))


def write_chart(rows: list[dict], path: Path) -> bool:
    try:
        import matplotlib  # noqa: PLC0415 - optional dependency

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return False
    bars = []
    for r in rows:
        for key, value in r.items():
            if key.startswith("ratio_vs_") and isinstance(value, (int, float)):
                bars.append((f"{r['suite']}: {r['bench']} (vs {key[len('ratio_vs_'):]})", value))
    if not bars:
        return False
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(bars) + 1.2))
    labels, values = zip(*bars)
    ax.barh(range(len(values)), values, color=["tab:green" if v <= 1 else "tab:orange" for v in values])
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(values)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("tensorlite time / peer time (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tensorlite bench", description=__doc__.splitlines()[0])
    p.add_argument("suites", nargs="*", help="suites to run (default: all; see --list)")
    p.add_argument("--out", default="bench_out", help="folder for the JSON and PNG (default bench_out/)")
    p.add_argument("--list", action="store_true", help="list the suites and exit")
    args = p.parse_args(argv)
    available = suites()
    if args.list:
        print("\n".join(available))
        return 0
    chosen = args.suites or available
    unknown = [s for s in chosen if s not in available]
    if unknown:
        print(f"tensorlite bench: unknown suite(s) {unknown}; available: {available}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, failed, raw = [], [], {}
    for suite in chosen:
        script = benchmarks_dir() / f"bench_{suite}.py"
        target = out / f"{suite}.json"
        print(f"\n== {suite} ({script.name})", flush=True)
        result = subprocess.run([sys.executable, str(script), "--json", str(target)], check=False)
        if result.returncode != 0 or not target.exists():
            failed.append(suite)
            continue
        data = json.loads(target.read_text())
        if isinstance(data, list) and all(isinstance(r, dict) and "bench" in r for r in data):
            rows.extend({"suite": suite, **row} for row in data)
        else:  # a suite with its own report format: kept whole in the summary, left out of the chart
            raw[suite] = data
    (out / "summary.json").write_text(json.dumps({"rows": rows, "suites": raw}, indent=2))
    chart = write_chart(rows, out / "summary.png")
    print(f"\nwrote {out / 'summary.json'}" + (f" and {out / 'summary.png'}" if chart else " (no chart: matplotlib)"))
    if failed:
        print(f"failed suites: {failed}", file=sys.stderr)
    return 1 if failed else 0
