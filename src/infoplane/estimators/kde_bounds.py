"""Kolchinsky & Tracey pairwise-distance bounds on the MI of a noisy layer (``kde-upper``, ``kde-lower``).

Saxe et al. model a layer as T = h(X) + N(0, s2 I) with known noise variance s2 and X uniform
over the n rows given. T is then the equal-weight Gaussian mixture centred on the noiseless
activations h_1 .. h_n, H(T | X) = d/2 log(2 pi e s2), and (in nats)

    upper:  I(X;T) <= -1/n sum_i log[ 1/n sum_j exp(-||h_i - h_j||^2 / (2 s2)) ]   (KL distances)
    lower:  I(X;T) >= the same with 8 s2 in place of 2 s2                        (Bhattacharyya)

Both lie in [0, log n]; the sum over j includes j = i. The entropy bounds are these plus
d/2 log(2 pi e s2).

Arguments (a layer estimator, :class:`~infoplane.estimators.base.LayerEstimator`), ``h`` the
layer's noiseless activations (n, d):
- ``estimate_layer(h)``: I(X;T), X uniform over the rows, a true bound.
- ``estimate_layer(h, labels=y)`` or ``estimate(h, y)`` with integer labels (n,):
  I(T;Y) = H_b(T) - sum_y p(y) H_b(T | Y=y), the class-conditional difference of the same
  bound, as in Saxe et al.'s code. It is NOT a bound on I(T;Y). With labels 0 .. n-1 (every
  row its own class) it equals the I(X;T) bound. A continuous second argument is refused.
Interval: pointwise spread of the per-sample terms (each in [0, log n]). Flag ``saturated``:
I(X;T) within 0.01 nats of log n (every activation farther than the noise from all others).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

from infoplane.arrays import as_labels, as_samples, check_same_length
from infoplane.estimators.base import LayerEstimator, class_conditional
from infoplane.estimators.estimate import Estimate, sanity_flags
from infoplane.estimators.pairwise import gaussian_logsumexp
from infoplane.estimators.params import check_float, check_int, check_optional_str
from infoplane.estimators.registry import register


def bound_terms(
    h: np.ndarray, kernel_variance: float, chunk: int | None = None, device: str | None = None
) -> np.ndarray:
    """(n,) terms -log[1/n sum_j exp(-||h_i - h_j||^2 / (2 v))] for activations h (n, d) (nats).

    Their mean is the upper bound (v = s2) or the lower bound (v = 4 s2) on I(X;T).
    """
    lse = gaussian_logsumexp(h, h, math.sqrt(kernel_variance), chunk=chunk, device=device)
    return math.log(len(h)) - lse


def mixture_entropy_bounds(
    centres: np.ndarray, noise_variance: float, chunk: int | None = None, device: str | None = None
) -> tuple[float, float]:
    """(lower, upper) bounds (nats) on the entropy of (1/n) sum_j N(centres_j, noise_variance I).

    Args:
        centres: (n, d) mixture centres (a layer's noiseless activations).
        noise_variance: s2 > 0.
    """
    centres = as_samples(centres, "centres", min_samples=1)
    d = centres.shape[1]
    conditional = 0.5 * d * math.log(2 * math.pi * math.e * noise_variance)
    lower = float(np.mean(bound_terms(centres, 4 * noise_variance, chunk, device))) + conditional
    upper = float(np.mean(bound_terms(centres, noise_variance, chunk, device))) + conditional
    return lower, upper


#: I(X;T) within this many nats of log n is flagged ``saturated``.
SATURATION_NATS = 0.01


class PairwiseBound(LayerEstimator):
    """A Kolchinsky-Tracey bound on I(X;T) of a noisy layer; see the module doc for arguments.

    Args:
        noise_variance: s2 of the layer's additive Gaussian noise (Saxe et al.: 1e-3 on the
            SZT data, 0.1 on MNIST); it sets the scale of the result, so it has no default.
        chunk: query rows per block of the pairwise kernel (``None``: automatic).
        device: torch device (``None``: CUDA when available, else the CPU).
    """

    #: The kernel variance is kernel_factor * s2: 1 for the KL (upper), 4 for the
    #: Bhattacharyya (lower) bound.
    kernel_factor: float

    def __init__(self, noise_variance: float, chunk: int | None = None, device: str | None = None) -> None:
        # "1e-3" from a command line or YAML 1.1 is a string: check_float reads it.
        noise_variance = check_float(noise_variance, "noise_variance", positive=True)
        chunk = None if chunk is None else check_int(chunk, "chunk")
        super().__init__(noise_variance=noise_variance, chunk=chunk,
                         device=check_optional_str(device, "device"))
        self.noise_variance, self.chunk, self.device = noise_variance, chunk, device
        self._last: tuple[tuple[Any, ...], np.ndarray] | None = None

    def _terms(self, h: np.ndarray) -> np.ndarray:
        return bound_terms(h, self.kernel_factor * self.noise_variance, self.chunk, self.device)

    def _all_rows_terms(self, h: np.ndarray) -> np.ndarray:
        """``_terms(h)``, kept for the next call: I(X;T) and I(T;Y) of a layer, asked one after
        the other, make this O(n^2) pass once instead of twice (a Saxe KDE analysis: 33 -> 18
        CPU-s). The key is the layer's content, so a changed array is never served stale terms."""
        key = (h.shape, h.dtype.str, hashlib.blake2b(np.ascontiguousarray(h).data, digest_size=16).digest())
        if self._last is None or self._last[0] != key:
            self._last = (key, self._terms(h))
        return self._last[1]

    def estimate_layer(self, t: Any, labels: Any = None) -> Estimate:
        h = as_samples(t, "t (the layer's noiseless activations)", min_samples=1)
        n = len(h)
        if labels is None:
            est = Estimate.from_terms(self._all_rows_terms(h))
            saturated = n > 1 and est.mi > math.log(n) - SATURATION_NATS
            return est.with_flags(*(("saturated",) if saturated else ()))
        labels = as_labels(labels, "labels")
        check_same_length(h, labels)
        conditional = class_conditional(lambda rows, _: self._terms(h[rows]), labels)
        # The d/2 log(2 pi e s2) of H_b(T) and H_b(T | y) cancel in the difference.
        est = Estimate.from_terms(self._all_rows_terms(h) - conditional)
        return est.with_flags(*sanity_flags(est, n=n, labels=labels))


@register("kde-upper")
class KDEUpperBound(PairwiseBound):
    """Kolchinsky-Tracey upper bound (KL pairwise distances) on I(X;T), nats."""

    name = "kde-upper"
    kernel_factor = 1.0


@register("kde-lower")
class KDELowerBound(PairwiseBound):
    """Kolchinsky-Tracey lower bound (Bhattacharyya pairwise distances) on I(X;T), nats."""

    name = "kde-lower"
    kernel_factor = 4.0
