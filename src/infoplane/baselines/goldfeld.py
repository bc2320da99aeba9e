"""Goldfeld et al. (2019): noisy networks and sample propagation (SP).

In a noisy network T_l = S_l + Z_l, S_l = f_l(T_{l-1}), Z_l ~ N(0, beta^2 I), the information
I(X;T_l) is finite and depends on the weights. With X uniform over m inputs,

    I(X;T_l) = h(P_{S_l} * phi_beta) - (1/m) sum_i h(P_{S_l | X = x_i} * phi_beta),

and SP estimates each entropy by the entropy of the Gaussian mixture centred on samples of S_l
(:func:`infoplane.estimators.sp.gaussian_mixture_entropy`). The unconditional samples are one
noisy pass of every input; the conditional ones, for input x_i, are ``n_cond`` fresh noisy
passes of x_i (noise in layers < l). For l = 1, S_1 = f_1(x_i) is deterministic and
h(T_1 | X) = d/2 log(2 pi e beta^2) exactly. I(T_l;Y) is the same with the classes in place of
the inputs (``sp`` estimator on the unconditional samples).

The single neuron: T = tanh(w X + b) + Z, X uniform on {-3, -1, 1, 3}. As w grows the four
points tanh(w x) first separate (I -> 2 bits), then saturate in pairs at -1 and +1 (I -> 1 bit).
The truth is the same mixture entropy by quadrature
(:func:`infoplane.synthetic.mixture.noisy_constellation_mi`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from infoplane.estimators.sp import gaussian_mixture_entropy
from infoplane.experiments.sample_propagation import noisy_net_planes, propagate  # noqa: F401  (moved)
from infoplane.synthetic.mixture import noisy_constellation_mi

NEURON_INPUTS = np.array([-3.0, -1.0, 1.0, 3.0])


def single_neuron_curve(
    weights: np.ndarray, beta: float, bias: float = 0.0, n_samples: int = 1000, n_mc: int = 50, seed: int = 0
) -> pd.DataFrame:
    """I(X;T) of T = tanh(w X + b) + N(0, beta^2) against w, by SP and by quadrature.

    Args:
        weights: (k,) weights w.
        beta: noise standard deviation.
        bias: b.
        n_samples: samples of X (uniform on {-3, -1, 1, 3}) propagated per weight for SP.
        n_mc: Monte Carlo draws per sample.
        seed: seed of the X samples and the draws.

    Returns:
        one row per weight: ``w``, ``i_sp``, ``i_sp_lo``, ``i_sp_hi``, ``i_true`` (nats).
    """
    rng = np.random.default_rng(seed)
    x = rng.choice(NEURON_INPUTS, size=n_samples)
    noise_entropy = 0.5 * math.log(2 * math.pi * math.e * beta**2)
    rows = []
    for k, w in enumerate(np.asarray(weights, dtype=float)):
        s = np.tanh(w * x + bias)[:, None]
        h = gaussian_mixture_entropy(s, beta, n_mc=n_mc, seed=seed + 1 + k)
        truth = noisy_constellation_mi(np.tanh(w * NEURON_INPUTS + bias)[:, None], beta)
        rows.append({"w": w, "i_sp": h.mi - noise_entropy, "i_sp_lo": h.lo - noise_entropy,
                     "i_sp_hi": h.hi - noise_entropy, "i_true": truth})
    return pd.DataFrame(rows)
