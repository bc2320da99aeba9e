"""Goldfeld et al.'s sample-propagation (SP) estimator for noisy layers (``sp``).

A noisy layer is T = S + N(0, beta^2 I), S the layer's noiseless output. Given samples
S_1 .. S_n of S, SP estimates h(T) by the entropy of the Gaussian mixture

    g = (1/n) sum_j N(S_j, beta^2 I),
    log g(t) = logsumexp_j(-||t - S_j||^2 / (2 beta^2)) - log n - d/2 log(2 pi beta^2),

computed by Monte Carlo with n_mc draws per centre:
    h(g) ~ -1/(n n_mc) sum_i sum_k log g(S_i + Z_ik),   Z_ik ~ N(0, beta^2 I) (seeded).
The Monte Carlo error falls like 1/sqrt(n n_mc) (Goldfeld et al.: MSE <= 2d(2 + beta^2) /
(beta^2 n n_mc) for S in [-1, 1]^d).

``gaussian_mixture_entropy`` is public so that deeper layers' conditional terms
h(T | X = x_i), estimated from repeated noisy passes of x_i, use the same code;
``mixture_entropies`` computes thousands of such small mixtures in one batched pass (the same
numbers as one call each, to float rounding), and ``entropy_and_label_information`` gives h(T)
and I(T;Y) from one set of Monte Carlo draws.

Estimator arguments (a layer estimator, :class:`~infoplane.estimators.base.LayerEstimator`),
``s`` (n, d) the noiseless outputs S(x_i) of the first noisy layer (or of any layer with no
noise before it), so that T | X = x_i is exactly N(S(x_i), beta^2 I) and
h(T | X) = d/2 log(2 pi e beta^2).
- ``estimate_layer(s)``: I(X;T) = h(g) - d/2 log(2 pi e beta^2), the rows of X distinct inputs,
  equally likely.
- ``estimate_layer(s, labels=y)`` or ``estimate(s, y)`` with integer labels (n,):
  I(T;Y) = h(g) - sum_y p(y) h(g_y), g_y the mixture of class y's centres, evaluated at the
  same Monte Carlo draws. A continuous second argument is refused.
Interval: pointwise spread over centres of each centre's Monte Carlo mean (it contains the
Monte Carlo noise; the centres are not independent of the mixture, so it is indicative).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from infoplane.arrays import as_labels, as_samples, check_same_length
from infoplane.estimators.base import LayerEstimator, class_conditional
from infoplane.estimators.estimate import Estimate, sanity_flags
from infoplane.estimators.pairwise import gaussian_logsumexp, row_blocks
from infoplane.estimators.params import check_float, check_int, check_optional_str
from infoplane.estimators.registry import register


def mc_draws(centres: np.ndarray, beta: float, n_mc: int, seed: int) -> np.ndarray:
    """(n, n_mc, d) points S_i + Z_ik with Z_ik ~ N(0, beta^2 I), drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    n, d = centres.shape
    return centres[:, None, :] + beta * rng.standard_normal((n, n_mc, d))


def neg_log_mixture(
    queries: np.ndarray, centres: np.ndarray, beta: float, chunk: int | None = None, device: str | None = None
) -> np.ndarray:
    """(m,) -log g(q) at queries (m, d) of the mixture (1/n) sum_j N(centres_j, beta^2 I) (nats)."""
    n, d = centres.shape
    lse = gaussian_logsumexp(queries, centres, beta, chunk=chunk, device=device)
    return -(lse - math.log(n) - 0.5 * d * math.log(2 * math.pi * beta**2))


def check_sp_params(beta: float, n_mc: int) -> None:
    if not (beta > 0 and math.isfinite(beta)):
        raise ValueError(f"beta (the noise standard deviation) must be positive and finite, got {beta}")
    if n_mc < 1:
        raise ValueError(f"n_mc must be a positive number of Monte Carlo draws per centre, got {n_mc}")


def marginal_terms(
    centres: np.ndarray, beta: float, n_mc: int, seed: int,
    chunk: int | None = None, device: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The Monte Carlo draws of the mixture on ``centres`` and -log g at each (nats).

    Every SP quantity starts here: h(g) is the mean of the terms, and I(T;Y) evaluates the
    class mixtures at the same draws, which is why the draws are returned too.

    Args:
        centres: (n, d) mixture centres; beta: noise standard deviation; n_mc: draws per centre;
        seed: seed of the draws; chunk, device: passed to the pairwise kernel.

    Returns:
        draws (n, n_mc, d) and terms (n, n_mc), terms[i, k] = -log g(draws[i, k]).
    """
    check_sp_params(beta, n_mc)
    n, d = centres.shape
    draws = mc_draws(centres, beta, n_mc, seed)
    terms = neg_log_mixture(draws.reshape(n * n_mc, d), centres, beta, chunk, device)
    return draws, terms.reshape(n, n_mc)


def gaussian_mixture_entropy(
    centres: np.ndarray,
    beta: float,
    n_mc: int = 10,
    seed: int = 0,
    chunk: int | None = None,
    device: str | None = None,
) -> Estimate:
    """Differential entropy (nats) of (1/n) sum_j N(centres_j, beta^2 I) by Monte Carlo.

    Args:
        centres: (n, d) mixture centres (samples of a noiseless layer S).
        beta: noise standard deviation.
        n_mc: draws per centre.
        seed: seed of the draws.
        chunk, device: passed to the pairwise kernel (memory O(chunk x n)).

    Returns:
        The estimate with a pointwise interval over centres (see module doc).
    """
    centres = as_samples(centres, "centres", min_samples=1)
    _, terms = marginal_terms(centres, beta, n_mc, seed, chunk, device)
    return Estimate.from_terms(terms.mean(axis=1))


def mixture_entropies(
    centres: np.ndarray, beta: float, n_mc: int, seeds: np.ndarray, block_elements: int = 2**22
) -> np.ndarray:
    """Entropies (nats) of k mixtures (1/n) sum_j N(centres[i, j], beta^2 I), one batched pass.

    Mixture i is ``gaussian_mixture_entropy(centres[i], beta, n_mc, seeds[i]).mi`` (the same draws,
    the same number to float rounding): the conditional entropies h(T | X = x_i) of sample
    propagation, one small mixture per input, which one call each would spend in per-call
    overhead. Squared distances are ||q||^2 + ||c||^2 - 2 q.c with each mixture's points centred
    on its centres' mean: the draws lie within a few beta of the centres, so the cancellation
    costs digits only when the centres themselves lie ~1e5 beta apart.

    Args:
        centres: (k, n, d) the centres of each mixture.
        beta: noise standard deviation.
        n_mc: draws per centre.
        seeds: (k,) the seed of each mixture's draws.
        block_elements: squared distances held at once (8 bytes each).

    Returns:
        (k,) entropies.
    """
    import torch

    centres = np.asarray(centres, dtype=np.float64)
    if centres.ndim != 3 or len(seeds) != len(centres):
        raise ValueError(f"centres must be (k, n, d) with one seed per mixture, got {centres.shape} and "
                         f"{len(seeds)} seeds")
    check_sp_params(beta, n_mc)
    k, n, d = centres.shape
    draws = np.stack([mc_draws(c, beta, n_mc, int(seed)).reshape(n * n_mc, d)
                      for c, seed in zip(centres, seeds, strict=True)])
    constant = math.log(n) + 0.5 * d * math.log(2 * math.pi * beta**2)
    per_block = max(1, block_elements // (n * n_mc * n))
    out = np.empty(k)
    origin = centres.mean(axis=1, keepdims=True)
    queries, points = torch.from_numpy(draws - origin), torch.from_numpy(centres - origin)
    for start, stop in row_blocks(k, per_block):
        q, c = queries[start:stop], points[start:stop]      # (b, n n_mc, d), (b, n, d)
        d2 = torch.baddbmm((c * c).sum(dim=-1)[:, None, :], q, c.transpose(1, 2), alpha=-2.0)
        d2.add_((q * q).sum(dim=-1, keepdim=True)).clamp_(min=0.0).mul_(-0.5 / beta**2)
        out[start:stop] = (constant - torch.logsumexp(d2, dim=-1)).mean(dim=-1).numpy()
    return out


def entropy_and_label_information(
    s: np.ndarray, labels: np.ndarray, beta: float, n_mc: int = 10, seed: int = 0,
    chunk: int | None = None, device: str | None = None,
) -> tuple[Estimate, Estimate]:
    """h(T) (the mixture on the rows of ``s``) and I(T;Y) from the same Monte Carlo draws (nats).

    The same numbers as ``gaussian_mixture_entropy(s, ...)`` and ``SamplePropagation(...)
    .estimate_layer(s, labels)`` with the same seed, for the cost of one marginal pass.

    Args:
        s: (n, d) the layer's noiseless outputs, one row per input; labels: (n,) integer labels.
        beta, n_mc, seed, chunk, device: as for :class:`SamplePropagation`.

    Returns:
        (h(T), I(T;Y)), each with its pointwise interval; I(T;Y) carries the sanity flags.
    """
    n, d = s.shape
    draws, marginal = marginal_terms(s, beta, n_mc, seed, chunk, device)

    def within_class(rows: np.ndarray, _: int) -> np.ndarray:
        terms = neg_log_mixture(draws[rows].reshape(-1, d), s[rows], beta, chunk, device)
        return terms.reshape(-1, n_mc)

    conditional = class_conditional(within_class, labels)
    information = Estimate.from_terms((marginal - conditional).mean(axis=1))
    return (Estimate.from_terms(marginal.mean(axis=1)),
            information.with_flags(*sanity_flags(information, n=n, labels=labels)))


@register("sp")
class SamplePropagation(LayerEstimator):
    """SP estimate of I(X;T) (or I(T;Y)) for a single noisy layer; see the module doc.

    Args:
        beta: noise standard deviation of the layer (required: it sets the result's scale).
        n_mc: Monte Carlo draws per centre.
        seed: seed of the draws.
        chunk, device: passed to the pairwise kernel.
    """

    name = "sp"

    def __init__(
        self, beta: float, n_mc: int = 10, seed: int = 0, chunk: int | None = None, device: str | None = None
    ) -> None:
        beta = check_float(beta, "beta", positive=True)  # "1e-1" from YAML 1.1 is a string
        n_mc, seed = check_int(n_mc, "n_mc"), check_int(seed, "seed", minimum=0)
        chunk = None if chunk is None else check_int(chunk, "chunk")
        device = check_optional_str(device, "device")
        super().__init__(beta=beta, n_mc=n_mc, seed=seed, chunk=chunk, device=device)
        self.beta, self.n_mc, self.seed = beta, n_mc, seed
        self.chunk, self.device = chunk, device

    def estimate_layer(self, t: Any, labels: Any = None) -> Estimate:
        s = as_samples(t, "s (the layer's noiseless outputs)", min_samples=1)
        if labels is not None:
            labels = as_labels(labels, "labels")
            check_same_length(s, labels)  # before the Monte Carlo work, not after it
            return entropy_and_label_information(s, labels, self.beta, self.n_mc, self.seed, self.chunk,
                                                 self.device)[1]
        n, d = s.shape
        _, marginal = marginal_terms(s, self.beta, self.n_mc, self.seed, self.chunk, self.device)
        noise_entropy = 0.5 * d * math.log(2 * math.pi * math.e * self.beta**2)
        est = Estimate.from_terms(marginal.mean(axis=1), offset=-noise_entropy)
        saturated = n > 1 and est.mi > math.log(n) - 0.01
        return est.with_flags(*(("saturated",) if saturated else ()))
