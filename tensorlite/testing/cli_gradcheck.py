"""`tensorlite gradcheck`: check ops' gradients (and PyTorch parity) from the command line.

    tensorlite gradcheck                      every op of the registry
    tensorlite gradcheck add mul 'soft*'      the named ops (shell-style patterns allowed)
    tensorlite gradcheck --plugin mymodule    your own ops: a module (or .py file) exporting OPS = [OpInfo(...)]
    tensorlite gradcheck --dtype float64 -q   parity in float64 only; print failing ops only

Prints one row per op (first- and second-order gradcheck in float64, forward and gradient parity
with PyTorch, exception types for invalid inputs, the largest |analytic - numeric| gradient
error), then the details of each failure and a summary line. Exit status: 0 when every op
passes, 1 when one fails, 2 for a usage error. Without PyTorch installed the parity column says
so and the other checks still run.
"""
from __future__ import annotations

import argparse
import difflib
import fnmatch
import importlib
import importlib.util
import os
import sys
import time
from typing import Sequence

_COLUMNS = ("op", "1st order", "2nd order", "torch parity", "errors", "max err")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tensorlite gradcheck",
                                description="Numerical gradient checks (and PyTorch parity) over the op registry.")
    p.add_argument("ops", nargs="*", metavar="OP", help="ops to check, by name or shell pattern (default: all)")
    p.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                   help="import MODULE (a module name or a .py path) exporting OPS = [OpInfo(...)]; without OP "
                        "names only the plugin's ops run. Repeatable.")
    p.add_argument("--dtype", action="append", choices=("float32", "float64", "bfloat16"), default=None,
                   help="dtype(s) for the PyTorch parity check (default: float32 and float64; bfloat16 needs "
                        "ml_dtypes). Gradchecks always use float64.")
    p.add_argument("--no-parity", action="store_true", help="skip the PyTorch parity check")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failing ops and the summary")
    p.add_argument("--list", action="store_true", help="list the selected ops and exit")
    return p


def _load_plugin(spec: str):
    """Import a plugin by module name or by path to a .py file."""
    if spec.endswith(".py") or os.sep in spec:
        path = os.path.abspath(spec)
        if not os.path.exists(path):
            raise ImportError(f"no such file: {path}")
        name = os.path.splitext(os.path.basename(path))[0]
        mod_spec = importlib.util.spec_from_file_location(f"tensorlite_gradcheck_plugin_{name}", path)
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        return module
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # `tensorlite gradcheck --plugin mymodule` run next to mymodule.py
    return importlib.import_module(spec)


def _select(names: Sequence[str], registry: list, plugin_ops: list) -> tuple[list, list[str]]:
    """The OpInfos to run and the names that matched nothing."""
    if not names:
        return (plugin_ops if plugin_ops else registry), []
    pool = plugin_ops + [info for info in registry if all(info is not p for p in plugin_ops)]
    chosen, unknown = [], []
    for name in names:
        matched = [info for info in pool if fnmatch.fnmatchcase(info.name, name)]
        if not matched:
            unknown.append(name)
        chosen.extend(info for info in matched if all(info is not c for c in chosen))
    return chosen, unknown


def _cell(status: str) -> str:
    if status.startswith("FAIL"):
        return "FAIL"
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    from . import check  # noqa: PLC0415 - imports tensorlite and the registry only when run
    from .opinfo import OpInfo, all_ops  # noqa: PLC0415

    plugin_ops = []
    for spec in args.plugin:
        try:
            module = _load_plugin(spec)
        except Exception as exc:  # noqa: BLE001 - report any import failure as a usage error
            print(f"tensorlite gradcheck: cannot import plugin {spec!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 2
        ops = getattr(module, "OPS", None)
        if not isinstance(ops, (list, tuple)) or not all(isinstance(o, OpInfo) for o in ops):
            print(f"tensorlite gradcheck: plugin {spec!r} must export OPS, a list of "
                  f"tensorlite.testing.opinfo.OpInfo", file=sys.stderr)
            return 2
        plugin_ops.extend(ops)
    registry = all_ops() if (args.ops or not plugin_ops) else []
    chosen, unknown = _select(args.ops, registry, plugin_ops)
    if unknown:
        known = [info.name for info in registry + plugin_ops]
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            print(f"tensorlite gradcheck: no op named {name!r}{hint}", file=sys.stderr)
        return 2
    if args.list:
        for info in chosen:
            print(info.name)
        return 0
    if not chosen:
        print("tensorlite gradcheck: no ops to check (the registry is empty)", file=sys.stderr)
        return 2

    dtypes = tuple(dict.fromkeys(args.dtype)) if args.dtype else ("float32", "float64")
    width = max(len(_COLUMNS[0]), *(len(info.name) for info in chosen))
    parity_width = max(len(_COLUMNS[3]), len("skipped: torch not installed") if not check.torch_available() else 0)
    widths = (width, 9, 9, parity_width, 6, 9)

    def row(cells) -> str:
        return "  ".join(f"{c:<{w}}" for c, w in zip(cells, widths)).rstrip()

    print(row(_COLUMNS))
    print(row(["-" * w for w in widths]))
    failed, started = [], time.perf_counter()
    for info in chosen:
        report = check.run_op(info, dtypes=dtypes, parity=not args.no_parity)
        if not report.passed:
            failed.append(report)
        if args.quiet and report.passed:
            continue
        err = "-" if report.max_abs_error is None else f"{report.max_abs_error:.1e}"
        print(row([report.name, _cell(report.first_order), _cell(report.second_order), _cell(report.parity),
                   _cell(report.errors), err]), flush=True)
    for report in failed:
        print(f"\n== {report.name} ==")
        for label, status in (("1st order", report.first_order), ("2nd order", report.second_order),
                              ("torch parity", report.parity), ("errors", report.errors)):
            if status.startswith("FAIL"):
                print(f"[{label}] {status[6:]}")
    n = len(chosen)
    print(f"\nchecked in {time.perf_counter() - started:.1f}s")
    print(f"{n} ops: {n - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
