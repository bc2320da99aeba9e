"""Injective maps applied to each side of a task: the MI stays the base task's (bmi).

    half-cube    t -> t sqrt(|t|)                    (elementwise)
    asinh        t -> asinh(t)                       (elementwise)
    normal-cdf   t -> Phi(t)                         (elementwise; uniform margins on Gaussians)
    spiral       x -> exp(s ||x||^2 A) x             (A: rotation generator of one coordinate
                                                      plane, as in bmi: (0, 1) for X, (1, 2) for
                                                      Y when d_y >= 3; s = speed)

The spiral is injective because exp(s ||x||^2 A) is orthogonal, so it keeps ||x|| and the map
is undone by rotating back by the same angle. In one dimension it is the identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import ndtr


def half_cube(z: np.ndarray) -> np.ndarray:
    return z * np.sqrt(np.abs(z))


def spiral(z: np.ndarray, speed: float, plane: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Rotate coordinates ``plane`` of each row of (n, d) ``z`` by the angle speed * ||row||^2."""
    if z.shape[1] < 2:
        return z
    i, j = plane
    angle = speed * np.sum(z**2, axis=1)
    c, s = np.cos(angle), np.sin(angle)
    out = z.copy()
    out[:, i] = c * z[:, i] - s * z[:, j]
    out[:, j] = s * z[:, i] + c * z[:, j]
    return out


ELEMENTWISE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "half-cube": half_cube,
    "asinh": np.arcsinh,
    "normal-cdf": ndtr,
}
TRANSFORMS = [*ELEMENTWISE, "spiral"]


@dataclass
class Transformed:
    """The task ``base`` (a TASKS name with ``base_params``) seen through ``transform``.

    Args:
        base: name of the base task, for example ``gaussian-sparse``.
        transform: one of ``half-cube``, ``asinh``, ``normal-cdf``, ``spiral``.
        base_params: the base task's parameters.
        speed: the spiral's speed s; ``None`` means 1 / dimension of each side (bmi's choice).
    """

    base: str
    transform: str
    base_params: dict[str, Any] = field(default_factory=dict)
    speed: float | None = None
    name: str = "transformed"

    def __post_init__(self) -> None:
        from infoplane.synthetic import build_task  # the registry lives in the package

        if self.transform not in TRANSFORMS:
            raise ValueError(f"unknown transform {self.transform!r}; available: {', '.join(TRANSFORMS)}")
        self._base = build_task(self.base, **self.base_params)

    @property
    def params(self) -> dict[str, Any]:
        return {"base": self.base, "transform": self.transform, "base_params": self.base_params,
                "speed": self.speed}

    @property
    def mutual_information(self) -> float:
        """True I(X;Y) in nats: the base task's, since the map is injective on each side."""
        return self._base.mutual_information

    def apply(self, z: np.ndarray, side: str = "x") -> np.ndarray:
        """(n, d) -> (n, d), the transform applied to one side (``"x"`` or ``"y"``)."""
        if self.transform == "spiral":
            plane = (1, 2) if side == "y" and z.shape[1] >= 3 else (0, 1)
            return spiral(z, self.speed if self.speed is not None else 1.0 / z.shape[1], plane)
        return ELEMENTWISE[self.transform](z)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The base task's samples for this seed, transformed: shapes as the base task's."""
        x, y = self._base.sample(n, seed)
        return self.apply(x, "x"), self.apply(y, "y")
