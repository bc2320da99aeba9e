"""The information-bottleneck (IB) curve of a discrete joint distribution p(x, y).

The IB curve is the frontier max { I(T;Y) : I(X;T) <= r } over encoders p(t|x) (Markov chain
T - X - Y). Two iterative solvers trace it over the trade-off parameter beta, each a
Blahut-Arimoto-style fixed-point iteration on the encoder q(t|x):

- ``ib`` (Tishby, Pereira & Bialek 1999):
  q(t|x) ~ p(t) exp(-beta KL[p(y|x) || p(y|t)]), with p(y|t) = sum_x p(y|x) p(x|t);
- ``dual`` (the dual IB of Piran, Shwartz-Ziv & Tishby 2020): the KL arguments swapped,
  q(t|x) ~ p(t) exp(-beta KL[p_beta(y|t) || p(y|x)]), with the decoder the normalised geometric
  mean p_beta(y|t) ~ prod_x p(y|x)^{p(x|t)}. It needs p(y|x) > 0 everywhere (smooth
  deterministic labels first: :func:`smoothed`).

Both are swept over an increasing beta grid, each beta warm-started from the previous solution
with a small perturbation (deterministic annealing), and report I(X;T) and I(T;Y) of the encoder
in nats, I(T;Y) always from the true joint p(t, y) = sum_x p(x) q(t|x) p(y|x).

With deterministic labels (Y = f(X)) the curve is known in closed form, I(T;Y) = min(I(X;T), H(Y))
(:func:`deterministic_ib_bound`), and the IB Lagrangian reaches only its two corners (0, 0) and
(H(Y), H(Y)) (Kolchinsky, Tracey & Van Kuyk 2019): the sweep jumps between them at beta = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

METHODS = ("ib", "dual")


@dataclass(frozen=True)
class IBCurve:
    """Points of an IB sweep, all arrays of shape (n_beta,); informations in nats."""

    beta: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray
    iterations: np.ndarray
    method: str


def joint_from_labels(y: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """p(x, y) of (n, n_classes) for X uniform over n inputs with deterministic labels ``y`` (n,)."""
    y = np.asarray(y, dtype=np.int64)
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    joint = np.zeros((len(y), n_classes))
    joint[np.arange(len(y)), y] = 1.0 / len(y)
    return joint


def smoothed(joint: np.ndarray, epsilon: float) -> np.ndarray:
    """Mix p(y|x) with the uniform label distribution: (1 - epsilon) p(y|x) + epsilon / |Y|."""
    if not 0.0 < epsilon < 1.0:
        raise ValueError(f"epsilon must be in (0, 1), got {epsilon}")
    p_x = joint.sum(1, keepdims=True)
    p_y_x = joint / p_x
    return p_x * ((1 - epsilon) * p_y_x + epsilon / joint.shape[1])


def deterministic_ib_bound(i_xt: np.ndarray, h_y: float) -> np.ndarray:
    """The IB curve for deterministic labels: min(I(X;T), H(Y)) (same units as the inputs)."""
    return np.minimum(np.asarray(i_xt, dtype=float), h_y)


def mutual_information(joint: np.ndarray) -> float:
    """I(A;B) in nats of a joint probability table (n_a, n_b)."""
    p_a = joint.sum(1, keepdims=True)
    p_b = joint.sum(0, keepdims=True)
    mask = joint > 0
    return float(np.sum(joint[mask] * np.log(joint[mask] / (p_a @ p_b)[mask])))


def ib_sweep(
    joint: np.ndarray,
    betas: np.ndarray,
    n_clusters: int = 8,
    method: str = "ib",
    max_iter: int = 500,
    tol: float = 1e-9,
    seed: int = 0,
) -> IBCurve:
    """Solve the IB (or dual IB) at each beta of an increasing grid.

    Args:
        joint: p(x, y), shape (n_x, n_y), non-negative, summing to 1; inputs with p(x) = 0 are
            not allowed.
        betas: increasing trade-off parameters, shape (n_beta,).
        n_clusters: |T|, the encoder's number of values.
        method: ``ib`` or ``dual``.
        max_iter, tol: stop a beta's iteration after max_iter steps or when the encoder moves
            less than tol (max absolute change).
        seed: seed of the random initial encoder and the annealing perturbations.
    """
    joint = np.asarray(joint, dtype=float)
    betas = np.asarray(betas, dtype=float)
    if method not in METHODS:
        raise ValueError(f"unknown IB method {method!r}; choose one of {', '.join(METHODS)}")
    if joint.ndim != 2 or np.any(joint < 0) or not np.isclose(joint.sum(), 1.0):
        raise ValueError("joint must be a non-negative (n_x, n_y) table that sums to 1")
    p_x = joint.sum(1)
    if np.any(p_x <= 0):
        raise ValueError("every x needs p(x) > 0; drop the empty rows of the joint")
    if np.any(np.diff(betas) <= 0) or betas[0] <= 0:
        raise ValueError("betas must be positive and increasing")
    p_y_x = joint / p_x[:, None]
    if method == "dual" and np.any(p_y_x <= 0):
        raise ValueError("the dual IB needs p(y|x) > 0 for every x, y; smooth the labels with smoothed()")
    with np.errstate(divide="ignore"):
        log_p_y_x = np.log(p_y_x)  # -inf where p(y|x) = 0, only ever multiplied by p(y|x) (IB)
    neg_h_y_x = np.sum(p_y_x * np.log(np.where(p_y_x > 0, p_y_x, 1.0)), axis=1)  # (n_x,)

    rng = np.random.default_rng(seed)
    log_q = np.log(rng.dirichlet(np.ones(n_clusters), size=len(p_x)))
    i_xt, i_ty, iters = [], [], []
    for beta in betas:
        # anneal: perturb the previous solution so that clusters can split at a phase transition
        log_q = log_q + 0.01 * rng.standard_normal(log_q.shape)
        log_q -= logsumexp(log_q, axis=1, keepdims=True)
        step = 0
        while step < max_iter:
            step += 1
            new = _update(log_q, p_x, p_y_x, log_p_y_x, neg_h_y_x, beta, method)
            moved = float(np.max(np.abs(np.exp(new) - np.exp(log_q))))
            log_q = new
            if moved < tol:
                break
        q = np.exp(log_q)
        i_xt.append(mutual_information(p_x[:, None] * q))
        i_ty.append(mutual_information((p_x[:, None] * q).T @ p_y_x))
        iters.append(step)
    return IBCurve(betas, np.array(i_xt), np.array(i_ty), np.array(iters), method)


def _update(log_q, p_x, p_y_x, log_p_y_x, neg_h_y_x, beta, method) -> np.ndarray:
    """One fixed-point step: the new log q(t|x), (n_x, n_t)."""
    q = np.exp(log_q)
    p_t = np.maximum(p_x @ q, 1e-300)  # (n_t,)
    p_x_t = q * p_x[:, None] / p_t  # (n_x, n_t): p(x|t), columns sum to 1
    if method == "ib":
        p_y_t = np.maximum(p_x_t.T @ p_y_x, 1e-300)  # (n_t, n_y)
        # KL[p(y|x) || p(y|t)] = sum_y p(y|x) log p(y|x) - sum_y p(y|x) log p(y|t)
        distortion = neg_h_y_x[:, None] - p_y_x @ np.log(p_y_t).T
    else:
        log_p_y_t = p_x_t.T @ log_p_y_x  # geometric mean, then normalise over y
        log_p_y_t -= logsumexp(log_p_y_t, axis=1, keepdims=True)
        p_y_t = np.exp(log_p_y_t)
        # KL[p(y|t) || p(y|x)] = sum_y p(y|t) log p(y|t) - sum_y p(y|t) log p(y|x)
        distortion = np.sum(p_y_t * log_p_y_t, axis=1)[None, :] - log_p_y_x @ p_y_t.T
    new = np.log(p_t)[None, :] - beta * distortion
    return new - logsumexp(new, axis=1, keepdims=True)
