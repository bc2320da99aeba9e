"""No estimator allocates an n x n matrix at n = 100,000 (an n x n float64 matrix is 80 GB).

Cheap estimators run in full under tracemalloc (which sees NumPy's buffers). The O(n^2) ones
(KDE, the pairwise bounds, SP) share ``pairwise.gaussian_logsumexp``; running them at n = 1e5
takes minutes on a CPU, so we stop them at their first (chunk x n) distance block and check its
size: by construction every block is that size. Estimators in neither list (the wrapper and
the neural ones) run in full and are marked slow; as torch's CPU allocator does not report to
tracemalloc, they are also held to the same limit on the growth of the peak resident memory of
a fresh process (Linux: the peak is reset through /proc/self/clear_refs before the call; a
fresh process, because an allocator that already holds memory from earlier tests reuses it
without growing).
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import torch

from infoplane.estimators import available, build

N = 100_000
#: Peak memory allowed: 1 % of one n x n float64 matrix (80 GB), 800 MB.
LIMIT_BYTES = N * N * 8 // 100
CHEAP = {"binning", "discrete", "gaussian", "kl", "ksg", "ksg2", "wkl"}
PAIRWISE = {"kde": {}, "kde-lower": {"noise_variance": 0.1}, "kde-upper": {"noise_variance": 0.1},
            "sp": {"beta": 0.1}}


#: Estimators of a layer's information: they take the layer and integer labels (I(T;Y), which
#: computes H(T) on the way), never a continuous y.
LAYER = {"binning", "kde-lower", "kde-upper", "sp"}


def samples(name: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 1))
    if name == "discrete":
        return rng.integers(0, 50, (N, 1)), rng.integers(0, 10, N)
    if name in LAYER:
        return x, rng.integers(0, 10, N)
    return x, x + rng.standard_normal((N, 1))


def peak_bytes(name: str, **params) -> int:
    x, y = samples(name)
    tracemalloc.start()
    try:
        build(name, **params).estimate(x, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", sorted(CHEAP & set(available())))
def test_cheap_estimators_stay_linear_in_memory(name):
    assert peak_bytes(name) < LIMIT_BYTES


class FirstBlock(Exception):
    """Raised by the patched kernel once it has seen the first distance block."""


@pytest.mark.parametrize("name", sorted(set(PAIRWISE) & set(available())))
def test_pairwise_estimators_work_in_row_blocks(name, monkeypatch):
    blocks: list[tuple[int, int]] = []

    def first_block(bias, block, centres_t, **kwargs):
        blocks.append((block.shape[0], centres_t.shape[1]))
        raise FirstBlock

    monkeypatch.setattr(torch, "addmm", first_block)
    estimator, (x, y) = build(name, **PAIRWISE[name]), samples(name)
    with pytest.raises(FirstBlock):  # a layer's I(X;T) = H(T): the kernel over all n centres
        estimator.estimate_layer(x) if name in LAYER else estimator.estimate(x, y)
    rows, cols = blocks[0]
    assert cols == N and rows * cols * 8 <= 64 * 2**20  # one block: at most 64 MiB, rows << n


#: Parameters an estimator cannot do without (the wrapper needs the estimator it wraps), or that
#: only shorten the run: a neural estimator's memory does not grow with its epochs (each epoch
#: runs the same batches, and the held-out bound is computed in blocks of the batch size), so
#: two epochs show its peak; the default 300, with early stopping, take over ten minutes here.
PARAMS = {"compressed": {"estimator": "ksg", "x": "pca:1", "y": "pca:1"},
          "infonce": {"max_epochs": 2}, "mine": {"max_epochs": 2}, "nwj": {"max_epochs": 2}}


def _status_bytes(field: str) -> int:
    """A memory field of /proc/self/status (``VmRSS``, ``VmHWM``) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def peak_rss_growth(name: str, **params) -> int:
    """How far the resident memory peaks above its level before one estimate, in bytes."""
    x, y = samples(name)
    estimator = build(name, **params)
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current RSS
    before = _status_bytes("VmRSS")
    estimator.estimate(x, y)
    return _status_bytes("VmHWM") - before


def peak_rss_growth_in_fresh_process(name: str) -> int:
    """:func:`peak_rss_growth` of ``name`` with ``PARAMS``, measured in a new interpreter."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from test_memory_scaling import PARAMS, peak_rss_growth; "
            "print(peak_rss_growth(sys.argv[2], **PARAMS.get(sys.argv[2], {})))")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), name],
                          capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(available()) - CHEAP - set(PAIRWISE)))
def test_other_estimators_stay_linear_in_memory(name):
    assert peak_bytes(name, **PARAMS.get(name, {})) < LIMIT_BYTES
    if sys.platform.startswith("linux"):
        assert peak_rss_growth_in_fresh_process(name) < LIMIT_BYTES
