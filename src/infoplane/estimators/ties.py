"""The tie policy of the kNN and kernel estimators: spread edge atoms, refuse point masses,
jitter ties (see docs/estimators.md for what each step costs, measured).

kNN and kernel estimators assume a density; equal rows (ties) and values that many rows share
(point masses: ReLU zeros, quantised levels) break that. :func:`break_ties` applies the policy
to the variables of one estimate.
"""

from __future__ import annotations

import numpy as np

from infoplane.estimators.scaling import column_scale

#: Relative size of the tie-breaking jitter (as scikit-learn's mutual_info_regression and NPEET).
TIE_JITTER = 1e-10

#: A value that a coordinate takes in at least this share of the rows, and in at least
#: ``MIN_ATOM_ROWS`` rows, is a point mass.
ATOM_SHARE, MIN_ATOM_ROWS = 0.05, 5


def has_duplicate_rows(z: np.ndarray) -> bool:
    """True when two rows of (n, d) ``z`` are exactly equal."""
    if z.shape[1] == 1:
        s = np.sort(z[:, 0])
        return bool(np.any(s[1:] == s[:-1]))
    return len(np.unique(z, axis=0)) < len(z)


def jitter(z: np.ndarray, size: float, rng: np.random.Generator) -> np.ndarray:
    """z + size * s_j * N(0, 1) per coordinate j, s_j the coordinate's spread (1 if constant)."""
    spread = (z / column_scale(z)).std(axis=0) * column_scale(z)
    spread = np.where(spread > 0, spread, column_scale(z))
    return z + size * spread * rng.standard_normal(z.shape)


#: An extreme value that a coordinate takes in at least this share of the rows is an edge atom.
EDGE_ATOM_SHARE = 0.01


def spread_edge_atoms(z: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Spread each coordinate's point mass at its minimum (maximum) into the empty half-line below
    (above) it; returns the new samples and whether anything changed.

    A ReLU layer's exact zeros (or values clipped at 1) are a point mass at the edge of the
    coordinate's support. Replacing each such value a by a - |E| (a + |E| at the top), E ~
    N(0, s^2) with s the standard deviation of the other values, drawn independently of
    everything else,
    leaves every MI unchanged *exactly*: clipping at a recovers the original, and the added
    noise is independent of the other variable. The result has a density, which kNN and
    kernel estimators need. Extremes held by fewer than ``EDGE_ATOM_SHARE`` of the rows are
    left to the tie jitter.

    Args:
        z: (n, d) samples.
        rng: the source of E.
    """
    out, changed = z, False
    for j in range(z.shape[1]):
        col = z[:, j]
        for edge, sign in ((col.min(), -1.0), (col.max(), 1.0)):
            atom = col == edge
            count = int(atom.sum())
            if count < max(2, EDGE_ATOM_SHARE * len(col)) or count == len(col):
                continue
            rest = col[~atom]
            gap = np.abs(rest - edge)  # > 0; divided by its maximum so that no square overflows
            scale = float(np.std(gap / gap.max()) * gap.max())
            if not scale > 0:  # one other value: spread as far as it lies from the edge
                scale = float(gap.max())
            if out is z:
                out = z.copy()
            out[atom, j] = edge + sign * scale * np.abs(rng.standard_normal(count))
            changed = True
    return out, changed


def break_ties(parts: tuple[np.ndarray, ...] | list[np.ndarray], size: float | None, spread_edges: bool,
               seed: int, refuse_atoms: str | None = None) -> tuple[list[np.ndarray], dict[str, bool]]:
    """The tie policy of the kNN and kernel estimators, on the variables of one estimate.

    1. ``spread_edges``: point masses at a coordinate's edge are spread (exact, see
       :func:`spread_edge_atoms`).
    2. ``refuse_atoms`` (the estimator's name): remaining point masses are refused
       (:func:`refuse_point_masses`) before any jitter could hide them.
    3. If a part still has two equal rows, every part gets jitter of relative ``size``
       (:func:`jitter`); tie-free data are returned unchanged. ``size=None``: no jitter.

    Returns:
        the parts, and ``{"edge_atoms_spread": ..., "ties_jittered": ...}``.
    """
    rng = np.random.default_rng(seed)
    out, spread = [], False
    for part in parts:
        if spread_edges:
            part, changed = spread_edge_atoms(part, rng)
            spread = spread or changed
        out.append(part)
    if refuse_atoms is not None:
        for part, name in zip(out, ("x", "y"), strict=False):
            refuse_point_masses(part, name, refuse_atoms)
    tied = size is not None and any(has_duplicate_rows(p) for p in out)
    if tied:
        out = [jitter(p, size, rng) for p in out]
    return out, {"edge_atoms_spread": spread, "ties_jittered": tied}


def largest_atom(z: np.ndarray) -> tuple[int, float, float]:
    """(column, value, share of rows) of the most frequent single value of any coordinate."""
    best = (0, 0.0, 0.0)
    for j in range(z.shape[1]):
        values, counts = np.unique(z[:, j], return_counts=True)
        i = int(np.argmax(counts))
        if counts[i] / len(z) > best[2]:
            best = (j, float(values[i]), counts[i] / len(z))
    return best


def refuse_point_masses(z: np.ndarray, name: str, estimator: str) -> None:
    """``ValueError`` when a coordinate of ``z`` has a point mass (see :data:`ATOM_SHARE`).

    Entropy-based estimators (kl, wkl, kde) need a density; ReLU zeros, quantised levels and
    labels have none, and jitter does not repair that beyond one dimension (measured: kl gave
    8 nats for I(T;Y) <= ln 10 on 20 ReLU features).
    """
    j, value, share = largest_atom(z)
    if share == 1.0:
        raise ValueError(f"{estimator}: column {j} of {name} is constant ({value:g}); drop it, it "
                         "carries no information and has no density")
    if share >= ATOM_SHARE and share * len(z) >= MIN_ATOM_ROWS:
        raise ValueError(
            f"{estimator}: {name} has a point mass (column {j} equals {value:g} in {share:.0%} of the rows: "
            "ReLU zeros, quantised levels or labels); this estimator needs a density. Use ksg or ksg2 "
            "(they handle point masses), binning / discrete for discrete data, spread_edges=True "
            "when the mass sits at the edge of the values (ReLU zeros; exact, but see the docs for "
            "its bias), or noise=... to estimate the MI of the noisy variables instead"
        )

