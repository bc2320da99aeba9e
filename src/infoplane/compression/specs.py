"""Compressors by name: the spec strings ``none``, ``pca:K``, ``ae:K``, and saved compressors.

    make_compressor("pca:4")            # unfitted; fit(x) before transform(x)
    save_compressor(fitted, "ae.pt")    # what `infoplane fit-compressor` writes
    load_compressor("ae.pt")            # fitted, ready to transform
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from infoplane.arrays import to_array
from infoplane.compression.autoencoder import AutoencoderCompressor
from infoplane.compression.base import Compressor
from infoplane.compression.pca import PCACompressor
from infoplane.files import load_torch, save_torch


class Identity:
    """The ``none`` compressor: flattens each sample, keeps every coordinate (lossless)."""

    latent_dim = 0  # as many as the input has

    def fit(self, x: np.ndarray) -> Identity:
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = to_array(x, "x")
        return np.reshape(x, (len(x), -1))

    def reconstruction_error(self, x: np.ndarray) -> float:
        return 0.0

    def state(self) -> dict[str, Any]:
        return {"kind": "none"}


_KINDS = {"pca": PCACompressor, "ae": AutoencoderCompressor}


def make_compressor(spec: str, seed: int = 0, **options: Any) -> Compressor:
    """An unfitted compressor from a spec: ``none``, ``pca:K`` or ``ae:K``.

    Args:
        spec: the spec string; K is the number of output coordinates.
        seed: the compressor's seed.
        options: extra constructor arguments of the autoencoder (epochs, batch_size, ...).
    """
    if spec == "none":
        return Identity()
    kind, sep, dim = spec.partition(":")
    if not sep or kind not in _KINDS or not dim.isdigit():
        raise ValueError(f"bad compressor spec {spec!r}; use 'none', 'pca:K' or 'ae:K' (K a positive "
                         "integer), "
                         "or the path of a compressor saved by `infoplane fit-compressor` (.pt)")
    if kind == "pca":
        if options:
            raise ValueError(f"pca takes no options, got {sorted(options)}")
        return PCACompressor(int(dim), seed=seed)
    try:
        return AutoencoderCompressor(int(dim), seed=seed, **options)
    except TypeError as err:
        raise ValueError(f"bad autoencoder options {sorted(options)}: {err}") from None


#: The saved file: a compressor's state() (tensors and plain values only).
FILE_KIND, FILE_VERSION = "compressor", 1


def save_compressor(compressor: Compressor, path: Path | str) -> None:
    """Write a fitted compressor to ``path`` (a torch file of tensors and plain values), atomically."""
    save_torch(compressor.state(), path, FILE_KIND, FILE_VERSION)  # type: ignore[attr-defined]


def load_compressor(path: Path | str) -> Compressor:
    """Read a compressor written by :func:`save_compressor` (fitted, ready to transform).
    Nothing in the file is executed (``weights_only`` loading); a bad file is one clear line."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"compressor file {path} does not exist; make it with `infoplane fit-compressor`")
    remedy = "delete it and refit it with `infoplane fit-compressor`"
    state = load_torch(path, FILE_KIND, FILE_VERSION, "compressor file", remedy)
    if state.get("kind") == "none":
        return Identity()
    if state.get("kind") not in _KINDS:
        raise ValueError(f"{path} is not a saved compressor (kind {state.get('kind')!r}): {remedy}")
    try:
        return _KINDS[state["kind"]].from_state(state)
    except (KeyError, TypeError, RuntimeError) as err:
        raise ValueError(f"compressor file {path} is incomplete or of another version ({err!r}): "
                         f"{remedy}") from None


def is_saved_compressor(spec: str) -> bool:
    """True when ``spec`` names a saved compressor file rather than a spec string."""
    return Path(spec).suffix == ".pt"
