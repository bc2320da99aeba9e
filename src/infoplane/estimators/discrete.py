"""Exact plug-in entropy and MI of discrete variables by counting unique rows (``discrete``).

This is the one discrete core of the project: binning, quantised networks and output layers
all reduce a layer to one symbol per sample (the tuple of its coordinates, whole layer
jointly) and count. With empirical probabilities p(a) = n_a / n,

    H(A) = -sum_a p(a) log p(a),      I(A;B) = H(A) + H(B) - H(A,B)
         = mean_i log[ p(a_i, b_i) / (p(a_i) p(b_i)) ],

so the plug-in MI is exactly the mean of per-sample terms; their spread gives the interval.
With X uniform over distinct inputs and T = g(X) deterministic, I(X;T) = H(T): every input
row is its own symbol. For integer labels Y the same formula is H(T) - sum_y p(y) H(T | Y=y).

Miller-Madow: E[H_plugin] ~ H - (K - 1) / (2n) with K occupied cells; ``correction=
"miller-madow"`` adds (K - 1) / (2n) to each entropy. When K ~ n every entropy is about log n
and neither form says anything about the population (a deterministic net on distinct inputs).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from infoplane.arrays import check_same_length, label_entropy, to_array
from infoplane.estimators.base import MIEstimator
from infoplane.estimators.estimate import SATURATED_SHARE, Estimate, sanity_flags
from infoplane.estimators.registry import register

Correction = Literal["none", "miller-madow"]


def as_symbols(a: Any, name: str) -> np.ndarray:
    """Check a discrete sample array: (n,) or (n, d) numbers, one symbol per row, no NaN."""
    arr = to_array(a, name)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (n,) or (n, d), got shape {arr.shape}; flatten each sample")
    if len(arr) == 0:
        raise ValueError(f"{name} has no samples")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; they are not symbols")
    return arr


def row_codes(a: np.ndarray) -> np.ndarray:
    """One integer code per row: equal rows get equal codes, codes are 0 .. K - 1.

    Args:
        a: (n,) or (n, d) symbols (rows compared exactly).

    Returns:
        (n,) int64 codes.
    """
    a = np.asarray(a)
    if a.ndim == 1:
        _, inverse = np.unique(a, return_inverse=True)
    else:
        _, inverse = np.unique(a, axis=0, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64, copy=False)


def joint_codes(*codes: np.ndarray) -> np.ndarray:
    """(n,) codes of the tuple of several (n,) code arrays."""
    return row_codes(np.column_stack(codes))


def log_probabilities(codes: np.ndarray) -> np.ndarray:
    """(n,) log of the empirical probability of each sample's own code (nats)."""
    counts = np.bincount(codes)
    return np.log(counts[codes] / len(codes))


def entropy(codes: np.ndarray, correction: Correction = "none") -> float:
    """Plug-in entropy (nats) of (n,) codes, optionally with the Miller-Madow correction."""
    h = label_entropy(codes)
    return h + miller_madow_bias(codes) if correction == "miller-madow" else h


def miller_madow_bias(codes: np.ndarray) -> float:
    """(K - 1) / (2n): the first-order downward bias of the plug-in entropy (nats)."""
    return (len(np.unique(codes)) - 1) / (2 * len(codes))


def mutual_information_terms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-sample log p(a_i, b_i) / (p(a_i) p(b_i)) of two (n,) code arrays; mean = plug-in MI."""
    return log_probabilities(joint_codes(a, b)) - log_probabilities(a) - log_probabilities(b)


def plugin_mutual_information(a: np.ndarray, b: np.ndarray, correction: Correction = "none") -> Estimate:
    """Plug-in I(A;B) in nats of two (n,) code arrays with a pointwise interval.

    The interval is the spread of the per-sample terms (not independent, so indicative only);
    with ``correction="miller-madow"`` the estimate and its interval shift by the sum of the
    three Miller-Madow terms.
    """
    offset = 0.0
    if correction == "miller-madow":
        offset = miller_madow_bias(a) + miller_madow_bias(b) - miller_madow_bias(joint_codes(a, b))
    elif correction != "none":
        raise ValueError(f"unknown correction {correction!r}; use 'none' or 'miller-madow'")
    return Estimate.from_terms(mutual_information_terms(a, b), offset=offset)


@register("discrete")
class DiscreteMI(MIEstimator):
    """Exact plug-in MI of discrete variables; each row of x (and of y) is one symbol.

    ``x``: (n,) or (n, d_x) symbols (integers or exactly repeated floats, such as quantised
    activations); ``y``: (n,) labels or (n, d_y) symbols. Interval: pointwise spread. Flag
    ``saturated``: one side has a distinct symbol in at least 90 % of the rows (the value is
    then about the other side's entropy, whatever the relation).

    Args:
        correction: ``"none"`` (the exact plug-in value, what the papers report) or
            ``"miller-madow"``.
    """

    name = "discrete"

    def __init__(self, correction: Correction = "none") -> None:
        if isinstance(correction, bool) or correction not in ("none", "miller-madow"):
            raise ValueError(f"unknown correction {correction!r}; use 'none' or 'miller-madow'")
        super().__init__(correction=correction)
        self.correction: Correction = correction

    def estimate_with_interval(self, x: Any, y: Any) -> Estimate:
        x, y = as_symbols(x, "x"), as_symbols(y, "y")
        check_same_length(x, y)
        a, b = row_codes(x), row_codes(y)
        est = plugin_mutual_information(a, b, self.correction)
        n = len(a)
        saturated = n > 1 and max(a.max(), b.max()) + 1 >= SATURATED_SHARE * n
        return est.with_flags(*sanity_flags(est, n=n), *(("saturated",) if saturated else ()))

    def estimate_layer(self, t: Any) -> Estimate:
        """I(X;T) of a layer's symbols ``t`` (n, d) over n distinct inputs, X uniform: H(T).
        Flagged ``saturated`` only when T itself is nearly all distinct (X always is, so its
        side says nothing here), as the binning estimator flags a layer."""
        a = row_codes(as_symbols(t, "t"))
        est = plugin_mutual_information(a, np.arange(len(a)), self.correction)
        saturated = len(a) > 1 and a.max() + 1 >= SATURATED_SHARE * len(a)
        return est.with_flags(*sanity_flags(est, n=len(a)), *(("saturated",) if saturated else ()))
