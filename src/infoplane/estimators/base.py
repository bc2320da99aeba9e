"""The one interface every MI estimator keeps, and the input checks they share.

Contract (see docs/architecture.md): samples are rows, ``x`` has shape (n, d_x), ``y`` has
shape (n, d_y) or, when discrete, is a label array of shape (n,). Every value is in nats. An
estimator is built by name from the registry in :mod:`infoplane.estimators` and answers
``estimate(x, y) -> float``; ``estimate_with_interval`` adds an approximate interval and the
sanity flags (see :data:`FLAG_TEXT`), which a plain ``estimate`` turns into a ``UserWarning``.

Every estimator reads its arrays through :func:`to_array` (lists, pandas, NumPy of any width,
torch tensors on any device, with or without grad) and then :func:`as_samples` (continuous
values) or :func:`resolve_y` (labels or values, by ``discrete_y``). Wrong kinds of data
(complex, strings, objects, booleans as continuous values) are refused there, with the
argument's name, before any numerical code sees them.
"""

from __future__ import annotations

import math
import numbers
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np


class InputTypeError(TypeError, ValueError):
    """Data of the wrong kind (complex, text, objects, booleans as values).

    A ``TypeError`` by nature, and a ``ValueError`` too, so that every caller that reports bad
    input as one line (the CLI, the analysis tables) reports this one the same way.
    """


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


def label_entropy(labels: np.ndarray) -> float:
    """Plug-in entropy (nats) of (n,) labels."""
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


def warn_flags(est: Estimate, who: str, stacklevel: int = 3) -> None:
    """One ``UserWarning`` naming every flag of ``est`` and what it means."""
    if est.flags:
        text = "; ".join(f"{flag}: {FLAG_TEXT.get(flag, flag)}" for flag in est.flags)
        warnings.warn(f"{who} estimate {est.mi:.4g} nats is flagged ({text})", UserWarning,
                      stacklevel=stacklevel)


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


# --- parameters -----------------------------------------------------------------------------


def check_int(value: Any, name: str, minimum: int | None = 1) -> int:
    """``value`` as an int >= ``minimum``; ``ValueError`` for bools, fractions and other types.

    Whole floats (5.0) are accepted: YAML and JSON writers sometimes produce them.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not (math.isfinite(float(value)) and float(value) == int(value)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_float(value: Any, name: str, *, positive: bool = False, nonnegative: bool = False) -> float:
    """``value`` as a finite float; numeric strings ("1e-3", which YAML 1.1 reads as text) pass."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value) if isinstance(value, numbers.Real | str) else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if positive and not number > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    if nonnegative and number < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return number


def check_bool(value: Any, name: str) -> bool:
    """``value`` if it is a bool (``True``/``False``), else ``ValueError``."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def check_choice(value: Any, name: str, choices: tuple[Any, ...]) -> Any:
    """``value`` if it is one of ``choices``, else ``ValueError`` listing them."""
    if isinstance(value, bool) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_discrete(value: Any, name: str = "discrete_y") -> str | bool:
    """``"auto"``, ``True`` or ``False``."""
    if value == "auto" or isinstance(value, bool | np.bool_):
        return value if value == "auto" else bool(value)
    raise ValueError(f"{name} must be 'auto', true or false, got {value!r}")


def check_optional_str(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or None, got {value!r}")
    return value


# --- input conversion ------------------------------------------------------------------------


def to_array(a: Any, name: str) -> np.ndarray:
    """The one conversion of user data to NumPy, shape and dtype kept (except torch's bfloat16).

    Accepts NumPy arrays, nested lists, pandas DataFrames and Series, and torch tensors (any
    device, with or without grad: detached and copied to the CPU). Raises ``TypeError`` naming
    ``name`` for complex values, strings, dates and Python objects.
    """
    module = type(a).__module__.split(".")[0]
    if module == "torch" and hasattr(a, "detach"):
        t = a.detach().cpu()
        if str(t.dtype) == "torch.bfloat16":  # NumPy has no bfloat16
            t = t.float()
        a = t.resolve_conj().numpy() if t.is_complex() else t.numpy()
    elif module == "pandas" and hasattr(a, "to_numpy"):
        a = a.to_numpy()
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{name} cannot be read as an array ({err}); give one row of equal length "
                         "per sample") from None
    if arr.dtype.kind == "c":
        raise InputTypeError(f"{name} is complex ({arr.dtype}); MI estimators take real values: pass the "
                        "real and imaginary parts as separate columns, np.column_stack([z.real, z.imag])")
    if arr.dtype.kind not in "biuf":
        hint = " (mixed or missing values in a list or DataFrame?)" if arr.dtype == object else ""
        raise InputTypeError(f"{name} must be numeric (numbers), got dtype {arr.dtype}{hint}")
    return arr


def as_samples(a: Any, name: str, min_samples: int = 2) -> np.ndarray:
    """Check a continuous sample array and return it as float64 of shape (n, d).

    A 1-D array is read as n samples of one coordinate. Raises ``TypeError`` for a boolean or
    non-numeric array and ``ValueError`` naming ``name`` for a wrong rank, too few samples, or
    NaN / inf values (also values beyond float64's range).
    """
    arr = to_array(a, name)
    if arr.dtype == bool:
        raise InputTypeError(f"{name} is boolean, which is a category, not a continuous value: give it as "
                        "integer labels y (or use the discrete estimator), or cast to float if you "
                        "mean the numbers 0 and 1")
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
    with np.errstate(over="ignore"):
        arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite values; remove or impute them")
    return arr


def integer_valued(arr: np.ndarray) -> bool:
    """True for integer or boolean dtypes, and for finite floats that are all whole numbers."""
    if arr.dtype.kind in "biu":
        return True
    return bool(arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)))


def resolve_y(y: Any, discrete_y: str | bool, *, min_samples: int = 2) -> tuple[np.ndarray, bool]:
    """``y`` as (labels (n,) int64, True) or (samples (n, d) float64, False).

    ``discrete_y``: ``True`` reads y as labels (one class per distinct value, or per distinct
    row); ``False`` as continuous values; ``"auto"`` as labels when y is a 1-D integer or
    boolean array, and also, with a ``UserWarning``, when it is an (n, 1) integer column or
    1-D / (n, 1) floats that are all whole numbers (labels stored as floats), so the same labels
    never give a different number because of their dtype or shape.
    """
    discrete_y = check_discrete(discrete_y)
    arr = to_array(y, "y")
    if discrete_y is True:
        return as_labels(arr, "y"), True
    if discrete_y is False:
        return as_samples(arr, "y", min_samples), False
    if arr.ndim == 1 and arr.dtype.kind in "biu":
        return as_labels(arr, "y"), True
    column = arr.ndim == 2 and arr.shape[1] == 1
    if (arr.ndim == 1 or column) and len(arr) and integer_valued(arr):
        warnings.warn(
            f"y ({arr.dtype}, shape {arr.shape}) holds whole numbers only and is read as class labels "
            "(as a 1-D integer array would be); pass discrete_y=True to confirm, or discrete_y=False "
            "if y is a continuous variable", UserWarning, stacklevel=3)
        return as_labels(arr, "y"), True
    return as_samples(arr, "y", min_samples), False


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


def column_scale(z: np.ndarray) -> np.ndarray:
    """(d,) largest absolute value of each column (1 for an all-zero column).

    Dividing by it first keeps the sums of squares of a standard deviation or a covariance
    inside float64 for values at 1e-200 or 1e200.
    """
    scale = np.max(np.abs(z), axis=0)
    return np.where(scale > 0, scale, 1.0)


def standardize(z: np.ndarray) -> np.ndarray:
    """(n, d) -> (n, d) with zero mean and unit variance per column (constant columns centred).

    Stable at any scale: each column is divided by its largest magnitude first.
    """
    z = z / column_scale(z)
    z = z - z.mean(axis=0)
    std = z.std(axis=0)
    return z / np.where(std > 0, std, 1.0)


def is_labels(a: Any) -> bool:
    """True when ``a`` is a 1-D integer (or boolean) array: discrete labels of shape (n,)."""
    try:
        arr = to_array(a, "y")
    except (TypeError, ValueError):
        return False
    return arr.ndim == 1 and arr.dtype.kind in "biu"


def as_labels(a: Any, name: str) -> np.ndarray:
    """Labels of shape (n,) as int64: whole numbers kept, anything else coded by distinct value.

    Accepts (n,) or (n, d) arrays; each distinct row of an (n, d) array is one class.
    """
    arr = to_array(a, name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim not in (1, 2) or len(arr) == 0:
        raise ValueError(f"{name} must be labels of shape (n,) or (n, d), got shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; they are not labels")
    if arr.ndim == 1 and integer_valued(arr) and (arr.dtype.kind != "f" or np.abs(arr).max() < 2**62):
        return arr.astype(np.int64, copy=False)
    return np.unique(arr, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def check_same_length(x: Any, y: Any) -> None:
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


# --- ties and point masses -------------------------------------------------------------------

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
