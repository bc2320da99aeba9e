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

Ties (tie policy): when x or y has two equal rows (ReLU zeros, float16 or float32 rounding,
quantised layers, integer values), every coordinate gets seeded Gaussian jitter of
``jitter`` = 1e-10 times its standard deviation, as scikit-learn's mutual_info_regression and
NPEET do; tie-free data are left untouched (same numbers, no extra cost beyond one sort).
With point masses (a ReLU layer's exact zeros) the jittered atoms are tiny clusters, and the
counts then reproduce the mixed discrete-continuous estimator of Gao et al. (2017): measured
against the exact I(T;Y) of ReLU features of class-conditional Gaussians in the docs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import digamma

from infoplane.arrays import as_samples, check_discrete, check_same_length, resolve_y
from infoplane.estimators.base import MIEstimator
from infoplane.estimators.estimate import Estimate, sanity_flags
from infoplane.estimators.neighbors import count_within, knn
from infoplane.estimators.params import check_bool, check_enough_for_k, check_float, check_int
from infoplane.estimators.registry import register
from infoplane.estimators.scaling import normal_scores, standardize
from infoplane.estimators.ties import TIE_JITTER, break_ties

__all__ = ["KSG", "KSG1", "KSG2", "ross_terms", "standardize"]


def ross_terms(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per-sample terms of Ross's continuous-discrete MI estimator (nats).

    Args:
        x: (n, d) continuous samples (already standardised, without duplicate rows).
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
        if rows.sum() < k + 1:
            raise ValueError(f"class {label} of y has {int(rows.sum())} samples, fewer than k + 1 = {k + 1}; "
                             "lower k or add samples (or pass discrete_y=False if y is a continuous "
                             "variable, not labels)")
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
        discrete_y: ``"auto"`` (integer labels are classes; whole-number floats and (n, 1)
            integer columns too, with a warning), ``True`` (y is labels) or ``False`` (y is
            continuous even if it holds integers).
        jitter: relative size of the tie-breaking noise (see the module doc); 0 turns it off.
        spread_edges: spread point masses at a coordinate's minimum or maximum (ReLU zeros)
            into the empty half-line beyond it, which leaves the MI unchanged exactly (see
            :func:`~infoplane.estimators.ties.spread_edge_atoms`).
        seed: seed of that noise.

    After a call, ``diagnostics`` says whether edge atoms were spread and ties jittered
    (``ksg2`` then uses the KSG-1 counts, see the code).
    """

    variant: int = 1

    def __init__(self, k: int = 5, standardize: bool = True, normal_scores: bool = False,
                 discrete_y: str | bool = "auto", jitter: float = TIE_JITTER, spread_edges: bool = True,
                 seed: int = 0) -> None:
        self.k = check_int(k, "k")
        self.standardize = check_bool(standardize, "standardize")
        self.normal_scores = check_bool(normal_scores, "normal_scores")
        self.discrete_y = check_discrete(discrete_y)
        self.jitter = check_float(jitter, "jitter", nonnegative=True)
        self.spread_edges = check_bool(spread_edges, "spread_edges")
        self.seed = check_int(seed, "seed", minimum=0)
        super().__init__(k=self.k, standardize=self.standardize, normal_scores=self.normal_scores,
                         discrete_y=self.discrete_y, jitter=self.jitter, spread_edges=self.spread_edges,
                         seed=self.seed)
        self.diagnostics: dict[str, Any] = {}

    def _prepare(self, z: np.ndarray) -> np.ndarray:
        if self.normal_scores:
            return normal_scores(z)
        return standardize(z) if self.standardize else z

    def _break_ties(self, *parts: np.ndarray) -> list[np.ndarray]:
        """Edge atoms spread, then all parts jittered if one still has a duplicate row."""
        parts, edges = break_ties(parts, self.jitter if self.jitter > 0 else None,
                                  self.spread_edges, self.seed)
        self.diagnostics = edges
        return parts

    def estimate_with_interval(self, x: Any, y: Any) -> Estimate:
        x = as_samples(x, "x")
        y, labels = resolve_y(y, self.discrete_y)
        check_same_length(x, y)
        n = len(x)
        if labels:
            (x,) = self._break_ties(self._prepare(x))
            est = Estimate.from_terms(ross_terms(x, y, self.k))
            return est.with_flags(*sanity_flags(est, n=n, dim=x.shape[1], labels=y))
        x, y = self._break_ties(self._prepare(x), self._prepare(y))
        check_enough_for_k(n, self.k, "the sample")
        dist, idx = knn(np.hstack([x, y]), self.k, "chebyshev")
        k, base = self.k, digamma(self.k) + digamma(n)
        # KSG-2 measures each point's marginal extents, which on jittered ties are the jitter's own
        # scale: on quantised y (step 0.25, n = 10,000) it gave 2.18 nats for a truth of 0.51.
        # The KSG-1 counts are the mixed estimator of Gao et al. (2017) there, so ksg2 uses them.
        if self.variant == 1 or self.diagnostics.get("ties_jittered"):
            eps = dist[:, -1]
            n_x = count_within(x, eps, "chebyshev", strict=True)
            n_y = count_within(y, eps, "chebyshev", strict=True)
            est = Estimate.from_terms(base - digamma(n_x + 1) - digamma(n_y + 1))
        else:
            # KSG-2: the marginal extents of each point's k-NN set in x and in y.
            eps_x = np.abs(x[idx] - x[:, None, :]).max(axis=(1, 2))
            eps_y = np.abs(y[idx] - y[:, None, :]).max(axis=(1, 2))
            n_x = count_within(x, eps_x, "chebyshev", strict=False)
            n_y = count_within(y, eps_y, "chebyshev", strict=False)
            est = Estimate.from_terms(base - 1.0 / k - digamma(n_x) - digamma(n_y))
        return est.with_flags(*sanity_flags(est, n=n, dim=x.shape[1] + y.shape[1]))


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
