"""Ground truth for noisy channels with a finite input set: Gaussian-mixture entropy by quadrature.

X uniform on centres c_1 .. c_n in R^d (d <= 3) and T = X + N(0, beta^2 I) make T the mixture
g = (1/n) sum_j N(c_j, beta^2 I), and

    h(T) = -int g log g,        I(X;T) = h(T) - d/2 log(2 pi e beta^2).

The integral is a trapezoid sum on a regular grid with spacing beta / points_per_beta over the
centres' bounding box widened by ``tail`` beta (the mass beyond 9 beta is below 1e-18). The
integrand is smooth and decays like a Gaussian, so the trapezoid rule converges exponentially
in points_per_beta; the rate is set by how close log g's complex singularities come to the
real axis (about pi beta^2 / D for neighbouring centres D apart), hence the default of 8 points
per beta. The tests check convergence by doubling it. This is the truth that the SP estimator
and the Kolchinsky-Tracey bounds are tested against.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

#: Most grid points a quadrature may use (memory is chunked; this bounds the time).
MAX_GRID_POINTS = 20_000_000


def mixture_entropy_quadrature(
    centres: np.ndarray, beta: float, points_per_beta: int = 8, tail: float = 9.0
) -> float:
    """h(g) in nats of g = (1/n) sum_j N(centres_j, beta^2 I), centres (n, d) with d <= 3."""
    centres = np.atleast_2d(np.asarray(centres, dtype=np.float64))
    n, d = centres.shape
    if d > 3:
        raise ValueError(f"quadrature truth is for d <= 3 (the grid grows as points^d), got d = {d}")
    step = beta / points_per_beta
    axes = [np.arange(lo - tail * beta, hi + tail * beta + step, step)
            for lo, hi in zip(centres.min(axis=0), centres.max(axis=0), strict=True)]
    size = math.prod(len(a) for a in axes)
    if size > MAX_GRID_POINTS:
        raise ValueError(f"the quadrature grid would have {size} points; lower points_per_beta")
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    log_norm = -math.log(n) - 0.5 * d * math.log(2 * math.pi * beta**2)
    chunk = max(1, 2**22 // (n * d))  # rows per block of the (rows, n, d) differences
    total = 0.0
    for start in range(0, len(grid), chunk):
        block = grid[start : start + chunk]
        d2 = ((block[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
        log_g = logsumexp(-d2 / (2 * beta**2), axis=1) + log_norm
        total -= float(np.sum(np.exp(log_g) * log_g))
    return total * step**d


def noisy_constellation_mi(centres: np.ndarray, beta: float, points_per_beta: int = 8) -> float:
    """Exact I(X;T) in nats for X uniform on the rows of centres (n, d) and T = X + N(0, beta^2 I)."""
    d = np.atleast_2d(centres).shape[1]
    h = mixture_entropy_quadrature(centres, beta, points_per_beta)
    return h - 0.5 * d * math.log(2 * math.pi * math.e * beta**2)
