"""Nearest-neighbour queries shared by the kNN estimators.

Every kNN estimator in the project goes through these two functions, so a faster backend
(for example chunked brute force on a GPU) is added here once and serves them all.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.spatial import cKDTree
from sklearn.neighbors import KDTree

Metric = Literal["euclidean", "chebyshev"]

_MINKOWSKI_P = {"euclidean": 2.0, "chebyshev": np.inf}


def _p(metric: Metric) -> float:
    try:
        return _MINKOWSKI_P[metric]
    except KeyError:
        raise ValueError(f"unknown metric {metric!r}; use 'euclidean' or 'chebyshev'") from None


def knn(z: np.ndarray, k: int, metric: Metric = "euclidean") -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of the k nearest neighbours of every row, itself excluded.

    Args:
        z: (n, d) samples.
        k: number of neighbours, 1 <= k < n.
        metric: ``"euclidean"`` or ``"chebyshev"`` (max-norm).

    Returns:
        distances (n, k), ascending, and indices (n, k) into ``z``.
    """
    tree = cKDTree(z)
    # k + 1 because every point is its own nearest neighbour at distance 0.
    dist, idx = tree.query(z, k=k + 1, p=_p(metric), workers=-1)
    return dist[:, 1:], idx[:, 1:]


def count_within(
    z: np.ndarray, radii: np.ndarray, metric: Metric = "chebyshev", strict: bool = True
) -> np.ndarray:
    """For every row i, the number of other rows within ``radii[i]`` of it.

    Args:
        z: (n, d) samples.
        radii: (n,) non-negative radii, one per row.
        metric: ``"euclidean"`` or ``"chebyshev"``.
        strict: count distances ``< r`` (True) or ``<= r`` (False).

    Returns:
        (n,) int64 counts, the point itself excluded.
    """
    r = np.nextafter(radii, 0) if strict else radii
    _p(metric)  # validates the name
    # scikit-learn's radius counting is about twice as fast as scipy's here (n = 1e4, d = 5).
    counts = KDTree(z, metric=metric).query_radius(z, r, count_only=True)
    return np.asarray(counts, dtype=np.int64) - 1
