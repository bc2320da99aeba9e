"""Butakov et al.'s image tasks: images rendered from a correlated Gaussian pair.

    (xi, eta) ~ CorrelatedPairs(m, m, mi)      # MI split over m coordinate pairs, then rotated
    u = Phi(xi) in [0, 1]^m                    # uniform margins (normal CDF, injective)
    params = f1(u)                             # the structured parameters (centre, rectangle)
    image = f2(params)                         # rendered, shape (size, size), values in [0, 1]

Every map is injective on the support, so I(X_image; Y_image) = I(params_x; params_y) = mi.
The structured parameters f1(u) are "the latent" of the paper's blue curve; ``render`` turns
them into images deterministically, so a sample can be stored as its latents alone.

Tasks:
    ``gaussian-bumps``  latent 2: centre mu = Phi(xi) in [0, 1]^2; the pixel whose centre is at
                        p in [0, 1]^2 is exp(-10 ||p - mu||^2) (a Gaussian of variance 1/20).
    ``rectangles``      latent 4: per axis an ordered pair l < r in pixel units, uniform over
                        segments at least ``min_length`` (2) pixels long; each pixel is the exact
                        area of itself that the rectangle covers (anti-aliased).
    ``correlated-bumps`` latent 5 (the paper's "correlated Gaussian"): a bump with its own centre,
                        two scales and a cross term, exp(-10 q(p - mu)) for the positive definite
                        form q(d) = a^2 d0^2 + b^2 d1^2 + c a b d0 d1, a, b in [1, 2], c in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr

from infoplane.synthetic.gaussian import CorrelatedPairs


@dataclass
class ImageTask:
    """Base of the image tasks: X and Y are images of two correlated latents.

    Attributes:
        mi: the true I(X;Y) in nats (>= 0).
        size: images are (size, size).
        rotation_seed: seed of the random rotations inside the latent pair (part of the task).
    """

    mi: float
    size: int = 16
    rotation_seed: int = 0

    name: ClassVar[str]
    latent_dim: ClassVar[int]

    def __post_init__(self) -> None:
        if self.size < 4:
            raise ValueError(f"{self.name}: size must be >= 4 pixels, got {self.size}")
        self._pairs = CorrelatedPairs(self.latent_dim, self.latent_dim, self.mi,
                                      rotation_seed=self.rotation_seed)

    @property
    def params(self) -> dict[str, Any]:
        return {"mi": self.mi, "size": self.size, "rotation_seed": self.rotation_seed}

    @property
    def mutual_information(self) -> float:
        """True I(X;Y) in nats (equal to ``mi``: every map after the Gaussian is injective)."""
        return float(self.mi)

    def sample_latent(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """n pairs of structured parameters, each of shape (n, latent_dim)."""
        xi, eta = self._pairs.sample(n, seed)
        return self.parameters(ndtr(xi)), self.parameters(ndtr(eta))

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """n image pairs, each of shape (n, size, size), float64 in [0, 1]."""
        px, py = self.sample_latent(n, seed)
        return self.render(px), self.render(py)

    def parameters(self, u: np.ndarray) -> np.ndarray:
        """(n, latent_dim) uniforms in [0, 1] -> (n, latent_dim) structured parameters."""
        raise NotImplementedError

    def render(self, params: np.ndarray) -> np.ndarray:
        """(n, latent_dim) structured parameters -> (n, size, size) images."""
        raise NotImplementedError


@dataclass
class GaussianBumps(ImageTask):
    """A Gaussian bump exp(-10 ||p - mu||^2) centred at mu = Phi(xi) in [0, 1]^2."""

    name: ClassVar[str] = "gaussian-bumps"
    latent_dim: ClassVar[int] = 2
    #: 10 = 1 / (2 sigma^2) with sigma^2 = 1/20, in units where the image spans [0, 1].
    sharpness: ClassVar[float] = 10.0

    def parameters(self, u: np.ndarray) -> np.ndarray:
        return u

    def render(self, params: np.ndarray) -> np.ndarray:
        centres = (np.arange(self.size) + 0.5) / self.size  # pixel centres in [0, 1]
        # The bump factorises over the axes: exp(-10 (dx^2 + dy^2)) = exp(-10 dx^2) exp(-10 dy^2).
        rows = np.exp(-self.sharpness * (centres[None, :] - params[:, 0:1]) ** 2)
        cols = np.exp(-self.sharpness * (centres[None, :] - params[:, 1:2]) ** 2)
        return rows[:, :, None] * cols[:, None, :]


@dataclass
class Rectangles(ImageTask):
    """An axis-aligned rectangle [l_0, r_0] x [l_1, r_1] (pixel units), anti-aliased.

    Each axis maps two uniforms (u, v) to an ordered pair uniform over
    {0 <= l, l + min_length <= r <= size}: with L = size - min_length,
    b = L sqrt(u), a = b v, l = a, r = b + min_length (density 2 / L^2, injective on (0, 1]^2).
    """

    size: int = 32
    min_length: float = 2.0

    name: ClassVar[str] = "rectangles"
    latent_dim: ClassVar[int] = 4

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 < self.min_length < self.size:
            raise ValueError(f"rectangles: min_length must be in (0, size), got {self.min_length}")

    @property
    def params(self) -> dict[str, Any]:
        return {**super().params, "min_length": self.min_length}

    def parameters(self, u: np.ndarray) -> np.ndarray:
        free = self.size - self.min_length
        out = np.empty_like(u)
        for axis in range(2):  # columns (l, r) of axis 0, then of axis 1
            b = free * np.sqrt(u[:, 2 * axis])
            out[:, 2 * axis] = b * u[:, 2 * axis + 1]
            out[:, 2 * axis + 1] = b + self.min_length
        return out

    def coverage(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """(n,) segment ends -> (n, size): the length of [l, r] inside each pixel [i, i + 1]."""
        pixels = np.arange(self.size)[None, :]
        overlap = np.minimum(right[:, None], pixels + 1) - np.maximum(left[:, None], pixels)
        return np.clip(overlap, 0.0, 1.0)

    def render(self, params: np.ndarray) -> np.ndarray:
        rows = self.coverage(params[:, 0], params[:, 1])
        cols = self.coverage(params[:, 2], params[:, 3])
        return rows[:, :, None] * cols[:, None, :]  # exact covered area of each pixel


@dataclass
class CorrelatedBumps(ImageTask):
    """A tilted, stretched Gaussian bump: the paper's "correlated Gaussian" images (32x32, latent 5).

    The five uniforms u give the centre mu = (u0, u1) in [0, 1]^2, the scales a = 1 + u2 and
    b = 1 + u3 in [1, 2] and the cross term c = 2 u4 - 1 in [-1, 1]. The pixel centred at p is
    exp(-10 q(p - mu)) with q(d) = a^2 d0^2 + b^2 d1^2 + c a b d0 d1: |c| < 2 keeps q positive
    definite, so every image is a bump. The log-image is a quadratic in p whose coefficients give
    back (mu, a, b, c), so the rendering is injective and the images keep the latents' MI.
    """

    size: int = 32

    name: ClassVar[str] = "correlated-bumps"
    latent_dim: ClassVar[int] = 5
    sharpness: ClassVar[float] = GaussianBumps.sharpness

    def parameters(self, u: np.ndarray) -> np.ndarray:
        """(n, 5) uniforms -> (n, 5) columns mu0, mu1, a, b, c."""
        return np.column_stack([u[:, 0], u[:, 1], 1.0 + u[:, 2], 1.0 + u[:, 3], 2.0 * u[:, 4] - 1.0])

    def render(self, params: np.ndarray) -> np.ndarray:
        centres = (np.arange(self.size) + 0.5) / self.size  # pixel centres in [0, 1]
        mu0, mu1, a, b, c = (params[:, j, None] for j in range(5))
        d0 = a * (centres[None, :] - mu0)  # (n, size): scaled offsets along axis 0
        d1 = b * (centres[None, :] - mu1)  # (n, size): along axis 1
        form = d0[:, :, None] ** 2 + d1[:, None, :] ** 2 + c[:, :, None] * d0[:, :, None] * d1[:, None, :]
        return np.exp(-self.sharpness * form)
