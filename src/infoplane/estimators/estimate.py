"""What an estimator answers: :class:`Estimate` (nats, an approximate interval, sanity flags).

The flags say when a number cannot be trusted given what the data imply (below zero, above
H(Y) or log n, saturated, too few samples for the dimension); :func:`sanity_flags` raises them
and :func:`warn_flags` turns them into one ``UserWarning`` with the words of :data:`FLAG_TEXT`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np

from infoplane.arrays import label_entropy

#: z-value of a two-sided 95 % normal interval.
Z95 = 1.959963984540054

#: What each sanity flag means; ``estimate`` warns with these words.
FLAG_TEXT = {
    "below-zero": "the whole interval is below 0, which no MI can be (estimator bias or wrong input)",
    "above-H(Y)": "the whole interval is above H(Y) of the labels, which I(X;Y) cannot exceed",
    "above-log-n": "the estimate is above log n, the most a plug-in value on n samples can reach",
    "saturated": "nearly every row is its own symbol (bin) or its own cluster, so the value is fixed "
                 "by the sample size (log n), not by the data: use coarser bins, more noise or "
                 "another estimator",
    "near-cap": "the estimate is near the estimator's own cap (InfoNCE: log(1 + negatives))",
    "few-samples": "fewer samples than 2^d for the joint dimension d: kNN and kernel estimates are "
                   "strongly biased there; compress first (pca, autoencoder) or add samples",
}

#: Share of distinct rows from which a discrete variable counts as saturated.
SATURATED_SHARE = 0.9


@dataclass(frozen=True)
class Estimate:
    """A point estimate in nats with an approximate 95 % interval and sanity flags.

    ``method`` says how the interval was made (for example ``"pointwise"``: the standard
    error of the per-sample terms, which are not independent, so the interval is indicative).
    ``flags`` are keys of :data:`FLAG_TEXT` raised for this estimate (empty when all is well).
    """

    mi: float
    lo: float
    hi: float
    method: str = "pointwise"
    flags: tuple[str, ...] = ()

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

    def with_flags(self, *flags: str) -> Estimate:
        """A copy with ``flags`` added (each once, in order)."""
        return replace(self, flags=tuple(dict.fromkeys((*self.flags, *flags))))


def sanity_flags(est: Estimate, *, n: int, dim: int | None = None, labels: np.ndarray | None = None,
                 ceiling: float | None = None) -> tuple[str, ...]:
    """The flags an estimate raises given what the data imply.

    Args:
        est: the estimate.
        n: samples it was made from.
        dim: joint dimension of a kNN or kernel estimate (None: no sample-size check).
        labels: (n,) labels when Y is discrete: the interval must not lie above H(Y).
        ceiling: log n for plug-in values (None: no such ceiling).
    """
    flags = []
    if est.hi < 0:
        flags.append("below-zero")
    if labels is not None and est.lo > label_entropy(labels) + 1e-9:
        flags.append("above-H(Y)")
    if ceiling is not None and est.mi > ceiling + 1e-9:
        flags.append("above-log-n")
    if dim is not None and dim > math.log2(max(n, 2)):
        flags.append("few-samples")
    return tuple(flags)


def warn_flags(est: Estimate, who: str, stacklevel: int = 3) -> None:
    """One ``UserWarning`` naming every flag of ``est`` and what it means."""
    if est.flags:
        text = "; ".join(f"{flag}: {FLAG_TEXT.get(flag, flag)}" for flag in est.flags)
        warnings.warn(f"{who} estimate {est.mi:.4g} nats is flagged ({text})", UserWarning,
                      stacklevel=stacklevel)
