"""Gaussian (CCA) closed-form MI estimator (``gaussian``).

The sample joint covariance S of (X, Y) is plugged into the Gaussian formula

    I = 1/2 log(det S_xx det S_yy / det S) = -1/2 sum_i log(1 - rho_i^2),

rho_i the sample canonical correlations. It is exact in the limit for Gaussian data and, for
any distribution, equals the MI of the Gaussian with the same covariance (not a bound on the
true MI in general). Its finite-sample bias is upward, about d_x d_y / (2n) nats.

Intervals: ``"bootstrap"`` (default; the basic, reflected, bootstrap interval
[2 I - q97.5, 2 I - q2.5] of ``n_boot`` resamples drawn with ``seed``: resamples repeat rows and
so add the upward bias once more, which pushed a percentile interval above the estimate itself
on a 25x25 task) or ``"asymptotic"`` (delta method under Gaussianity: Var = sum_i rho_i^2 / n,
unreliable when some rho_i is near 0).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from infoplane.arrays import as_samples, check_same_length, resolve_y
from infoplane.estimators.base import MIEstimator
from infoplane.estimators.estimate import Z95, Estimate, sanity_flags
from infoplane.estimators.params import check_choice, check_int
from infoplane.estimators.registry import register
from infoplane.estimators.scaling import standardize
from infoplane.synthetic.gaussian import gaussian_mi

Interval = Literal["bootstrap", "asymptotic"]


def weighted_covariance(z: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(d, d) covariance of rows z (n, d) under probability weights (n,) summing to 1."""
    mean = weights @ z
    centred = z - mean
    return (centred * weights[:, None]).T @ centred


def covariance_mi(cov: np.ndarray, dim_x: int) -> float:
    """Gaussian MI (nats) of a joint covariance; ``ValueError`` when it is singular."""
    for block, what in ((cov, "(x, y) jointly"), (cov[:dim_x, :dim_x], "x"), (cov[dim_x:, dim_x:], "y")):
        sign, _ = np.linalg.slogdet(block)
        eig = np.linalg.eigvalsh(block)
        if sign <= 0 or eig.min() <= 1e-12 * eig.max():
            raise ValueError(
                f"the sample covariance of {what} is singular (constant or collinear coordinates, "
                "or fewer samples than dimensions); drop those coordinates or add samples"
            )
    return gaussian_mi(cov, dim_x)


def canonical_correlations(cov: np.ndarray, dim_x: int) -> np.ndarray:
    """(min(d_x, d_y),) canonical correlations of a joint covariance."""
    sxx, syy, sxy = cov[:dim_x, :dim_x], cov[dim_x:, dim_x:], cov[:dim_x, dim_x:]
    wx = np.linalg.inv(np.linalg.cholesky(sxx))
    wy = np.linalg.inv(np.linalg.cholesky(syy))
    return np.clip(np.linalg.svd(wx @ sxy @ wy.T, compute_uv=False), 0.0, 1.0)


@register("gaussian")
class GaussianMI(MIEstimator):
    """MI of the Gaussian with the sample covariance of (x, y): the CCA estimator.

    Args:
        interval: ``"bootstrap"`` or ``"asymptotic"`` (see module doc).
        n_boot: bootstrap resamples.
        seed: seed of the resampling.
    """

    name = "gaussian"

    def __init__(self, interval: Interval = "bootstrap", n_boot: int = 100, seed: int = 0,
                 discrete_y: str | bool = "auto") -> None:
        if isinstance(interval, bool) or interval not in ("bootstrap", "asymptotic"):
            raise ValueError(f"unknown interval {interval!r}; use 'bootstrap' or 'asymptotic'")
        n_boot, seed = check_int(n_boot, "n_boot"), check_int(seed, "seed", minimum=0)
        discrete_y = check_choice(discrete_y, "discrete_y", ("auto", False))
        super().__init__(interval=interval, n_boot=n_boot, seed=seed, discrete_y=discrete_y)
        self.interval: Interval = interval
        self.n_boot, self.seed, self.discrete_y = n_boot, seed, discrete_y

    def estimate_with_interval(self, x: Any, y: Any) -> Estimate:
        x = as_samples(x, "x", min_samples=3)
        y, labels = resolve_y(y, self.discrete_y, min_samples=3)
        if labels:
            raise ValueError(
                "gaussian needs continuous y; for integer labels use a continuous-discrete "
                "estimator such as ksg, wkl or kde (or pass discrete_y=False if y is a variable)"
            )
        check_same_length(x, y)
        # MI is invariant to scaling each coordinate; standardising first keeps the covariance
        # inside float64 for values at 1e-200 or 1e200.
        z, dim_x = np.hstack([standardize(x), standardize(y)]), x.shape[1]
        cov = np.cov(z, rowvar=False, bias=True)
        mi = covariance_mi(cov, dim_x)
        if self.interval == "asymptotic":
            rho = canonical_correlations(cov, dim_x)
            half = Z95 * math.sqrt(float(np.sum(rho**2)) / len(z))
            est = Estimate(mi, mi - half, mi + half, "asymptotic")
            return est.with_flags(*sanity_flags(est, n=len(z)))
        rng = np.random.default_rng(self.seed)
        n = len(z)
        # A resample is a multinomial count vector: weighted covariances avoid copying z.
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=self.n_boot)
        boot = [gaussian_mi(weighted_covariance(z, c / n), dim_x) for c in counts]
        q_lo, q_hi = np.percentile(boot, [2.5, 97.5])
        est = Estimate(mi, float(2 * mi - q_hi), float(2 * mi - q_lo), "bootstrap")
        return est.with_flags(*sanity_flags(est, n=n))
