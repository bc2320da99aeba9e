"""Tasks that look like what networks produce: ReLU point masses, quantised levels, low precision.

    relu-classes        Y uniform over C classes, T = ReLU(mu_Y + Z), Z ~ N(0, I_d): about half
                        of T's values are exact zeros. I(T;Y) by Monte Carlo over the exact
                        posterior p(y | t) (below). ``independent=True`` draws the labels
                        independently of T (truth 0).
    quantized-gaussian  (X, Q): X ~ N(0, 1), Q = round((rho X + sqrt(1 - rho^2) E) / step), the
                        levels of a quantised layer, clipped to -levels .. levels when given
                        (a saturating quantiser). I(X;Q) = H(Q) - H(Q | X) by quadrature.
    rounded             any task whose samples are stored in float16 or float32; the truth is the
                        base task's (rounding loses a negligible amount: about 2^-11 relative).

The ReLU posterior: a coordinate t_j = 0 has probability Phi(-mu_yj) under class y, a positive
one the density phi(t_j - mu_yj); so p(t | y) is a product of CDF masses and densities over
the same coordinates for every class, and p(y | t) = p(t | y) / sum_c p(t | c) (uniform
classes) is exact. I(T;Y) = log C + E[log p(Y | T)], averaged over ``truth_samples`` draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy.special import log_ndtr, logsumexp


@dataclass
class ReluClasses:
    """ReLU features of class-conditional Gaussians (see the module doc).

    Args:
        dim: d, features per sample.
        n_classes: C, equally likely classes.
        spread: class means mu_yj ~ N(0, spread^2), drawn from ``means_seed`` (part of the task).
        independent: labels drawn independently of the features (I(T;Y) = 0).
        truth_samples: Monte Carlo size of the exact MI (its standard error is in ``truth_se``).
    """

    dim: int = 1
    n_classes: int = 10
    spread: float = 1.0
    independent: bool = False
    means_seed: int = 0
    truth_samples: int = 400_000
    name: str = "relu-classes"

    def __post_init__(self) -> None:
        if self.dim < 1 or self.n_classes < 2:
            raise ValueError(f"dim must be >= 1 and n_classes >= 2, got {self.dim}, {self.n_classes}")
        if not self.spread > 0:
            raise ValueError(f"spread must be positive, got {self.spread}")

    @property
    def params(self) -> dict[str, Any]:
        return {"dim": self.dim, "n_classes": self.n_classes, "spread": self.spread,
                "independent": self.independent, "means_seed": self.means_seed}

    @cached_property
    def means(self) -> np.ndarray:
        """(C, d) class means."""
        rng = np.random.default_rng(self.means_seed)
        return self.spread * rng.standard_normal((self.n_classes, self.dim))

    def _features(self, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.maximum(self.means[labels] + rng.standard_normal((len(labels), self.dim)), 0.0)

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """t (n, d) float64 with exact zeros, y (n,) int64 labels."""
        rng = np.random.default_rng(seed)
        labels = rng.integers(self.n_classes, size=n)
        t = self._features(labels, rng)
        if self.independent:
            labels = rng.integers(self.n_classes, size=n)
        return t, labels.astype(np.int64)

    def log_likelihoods(self, t: np.ndarray) -> np.ndarray:
        """(n, C) log p(t_i | y = c): CDF masses at zero coordinates, densities elsewhere."""
        z = t[:, None, :] - self.means[None]  # (n, C, d)
        zero = (t == 0)[:, None, :]
        log_density = -0.5 * z**2 - 0.5 * math.log(2 * math.pi)
        log_mass = log_ndtr(-self.means)[None]  # P(mu + Z <= 0) = Phi(-mu)
        return np.where(zero, log_mass, log_density).sum(axis=2)

    @cached_property
    def _truth(self) -> tuple[float, float]:
        if self.independent:
            return 0.0, 0.0
        t, labels = self.sample(self.truth_samples, seed=2**31 - 1)
        loglik = self.log_likelihoods(t)
        log_post = loglik[np.arange(len(t)), labels] - logsumexp(loglik, axis=1)
        terms = math.log(self.n_classes) + log_post
        return float(terms.mean()), float(terms.std() / math.sqrt(len(terms)))

    @property
    def mutual_information(self) -> float:
        """I(T;Y) in nats (Monte Carlo over the exact posterior; standard error ``truth_se``)."""
        return self._truth[0]

    @property
    def truth_se(self) -> float:
        """Standard error (nats) of the Monte Carlo truth."""
        return self._truth[1]


@dataclass
class QuantizedGaussian:
    """X ~ N(0, 1) and the quantised levels Q of a correlated Y (see the module doc).

    Args:
        correlation: rho of (X, Y).
        step: quantisation step of Y (unit variance); Q holds whole numbers round(Y / step).
        levels: clip Q to -levels .. levels (None: no clipping).
        as_float: return Q as float64 levels (how a quantised layer stores them) instead of int64.
    """

    correlation: float = 0.8
    step: float = 0.5
    levels: int | None = None
    as_float: bool = True
    name: str = "quantized-gaussian"
    params: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        if not (-1 < self.correlation < 1) or not self.step > 0:
            raise ValueError(f"need -1 < correlation < 1 and step > 0, got {self.correlation}, {self.step}")
        if self.levels is not None and self.levels < 1:
            raise ValueError(f"levels must be >= 1 or None, got {self.levels}")
        self.params = {"correlation": self.correlation, "step": self.step, "levels": self.levels,
                       "as_float": self.as_float}

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """x (n, 1) float64, q (n,) levels."""
        rng = np.random.default_rng(seed)
        x = rng.standard_normal(n)
        y = self.correlation * x + math.sqrt(1 - self.correlation**2) * rng.standard_normal(n)
        q = np.round(y / self.step)
        if self.levels is not None:
            q = np.clip(q, -self.levels, self.levels)
        return x[:, None], q if self.as_float else q.astype(np.int64)

    @property
    def mutual_information(self) -> float:
        """I(X;Q) = H(Q) - H(Q | X) in nats, by Gauss-Hermite quadrature over x."""
        from scipy.special import ndtr

        nodes, weights = np.polynomial.hermite_e.hermegauss(200)
        weights = weights / weights.sum()
        top = math.ceil(12 / self.step) if self.levels is None else self.levels
        levels = np.arange(-top, top + 1)
        upper, lower = (levels + 0.5) * self.step, (levels - 0.5) * self.step
        upper[-1], lower[0] = math.inf, -math.inf  # the end levels take the tails
        s = math.sqrt(1 - self.correlation**2)
        mean = self.correlation * nodes[:, None]
        p_q_x = ndtr((upper - mean) / s) - ndtr((lower - mean) / s)  # (nodes, levels)
        p_q = ndtr(upper) - ndtr(lower)
        plogp = lambda p: np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)  # noqa: E731
        return float(-plogp(p_q).sum() + weights @ plogp(p_q_x).sum(axis=1))


@dataclass
class Rounded:
    """A base task whose samples are cast to ``dtype`` (float16 or float32): the ties of storage."""

    base: Any
    dtype: str = "float16"
    name: str = "rounded"

    def __post_init__(self) -> None:
        if self.dtype not in ("float16", "float32"):
            raise ValueError(f"dtype must be 'float16' or 'float32', got {self.dtype!r}")

    @property
    def params(self) -> dict[str, Any]:
        return {"dtype": self.dtype, "base": self.base.name, **self.base.params}

    @property
    def mutual_information(self) -> float:
        """The base task's MI (nats); rounding to the stored precision is not accounted for."""
        return self.base.mutual_information

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.base.sample(n, seed)
        return x.astype(self.dtype), y.astype(self.dtype)


def rounded(dtype: str = "float16", task: str = "gaussian-dense", **params: Any) -> Rounded:
    """``build_task("rounded", dtype="float16", task="gaussian-dense", dim_x=5, dim_y=5)``."""
    from infoplane.synthetic import build_task

    if task == "rounded":
        raise ValueError("rounded: the base task must be another task")
    return Rounded(build_task(task, **params), dtype)
