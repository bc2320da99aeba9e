"""Gaussian tasks whose mutual information is known in closed form.

    I(X;Y) = 1/2 log(det S_xx det S_yy / det S)    for a joint covariance S of (X, Y).

Three families: ``gaussian-pairs`` (Butakov et al.: the requested MI split evenly over
coordinate pairs, then random rotations within X and within Y), and bmi's ``gaussian-dense``
(all correlations equal) and ``gaussian-sparse`` (a few strongly correlated pairs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def gaussian_mi(covariance: np.ndarray, dim_x: int) -> float:
    """Closed-form I(X;Y) in nats of a Gaussian with joint covariance (d_x + d_y, d_x + d_y)."""
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    sxx, syy = covariance[:dim_x, :dim_x], covariance[dim_x:, dim_x:]
    return 0.5 * float(logdet(sxx) + logdet(syy) - logdet(covariance))


def _random_rotation(dim: int, seed: int) -> np.ndarray:
    from scipy.stats import ortho_group  # scipy.stats takes ~1 s to import; most CLI calls never rotate

    if dim == 1:
        return np.ones((1, 1))
    return ortho_group.rvs(dim, random_state=seed)


@dataclass
class GaussianTask:
    """Zero-mean Gaussian (X, Y) with a given joint covariance.

    Attributes:
        name: the task family.
        covariance: (d_x + d_y, d_x + d_y) joint covariance.
        dim_x: number of leading coordinates that form X.
        params: the family's parameters, for records.
    """

    name: str
    covariance: np.ndarray
    dim_x: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def dim_y(self) -> int:
        return self.covariance.shape[0] - self.dim_x

    @property
    def mutual_information(self) -> float:
        """True I(X;Y) in nats."""
        return gaussian_mi(self.covariance, self.dim_x)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """n joint samples: x of shape (n, d_x), y of shape (n, d_y)."""
        rng = np.random.default_rng(seed)
        # eigh rather than Cholesky: stays valid when the covariance is nearly singular.
        eigval, eigvec = np.linalg.eigh(self.covariance)
        root = eigvec * np.sqrt(np.clip(eigval, 0, None))
        z = rng.standard_normal((n, len(eigval))) @ root.T
        return z[:, : self.dim_x], z[:, self.dim_x :]


@dataclass
class CorrelatedPairs:
    """Butakov et al.'s sampler: MI ``mi`` split over m = min(d_x, d_y) coordinate pairs.

    Pair i has correlation rho = sqrt(1 - exp(-2 mi / m)); then X and Y are each rotated by a
    random orthogonal matrix drawn from ``rotation_seed`` (part of the task, not the sample).
    Sampling builds each pair directly, so MI up to tens of nats stays exact.
    """

    dim_x: int
    dim_y: int
    mi: float
    rotate: bool = True
    rotation_seed: int = 0
    name: str = "gaussian-pairs"

    def __post_init__(self) -> None:
        if self.dim_x < 1 or self.dim_y < 1:
            raise ValueError(f"dimensions must be >= 1, got dim_x={self.dim_x}, dim_y={self.dim_y}")
        if self.mi < 0:
            raise ValueError(f"mutual information must be >= 0 nats, got {self.mi}")

    @property
    def params(self) -> dict[str, Any]:
        return {"dim_x": self.dim_x, "dim_y": self.dim_y, "mi": self.mi, "rotate": self.rotate,
                "rotation_seed": self.rotation_seed}

    @property
    def mutual_information(self) -> float:
        """True I(X;Y) in nats (equal to ``mi`` by construction)."""
        return float(self.mi)

    @property
    def correlation(self) -> float:
        m = min(self.dim_x, self.dim_y)
        return math.sqrt(-math.expm1(-2.0 * self.mi / m))

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """n joint samples: x of shape (n, d_x), y of shape (n, d_y)."""
        rng = np.random.default_rng(seed)
        m, rho = min(self.dim_x, self.dim_y), self.correlation
        x = rng.standard_normal((n, self.dim_x))
        y = rng.standard_normal((n, self.dim_y))
        # sqrt(1 - rho^2) = exp(-mi/m), computed directly so that large MI keeps its precision.
        y[:, :m] = rho * x[:, :m] + math.exp(-self.mi / m) * y[:, :m]
        if self.rotate:
            x = x @ _random_rotation(self.dim_x, self.rotation_seed).T
            y = y @ _random_rotation(self.dim_y, self.rotation_seed + 1).T
        return x, y


def dense(dim_x: int, dim_y: int, correlation: float = 0.5) -> GaussianTask:
    """bmi's dense task: unit variances, every off-diagonal entry of the joint equal.

    For d_x = d_y = d and correlation 0.5 the MI is 1/2 log((d+1)^2 / (2d+1)): 0.5928 nats at
    d = 5.
    """
    d = dim_x + dim_y
    cov = np.full((d, d), correlation) + (1 - correlation) * np.eye(d)
    return GaussianTask("gaussian-dense", cov, dim_x,
                        {"dim_x": dim_x, "dim_y": dim_y, "correlation": correlation})


def sparse(dim_x: int, dim_y: int, n_pairs: int = 2, correlation: float = 0.8) -> GaussianTask:
    """bmi's sparse task: ``n_pairs`` pairs (X_i, Y_i) correlated, all else independent.

    Two pairs at 0.8 give -log(1 - 0.64) = 1.0217 nats whatever the dimensions.
    """
    if n_pairs > min(dim_x, dim_y):
        raise ValueError(f"n_pairs = {n_pairs} exceeds min(dim_x, dim_y) = {min(dim_x, dim_y)}")
    d = dim_x + dim_y
    cov = np.eye(d)
    for i in range(n_pairs):
        cov[i, dim_x + i] = cov[dim_x + i, i] = correlation
    return GaussianTask("gaussian-sparse", cov, dim_x,
                        {"dim_x": dim_x, "dim_y": dim_y, "n_pairs": n_pairs, "correlation": correlation})
