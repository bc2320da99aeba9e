"""One thread policy for torch, BLAS/OpenMP and joblib, and the device choice.

Three libraries start their own thread pools: torch (intra-op threads), the BLAS and OpenMP
runtimes under NumPy and scikit-learn, and joblib's worker processes. Left alone, analysing 4
layers in 2 joblib processes on a 2-core machine runs 2 x (2 torch + 2 BLAS) threads on 2 cores,
and oversubscription makes it slower than one process. The rule here: the product of the number
of worker processes and the threads inside each never exceeds the cores this process may use.

    >>> from infoplane.parallel import parallel_map
    >>> results = parallel_map(analyse_layer, layers, n_jobs=2)    # 2 processes x 1 thread

``threads()`` is what the kNN backends (``infoplane.estimators.neighbors``) use for their own
query threads, so they obey the same budget.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_THREADS: ContextVar[int | None] = ContextVar("infoplane_threads", default=None)

# Environment variables read by the BLAS and OpenMP runtimes when a process starts.
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "NUMEXPR_NUM_THREADS")


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def threads() -> int:
    """Threads the current code may use: set by ``limit_threads``, else all available cores."""
    value = _THREADS.get()
    return value if value is not None else available_cores()


@contextmanager
def limit_threads(n: int) -> Iterator[int]:
    """Run a block with torch, BLAS/OpenMP and the kNN backends all limited to ``n`` threads.

    Restores the previous limits on exit. ``n`` is capped at ``available_cores()``.
    """
    if n < 1:
        raise ValueError(f"limit_threads: n must be >= 1, got {n}")
    import torch
    from threadpoolctl import threadpool_limits

    n = min(int(n), available_cores())
    token = _THREADS.set(n)
    torch_before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        with threadpool_limits(limits=n):
            yield n
    finally:
        torch.set_num_threads(torch_before)
        _THREADS.reset(token)


def split_cores(n_jobs: int | None, n_tasks: int) -> tuple[int, int]:
    """(processes, threads per process) for ``n_tasks`` tasks without oversubscription.

    Args:
        n_jobs: requested processes; None or -1 means one per core; capped at the task count.
        n_tasks: number of independent tasks.
    """
    cores = available_cores()
    jobs = cores if n_jobs in (None, -1) else int(n_jobs)
    if jobs < 1:
        raise ValueError(f"n_jobs must be >= 1 or -1 (all cores), got {n_jobs}")
    jobs = max(1, min(jobs, cores, n_tasks))
    return jobs, max(1, cores // jobs)


class _InWorker:
    """Picklable wrapper that applies the thread limit inside a worker process."""

    def __init__(self, fn: Callable[[Any], Any], n_threads: int) -> None:
        self.fn, self.n_threads = fn, n_threads

    def __call__(self, item: Any) -> Any:
        with limit_threads(self.n_threads):
            return self.fn(item)


def parallel_map(fn: Callable[[T], R], items: Iterable[T], n_jobs: int | None = None) -> list[R]:
    """``[fn(item) for item in items]`` in joblib processes, threads split between them.

    With ``n_jobs`` processes on c cores every process gets ``c // n_jobs`` threads for torch,
    BLAS and the kNN queries. One process (``n_jobs=1`` or a single task) runs in this process
    with all cores, which is the fastest choice when each task is itself multithreaded.

    Args:
        fn: a picklable function (defined at module level) of one item.
        items: the tasks; order is kept in the result.
        n_jobs: processes (None or -1: one per core).
    """
    items = list(items)
    jobs, per_job = split_cores(n_jobs, len(items))
    if jobs == 1:
        with limit_threads(per_job):
            return [fn(item) for item in items]
    from joblib import Parallel, delayed, parallel_config

    # inner_max_num_threads makes loky start workers with the BLAS/OpenMP variables set, before
    # any library reads them; _InWorker then sets torch's count, which it reads lazily.
    with parallel_config(backend="loky", inner_max_num_threads=per_job):
        return Parallel(n_jobs=jobs)(delayed(_InWorker(fn, per_job))(item) for item in items)


def thread_env(n: int) -> dict[str, str]:
    """Environment variables that limit a child process's BLAS/OpenMP/torch threads to ``n``."""
    return {name: str(n) for name in _THREAD_ENV}


#: The device names :func:`resolve_device` knows besides ``"auto"``.
DEVICE_NAME = re.compile(r"^(cpu|cuda(:\d+)?|mps)$")


def resolve_device(device: Any = "auto") -> str:
    """The one device choice: ``"auto"`` (or None) -> ``"cuda"`` when torch sees a GPU, else
    ``"cpu"``; ``"cpu"``, ``"cuda"``, ``"cuda:N"`` and ``"mps"`` are checked and kept.

    Returns a name that ``torch.device`` takes (a ``torch.device`` is accepted too). Deciding
    "auto" without a GPU driver, and "cpu", never import torch (see :func:`_torch_may_see_gpu`).

    Raises:
        ValueError: naming the device when it is unknown, or asks for CUDA (MPS) that is not there.
    """
    name = "auto" if device is None else str(device)
    if name == "cpu" or (name == "auto" and not _torch_may_see_gpu()):
        return "cpu"
    if name != "auto" and not DEVICE_NAME.match(name):
        raise ValueError(f"unknown device {name!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {name!r} requested but MPS is not available; use 'auto' or 'cpu'")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but CUDA is not available; use 'auto' or 'cpu'")
    return name


def _torch_may_see_gpu() -> bool:
    """False when torch surely sees no GPU, decided without importing torch.

    Importing torch costs about a second, which dominates a short kNN job of the pipeline. On
    Linux a GPU torch can use has a driver node (NVIDIA: /dev/nvidia0 or /proc/driver/nvidia;
    ROCm: /dev/kfd); macOS has no CUDA builds. Elsewhere, or once torch is imported, torch is asked.
    """
    if "torch" in sys.modules:
        return True
    if os.environ.get("CUDA_VISIBLE_DEVICES", "0").strip() in ("", "-1"):  # every GPU hidden
        return False
    if sys.platform == "darwin":
        return False
    if sys.platform.startswith("linux"):
        return (Path("/proc/driver/nvidia").exists() or Path("/dev/kfd").exists()
                or any(Path("/dev").glob("nvidia[0-9]*")))
    return True
