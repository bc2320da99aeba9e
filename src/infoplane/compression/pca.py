"""PCA compression (scikit-learn), the compressor Butakov et al. use for layer outputs."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from infoplane.estimators.base import as_samples


class PCACompressor:
    """Project onto the leading ``latent_dim`` principal components.

    Args:
        latent_dim: number of components; capped at the input's dimension.
        seed: seed of the randomised solver (used for large inputs).
    """

    def __init__(self, latent_dim: int, seed: int = 0) -> None:
        if latent_dim < 1:
            raise ValueError(f"pca: latent_dim must be >= 1, got {latent_dim}")
        self.latent_dim, self.seed = int(latent_dim), int(seed)
        self._pca: PCA | None = None

    def fit(self, x: np.ndarray) -> PCACompressor:
        """Fit on (n, ...) samples (trailing axes are flattened)."""
        flat = as_samples(np.reshape(x, (len(x), -1)), "pca input")
        self._pca = PCA(n_components=min(self.latent_dim, flat.shape[1]), random_state=self.seed).fit(flat)
        return self

    def _fitted(self) -> PCA:
        if self._pca is None:
            raise ValueError("pca: call fit() before transform()")
        return self._pca

    def transform(self, x: np.ndarray) -> np.ndarray:
        """(n, ...) -> (n, min(latent_dim, d)) principal-component scores."""
        return self._fitted().transform(np.reshape(x, (len(x), -1)).astype(np.float64))

    def reconstruction_error(self, x: np.ndarray) -> float:
        """Mean squared error of the rank-``latent_dim`` reconstruction of ``x``."""
        flat = np.reshape(x, (len(x), -1)).astype(np.float64)
        pca = self._fitted()
        return float(np.mean((pca.inverse_transform(pca.transform(flat)) - flat) ** 2))

    @property
    def explained_variance_ratio(self) -> float:
        """Fraction of the variance the kept components explain."""
        return float(np.sum(self._fitted().explained_variance_ratio_))
