"""Binning MI estimators of the seed papers (``binning`` with a ``scheme``).

Every neuron's value is mapped to an integer bin; a layer's symbol is the tuple of its
neurons' bins (the whole layer jointly), and MI is the exact plug-in value of those symbols
(:mod:`infoplane.estimators.discrete`). The schemes, kept explicit because the choice changes
the information plane qualitatively:

    "szt"        Shwartz-Ziv & Tishby: 30 edges linspace(-1, 1, 30), v -> index digitize(v) - 1;
                 values >= 1 fall in the top bin (ReLU is clipped at 1), values < -1 in the
                 bottom one (IDNNs wraps them to the top by negative indexing; only values
                 outside tanh's range are affected).
    "saxe"       Saxe et al.: floor(v / width), width 0.07, unbounded (works for ReLU).
    "quantized"  Lorenzen et al.: round((v - min) * 2^b / (max - min)) over the layer's range
                 (min and max over all its neurons and samples), levels 0 .. 2^b.
    "uniform"    n_bins equal bins over [lo, hi] (the data range when not given); values
                 outside are clipped to the end bins (Lorenzen's binning baseline uses 30, 100,
                 256 bins over a global range).

Arguments (a layer estimator, :class:`~infoplane.estimators.base.LayerEstimator`), ``t`` the
layer's activations (n, d):
- ``estimate_layer(t)``: I(X;T) = H(T) of the binned layer, X uniform over the rows (distinct
  inputs, a deterministic network).
- ``estimate_layer(t, labels=y)`` or ``estimate(t, y)``: I(T;Y) = H(T) - sum_y p(y) H(T | Y=y)
  for integer labels (n,); ``estimate(t, symbols)`` also takes (n, d) whole-number symbols
  (I(bins(T); symbols), plug-in). A continuous second argument is refused: it is not binned.
The interval is the pointwise spread of the plug-in terms. Flag ``saturated``: at least 90 %
of the rows are their own bin, where I(X;T) is log n and I(T;Y) is H(Y) whatever the layer.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from infoplane.arrays import as_labels, as_samples, check_same_length, integer_valued, to_array
from infoplane.estimators.base import LayerEstimator
from infoplane.estimators.discrete import plugin_mutual_information, row_codes
from infoplane.estimators.estimate import SATURATED_SHARE, Estimate, sanity_flags
from infoplane.estimators.params import check_float, check_int
from infoplane.estimators.registry import register

Scheme = Literal["szt", "saxe", "quantized", "uniform"]
SCHEMES = ("szt", "saxe", "quantized", "uniform")

#: Shwartz-Ziv & Tishby's bin edges.
SZT_EDGES = np.linspace(-1.0, 1.0, 30)


def bin_szt(v: np.ndarray) -> np.ndarray:
    """Shwartz-Ziv & Tishby bins of (n, d) values: int64 indices 0 .. 29 (see module doc)."""
    return np.clip(np.digitize(v, SZT_EDGES) - 1, 0, len(SZT_EDGES) - 1).astype(np.int64)


def bin_saxe(v: np.ndarray, width: float = 0.07) -> np.ndarray:
    """Saxe et al. bins of (n, d) values: floor(v / width) as int64, unbounded."""
    if not width > 0:
        raise ValueError(f"bin width must be positive, got {width}")
    return np.floor(v / width).astype(np.int64)


def bin_quantized(v: np.ndarray, bits: int = 8) -> np.ndarray:
    """Lorenzen et al. levels of (n, d) values: round((v - min) 2^b / (max - min)), 0 .. 2^b.

    min and max are taken over the whole layer; a constant layer maps to level 0.
    """
    if bits < 1:
        raise ValueError(f"bits must be a positive integer, got {bits}")
    lo, hi = float(v.min()), float(v.max())
    if hi == lo:
        return np.zeros(v.shape, dtype=np.int64)
    return np.round((v - lo) * (2**bits / (hi - lo))).astype(np.int64)


def bin_uniform(
    v: np.ndarray, n_bins: int = 30, lo: float | None = None, hi: float | None = None
) -> np.ndarray:
    """n_bins equal bins over [lo, hi] (default: the layer's range): int64 indices 0 .. n_bins - 1."""
    if n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins}")
    lo = float(v.min()) if lo is None else float(lo)
    hi = float(v.max()) if hi is None else float(hi)
    if not hi > lo:
        return np.zeros(v.shape, dtype=np.int64)
    index = np.floor((v - lo) * (n_bins / (hi - lo)))
    return np.clip(index, 0, n_bins - 1).astype(np.int64)


def bin_layer(
    v: np.ndarray,
    scheme: Scheme,
    *,
    width: float = 0.07,
    bits: int = 8,
    n_bins: int = 30,
    lo: float | None = None,
    hi: float | None = None,
) -> np.ndarray:
    """Bin indices (n, d) of a layer's activations (n, d) under ``scheme`` (see module doc)."""
    if scheme == "szt":
        return bin_szt(v)
    if scheme == "saxe":
        return bin_saxe(v, width)
    if scheme == "quantized":
        return bin_quantized(v, bits)
    if scheme == "uniform":
        return bin_uniform(v, n_bins, lo, hi)
    raise ValueError(f"unknown binning scheme {scheme!r}; use one of {', '.join(SCHEMES)}")


@register("binning")
class BinningMI(LayerEstimator):
    """Plug-in MI of a binned layer; ``estimate_layer(t, labels=None)`` (see module doc).

    Args:
        scheme: ``"szt"``, ``"saxe"``, ``"quantized"`` or ``"uniform"``.
        width: bin width of ``"saxe"`` (0.07 in Saxe et al.).
        bits: b of ``"quantized"`` (2^b + 1 levels; Lorenzen et al. use 4 and 8).
        n_bins, lo, hi: ``"uniform"`` bins and range (the data's range when lo/hi are None).
    """

    name = "binning"

    def __init__(
        self,
        scheme: Scheme = "saxe",
        width: float = 0.07,
        bits: int = 8,
        n_bins: int = 30,
        lo: float | None = None,
        hi: float | None = None,
    ) -> None:
        if scheme not in SCHEMES:
            raise ValueError(f"unknown binning scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
        width = check_float(width, "width", positive=True)
        bits, n_bins = check_int(bits, "bits"), check_int(n_bins, "n_bins")
        lo, hi = (None if v is None else check_float(v, name) for v, name in ((lo, "lo"), (hi, "hi")))
        if lo is not None and hi is not None and not hi > lo:
            raise ValueError(f"hi must be above lo, got lo={lo}, hi={hi}")
        super().__init__(scheme=scheme, width=width, bits=bits, n_bins=n_bins, lo=lo, hi=hi)
        self.scheme: Scheme = scheme
        self.width, self.bits, self.n_bins, self.lo, self.hi = width, bits, n_bins, lo, hi

    def codes(self, t: Any) -> np.ndarray:
        """(n,) symbol codes of a layer's activations (n, d): its rows of bins, counted jointly."""
        t = as_samples(t, "t", min_samples=1)
        bins = bin_layer(t, self.scheme, width=self.width, bits=self.bits, n_bins=self.n_bins,
                         lo=self.lo, hi=self.hi)
        return row_codes(bins)

    def _flagged(self, est: Estimate, codes: np.ndarray, labels: np.ndarray | None) -> Estimate:
        saturated = len(np.unique(codes)) >= SATURATED_SHARE * len(codes) and len(codes) > 1
        flags = sanity_flags(est, n=len(codes), labels=labels)
        return est.with_flags(*flags, *(("saturated",) if saturated else ()))

    def estimate_layer(self, t: Any, labels: Any = None) -> Estimate:
        codes = self.codes(t)
        if labels is None:  # I(X;T) = H(T): every row its own input
            return self._flagged(plugin_mutual_information(codes, np.arange(len(codes))), codes, None)
        labels = as_labels(labels, "labels")
        check_same_length(codes, labels)
        return self._flagged(plugin_mutual_information(codes, row_codes(labels)), codes, labels)

    def estimate_with_interval(self, x: Any, y: Any) -> Estimate:
        arr = to_array(y, "y")
        if arr.ndim == 2 and integer_valued(arr):  # (n, d) discrete symbols: no labels to guess
            codes = self.codes(x)
            check_same_length(codes, arr)
            return self._flagged(plugin_mutual_information(codes, row_codes(arr)), codes, None)
        return super().estimate_with_interval(x, arr)
