"""Timing helpers shared by the benchmark scripts (run them as `python benchmarks/bench_*.py`)."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def time_calls(fn: Callable[[], Any], repeats: int) -> tuple[list[float], list[float]]:
    """(wall seconds, process CPU seconds) of each call: CPU time stays meaningful on a shared machine."""
    wall, cpu_s = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu_s.append(time.process_time() - start_cpu)
    return wall, cpu_s
