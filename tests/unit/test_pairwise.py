"""The chunked pairwise kernel: exact against a brute-force n x n computation, and O(chunk x n) memory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from infoplane.estimators.pairwise import gaussian_logsumexp, row_blocks


def brute_force(q: np.ndarray, c: np.ndarray, s: float, leave_one_out: bool = False) -> np.ndarray:
    d2 = ((q[:, None, :] - c[None, :, :]) ** 2).sum(axis=-1)
    if leave_one_out:
        np.fill_diagonal(d2, np.inf)
    return logsumexp(-d2 / (2 * s**2), axis=1)


@pytest.fixture
def points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    # Far from the origin on purpose: the kernel centres the data so that
    # ||q||^2 + ||c||^2 - 2 q.c keeps its digits.
    return rng.normal(100.0, 1.0, (37, 3)), rng.normal(100.0, 1.0, (53, 3))


@pytest.mark.parametrize("chunk", [1, 5, 37, None])
def test_matches_brute_force_for_any_chunk(points, chunk):
    q, c = points
    got = gaussian_logsumexp(q, c, 0.7, chunk=chunk, device="cpu")
    # float64 throughout: agreement to ~1e-10 relative is rounding only.
    np.testing.assert_allclose(got, brute_force(q, c, 0.7), rtol=1e-10, atol=1e-10)


def test_leave_one_out_and_several_scales(points):
    z = points[1]
    scales = np.array([0.05, 0.3, 2.0])
    got = gaussian_logsumexp(z, z, scales, leave_one_out=True, chunk=8, device="cpu")
    assert got.shape == (len(z), 3)
    for j, s in enumerate(scales):
        np.testing.assert_allclose(got[:, j], brute_force(z, z, s, leave_one_out=True), rtol=1e-10, atol=1e-9)


def test_terms_far_below_the_nearest_centre_still_match_brute_force():
    # Spread 100 kernel widths apart, most terms underflow exp() (the kernel raises their
    # exponents to EXPONENT_FLOOR first): the sums are those of the exact computation.
    rng = np.random.default_rng(1)
    q, c = rng.uniform(-1, 1, (40, 2)), rng.uniform(-1, 1, (300, 2))
    for s in (0.01, 0.002):
        got = gaussian_logsumexp(q, c, s, chunk=7, device="cpu")
        np.testing.assert_allclose(got, brute_force(q, c, s), rtol=1e-12, atol=1e-9)


def test_a_single_centre_left_out_is_an_empty_sum():
    # leave_one_out with n = 1 drops the only term: log of an empty sum is -inf, not the floor.
    z = np.array([[0.3, -0.2]])
    assert np.all(gaussian_logsumexp(z, z, np.array([0.1, 1.0]), leave_one_out=True, device="cpu") == -np.inf)


def test_rejects_bad_input(points):
    q, c = points
    with pytest.raises(ValueError, match="same d"):
        gaussian_logsumexp(q, c[:, :2], 1.0)
    with pytest.raises(ValueError, match="leave_one_out"):
        gaussian_logsumexp(q, c, 1.0, leave_one_out=True)
    with pytest.raises(ValueError, match="positive"):
        gaussian_logsumexp(q, c, 0.0)
    with pytest.raises(ValueError, match="chunk"):
        list(row_blocks(10, 0))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(points):
    q, c = points
    cpu = gaussian_logsumexp(q, c, [0.3, 1.0], chunk=7, device="cpu")
    np.testing.assert_allclose(gaussian_logsumexp(q, c, [0.3, 1.0], chunk=7, device="cuda"), cpu, rtol=1e-9)


def test_blocks_cover_the_rows_once():
    blocks = list(row_blocks(10, 4))
    assert blocks == [(0, 4), (4, 8), (8, 10)]


MEMORY_PROBE = """
import resource, numpy as np, torch
from infoplane.estimators.pairwise import gaussian_logsumexp
torch.set_num_threads(1)
z = np.random.default_rng(0).standard_normal((20000, 2))
gaussian_logsumexp(z[:500], z[:500], 1.0, chunk=100, dtype=torch.float32, device="cpu")  # warm up
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = gaussian_logsumexp(z, z, 1.0, leave_one_out=True, chunk=256, dtype=torch.float32, device="cpu")
assert np.all(np.isfinite(out))
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
"""


def test_memory_stays_chunk_by_n_at_n_20000():
    # n = 20,000: an n x n float32 matrix is 1.6 GB (3.2 GB in float64), while the kernel's
    # blocks are 256 x 20,000 float32 = 20 MB each and a handful live at once. A fresh process
    # measures its own peak resident memory (ru_maxrss, KiB on Linux) around the call.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src"), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", MEMORY_PROBE], capture_output=True, text=True, env=env,
                            check=True, timeout=120)
    growth_mib = float(result.stdout.strip().splitlines()[-1])
    assert growth_mib < 300, f"peak memory grew by {growth_mib:.0f} MiB; an n x n matrix would be ~1500 MiB"
