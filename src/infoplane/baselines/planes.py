"""Information planes of one stored run: I(X;T_l) and I(T_l;Y) per captured epoch and layer.

X is uniform over the run's evaluation inputs (all 4096 SZT patterns, p(x) = 1/4096, as in the
three original codes; for MNIST the n_eval evaluation test images, p(x) = 1/n_eval), so the
estimators receive the layer's activations T (n_eval, d) with the inputs themselves as the other
variable: each distinct input row is one value of X. For a
deterministic network and a discrete estimator (binning, exact counts of a quantised network)
this gives I(X;T) = H(T); the KDE bounds treat T + N(0, s2 I) as the layer.

An *analysis* is a named estimator spec, ``{"estimator": "binning", "scheme": "szt"}``: the
registry name and its parameters. Values in the table are nats.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from infoplane.estimators import build
from infoplane.estimators.base import LayerEstimator
from infoplane.runstore import captured_epochs, load_activations, load_eval_set

#: Columns of an MI table (the project's contract), plus the variant and the accuracies.
MI_COLUMNS = [
    "experiment", "variant", "seed", "epoch", "layer", "estimator",
    "i_xl", "i_ly", "i_xl_lo", "i_xl_hi", "i_ly_lo", "i_ly_hi", "test_acc", "train_acc",
]


def accuracies(history: pd.DataFrame, epoch: int) -> dict[str, float]:
    """Test and training accuracy at ``epoch`` from a run's ``history.csv`` (indexed by epoch).

    The training accuracy is the mean over the epoch's batches, so it is NaN at epoch 0
    (before any training).
    """
    return {"test_acc": float(history.loc[epoch, "test_acc"]),
            "train_acc": float(history.loc[epoch, "train_acc"])}


def build_analysis(spec: dict[str, Any]):
    """The estimator of an analysis spec ``{"estimator": name, **params}``."""
    spec = dict(spec)
    name = spec.pop("estimator", None)
    if name is None:
        raise ValueError(f"analysis spec {spec} has no 'estimator' key (a registry name)")
    return build(name, **spec)


def run_planes(
    run_dir: str | os.PathLike[str],
    analyses: dict[str, dict[str, Any]],
    experiment: str,
    variant: str,
    seed: int,
    epochs: list[int] | None = None,
) -> pd.DataFrame:
    """The MI table of one run (columns ``MI_COLUMNS``), one row per epoch, layer and analysis.

    Args:
        run_dir: a directory written by :func:`infoplane.train.train`.
        analyses: analysis name -> estimator spec.
        experiment, variant, seed: copied into the table.
        epochs: the captured epochs to analyse (default: all).
    """
    run_dir = Path(run_dir)
    inputs, labels, _ = load_eval_set(run_dir)
    inputs = inputs.reshape(len(inputs), -1)
    if len(np.unique(inputs, axis=0)) != len(inputs):
        raise ValueError(f"the evaluation inputs of {run_dir} repeat; X must be uniform over distinct inputs")
    history = pd.read_csv(run_dir / "history.csv").set_index("epoch")
    estimators = {name: build_analysis(spec) for name, spec in analyses.items()}
    rows = []
    for epoch in epochs if epochs is not None else captured_epochs(run_dir):
        acts, stored_labels = load_activations(run_dir, epoch)
        if not np.array_equal(stored_labels, labels):
            raise ValueError(f"activations of epoch {epoch} in {run_dir} are not aligned with its "
                             "evaluation set")
        for layer_index, layer in enumerate(sorted(acts, key=_layer_order), start=1):
            t = acts[layer]
            for name, estimator in estimators.items():
                # Layer estimators (binning, KDE bounds) take I(X;T) from the layer alone.
                i_xl = (estimator.estimate_layer(t) if isinstance(estimator, LayerEstimator)
                        else estimator.estimate_with_interval(t, inputs))
                i_ly = estimator.estimate_with_interval(t, labels)
                rows.append({
                    "experiment": experiment, "variant": variant, "seed": seed, "epoch": epoch,
                    "layer": layer_index, "estimator": name,
                    "i_xl": i_xl.mi, "i_ly": i_ly.mi, "i_xl_lo": i_xl.lo, "i_xl_hi": i_xl.hi,
                    "i_ly_lo": i_ly.lo, "i_ly_hi": i_ly.hi, **accuracies(history, epoch),
                })
    return pd.DataFrame(rows, columns=MI_COLUMNS)


def _layer_order(name: str) -> tuple[int, str]:
    """``layers.10`` after ``layers.9``."""
    tail = name.rsplit(".", 1)[-1]
    return (int(tail), name) if tail.isdigit() else (math.inf, name)  # type: ignore[return-value]


def parse_analyses(text: str) -> dict[str, dict[str, Any]]:
    """Analyses from JSON text ``{"name": {"estimator": ..., ...}, ...}``."""
    try:
        analyses = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"--analyses is not valid JSON: {err}") from None
    if not isinstance(analyses, dict) or not all(isinstance(v, dict) for v in analyses.values()):
        raise ValueError('--analyses must map names to estimator specs, '
                         'e.g. {"szt": {"estimator": "binning"}}')
    return analyses
