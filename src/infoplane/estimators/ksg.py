"""Kraskov-Stoegbauer-Grassberger MI estimators (max-norm), ``ksg`` (KSG-1) and ``ksg2``.

With eps_i the max-norm distance from sample i to its k-th neighbour in the joint space:

    KSG-1:  I = psi(k) + psi(n) - < psi(n_x + 1) + psi(n_y + 1) >,
            n_x = #{j != i : |x_j - x_i| <  eps_i}   (strict)
    KSG-2:  I = psi(k) - 1/k + psi(n) - < psi(n_x) + psi(n_y) >,
            n_x = #{j != i : |x_j - x_i| <= eps_x,i}, eps_x,i the x-extent of the k-NN set

For integer labels Y both forms use Ross's (2014) continuous-discrete estimator,
    I = psi(n) - < psi(n_{y_i}) > + psi(k) - < psi(m_i) >,
with r_i the distance to the k-th neighbour of the same class and m_i the number of samples of
any class within r_i.

KSG is not affine-invariant, so each coordinate is standardised first (as bmi does).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma

from infoplane.estimators.base import (
    Estimate,
    MIEstimator,
    as_labels,
    as_samples,
    check_enough_for_k,
    check_same_length,
    is_labels,
    normal_scores,
)
from infoplane.estimators.neighbors import count_within, knn
from infoplane.estimators.registry import register


def standardize(z: np.ndarray) -> np.ndarray:
    """(n, d) -> (n, d) with zero mean and unit variance per column (constant columns kept)."""
    std = z.std(axis=0)
    return (z - z.mean(axis=0)) / np.where(std > 0, std, 1.0)


def ross_terms(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per-sample terms of Ross's continuous-discrete MI estimator (nats).

    Args:
        x: (n, d) continuous samples (already standardised).
        labels: (n,) integer labels.
        k: neighbours within the class.

    Returns:
        (n,) terms; their mean is I(X; Y).
    """
    n = len(x)
    radius = np.empty(n)
    class_size = np.empty(n)
    for label in np.unique(labels):
        rows = labels == label
        check_enough_for_k(int(rows.sum()), k, f"class {label} of y")
        dist, _ = knn(x[rows], k, "chebyshev")
        radius[rows] = dist[:, -1]
        class_size[rows] = rows.sum()
    within = count_within(x, radius, "chebyshev", strict=False)
    return digamma(n) - digamma(class_size) + digamma(k) - digamma(within)


class KSG(MIEstimator):
    """Max-norm KSG estimator.

    Args:
        k: neighbours in the joint space (5 by default; bmi uses 5 and 10, NPEET 3).
        standardize: scale every coordinate to unit variance first.
        normal_scores: replace every coordinate by its normal scores first (ranks mapped
            through the inverse normal CDF); the estimate is then exactly invariant to strictly
            increasing maps of each coordinate.
    """

    variant: int = 1

    def __init__(self, k: int = 5, standardize: bool = True, normal_scores: bool = False) -> None:
        super().__init__(k=k, standardize=standardize, normal_scores=normal_scores)
        self.k, self.standardize, self.normal_scores = int(k), bool(standardize), bool(normal_scores)

    def _prepare(self, z: np.ndarray) -> np.ndarray:
        if self.normal_scores:
            return normal_scores(z)
        return standardize(z) if self.standardize else z

    def estimate_with_interval(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        x = self._prepare(as_samples(x, "x"))
        if is_labels(y):
            labels = as_labels(y, "y")
            check_same_length(x, labels)
            return Estimate.from_terms(ross_terms(x, labels, self.k))
        y = self._prepare(as_samples(y, "y"))
        check_same_length(x, y)
        n = len(x)
        check_enough_for_k(n, self.k, "the sample")
        dist, idx = knn(np.hstack([x, y]), self.k, "chebyshev")
        k, base = self.k, digamma(self.k) + digamma(n)
        if self.variant == 1:
            eps = dist[:, -1]
            n_x = count_within(x, eps, "chebyshev", strict=True)
            n_y = count_within(y, eps, "chebyshev", strict=True)
            return Estimate.from_terms(base - digamma(n_x + 1) - digamma(n_y + 1))
        # KSG-2: the marginal extents of each point's k-NN set in x and in y.
        eps_x = np.abs(x[idx] - x[:, None, :]).max(axis=(1, 2))
        eps_y = np.abs(y[idx] - y[:, None, :]).max(axis=(1, 2))
        n_x = count_within(x, eps_x, "chebyshev", strict=False)
        n_y = count_within(y, eps_y, "chebyshev", strict=False)
        return Estimate.from_terms(base - 1.0 / k - digamma(n_x) - digamma(n_y))


@register("ksg")
class KSG1(KSG):
    """KSG-1 (Kraskov et al. 2004, first form), max-norm."""

    name = "ksg"
    variant = 1


@register("ksg2")
class KSG2(KSG):
    """KSG-2 (Kraskov et al. 2004, second form), max-norm."""

    name = "ksg2"
    variant = 2
