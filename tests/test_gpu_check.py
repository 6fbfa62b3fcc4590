"""benchmarks/gpu_check.py without a GPU: one clear line, a JSON report saying why, exit status 0."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import tensorlite as tl

ROOT = Path(__file__).resolve().parent.parent


def test_gpu_check_without_cuda_reports_the_reason(tmp_path):
    if tl.cuda.is_available():
        import pytest

        pytest.skip("a GPU is present: `make gpu-check` runs the real thing")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "CUDA not available" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["environment"]["cuda_available"] is False
    assert report["environment"]["reason"] == tl.cuda.unavailable_reason()
    assert report["rows"] == []
