"""Mutual-information estimators behind one registry.

    >>> from infoplane.estimators import build
    >>> build("ksg", k=5).estimate(x, y)          # nats

Importing a family module registers its estimators; add new families to the imports below.
"""

from infoplane.estimators import (  # noqa: F401  (register the families)
    binning,
    compressed,
    discrete,
    gaussian,
    kde,
    kde_bounds,
    knn_entropy,
    ksg,
    neural,  # mine, infonce, nwj; imports torch only when estimating
    sp,
)
from infoplane.estimators.base import LayerEstimator, MIEstimator
from infoplane.estimators.estimate import Estimate
from infoplane.estimators.registry import available, build, register

__all__ = ["Estimate", "LayerEstimator", "MIEstimator", "available", "build", "register"]
