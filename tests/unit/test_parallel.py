"""The thread policy: processes x threads never exceed the cores, limits are restored."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

from infoplane import parallel


def square_and_threads(value: float) -> tuple[float, int, int]:
    blas = [pool["num_threads"] for pool in threadpool_info()]
    return value * value, torch.get_num_threads(), max(blas, default=1)


def test_split_cores_never_oversubscribes(monkeypatch):
    monkeypatch.setattr(parallel, "available_cores", lambda: 8)
    assert parallel.split_cores(None, 100) == (8, 1)
    assert parallel.split_cores(2, 100) == (2, 4)
    assert parallel.split_cores(16, 100) == (8, 1)
    assert parallel.split_cores(-1, 3) == (3, 2)
    with pytest.raises(ValueError, match="n_jobs"):
        parallel.split_cores(0, 3)


def test_limit_threads_sets_and_restores():
    before = torch.get_num_threads()
    with parallel.limit_threads(1) as n:
        assert n == 1 and parallel.threads() == 1 and torch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    assert torch.get_num_threads() == before
    assert parallel.threads() == parallel.available_cores()


def test_parallel_map_keeps_order_and_thread_budget():
    values = np.arange(5.0)
    cores = parallel.available_cores()
    for n_jobs in (1, 2):
        out = parallel.parallel_map(square_and_threads, values, n_jobs=n_jobs)
        assert [o[0] for o in out] == list(values**2)
        jobs = min(n_jobs, cores)
        assert all(o[1] * jobs <= cores and o[2] * jobs <= cores for o in out)


def test_resolve_device():
    assert parallel.resolve_device("cpu") == "cpu"
    assert parallel.resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="unknown device"):
        parallel.resolve_device("tpu")


def test_resolve_device_is_the_one_device_check():
    # None and torch.device objects are what the estimators and compressors pass.
    assert parallel.resolve_device(None) == parallel.resolve_device("auto")
    assert parallel.resolve_device(torch.device("cpu")) == "cpu"
    for bad in ("gpu", "cuda:x", "CPU", ""):
        with pytest.raises(ValueError, match=re.escape(repr(bad))):
            parallel.resolve_device(bad)
    if torch.cuda.is_available():
        assert parallel.resolve_device("cuda:0") == "cuda:0"
    else:
        with pytest.raises(ValueError, match="'cuda:1' requested but CUDA is not available"):
            parallel.resolve_device("cuda:1")


def test_auto_device_with_every_gpu_hidden_does_not_import_torch():
    # A fresh process: the pipeline's short kNN jobs must not pay torch's import (~1 s).
    import os
    import subprocess
    import sys

    code = ("import sys; from infoplane.parallel import resolve_device; "
            "print(resolve_device('auto'), 'torch' in sys.modules)")
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["cpu", "False"]
