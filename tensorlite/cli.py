"""The ``tensorlite`` command (also ``python -m tensorlite``).

    tensorlite info [--json]      versions, CUDA, native extension, kernels and their implementations
    tensorlite gradcheck [OP ...] numerical gradient checks over the op registry
    tensorlite train MODEL ...    train a model (see tensorlite/training/cli.py)
    tensorlite bench [SUITE ...]  benchmark suites of a source checkout: tables, JSON and a PNG chart

Everything beyond argparse is imported inside the subcommand that needs it, so a
subcommand pays only for what it uses.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Sequence
from typing import Any


def _version_of(dist: str) -> str | None:
    """Installed version of a distribution, without importing it (None if absent)."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _cupy_version() -> str | None:
    from importlib import metadata

    for dist in metadata.distributions():  # CuPy ships as cupy, cupy-cuda12x, cupy-cuda11x, ...
        name = (dist.metadata["Name"] or "").lower()
        if name == "cupy" or name.startswith("cupy-"):
            return f"{dist.version} ({name})"
    return None


def _cuda_status() -> tuple[bool, str]:
    """(available, detail).  Never raises: ``import cupy`` can succeed on a machine without a
    GPU and the first allocation then raises CUDARuntimeError; anything raised is reported."""
    try:
        from tensorlite.backend.device import cuda_available, cuda_module, cuda_unavailable_reason

        if cuda_available():
            cupy = cuda_module()
            count = cupy.cuda.runtime.getDeviceCount()
            name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
            name = name.decode() if isinstance(name, bytes) else str(name)
            return True, f"{count} device(s); device 0: {name}"
        return False, str(cuda_unavailable_reason())
    except BaseException as exc:  # noqa: BLE001 - a diagnostic must not crash on a broken CUDA stack
        if isinstance(exc, KeyboardInterrupt):
            raise
        return False, f"CUDA not available: {type(exc).__name__}: {exc}"


def collect_info() -> dict[str, Any]:
    """Everything ``tensorlite info`` reports, as plain data."""
    import numpy

    import tensorlite
    from tensorlite import kernels
    from tensorlite._version import __version__
    from tensorlite.kernels import _native

    module, reason = _native.load()
    native: dict[str, Any] = {"available": module is not None, "reason": reason}
    if module is not None:
        native["path"] = getattr(module, "__file__", None)
        native["openmp"] = bool(getattr(module, "openmp", False))
        native["openmp_threads"] = int(module.openmp_max_threads())
        if hasattr(module, "kernel_paths"):  # runtime CPU dispatch (csrc/cpu_features.*)
            native["cpu_path"] = dict(module.cpu_path())
            native["cpu_features"] = {k: v for k, v in module.cpu_features().items() if v is True}
            native["kernel_paths"] = dict(module.kernel_paths())
    native["build"] = _native.build_status()

    cuda_ok, cuda_detail = _cuda_status()
    devices = ["cpu"] + (["cuda"] if cuda_ok else [])
    return {
        "tensorlite": {"version": __version__, "path": os.path.dirname(tensorlite.__file__ or "")},
        "python": {"version": platform.python_version(), "executable": sys.executable},
        "numpy": numpy.__version__,
        "cupy": _cupy_version(),
        "triton": _version_of("triton"),
        "cuda": {"available": cuda_ok, "detail": cuda_detail},
        "native": native,
        "cpu_count": os.cpu_count(),
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "kernels": {
            name: {
                "available": impls,
                "selected": {dev: kernels.selected(dev)[name] for dev in devices},
            }
            for name, impls in kernels.available().items()
        },
    }


def _malloc_line() -> str:
    from .backend import memory

    if memory.applied():
        return (f"freed memory kept in the process (glibc mmap threshold {memory.MMAP_THRESHOLD >> 20} MiB, trim "
                f"threshold {memory.TRIM_THRESHOLD >> 20} MiB; TENSORLITE_KEEP_FREED_MEMORY=0 turns it off)")
    return "the C library's defaults (see tensorlite/backend/memory.py)"


def _print_info(info: dict[str, Any]) -> None:
    native = info["native"]
    if native["available"]:
        native_line = f"available ({native['path']})"
        threads = f"{native['openmp_threads']} threads" if native["openmp"] else "built without OpenMP (1 thread)"
    else:
        native_line = f"not available: {native['reason']}"
        threads = "n/a (native extension not loaded)"
    env = info["omp_num_threads_env"]
    threads += f"; OMP_NUM_THREADS={env}" if env else "; OMP_NUM_THREADS unset"
    threads += f"; {info['cpu_count']} CPUs"
    rows = [
        ("tensorlite", f"{info['tensorlite']['version']} ({info['tensorlite']['path']})"),
        ("Python", f"{info['python']['version']} ({info['python']['executable']})"),
        ("NumPy", info["numpy"]),
        ("CuPy", info["cupy"] or "not installed"),
        ("Triton", info["triton"] or "not installed"),
        ("CUDA", info["cuda"]["detail"]),
        ("native", native_line),
        ("OpenMP", threads),
        ("malloc", _malloc_line()),
    ]
    if native.get("cpu_path"):
        path = native["cpu_path"]
        forced = f"; forced to {path['requested']}" if path.get("requested") else ""
        error = f"; {path['env_error']}" if path.get("env_error") else ""
        features = " ".join(sorted(native["cpu_features"]))
        rows.append(("CPU path", f"{path['active']} (best here {path['best']}{forced}{error}); features: {features}"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print("kernels (implementations available, fastest first; -> picked per device):")
    name_width = max((len(n) for n in info["kernels"]), default=0)
    simd = native.get("kernel_paths") or {}
    for name, k in info["kernels"].items():
        picked = ", ".join(f"{dev} -> {impl}" for dev, impl in k["selected"].items())
        path = f"  (native: {simd[name]} path)" if name in simd else ""
        print(f"  {name:<{name_width}}  [{', '.join(k['available'])}]  {picked}{path}")


def cmd_info(args: argparse.Namespace) -> int:
    info = collect_info()
    if args.json:
        import json

        print(json.dumps(info, indent=2, default=str))
    else:
        _print_info(info)
    return 0


def cmd_gradcheck(args: argparse.Namespace) -> int:
    try:
        from tensorlite.testing.cli_gradcheck import main as gradcheck_main
    except ImportError as exc:
        print(f"tensorlite gradcheck: unavailable ({exc})", file=sys.stderr)
        return 2
    # Everything after "gradcheck" (op names and that module's own options) is passed on.
    return int(gradcheck_main(list(args.rest)) or 0)


def cmd_bench(args: argparse.Namespace) -> int:
    from tensorlite.bench import main as bench_main

    return int(bench_main(list(args.rest)) or 0)


def cmd_train(args: argparse.Namespace) -> int:
    from tensorlite.training.cli import main as train_main

    return int(train_main(list(args.rest)) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tensorlite", description="tensorlite command-line tools")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("info", help="versions, CUDA, native extension, kernels")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser(
        "gradcheck",
        help="numerical gradient checks over the op registry",
        description="Arguments (op names, options) go to tensorlite.testing.cli_gradcheck.",
    )
    p.add_argument("rest", nargs=argparse.REMAINDER, metavar="OP", help="ops to check (default: all)")
    p.set_defaults(func=cmd_gradcheck)

    p = sub.add_parser("train", help="train a model on a dataset (tensorlite train MODEL --dataset D ...)")
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("bench", help="run the benchmark suites (tensorlite bench [SUITE ...] --out DIR)")
    p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_bench)
    return parser


# Subcommands whose arguments, options included, belong to the code they delegate to.
_PASS_THROUGH = {"gradcheck": cmd_gradcheck, "bench": cmd_bench, "train": cmd_train}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in _PASS_THROUGH:
        # argparse.REMAINDER would reject a leading option (`gradcheck --dtype float64`).
        return int(_PASS_THROUGH[argv[0]](argparse.Namespace(command=argv[0], rest=argv[1:])))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
