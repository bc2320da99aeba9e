"""Non-Gaussian tasks of the bmi benchmark with closed-form MI: Student-t and additive uniform.

Multivariate Student-t with nu degrees of freedom and dispersion S (Z ~ N(0, S), W ~ chi2_nu,
(X, Y) = Z / sqrt(W / nu)); the MI follows from the t entropy:

    I = 1/2 log(det S_xx det S_yy / det S) + G(d_x) + G(d_y) - G(d_x + d_y),
    G(m) = log Gamma(nu/2) - log Gamma((nu + m)/2) + (nu + m)/2 [psi((nu + m)/2) - psi(nu/2)].

With an identity dispersion X and Y are uncorrelated yet dependent through the shared W
(bmi's values: (d, nu) = (2, 1) 0.432, (5, 2) 0.448 nats, ...).

Additive uniform: X ~ U(0, 1), Y = X + U(-eps, eps), I = eps - log(2 eps) for eps <= 1/2 and
1/(4 eps) otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from infoplane.synthetic.gaussian import gaussian_mi, sparse


def student_t_correction(m: int, nu: float) -> float:
    """G(m): the entropy of an m-dimensional t (nu d.o.f.) minus that of its Gaussian, in part."""
    half = 0.5 * (nu + m)
    return float(gammaln(0.5 * nu) - gammaln(half) + half * (digamma(half) - digamma(0.5 * nu)))


@dataclass
class StudentT:
    """Multivariate Student-t (X, Y) with a sparse dispersion (identity when ``n_pairs`` = 0).

    Args:
        dim_x, dim_y: dimensions.
        df: degrees of freedom nu > 0.
        n_pairs, correlation: the first ``n_pairs`` coordinate pairs of the dispersion are
            correlated at ``correlation`` (bmi's Student-t tasks use none).
    """

    dim_x: int
    dim_y: int
    df: float
    n_pairs: int = 0
    correlation: float = 0.0
    name: str = "student-t"

    def __post_init__(self) -> None:
        if self.df <= 0:
            raise ValueError(f"student-t: df must be > 0, got {self.df}")
        self._gaussian = sparse(self.dim_x, self.dim_y, self.n_pairs, self.correlation)

    @property
    def params(self) -> dict[str, Any]:
        return {"dim_x": self.dim_x, "dim_y": self.dim_y, "df": self.df, "n_pairs": self.n_pairs,
                "correlation": self.correlation}

    @property
    def mutual_information(self) -> float:
        """True I(X;Y) in nats."""
        g = lambda m: student_t_correction(m, self.df)  # noqa: E731
        return gaussian_mi(self._gaussian.covariance, self.dim_x) + g(self.dim_x) + g(self.dim_y) - g(
            self.dim_x + self.dim_y)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """n joint samples: x of shape (n, d_x), y of shape (n, d_y)."""
        x, y = self._gaussian.sample(n, seed)
        # A separate stream for the shared scale, so the Gaussian part equals the Gaussian task's.
        w = np.random.default_rng([seed, 1]).chisquare(self.df, size=(n, 1))
        scale = np.sqrt(self.df / w)
        return x * scale, y * scale


@dataclass
class AdditiveUniform:
    """X ~ U(0, 1), Y = X + U(-eps, eps); both of shape (n, 1)."""

    epsilon: float
    name: str = "additive-uniform"

    def __post_init__(self) -> None:
        if self.epsilon <= 0:
            raise ValueError(f"additive-uniform: epsilon must be > 0, got {self.epsilon}")

    @property
    def params(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon}

    @property
    def mutual_information(self) -> float:
        """True I(X;Y) in nats."""
        eps = self.epsilon
        return eps - math.log(2 * eps) if eps <= 0.5 else 1.0 / (4 * eps)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        x = rng.uniform(0.0, 1.0, size=(n, 1))
        return x, x + rng.uniform(-self.epsilon, self.epsilon, size=(n, 1))
