"""Checks shared by the native-kernel tests: bitwise determinism across calls and OpenMP thread
counts, and the CPU paths this machine can run.  A test module using them defines
`_det_results() -> list[np.ndarray]` (the kernel's results on fixed inputs)."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

_THREADS_SCRIPT = """
import sys, numpy as np
sys.path.insert(0, {tests!r})
from {module} import _det_results
np.savez({out!r}, *_det_results())
"""


def run_script(script: str, **env_changes: str) -> subprocess.CompletedProcess:
    """`python -c script` from the repository root, with these environment variables changed."""
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ, **env_changes),
                          capture_output=True, text=True, timeout=300)


def assert_same_across_calls(results: Callable[[], list[np.ndarray]], calls: int = 2) -> None:
    first = results()
    for _ in range(calls):
        for a, b in zip(first, results()):
            np.testing.assert_array_equal(a, b)


def assert_same_across_thread_counts(module: str, results: Callable[[], list[np.ndarray]], tmp_path: Path,
                                     threads: Sequence[str] = ("1", "3")) -> None:
    """`module._det_results()` run in a fresh process per OMP_NUM_THREADS equals this process's, bitwise."""
    here = results()
    for count in threads:
        out = tmp_path / f"t{count}.npz"
        script = _THREADS_SCRIPT.format(tests=str(ROOT / "tests"), module=module, out=str(out))
        proc = run_script(script, OMP_NUM_THREADS=count)
        assert proc.returncode == 0, proc.stderr[-2000:]
        saved = np.load(out)
        for i, a in enumerate(here):
            np.testing.assert_array_equal(saved[f"arr_{i}"], a, err_msg=f"OMP_NUM_THREADS={count}, result {i}")


def supported_paths(native) -> list[str]:
    """The CPU paths of the extension `native` that can run here, slowest first."""
    if native is None or not hasattr(native, "set_cpu_path"):
        return []
    order = ["portable", "avx2", "avx512"]
    return order[: order.index(native.cpu_path()["best"]) + 1]


def int8_linear_float64(a, w, a_scale, w_scale, za, zw, bias, relu):
    """The contract's formula in float64 with the inputs as the kernel takes them (scales in
    float32).  Returns (y64, magnitude bound for the tolerance)."""
    m, n = a.shape[0], w.shape[1]
    sa = np.broadcast_to(np.asarray(a_scale, dtype=np.float32), (m,)).astype(np.float64)
    sw = np.broadcast_to(np.asarray(w_scale, dtype=np.float32), (n,)).astype(np.float64)
    za = np.zeros(m, np.int64) if za is None else np.broadcast_to(np.asarray(za, np.int64), (m,))
    zw = np.zeros(n, np.int64) if zw is None else np.broadcast_to(np.asarray(zw, np.int64), (n,))
    acc = (a.astype(np.float64) - za[:, None]) @ (w.astype(np.float64) - zw[None, :])  # exact
    scaled = acc * sa[:, None] * sw[None, :]
    b64 = np.zeros(n) if bias is None else np.asarray(bias, np.float32).astype(np.float64)
    y = scaled + b64
    if relu:
        y = np.maximum(y, 0.0)
    return y, np.abs(scaled) + np.abs(b64)
