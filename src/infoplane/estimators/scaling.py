"""Per-column scaling of (n, d) samples that stays inside float64 at any magnitude."""

from __future__ import annotations

import numpy as np


def normal_scores(z: np.ndarray) -> np.ndarray:
    """Marginal normal scores: each column's ranks r (1..n) mapped to Phi^-1((r - 1/2) / n).

    A strictly increasing map of a coordinate leaves its ranks, hence these scores, unchanged,
    so an estimator fed with them is exactly invariant to such maps (half-cube, asinh, normal
    CDF, ...). MI is invariant to them too, so the target is unchanged. Ties share a score.

    Args:
        z: (n, d) samples.

    Returns:
        (n, d) scores, each column close to standard normal.
    """
    from scipy.special import ndtri
    from scipy.stats import rankdata

    return ndtri((rankdata(z, axis=0) - 0.5) / len(z))


def column_scale(z: np.ndarray) -> np.ndarray:
    """(d,) largest absolute value of each column (1 for an all-zero column).

    Dividing by it first keeps the sums of squares of a standard deviation or a covariance
    inside float64 for values at 1e-200 or 1e200.
    """
    scale = np.max(np.abs(z), axis=0)
    return np.where(scale > 0, scale, 1.0)


def standardize(z: np.ndarray) -> np.ndarray:
    """(n, d) -> (n, d) with zero mean and unit variance per column (constant columns centred).

    Stable at any scale: each column is divided by its largest magnitude first.
    """
    z = z / column_scale(z)
    z = z - z.mean(axis=0)
    std = z.std(axis=0)
    return z / np.where(std > 0, std, 1.0)


