"""Plug-in I(X;T) and I(T;Y) of many binned layers at once (seeds x layers in one sort).

The same numbers as :func:`infoplane.estimators.discrete.plugin_mutual_information` applied
to each group alone (tested), for the setting of the earlier IB papers: X uniform over n
distinct inputs and T = bins(g(X)) deterministic, so I(X;T) = H(T) with per-sample terms
-log p(t_i), and I(T;Y) with terms log p(t_i, y_i) / (p(t_i) p(y_i)). Each group's rows are
encoded as one integer per row and prefixed with the group's index, so one ``np.unique`` over
all groups counts every cell of every group; a loop over G groups costs G sorts and G
Python round trips instead.
"""

from __future__ import annotations

import math

import numpy as np

from infoplane.estimators.estimate import Z95


def grouped_plugin_information(bins: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """I(X;T) and I(T;Y) in nats, with pointwise 95 % intervals, of G binned layers.

    Args:
        bins: (G, n, d) non-negative integer bin indices; group g is one layer of one network
            on the same n distinct inputs (row i = input i in every group).
        labels: (n,) integer labels of the inputs.

    Returns:
        arrays of shape (G,): ``i_xl``, ``i_xl_lo``, ``i_xl_hi``, ``i_ly``, ``i_ly_lo``,
        ``i_ly_hi`` (nats; the interval is mean +- z * std / sqrt(n) of the per-sample terms,
        as :meth:`~infoplane.estimators.estimate.Estimate.from_terms`) and ``cells`` (the
        number of distinct bin rows of each group, for the ``saturated`` flag).
    """
    bins = np.asarray(bins)
    if bins.ndim != 3 or not np.issubdtype(bins.dtype, np.integer):
        raise ValueError(f"bins must be a (G, n, d) integer array, got {bins.dtype} {bins.shape}")
    if bins.size and bins.min() < 0:
        raise ValueError("bins must be non-negative indices")
    groups, n, _ = bins.shape
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), got {labels.shape}")
    _, label_codes, label_counts = np.unique(labels, return_inverse=True, return_counts=True)

    # Room for the group prefix and the label suffix of the joint codes below.
    spare_bits = math.log2(max(groups, 1)) + math.log2(len(label_counts)) + 2
    cell = _row_keys(bins, spare_bits)                              # (G, n), codes within each group
    own = np.arange(groups, dtype=np.int64)[:, None] * (int(cell.max(initial=0)) + 1) + cell
    log_p_t = np.log(_own_counts(own) / n)
    joint = own * len(label_counts) + label_codes[None, :]
    log_p_ty = np.log(_own_counts(joint) / n)
    log_p_y = np.log(label_counts[label_codes] / n)[None, :]

    out = {}
    for name, terms in (("i_xl", -log_p_t), ("i_ly", log_p_ty - log_p_t - log_p_y)):
        mean = terms.mean(axis=1)
        half = Z95 * terms.std(axis=1) / math.sqrt(n)
        out[name], out[f"{name}_lo"], out[f"{name}_hi"] = mean, mean - half, mean + half
    ordered = np.sort(own, axis=1)
    out["cells"] = 1 + np.count_nonzero(np.diff(ordered, axis=1), axis=1)
    return out


def _row_keys(bins: np.ndarray, spare_bits: float) -> np.ndarray:
    """(G, n) codes, equal exactly where two rows of one group have equal bins.

    Rows are read as numbers in base (max bin + 1) when that leaves ``spare_bits`` of an
    int64 free; otherwise each group's rows are ranked by ``np.unique`` (codes < n).
    """
    groups, n, d = bins.shape
    base = int(bins.max(initial=0)) + 1
    if d * math.log2(base) + spare_bits < 62:
        powers = base ** np.arange(d, dtype=np.int64)
        return bins.astype(np.int64) @ powers
    keys = np.empty((groups, n), dtype=np.int64)
    for g in range(groups):
        keys[g] = np.unique(bins[g], axis=0, return_inverse=True)[1].reshape(-1)
    return keys


def _own_counts(keys: np.ndarray) -> np.ndarray:
    """For each entry of ``keys`` (any shape), how many entries share its value."""
    _, inverse, counts = np.unique(keys.reshape(-1), return_inverse=True, return_counts=True)
    return counts[inverse].reshape(keys.shape)
