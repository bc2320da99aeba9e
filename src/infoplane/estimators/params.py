"""Checks of estimator parameters: each returns the value as its type or raises a ``ValueError``
naming the parameter, so that ``build(name, **params)`` fails at once with what to fix.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np


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



def check_optional_str(value: Any, name: str) -> str | None:
    """``value`` if it is a string or None, else ``ValueError``."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or None, got {value!r}")
    return value


def check_enough_for_k(n: int, k: int, what: str) -> None:
    """Raise ``ValueError`` unless n samples leave k neighbours for each point."""
    if k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")
    if n < k + 1:
        raise ValueError(f"{what} has {n} samples, fewer than k + 1 = {k + 1}; lower k or add samples")

