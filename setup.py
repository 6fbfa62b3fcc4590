"""Build script for tensorlite: package layout and the optional C++ extension tensorlite._C.

Project metadata (name, version, dependencies, extras, console script, pytest config)
lives in pyproject.toml; this file holds only what needs code.

Package layout: kernels/ installs as tensorlite.kernels
------------------------------------------------------
The array-level kernels live in the top-level folder ``kernels/`` (next to ``csrc/``),
but must import as ``tensorlite.kernels``: a top-level ``kernels`` module would
collide with an unrelated PyPI package.  Two mechanisms, each covering what the
other cannot:

1. ``package_dir={"tensorlite.kernels": "kernels"}`` below.  setuptools copies
   kernels/ into the wheel as tensorlite/kernels/ (``pip install .``), and the
   editable install's import finder maps ``tensorlite.kernels`` to kernels/
   (``pip install -e .``).  This needs nothing from the file system, so it also works
   from an sdist or a checkout without symlinks.
2. A committed relative symlink ``tensorlite/kernels -> ../kernels``.  When Python
   imports ``tensorlite`` straight from the repository root (``python -m pytest`` or
   ``python -c ...`` run there, with no install at all) the ordinary path finder
   looks for ``tensorlite/kernels`` inside the source package and finds it through
   the link.  This keeps ``tensorlite/__init__.py`` free of path tricks.

Package discovery excludes ``tensorlite.kernels`` found through the symlink and adds
it from kernels/ instead, so the wheel never holds two copies.

The extension is optional
-------------------------
``OptionalBuildExt`` catches every compiler/linker failure (and a missing pybind11),
so ``pip install`` succeeds without a C++ toolchain; the reference kernels then serve.
Either way it writes ``tensorlite/_C_build_status.json`` (gitignored) saying what
happened and why; ``tensorlite info`` and ``tensorlite.kernels._native`` read it.
``TENSORLITE_NO_EXT=1`` skips the extension build (and, read at runtime by
kernels/_native.py, stops a built one from loading).

Flags: C++17, -O3, OpenMP (compile and link), no -march=native, so the binary runs
on any x86-64 / aarch64 machine of its platform tag.  Kernels with AVX2 / AVX-512 code
compile it per function (``__attribute__((target(...)))``, csrc/cpu_features.h) and choose
a path at run time from CPUID (``tensorlite info`` shows which; TENSORLITE_CPU_PATH forces
a lower one).  If the compiler lacks OpenMP the build is retried without it.
"""

from __future__ import annotations

import ast
import json
import os
import platform
import re
import sys
from pathlib import Path
from typing import Any

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).parent.resolve()
STATUS_FILE = "_C_build_status.json"
EXT_NAME = "tensorlite._C"


def env_flag(name: str) -> bool:
    """True when the environment variable is set to anything but '', 0, false, no, off."""
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off")


def packages() -> list[str]:
    core = find_packages(
        where=str(ROOT),
        include=["tensorlite", "tensorlite.*"],
        exclude=["tensorlite.kernels", "tensorlite.kernels.*"],  # reached via the symlink
    )
    kernels = ["tensorlite.kernels"] + [
        f"tensorlite.kernels.{p}" for p in find_packages(where=str(ROOT / "kernels"))
    ]
    return core + kernels


def _relative(paths: list[Path]) -> list[str]:
    # setuptools wants paths relative to setup.py, in POSIX form.
    return sorted(p.relative_to(ROOT).as_posix() for p in paths)


_FAILED_COMMAND = re.compile(r"Command '(\[.*\])' returned non-zero exit status (\d+)", re.S)


def _short_error(exc: Exception) -> str:
    """A compiler failure names its whole command line; keep the program and the source."""
    text = str(exc)
    match = _FAILED_COMMAND.search(text)
    if not match:
        return text
    try:
        argv = ast.literal_eval(match.group(1))
        source = argv[argv.index("-c") + 1] if "-c" in argv else "(link)"
        return f"`{argv[0]} ... {source}` exited with status {match.group(2)}"
    except (ValueError, SyntaxError, IndexError):
        return text


def _compiler_command(compiler: Any) -> str:
    argv = getattr(compiler, "compiler_so_cxx", None) or getattr(compiler, "compiler_so", None)
    return " ".join(argv) if argv else str(compiler.compiler_type)


def _compile_in_parallel() -> None:
    """Compile the csrc/*.cpp files concurrently (each includes the heavy pybind11 headers).
    TENSORLITE_BUILD_JOBS sets the number of jobs; default: one per CPU."""
    try:
        from pybind11.setup_helpers import ParallelCompile
    except ImportError:  # an old pybind11: compile serially
        return
    ParallelCompile("TENSORLITE_BUILD_JOBS", default=0).install()


# Flag sets tried in order: the first that compiles and links wins.
_UNIX_FLAGS: list[tuple[str, list[str], list[str]]] = [
    # (label, compile args, link args); -g0 drops the debug info Python's CFLAGS ask for.
    ("openmp", ["-std=c++17", "-O3", "-g0", "-fvisibility=hidden", "-fopenmp"], ["-fopenmp"]),
    ("no-openmp", ["-std=c++17", "-O3", "-g0", "-fvisibility=hidden"], []),
]
_MSVC_FLAGS: list[tuple[str, list[str], list[str]]] = [
    ("openmp", ["/std:c++17", "/O2", "/openmp", "/EHsc"], []),
    ("no-openmp", ["/std:c++17", "/O2", "/EHsc"], []),
]


class OptionalBuildExt(build_ext):
    """build_ext that never fails the install and records why the extension is missing."""

    def run(self) -> None:
        self._status: dict[str, Any] = {}
        if env_flag("TENSORLITE_NO_EXT"):
            self._status = {"status": "skipped", "reason": "skipped by TENSORLITE_NO_EXT"}
        else:
            try:
                super().run()  # builds into build_lib, then copies to the source tree if inplace
            except Exception as exc:  # noqa: BLE001 - any failure must leave the install working
                self._record_failure(f"{type(exc).__name__}: {exc}")
        if not self._status:
            self._status = {"status": "failed", "reason": "build_ext ran no extension"}
        if self._status["status"] != "built":
            self._remove_stale_outputs()
        self._write_status()

    def build_extension(self, ext: Extension) -> None:
        try:
            import pybind11
        except ImportError as exc:
            self._record_failure(f"pybind11 is not installed ({exc})")
            return
        ext.include_dirs.append(pybind11.get_include())
        _compile_in_parallel()
        flag_sets = _MSVC_FLAGS if self.compiler.compiler_type == "msvc" else _UNIX_FLAGS
        errors = []
        base_compile, base_link = list(ext.extra_compile_args), list(ext.extra_link_args)
        for label, compile_args, link_args in flag_sets:
            ext.extra_compile_args = base_compile + compile_args
            ext.extra_link_args = base_link + link_args
            try:
                super().build_extension(ext)
            except Exception as exc:  # noqa: BLE001 - CompileError, LinkError, missing compiler, ...
                errors.append(f"[{label}] {type(exc).__name__}: {_short_error(exc)}")
                self.force = True  # a retry must recompile, not trust the objects of the failed try
                continue
            self._status = {
                "status": "built",
                "reason": "",
                "openmp": label == "openmp",
                "flags": ext.extra_compile_args,
                "compiler": _compiler_command(self.compiler),
                "retried_because": errors,
            }
            return
        self._record_failure("; ".join(errors))
        # An older .so in build_lib would otherwise be copied to the source tree when inplace.
        Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)

    # -- helpers ---------------------------------------------------------------------------

    def _record_failure(self, reason: str) -> None:
        reason = " ".join(reason.split())  # one line: compiler messages carry newlines
        if len(reason) > 1000:
            reason = reason[:1000] + " ..."
        self._status = {
            "status": "failed",
            "reason": f"C++ extension build failed: {reason} "
            "(rerun the install with `pip install -v` to see the compiler output)",
        }
        self.warn(f"tensorlite: {self._status['reason']} -- continuing without tensorlite._C")

    def _inplace(self) -> bool:
        return bool(self.inplace or getattr(self, "editable_mode", False))

    def _package_dirs(self) -> list[Path]:
        """Where the status file goes: the build tree (wheel), and the source tree if inplace."""
        dirs = [Path(self.build_lib) / "tensorlite"]
        if self._inplace():
            build_py = self.get_finalized_command("build_py")
            dirs.append(Path(build_py.get_package_dir("tensorlite")))
        return dirs

    def _remove_stale_outputs(self) -> None:
        """Remove an extension left by an earlier build, so it cannot load after a failed
        or skipped one (the build/ folder and an inplace copy both survive between runs)."""
        filename = Path(self.get_ext_filename(self.get_ext_fullname(EXT_NAME))).name
        for folder in self._package_dirs():
            (folder / filename).unlink(missing_ok=True)

    def _write_status(self) -> None:
        status = dict(self._status, python=sys.version.split()[0], machine=platform.machine())
        for folder in self._package_dirs():
            folder.mkdir(parents=True, exist_ok=True)
            (folder / STATUS_FILE).write_text(json.dumps(status, indent=2) + "\n")


ext_modules = [
    Extension(
        EXT_NAME,
        sources=_relative(list((ROOT / "csrc").glob("*.cpp"))),
        depends=_relative(sorted((ROOT / "csrc").glob("*.h")) + sorted((ROOT / "csrc").glob("*.inc"))),
        language="c++",
        optional=True,  # setuptools then skips copying a missing .so in editable/inplace builds
    )
]

setup(
    packages=packages(),
    package_dir={"tensorlite.kernels": "kernels"},
    ext_modules=ext_modules,
    cmdclass={"build_ext": OptionalBuildExt},
    zip_safe=False,
)
