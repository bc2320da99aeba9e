"""PCA compression (scikit-learn), the compressor Butakov et al. use for layer outputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.decomposition import PCA

from infoplane.arrays import as_samples, to_array


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
        # The fitted projection: scores = (x - mean) @ components.T, as sklearn's PCA.transform.
        self.mean: np.ndarray | None = None  # (d,)
        self.components: np.ndarray | None = None  # (latent_dim, d)
        self._explained = 0.0

    def fit(self, x: np.ndarray) -> PCACompressor:
        """Fit on (n, ...) samples (trailing axes are flattened: (n, d), (n, H, W), (n, C, H, W))."""
        x = to_array(x, "pca input")
        flat = as_samples(np.reshape(x, (len(x), -1)), "pca input")
        # Fitted on data scaled to at most 1 in magnitude (the components do not change, the mean
        # scales back), so that values at 1e-200 or 1e200 keep their variances inside float64.
        scale = float(np.max(np.abs(flat))) or 1.0
        pca = PCA(n_components=min(self.latent_dim, *flat.shape), random_state=self.seed).fit(flat / scale)
        self.mean, self.components = pca.mean_ * scale, pca.components_
        self._explained = float(np.sum(pca.explained_variance_ratio_))
        return self

    def _fitted(self) -> tuple[np.ndarray, np.ndarray]:
        if self.mean is None or self.components is None:
            raise ValueError("pca: call fit() before transform()")
        return self.mean, self.components

    def _flat(self, x: np.ndarray) -> np.ndarray:
        x = to_array(x, "pca input")
        flat = as_samples(np.reshape(x, (len(x), -1)), "pca input", min_samples=1)
        if flat.shape[1] != self._fitted()[0].shape[0]:
            raise ValueError(f"pca: fitted on {self._fitted()[0].shape[0]} coordinates, got {flat.shape[1]}")
        return flat

    def transform(self, x: np.ndarray) -> np.ndarray:
        """(n, ...) -> (n, min(latent_dim, d)) principal-component scores."""
        mean, components = self._fitted()
        return (self._flat(x) - mean) @ components.T

    def reconstruction_error(self, x: np.ndarray) -> float:
        """Mean squared error of the rank-``latent_dim`` reconstruction of ``x``."""
        mean, components = self._fitted()
        flat = self._flat(x)
        return float(np.mean(((flat - mean) @ components.T @ components + mean - flat) ** 2))

    @property
    def explained_variance_ratio(self) -> float:
        """Fraction of the fitting data's variance the kept components explain."""
        self._fitted()
        return self._explained

    def state(self) -> dict[str, Any]:
        """Everything needed to rebuild the fitted compressor (tensors and plain values)."""
        mean, components = self._fitted()
        return {"kind": "pca", "config": {"latent_dim": self.latent_dim, "seed": self.seed},
                "mean": torch.from_numpy(mean), "components": torch.from_numpy(components),
                "explained": self._explained}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PCACompressor:
        comp = cls(**state["config"])
        comp.mean, comp.components = state["mean"].numpy(), state["components"].numpy()
        comp._explained = float(state["explained"])
        return comp
