"""Name -> estimator class. Families register themselves with ``@register("name")``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from infoplane.estimators.base import MIEstimator

_REGISTRY: dict[str, type[MIEstimator]] = {}

E = TypeVar("E", bound=type[MIEstimator])


def register(name: str) -> Callable[[E], E]:
    """Class decorator that makes an estimator buildable as ``build(name, ...)``."""

    def add(cls: E) -> E:
        if name in _REGISTRY:
            raise ValueError(f"estimator name {name!r} is registered twice")
        _REGISTRY[name] = cls
        return cls

    return add


def available() -> list[str]:
    """Sorted names of every registered estimator."""
    return sorted(_REGISTRY)


def build(name: str, **params: Any) -> MIEstimator:
    """Build the estimator registered as ``name`` with keyword parameters ``params``.

    Raises:
        ValueError: for an unknown name, a parameter the estimator does not take, or a bad
            value; the message names the estimator and the parameter.
    """
    try:
        cls = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown estimator {name!r}; available: {', '.join(available())}") from None
    try:
        return cls(**params)
    except (TypeError, ValueError) as err:
        raise ValueError(f"bad parameters for estimator {name!r}: {err}") from None
