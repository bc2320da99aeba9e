"""Timing and peak-memory measurement shared by the benchmark runner and the peer worker.

Standard library plus psutil only: the peer worker imports this module inside the separate
bench venv (.venv-bench), which has bmi's old NumPy/JAX but not infoplane.

Memory is reported two ways, because neither sees everything:
- ``peak_traced_mb``: tracemalloc's peak of Python and NumPy allocations during the call (NumPy
  reports its buffers to tracemalloc; torch's CPU allocator and BLAS workspaces do not);
- ``peak_rss_mb``: the process's resident memory sampled every 2 ms by a thread (psutil), its
  maximum minus the value just before the call; this sees torch too, but misses spikes shorter
  than the sampling period and memory the allocator reuses without returning it.
"""

from __future__ import annotations

import statistics
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import psutil


class _RssPeak:
    """Samples the resident set size on a thread while a block runs."""

    def __init__(self, period_s: float = 0.002) -> None:
        self.period_s = period_s
        self.process = psutil.Process()
        self.baseline = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.period_s)

    def __enter__(self) -> _RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def delta_mb(self) -> float:
        return (self.peak - self.baseline) / 2**20


def measure(call: Callable[[], Any], repeats: int) -> dict[str, Any]:
    """Run ``call`` ``repeats`` times for time, then once more for memory.

    Returns:
        ``value`` (the call's result, from the last timed run), ``seconds`` (median wall),
        ``seconds_min``, ``cpu_seconds`` (median process CPU time, all threads summed),
        ``peak_traced_mb`` and ``peak_rss_mb`` (see the module docstring).
    """
    walls, cpus, value = [], [], None
    for _ in range(repeats):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        value = call()
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
    tracemalloc.start()
    try:
        with _RssPeak() as rss:
            call()
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "value": value,
        "seconds": statistics.median(walls),
        "seconds_min": min(walls),
        "cpu_seconds": statistics.median(cpus),
        "peak_traced_mb": traced_peak / 2**20,
        "peak_rss_mb": rss.delta_mb,
    }
