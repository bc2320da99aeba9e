"""No estimator allocates an n x n matrix at n = 100,000 (an n x n float64 matrix is 80 GB).

Cheap estimators run in full under tracemalloc (which sees NumPy's buffers). The O(n^2) ones
(KDE, the pairwise bounds, SP) share ``pairwise.gaussian_logsumexp``; running them at n = 1e5
takes minutes on a CPU, so we stop them at their first (chunk x n) distance block and check its
size: by construction every block is that size. Estimators in neither list run in full and
are marked slow.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch

from infoplane.estimators import available, build

N = 100_000
#: Peak traced memory allowed: 1 % of one n x n float64 matrix, 80 MB.
LIMIT_BYTES = N * N * 8 // 100
CHEAP = {"binning", "discrete", "gaussian", "kl", "ksg", "ksg2", "wkl"}
PAIRWISE = {"kde": {}, "kde-lower": {"noise_variance": 0.1}, "kde-upper": {"noise_variance": 0.1},
            "sp": {"beta": 0.1}}


def samples(name: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 1))
    if name == "discrete":
        return rng.integers(0, 50, (N, 1)), rng.integers(0, 10, N)
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
    with pytest.raises(FirstBlock):
        build(name, **PAIRWISE[name]).estimate(*samples(name))
    rows, cols = blocks[0]
    assert cols == N and rows * cols * 8 <= 64 * 2**20  # one block: at most 64 MiB, rows << n


#: Parameters an estimator cannot do without (the wrapper needs the estimator it wraps).
REQUIRED = {"compressed": {"estimator": "ksg", "x": "pca:1", "y": "pca:1"}}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(available()) - CHEAP - set(PAIRWISE)))
def test_other_estimators_stay_linear_in_memory(name):
    assert peak_bytes(name, **REQUIRED.get(name, {})) < LIMIT_BYTES
