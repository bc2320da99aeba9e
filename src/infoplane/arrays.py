"""The one conversion of user data to sample and label arrays, and the plug-in entropy of labels.

Estimators, compressors, the analysis and the datasets all read their arrays here, so this
module imports nothing of the project: lists, pandas, NumPy of any width and torch tensors (any
device, with or without grad) go through :func:`to_array`, then :func:`as_samples` (continuous
values), :func:`as_labels` (classes) or :func:`resolve_y` (either, by ``discrete_y``). Wrong
kinds of data (complex, strings, objects, booleans as continuous values) are refused there,
with the argument's name, before any numerical code sees them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np


class InputTypeError(TypeError, ValueError):
    """Data of the wrong kind (complex, text, objects, booleans as values).

    A ``TypeError`` by nature, and a ``ValueError`` too, so that every caller that reports bad
    input as one line (the CLI, the analysis tables) reports this one the same way.
    """


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


def check_discrete(value: Any, name: str = "discrete_y") -> str | bool:
    """``"auto"``, ``True`` or ``False``."""
    if value == "auto" or isinstance(value, bool | np.bool_):
        return value if value == "auto" else bool(value)
    raise ValueError(f"{name} must be 'auto', true or false, got {value!r}")


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


def label_entropy(labels: np.ndarray) -> float:
    """Plug-in entropy H(Y) in nats of (n,) labels (any values; each distinct value one class).

    The one plug-in entropy of the project: the flags' H(Y) ceiling, the h_y of the MI tables
    and the datasets' label entropies all come from here.
    """
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))

