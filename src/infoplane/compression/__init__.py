"""Compressors that make high-dimensional MI estimable: PCA, autoencoders.

Each has ``fit(x)``, ``transform(x) -> (n, latent_dim)`` and ``reconstruction_error(x)``.
"""

from infoplane.compression.base import Compressor
from infoplane.compression.pca import PCACompressor

__all__ = ["Compressor", "PCACompressor"]
