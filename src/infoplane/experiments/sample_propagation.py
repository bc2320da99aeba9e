"""Sample propagation (SP, Goldfeld et al. 2019) through a noisy MLP: I(X;T_l) and I(T_l;Y).

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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from infoplane.arrays import as_labels
from infoplane.estimators.sp import entropy_and_label_information, gaussian_mixture_entropy, mixture_entropies
from infoplane.experiments.spec import variant
from infoplane.nets.mlp import MLP
from infoplane.synthetic.mixture import noisy_constellation_mi


@torch.no_grad()
def propagate(model: MLP, x: torch.Tensor, generator: torch.Generator) -> list[torch.Tensor]:
    """Noiseless outputs S_1 .. S_L of one noisy pass of ``x`` (n, d_0), noise from ``generator``."""
    outputs, t = [], x
    for block in model.layers:
        s = block.clean(t)
        outputs.append(s)
        beta = block.noise.scale
        t = s + beta * torch.randn(s.shape, generator=generator) if beta > 0 else s
    return outputs


def noisy_net_planes(
    model: MLP, x: np.ndarray, y: np.ndarray, beta: float, n_cond: int = 32, cond_inputs: int | None = 256,
    n_mc: int = 4, seed: int = 0,
) -> pd.DataFrame:
    """SP estimates of I(X;T_l) and I(T_l;Y) (nats) for the noisy hidden layers of ``model``.

    Args:
        model: an :class:`MLP` with additive noise ``beta`` after every hidden layer.
        x: (m, d_0) inputs, X uniform over them; y: (m,) labels.
        beta: the network's noise standard deviation.
        n_cond: noisy passes per input for the conditional entropies h(T_l | X = x_i).
        cond_inputs: average the conditional entropies over this many random inputs (None: all m).
        n_mc: Monte Carlo draws per mixture centre.
        seed: seeds the network noise, the input subsample and the Monte Carlo draws.

    Returns:
        one row per hidden layer: ``layer`` (1-based), ``i_xl``, ``i_ly`` and their ``_lo``/``_hi``.
    """
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.as_tensor(x, dtype=torch.float32)
    unconditional = propagate(model, inputs, generator)
    rng = np.random.default_rng(seed)
    chosen = np.arange(len(x)) if cond_inputs is None or cond_inputs >= len(x) else np.sort(
        rng.choice(len(x), size=cond_inputs, replace=False))
    repeated = inputs[chosen].repeat_interleave(n_cond, dim=0)  # (k * n_cond, d_0), input-major
    conditional = propagate(model, repeated, generator)
    rows = []
    labels = as_labels(y, "y")
    for layer in range(1, len(model.layers)):  # hidden layers only: the output layer is noiseless
        s = unconditional[layer - 1].double().numpy()
        d = s.shape[1]
        h_t, i_ly = entropy_and_label_information(s, labels, beta, n_mc=n_mc, seed=seed + layer)
        if layer == 1:
            h_cond, h_cond_half = 0.5 * d * math.log(2 * math.pi * math.e * beta**2), 0.0
        else:
            samples = conditional[layer - 1].double().numpy().reshape(len(chosen), n_cond, d)
            seeds = seed + 7919 * layer + np.arange(len(chosen))
            per_input = mixture_entropies(samples, beta, n_mc, seeds)
            h_cond = float(per_input.mean())
            h_cond_half = 1.96 * float(per_input.std()) / math.sqrt(len(per_input))
        i_xl = h_t.mi - h_cond
        half = math.hypot((h_t.hi - h_t.lo) / 2, h_cond_half)
        rows.append({"layer": layer, "i_xl": i_xl, "i_xl_lo": i_xl - half, "i_xl_hi": i_xl + half,
                     "i_ly": i_ly.mi, "i_ly_lo": i_ly.lo, "i_ly_hi": i_ly.hi})
    return pd.DataFrame(rows)


def run_sp_planes(settings: dict[str, Any], seed: int, run_dir: str | Path, params: dict[str, Any],
                  epochs: list[int] | None = None) -> pd.DataFrame:
    """SP information planes of every captured epoch of a noisy MLP run (its kept weights).

    Args:
        settings: the variant's settings (its ``network`` has ``noise_std`` > 0).
        seed: the run's seed; epoch e's noise, input subsample and Monte Carlo draws are seeded
            by ``seed * 1000 + e``.
        run_dir: a run trained with ``capture.weights: true``.
        params: ``n_cond`` (noisy passes per input, default 32), ``cond_inputs`` (inputs
            averaged in h(T|X), default 256; 0 or None: all), ``n_mc`` (default 4).
        epochs: the epochs to analyse (default: every captured one).

    Returns:
        one row per captured epoch and hidden layer: ``epoch``, ``layer`` (1-based int),
        ``i_xl``, ``i_ly`` and their ``_lo``/``_hi``, in nats.
    """
    from infoplane.experiments.run import load_network
    from infoplane.runstore import captured_epochs, load_eval_set

    beta = float(settings["network"].get("noise_std", 0.0))
    if beta <= 0:
        raise ValueError(f"{run_dir} is not a noisy network (network.noise_std = 0); sample propagation "
                         "needs the noise")
    unknown = sorted(set(params) - {"n_cond", "cond_inputs", "n_mc"})
    if unknown:
        raise ValueError(f"sample-propagation takes params n_cond, cond_inputs, n_mc, not {unknown}")
    inputs, labels, _ = load_eval_set(run_dir)
    parts = []
    for epoch in epochs if epochs is not None else captured_epochs(run_dir):
        model = load_network(settings, seed, run_dir, epoch)
        rows = noisy_net_planes(model, inputs, labels, beta, n_cond=int(params.get("n_cond", 32)),
                                cond_inputs=int(params.get("cond_inputs", 256)) or None,
                                n_mc=int(params.get("n_mc", 4)), seed=seed * 1000 + epoch)
        parts.append(rows.assign(epoch=epoch))
    return pd.concat(parts, ignore_index=True)


def layer_scatter(spec: dict[str, Any], variant_name: str, seed: int, run_dir: str | Path,
                  layer: int | str = 5, epochs: list[int] | None = None) -> pd.DataFrame:
    """One noisy pass of the evaluation inputs through a 3-neuron layer, at chosen epochs.

    Args:
        spec, variant_name, seed, run_dir: the run (trained with ``capture.weights: true``).
        layer: the layer, 1-based (``5`` or ``"T5"``); it must have 3 neurons.
        epochs: captured epochs (default: the first, the middle and the last captured).

    Returns:
        one row per epoch and input: ``epoch``, ``label``, ``t1``, ``t2``, ``t3`` (the noisy
        layer T = S + beta Z, noise seeded by ``seed``).
    """
    from infoplane.experiments.run import load_network
    from infoplane.runstore import captured_epochs, load_eval_set

    settings = variant(spec, variant_name)
    beta = float(settings["network"].get("noise_std", 0.0))
    index = int(str(layer).lstrip("T"))
    captured = captured_epochs(run_dir)
    epochs = epochs or [captured[0], captured[len(captured) // 2], captured[-1]]
    missing = sorted(set(epochs) - set(captured))
    if missing:
        raise ValueError(f"epochs {missing} were not captured in {run_dir}; captured: {captured}")
    inputs, labels, _ = load_eval_set(run_dir)
    parts = []
    for epoch in epochs:
        model = load_network(settings, seed, run_dir, epoch)
        generator = torch.Generator().manual_seed(seed)
        s = propagate(model, torch.as_tensor(inputs), generator)[index - 1]
        t = (s + beta * torch.randn(s.shape, generator=generator)).numpy()
        if t.shape[1] != 3:
            raise ValueError(f"layer T{index} has {t.shape[1]} neurons; choose a 3-neuron layer")
        parts.append(pd.DataFrame({"epoch": epoch, "label": labels, "t1": t[:, 0], "t2": t[:, 1],
                                   "t3": t[:, 2]}))
    return pd.concat(parts, ignore_index=True)


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
