"""The compressor interface: fit on one sample, then map other samples to a few dimensions.

Compressors are fitted on data separate from the samples they compress for estimation (a
compressor fitted on the estimation samples can overfit them). Compressing can only lose
information (data-processing inequality), so MI after compression is a lower bound unless the
compressor is injective on the data's support.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Compressor(Protocol):
    """``fit(x)`` on (n_fit, ...) samples, then ``transform(x)``: (n, ...) -> (n, latent_dim)."""

    latent_dim: int

    def fit(self, x: np.ndarray) -> Compressor: ...

    def transform(self, x: np.ndarray) -> np.ndarray: ...

    def reconstruction_error(self, x: np.ndarray) -> float:
        """Mean squared reconstruction error on ``x`` (same units as x squared)."""
        ...

    def state(self) -> dict:
        """The fitted compressor as tensors and plain values (see ``save_compressor``)."""
        ...
