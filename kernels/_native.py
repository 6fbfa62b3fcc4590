"""Lazy loader for the C++ extension ``tensorlite._C``.

``load()`` returns ``(module, "")`` or ``(None, reason)``; it never raises.  The reason
says which of these happened:

  * ``TENSORLITE_NO_EXT=1`` in the environment: the extension is not loaded even if
    built, so the suite can run on reference kernels only (checked on every call,
    the import itself is cached);
  * the build was skipped or failed at install time (setup.py wrote
    ``tensorlite/_C_build_status.json``, whose reason is quoted);
  * the module was never built (no status file), or it is there but fails to import.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

MODULE = "tensorlite._C"
STATUS_FILE = "_C_build_status.json"  # written by setup.py's OptionalBuildExt

_lock = threading.Lock()
_cached: tuple[ModuleType | None, str] | None = None


def disabled_by_env() -> bool:
    """True when TENSORLITE_NO_EXT is set to anything but '', 0, false, no, off."""
    return os.environ.get("TENSORLITE_NO_EXT", "").strip().lower() not in ("", "0", "false", "no", "off")


def _package_dirs() -> list[Path]:
    # The status file sits next to _C, in the tensorlite package folder.  Located through the
    # package rather than this file: in an editable install this file is in <repo>/kernels/.
    pkg = sys.modules.get("tensorlite")
    return [Path(p) for p in getattr(pkg, "__path__", [])]


def build_status() -> dict[str, Any] | None:
    """The build record setup.py left (``{"status": "built"|"failed"|"skipped", "reason": ...}``),
    or None when there is none (never built, or the file is unreadable)."""
    for folder in _package_dirs():
        path = folder / STATUS_FILE
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            data.setdefault("path", str(path))
            return data
    return None


def _import() -> tuple[ModuleType | None, str]:
    try:
        return importlib.import_module(MODULE), ""
    except Exception as exc:  # noqa: BLE001 - ImportError, or a broken binary (undefined symbol, ...)
        error = f"{type(exc).__name__}: {exc}"
    status = build_status()
    if status is None:
        return None, (
            f"not built: no {MODULE} and no build record ({error}); "
            "install with `pip install -e .` (or `make install`) where a C++17 compiler is available"
        )
    state, why = status.get("status"), status.get("reason", "")
    if state == "skipped":
        return None, f"not built: {why} at install time"
    if state == "failed":
        return None, str(why) or "C++ extension build failed"
    return None, f"built, but failed to import ({error})"


def load() -> tuple[ModuleType | None, str]:
    """``(tensorlite._C, "")`` if the native extension can be used, else ``(None, reason)``."""
    global _cached
    if disabled_by_env():
        return None, "disabled at runtime by TENSORLITE_NO_EXT=1"
    if _cached is None:
        with _lock:
            if _cached is None:
                _cached = _import()
    return _cached


def is_available() -> bool:
    """Whether native implementations can run in this process now."""
    return load()[0] is not None


def require() -> ModuleType:
    """The extension module, or RuntimeError with the reason it is unavailable."""
    module, reason = load()
    if module is None:
        raise RuntimeError(f"tensorlite native extension unavailable: {reason}")
    return module
