"""A high-dimensional task with low intrinsic dimension, in the style of LMI (Gowri et al. 2024).

A k-dimensional correlated Gaussian pair (xi, eta) is copied into d coordinates, coordinate j
holding latent coordinate j mod k, and each coordinate gets independent noise of standard
deviation ``noise``:

    X_j = xi_(j mod k) + noise * e_j,   Y_j = eta_(j mod k) + noise * e'_j,   j = 1..d.

Averaging the c_i copies of latent coordinate i is a sufficient statistic (the rest is noise
independent of everything), so I(X;Y) = I(xi + s e; eta + s e') with s^2 = noise^2 / c_i, a
Gaussian pair in closed form. The latent correlation is chosen so that this true MI equals
``mi``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from infoplane.synthetic.gaussian import CorrelatedPairs


@dataclass
class Embedded:
    """X, Y in R^dim made of redundant noisy copies of a latent_dim-dimensional Gaussian pair.

    Args:
        dim: ambient dimension of X and of Y (1000 in LMI's grid).
        latent_dim: intrinsic dimension k (dim must be a multiple of it).
        mi: the true I(X;Y) in nats.
        noise: standard deviation of the per-coordinate noise.
        rotation_seed: seed of the rotations inside the latent pair.
    """

    dim: int = 1000
    latent_dim: int = 1
    mi: float = 1.0
    noise: float = 1.0
    rotation_seed: int = 0
    name: str = "embedded"

    def __post_init__(self) -> None:
        if self.latent_dim < 1 or self.dim % self.latent_dim:
            raise ValueError(f"embedded: dim ({self.dim}) must be a positive multiple of latent_dim "
                             f"({self.latent_dim})")
        if self.mi < 0 or self.noise < 0:
            raise ValueError(f"embedded: mi and noise must be >= 0, got {self.mi}, {self.noise}")
        k = self.latent_dim
        # Noise on the copy average shrinks the latent correlation rho to rho / (1 + s^2); solve
        # -k/2 log(1 - rho_eff^2) = mi for rho_eff, then undo the shrinkage.
        s2 = self.noise**2 * k / self.dim
        rho = math.sqrt(-math.expm1(-2.0 * self.mi / k)) * (1.0 + s2)
        if rho >= 1.0:
            raise ValueError(f"embedded: mi = {self.mi} nats is out of reach with noise {self.noise}; "
                             "lower the noise or the MI")
        latent_mi = -0.5 * k * math.log1p(-(rho**2))
        self._latent = CorrelatedPairs(k, k, latent_mi, rotation_seed=self.rotation_seed)

    @property
    def params(self) -> dict[str, Any]:
        return {"dim": self.dim, "latent_dim": self.latent_dim, "mi": self.mi, "noise": self.noise,
                "rotation_seed": self.rotation_seed}

    @property
    def mutual_information(self) -> float:
        """True I(X;Y) in nats (equal to ``mi`` by construction)."""
        return float(self.mi)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """n joint samples: x and y of shape (n, dim)."""
        xi, eta = self._latent.sample(n, seed)
        rng = np.random.default_rng([seed, 1])
        copies = np.arange(self.dim) % self.latent_dim
        x = xi[:, copies] + self.noise * rng.standard_normal((n, self.dim))
        y = eta[:, copies] + self.noise * rng.standard_normal((n, self.dim))
        return x, y
