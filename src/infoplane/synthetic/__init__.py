"""Sampling tasks with closed-form mutual information.

A task has ``sample(n, seed) -> (x, y)`` (rows are samples), a ``mutual_information`` in
nats, a ``name`` and ``params``. Build one by name: ``build_task("gaussian-pairs", dim_x=2,
dim_y=2, mi=1.0)``.

Families: Gaussians (``gaussian-pairs``, ``gaussian-dense``, ``gaussian-sparse``), bmi's
``student-t`` and ``additive-uniform``, any task seen through an injective map
(``transformed``: half-cube, asinh, normal-cdf, spiral), an LMI-style high-dimensional task of
low intrinsic dimension (``embedded``), Butakov et al.'s images (``gaussian-bumps``,
``rectangles``, ``correlated-bumps``; these also have ``sample_latent`` and ``render``, see
:mod:`.images`) and their ``anti-pca`` task (the information in the direction of least variance,
:mod:`.anti_pca`), and what networks produce (``relu-classes``: ReLU point masses against labels,
``quantized-gaussian``, ``rounded``: float16 / float32 storage; see :mod:`.network`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from infoplane.synthetic.anti_pca import AntiPCA
from infoplane.synthetic.embedded import Embedded
from infoplane.synthetic.gaussian import CorrelatedPairs, GaussianTask, dense, gaussian_mi, sparse
from infoplane.synthetic.images import CorrelatedBumps, GaussianBumps, ImageTask, Rectangles
from infoplane.synthetic.network import QuantizedGaussian, ReluClasses, Rounded, rounded
from infoplane.synthetic.student import AdditiveUniform, StudentT
from infoplane.synthetic.transforms import TRANSFORMS, Transformed


class Task(Protocol):
    name: str

    @property
    def mutual_information(self) -> float: ...

    @property
    def params(self) -> dict[str, Any]: ...

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]: ...


TASKS: dict[str, Callable[..., Task]] = {
    "gaussian-pairs": CorrelatedPairs,
    "gaussian-dense": dense,
    "gaussian-sparse": sparse,
    "student-t": StudentT,
    "additive-uniform": AdditiveUniform,
    "transformed": Transformed,
    "embedded": Embedded,
    "gaussian-bumps": GaussianBumps,
    "rectangles": Rectangles,
    "correlated-bumps": CorrelatedBumps,
    "anti-pca": AntiPCA,
    "relu-classes": ReluClasses,
    "quantized-gaussian": QuantizedGaussian,
    "rounded": rounded,
}


def build_task(name: str, **params: Any) -> Task:
    """Build the task family ``name`` with its parameters; ``ValueError`` names what is wrong."""
    try:
        factory = TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; available: {', '.join(sorted(TASKS))}") from None
    try:
        return factory(**params)
    except TypeError as err:
        raise ValueError(f"bad parameters for task {name!r}: {err}") from None


__all__ = [
    "AdditiveUniform", "AntiPCA", "CorrelatedBumps", "CorrelatedPairs", "Embedded", "GaussianBumps",
    "GaussianTask", "ImageTask", "QuantizedGaussian", "Rectangles", "ReluClasses", "Rounded", "StudentT",
    "TASKS", "TRANSFORMS", "Task", "Transformed", "build_task", "dense", "gaussian_mi", "rounded", "sparse",
]
