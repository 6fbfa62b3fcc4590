"""tensorlite.backend.memory: freed host memory stays in the process, so repeated steps stop page-faulting."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="the thresholds are glibc's")

# A training step's pattern, 100 times: eight 1 MB arrays alive at once (activations), then all freed;
# counting minor page faults.
CHILD = r"""
import json, resource, sys
import numpy as np
import tensorlite
from tensorlite.backend import memory
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def step():
    arrays = [np.ones(1 << 18, np.float32) for _ in range(8)]
    del arrays
for _ in range(5):
    step()
before = faults()
for _ in range(100):
    step()
print(json.dumps({"applied": memory.applied(), "faults_per_iter": (faults() - before) / 100}))
"""


def _run(**env_overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("TENSORLITE_KEEP_FREED_MEMORY", None)
    env.update(env_overrides)
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_repeated_allocations_stop_faulting_after_import():
    tuned = _run()
    untuned = _run(TENSORLITE_KEEP_FREED_MEMORY="0")
    assert tuned["applied"] is True and untuned["applied"] is False
    # untuned: glibc returns the freed 8 MB to the kernel (trim), ~2048 faults (4 KiB pages) per step;
    # tuned: the memory is reused
    assert untuned["faults_per_iter"] > 100
    assert tuned["faults_per_iter"] < 5


def test_user_malloc_settings_win():
    assert _run(MALLOC_TRIM_THRESHOLD_="1000000")["applied"] is False
