"""The one interface every MI estimator keeps: :class:`MIEstimator` and :class:`LayerEstimator`.

Contract (see docs/architecture.md): samples are rows, ``x`` has shape (n, d_x), ``y`` has
shape (n, d_y) or, when discrete, is a label array of shape (n,). Every value is in nats. An
estimator is built by name from the registry in :mod:`infoplane.estimators` and answers
``estimate(x, y) -> float``; ``estimate_with_interval`` adds an approximate interval and the
sanity flags (:mod:`infoplane.estimators.estimate`), which a plain ``estimate`` turns into a
``UserWarning``.

What estimators share lives beside this module: the input conversion in :mod:`infoplane.arrays`
(shared with the compressors), parameter checks in :mod:`~infoplane.estimators.params`, the tie
policy in :mod:`~infoplane.estimators.ties`, column scaling in
:mod:`~infoplane.estimators.scaling`; here also :func:`class_conditional`, the per-class terms
of I(L;Y) for labels Y.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from infoplane.arrays import integer_valued, resolve_y, to_array
from infoplane.estimators.estimate import Estimate, warn_flags


class MIEstimator(ABC):
    """Base class of all mutual-information estimators.

    Subclasses set ``name`` (the registry key) and implement ``estimate_with_interval``.
    Constructor keyword arguments are the estimator's parameters, checked there (a bad value
    is a ``ValueError`` naming the parameter); ``params()`` returns them so that records can
    say exactly what was run.
    """

    name: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        self._params = params

    def params(self) -> dict[str, Any]:
        """The parameters this estimator was built with (JSON-serialisable)."""
        return dict(self._params)

    def estimate(self, x: Any, y: Any) -> float:
        """I(X;Y) in nats. ``x``: (n, d_x); ``y``: (n, d_y), or (n,) labels.

        Warns (``UserWarning``) when the estimate raises a sanity flag (see ``FLAG_TEXT``).
        """
        est = self.estimate_with_interval(x, y)
        warn_flags(est, self.name)
        return est.mi

    @abstractmethod
    def estimate_with_interval(self, x: Any, y: Any) -> Estimate:
        """I(X;Y) in nats with an approximate 95 % interval and the estimate's flags."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
        return f"{type(self).__name__}({args})"


class LayerEstimator(MIEstimator):
    """Information of a network layer from its activations alone (and a known noise or bins).

    These estimators do not estimate I(X;Y) of two arbitrary variables; they say so:

        estimate_layer(t)              I(X;T), X uniform over the rows (each row one input)
        estimate_layer(t, labels=y)    I(T;Y) for integer labels y
        estimate(t, y)                 the same as estimate_layer(t, labels=y) for labels y;
                                       a continuous y is refused (it would be ignored)
    """

    @abstractmethod
    def estimate_layer(self, t: Any, labels: Any = None) -> Estimate:
        """I(X;T) (``labels`` None) or I(T;Y) (labels (n,)) in nats, with interval and flags."""

    def estimate_with_interval(self, x: Any, y: Any) -> Estimate:
        arr = to_array(y, "y")
        labels_like = arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)
        if labels_like and len(arr) and integer_valued(arr):
            return self.estimate_layer(x, labels=resolve_y(arr, "auto")[0])
        raise ValueError(
            f"{self.name} estimates a layer's information from its activations alone, so it cannot "
            f"use a continuous y (shape {arr.shape}, {arr.dtype}): call estimate_layer(t) for I(X;T), "
            "estimate_layer(t, labels=y) for I(T;Y) with integer labels, or use ksg / kl for the MI "
            "of two continuous variables")

    def estimate(self, x: Any, y: Any) -> float:
        """I(T;Y) in nats for a layer's activations ``x`` and integer labels ``y`` (see class doc)."""
        return super().estimate(x, y)


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
