"""Compressors that make high-dimensional MI estimable: PCA, autoencoders.

Each has ``fit(x)``, ``transform(x) -> (n, latent_dim)`` and ``reconstruction_error(x)``; build
one from a spec string (``none``, ``pca:K``, ``ae:K``) with :func:`make_compressor`, save and
load fitted ones with :func:`save_compressor` / :func:`load_compressor`.
"""

from infoplane.compression.autoencoder import AutoencoderCompressor
from infoplane.compression.base import Compressor
from infoplane.compression.pca import PCACompressor
from infoplane.compression.specs import (
    Identity,
    is_saved_compressor,
    load_compressor,
    make_compressor,
    save_compressor,
)

__all__ = [
    "AutoencoderCompressor", "Compressor", "Identity", "PCACompressor", "is_saved_compressor",
    "load_compressor", "make_compressor", "save_compressor",
]
