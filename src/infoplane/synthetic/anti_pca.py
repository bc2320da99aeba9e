"""The anti-PCA task: the information lies in the direction of least variance.

Butakov et al. (2024) test compression on a task where PCA keeps the wrong directions: their
32-vector a_j = X + Z j (with a leaky nonlinearity) lets a nuisance Z dominate the variance. Our
construction keeps that idea and makes it exact:

    (xi, eta) ~ CorrelatedPairs(1, 1, mi)          one informative coordinate on each side
    z ~ N(0, 1)                                    a nuisance on each side, independent of all else
    v = R [scale * g(z), xi]                       R: a fixed random rotation of R^d, d = size^2
    g(z) = (z, tanh(z - c_2), ..., tanh(z - c_{d-1}))   an injective curve, kinks c in [-2, 2]

The nuisance fills d - 1 directions with variance of order scale^2, the information one
direction of variance 1, orthogonal to all of them: a PCA to few components keeps none of it,
while (z, xi) -> v is injective, so a 2-D code can keep all of it and I(X;Y) = I(xi;eta) = mi.
Samples are stored as their latents (u_xi, u_z) = Phi(xi, z) in [0, 1]^2 and rendered on
loading, as for the image tasks (:mod:`infoplane.synthetic.images`). ``render`` returns (n, d)
vectors, not (size, size) images: their values are of order ``scale``, not intensities in [0, 1],
so the compressors treat them as vectors (the dense autoencoder standardises each coordinate; the
convolutional one reconstructs through a sigmoid and cannot reach them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr, ndtri

from infoplane.synthetic.gaussian import CorrelatedPairs


@dataclass
class AntiPCA:
    """Attributes:
        mi: the true I(X;Y) in nats (>= 0).
        size: each sample has d = size^2 coordinates (default 6: 36).
        scale: the nuisance's scale; its directions have variance of order scale^2, the
            informative one variance 1.
        rotation_seed: seed of the rotation R and of nothing else (part of the task).
    """

    mi: float
    size: int = 6
    scale: float = 10.0
    rotation_seed: int = 0

    name: ClassVar[str] = "anti-pca"
    latent_dim: ClassVar[int] = 2   # (xi, z): what a lossless code must keep

    def __post_init__(self) -> None:
        if self.size < 2:
            raise ValueError(f"anti-pca: size must be >= 2, got {self.size}")
        if not self.scale > 0:
            raise ValueError(f"anti-pca: scale must be positive, got {self.scale}")
        self._pair = CorrelatedPairs(1, 1, self.mi, rotation_seed=self.rotation_seed)
        d = self.size * self.size
        q, r = np.linalg.qr(np.random.default_rng(self.rotation_seed).standard_normal((d, d)))
        self._rotation = q * np.sign(np.diag(r))   # a uniformly random rotation
        self._kinks = np.linspace(-2.0, 2.0, d - 2)

    @property
    def params(self) -> dict[str, Any]:
        return {"mi": self.mi, "size": self.size, "scale": self.scale, "rotation_seed": self.rotation_seed}

    @property
    def mutual_information(self) -> float:
        """True I(X;Y) in nats: ``mi`` (the map from (xi, z) to the sample is injective)."""
        return float(self.mi)

    def sample_latent(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """n pairs of latents (u_xi, u_z) in [0, 1]^2, each of shape (n, 2)."""
        xi, eta = self._pair.sample(n, seed)
        nuisance = np.random.default_rng([seed, 1]).standard_normal((n, 2))   # z of X, z of Y
        return (np.column_stack([ndtr(xi[:, 0]), ndtr(nuisance[:, 0])]),
                np.column_stack([ndtr(eta[:, 0]), ndtr(nuisance[:, 1])]))

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """n sample pairs, each of shape (n, d), d = size^2."""
        lx, ly = self.sample_latent(n, seed)
        return self.render(lx), self.render(ly)

    def render(self, latents: np.ndarray) -> np.ndarray:
        """(n, 2) latents (u_xi, u_z) -> (n, d) samples v = R [scale g(z), xi]."""
        xi, z = ndtri(latents[:, 0]), ndtri(latents[:, 1])
        curve = np.column_stack([z, np.tanh(z[:, None] - self._kinks[None, :])])
        v = np.column_stack([self.scale * curve, xi]) @ self._rotation.T
        return v
