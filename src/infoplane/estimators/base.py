"""The one interface every MI estimator keeps, and the input checks they share.

Contract (see docs/architecture.md): samples are rows, ``x`` has shape (n, d_x), ``y`` has
shape (n, d_y) or, when discrete, is an integer label array of shape (n,). Every value is in
nats. An estimator is built by name from the registry in :mod:`infoplane.estimators` and
answers ``estimate(x, y) -> float``; ``estimate_with_interval`` adds an approximate interval.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

#: z-value of a two-sided 95 % normal interval.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A point estimate in nats with an approximate 95 % interval.

    ``method`` says how the interval was made (for example ``"pointwise"``: the standard
    error of the per-sample terms, which are not independent, so the interval is indicative).
    """

    mi: float
    lo: float
    hi: float
    method: str = "pointwise"

    @classmethod
    def from_terms(cls, terms: np.ndarray, offset: float = 0.0) -> Estimate:
        """Estimate = mean(terms) + offset, interval = mean +- z * std / sqrt(n).

        Args:
            terms: (n,) per-sample contributions whose mean is the estimate (nats).
            offset: a constant added to the mean (nats).
        """
        mean = float(np.mean(terms)) + offset
        half = Z95 * float(np.std(terms)) / math.sqrt(len(terms))
        return cls(mean, mean - half, mean + half, "pointwise")

    @classmethod
    def from_entropy_terms(cls, parts: list[tuple[float, Estimate]]) -> Estimate:
        """Combine entropy estimates as sum(sign * H) with half-widths added in quadrature.

        Butakov et al. sum the standard errors of the entropy terms; adding in quadrature
        treats them as independent, which they are not, so both are indicative only.
        """
        mi = sum(sign * est.mi for sign, est in parts)
        half = math.sqrt(sum(((est.hi - est.lo) / 2) ** 2 for _, est in parts))
        return cls(mi, mi - half, mi + half, parts[0][1].method if parts else "pointwise")


class MIEstimator(ABC):
    """Base class of all mutual-information estimators.

    Subclasses set ``name`` (the registry key) and implement ``estimate_with_interval``.
    Constructor keyword arguments are the estimator's parameters; ``params()`` returns them so
    that records can say exactly what was run.
    """

    name: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        self._params = params

    def params(self) -> dict[str, Any]:
        """The parameters this estimator was built with (JSON-serialisable)."""
        return dict(self._params)

    def estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        """I(X;Y) in nats. ``x``: (n, d_x); ``y``: (n, d_y), or (n,) integer labels."""
        return self.estimate_with_interval(x, y).mi

    @abstractmethod
    def estimate_with_interval(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """I(X;Y) in nats with an approximate 95 % interval."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"


def as_samples(a: Any, name: str, min_samples: int = 2) -> np.ndarray:
    """Check a continuous sample array and return it as float64 of shape (n, d).

    A 1-D array is read as n samples of one coordinate. Raises ``ValueError`` naming ``name``
    for a wrong rank, too few samples, or NaN / inf values.
    """
    arr = np.asarray(a)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n, d) or (n,), got an array of rank {arr.ndim} "
            f"with shape {arr.shape}; flatten each sample first"
        )
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {arr.shape})")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} has {arr.shape[0]} samples; at least {min_samples} are needed")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite values; remove or impute them")
    return arr


def normal_scores(z: np.ndarray) -> np.ndarray:
    """Marginal normal scores: each column's ranks r (1..n) mapped to Phi^-1((r - 1/2) / n).

    A strictly increasing map of a coordinate leaves its ranks, hence these scores, unchanged,
    so an estimator fed with them is exactly invariant to such maps (half-cube, asinh, normal
    CDF, ...). MI is invariant to them too, so the target is unchanged. Ties share a score.

    Args:
        z: (n, d) samples.

    Returns:
        (n, d) scores, each column close to standard normal.
    """
    from scipy.special import ndtri
    from scipy.stats import rankdata

    return ndtri((rankdata(z, axis=0) - 0.5) / len(z))


def is_labels(a: Any) -> bool:
    """True when ``a`` is a 1-D integer (or boolean) array: discrete labels of shape (n,)."""
    arr = np.asarray(a)
    return arr.ndim == 1 and (np.issubdtype(arr.dtype, np.integer) or arr.dtype == bool)


def as_labels(a: Any, name: str) -> np.ndarray:
    """Check discrete labels and return them as an int64 array of shape (n,)."""
    arr = np.asarray(a)
    if not is_labels(arr):
        raise ValueError(f"{name} must be a 1-D integer label array, got {arr.dtype} {arr.shape}")
    return arr.astype(np.int64, copy=False)


def check_same_length(x: np.ndarray, y: np.ndarray) -> None:
    """Raise ``ValueError`` when x and y do not have one row per sample pair."""
    if len(x) != len(y):
        raise ValueError(
            f"x and y must have the same number of samples (rows), got {len(x)} and {len(y)}"
        )


def check_enough_for_k(n: int, k: int, what: str) -> None:
    """Raise ``ValueError`` unless n samples leave k neighbours for each point."""
    if k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")
    if n < k + 1:
        raise ValueError(f"{what} has {n} samples, fewer than k + 1 = {k + 1}; lower k or add samples")


def class_conditional(terms: Callable[[np.ndarray, int], np.ndarray], labels: np.ndarray) -> np.ndarray:
    """Per-sample terms computed within each class, returned in row order.

    ``terms(rows, label)`` gets the boolean mask of one class and returns that class's terms,
    first axis over its rows. The mean of the result over all rows is
    sum_y p(y) (mean term within class y): with entropy terms, the sum_y p(y) H(L | Y = y) of
    I(L;Y) = H(L) - sum_y p(y) H(L | Y = y).

    Args:
        terms: callable (mask (n,), label) -> (n_y, ...) array.
        labels: (n,) integer labels.

    Returns:
        (n, ...) terms.
    """
    out: np.ndarray | None = None
    for label in np.unique(labels):
        rows = labels == label
        values = np.asarray(terms(rows, int(label)))
        if out is None:
            out = np.empty((len(labels), *values.shape[1:]), dtype=values.dtype)
        out[rows] = values
    assert out is not None
    return out
