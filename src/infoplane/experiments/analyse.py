"""The one analysis step: the MI table of one run, for every analysis of its experiment.

    table = analyse_run(spec, "tanh", 0, "results/runs/szt_binning/tanh/seed-0")

Each analysis of ``spec["analyses"]`` names a ``kind``:

* ``layer``: a registry estimator on each captured layer T (n_eval, d), X uniform over the
  n_eval distinct evaluation inputs (each input row is one value of X). Layer estimators
  (binning, discrete, the KDE bounds) take I(X;T) from the layer alone
  (``estimate_layer``); I(T;Y) is ``estimate_with_interval(T, labels)``. With
  ``global_range: true`` a binning estimator gets ``lo``/``hi`` = the range of every stored
  layer over every analysed epoch (:func:`global_range`).
* ``compressed`` (Butakov et al.): X through the autoencoder file, each layer through PCA
  (refit per epoch or fixed), then a kNN estimator (:func:`infoplane.analysis.analyse_run`).
* ``sample-propagation`` (Goldfeld et al.): the noisy network itself, from the weights kept at
  every captured epoch (:mod:`infoplane.experiments.sample_propagation`).

The table has the columns ``MI_COLUMNS`` (plus ``HOW_MADE_COLUMNS`` for ``compressed``),
one row per (analysis, epoch, layer), values in nats; ``layer`` is the table name (``T5``,
``L3``, ``exp(L5)``) and ``depth`` its 1-based forward position (``exp(L5)`` has L5's).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from infoplane.estimators import build
from infoplane.estimators.base import LayerEstimator
from infoplane.estimators.discrete import DiscreteMI
from infoplane.experiments.build import information_limits, table_layer_names
from infoplane.experiments.spec import variant
from infoplane.flags import flag_values
from infoplane.runstore import captured_epochs, load_activations, load_eval_set
from infoplane.tables import HOW_MADE_COLUMNS, MI_COLUMNS

KINDS = ("layer", "compressed", "sample-propagation")


@dataclass(frozen=True)
class _Run:
    """What every analysis of a run needs: its directory, settings, layer names and history."""

    run_dir: Path
    settings: dict[str, Any]
    seed: int
    stored: list[str]               # captured layers, in forward order, as stored
    names: dict[str, str]           # stored name -> table name
    history: pd.DataFrame           # indexed by epoch

    def table_name(self, stored: str) -> str:
        if stored.startswith("exp(") and stored.endswith(")"):
            return f"exp({self.names.get(stored[4:-1], stored[4:-1])})"
        return self.names.get(stored, stored)

    def depth(self, stored: str) -> int:
        plain = stored[4:-1] if stored.startswith("exp(") and stored.endswith(")") else stored
        return self.stored.index(plain) + 1


def _open(settings: dict[str, Any], seed: int, run_dir: Path) -> _Run:
    config_path = run_dir / "config.json"
    if not config_path.exists():
        raise ValueError(f"{run_dir} is not a run directory (no config.json); train it first")
    config = json.loads(config_path.read_text())
    stored = list(config["train"]["layers"])
    names = config.get("metadata", {}).get("layer_names") or table_layer_names(settings, stored)
    history = pd.read_csv(run_dir / "history.csv").set_index("epoch")
    return _Run(run_dir, settings, int(seed), stored, names, history)


def analyse_run(
    spec: dict[str, Any], variant_name: str, seed: int, run_dir: str | os.PathLike[str],
    autoencoder: Any = None, jobs: int = 1, progress: bool = False, device: str | None = None,
    epochs: list[int] | None = None,
) -> pd.DataFrame:
    """The MI table of one run (columns ``MI_COLUMNS``, nats), every analysis of ``spec``.

    Args:
        spec: the loaded experiment; variant_name, seed: the run's.
        run_dir: the run directory of :func:`infoplane.experiments.train_run`.
        autoencoder: the X autoencoder (a saved ``.pt`` path or a fitted compressor) for
            ``compressed`` analyses with ``x: autoencoder``, or a list of them when analyses
            name other code sizes (``x: autoencoder:K``): each analysis takes the one whose
            code has its size.
        jobs: worker processes over (epoch, layer) pairs of ``compressed`` analyses.
        progress: a progress bar (``compressed``).
        device: where the autoencoder runs (None: the experiment's ``device``).
        epochs: analyse only these captured epochs (None: all).
    """
    settings = variant(spec, variant_name)
    analyses = settings.get("analyses") or {}
    if not analyses:
        raise ValueError(f"experiment {spec.get('name')!r} has no analyses")
    for name, analysis in analyses.items():
        if analysis.get("kind") not in KINDS:
            raise ValueError(f"analysis {name!r}: kind must be one of {KINDS}, got {analysis.get('kind')!r}")
    run = _open(settings, seed, Path(run_dir))
    if autoencoder is not None:
        autoencoder = _loaded(autoencoder, device or settings.get("device", "auto"))
    parts = []
    layer_analyses = {name: a for name, a in analyses.items() if a["kind"] == "layer"}
    if layer_analyses:
        parts.append(_layer_kind(run, layer_analyses, epochs))
    for name, analysis in analyses.items():
        if analysis["kind"] == "compressed":
            parts.append(_compressed_kind(run, name, analysis, autoencoder, jobs, progress, epochs))
        elif analysis["kind"] == "sample-propagation":
            parts.append(_sp_kind(run, name, analysis, epochs))
    table = pd.concat(parts, ignore_index=True)
    h_x, h_y = information_limits(run.run_dir)
    table["depth"] = [run.depth(layer) for layer in table["layer"]]
    table["layer"] = [run.table_name(layer) for layer in table["layer"]]
    table["test_acc"] = [float(run.history.loc[e, "test_acc"]) for e in table["epoch"]]
    table["train_acc"] = [float(run.history.loc[e, "train_acc"]) for e in table["epoch"]]
    table = table.assign(experiment=spec["name"], variant=variant_name, seed=int(seed), h_x=h_x, h_y=h_y)
    table["flags"] = table["flags"].fillna("") if "flags" in table else ""
    order = {name: i for i, name in enumerate(analyses)}
    table = table.sort_values("analysis", key=lambda s: s.map(order), kind="stable")
    columns = MI_COLUMNS + [c for c in HOW_MADE_COLUMNS if c in table]
    return flag_values(table[columns].reset_index(drop=True))


def _layer_kind(run: _Run, analyses: dict[str, dict[str, Any]], epochs: list[int] | None) -> pd.DataFrame:
    """Rows of the ``layer`` analyses, measured in one pass over epochs, layers and analyses."""
    inputs, labels, _ = load_eval_set(run.run_dir)
    inputs = distinct_inputs(inputs, str(run.run_dir))
    epochs = epochs if epochs is not None else captured_epochs(run.run_dir)
    ranged = [name for name, a in analyses.items() if a.get("global_range")]
    span = global_range(run, epochs) if ranged else {}
    estimators = {name: build(a["estimator"], **(a.get("params") or {}), **(span if name in ranged else {}))
                  for name, a in analyses.items()}
    rows = []
    for epoch in epochs:
        acts, stored_labels = load_activations(run.run_dir, epoch)
        if not np.array_equal(stored_labels, labels):
            raise ValueError(f"activations of epoch {epoch} in {run.run_dir} are not aligned with its "
                             "evaluation set")
        for layer in [name for name in run.stored if name in acts]:
            for name, estimator in estimators.items():
                rows.append({"analysis": name, "estimator": analyses[name]["estimator"], "epoch": epoch,
                             "layer": layer, **layer_estimates(estimator, acts[layer], inputs, labels)})
    return pd.DataFrame(rows)


def layer_estimates(estimator: Any, t: np.ndarray, inputs: np.ndarray, labels: np.ndarray
                    ) -> dict[str, float | str]:
    """I(X;T) and I(T;Y) of one layer, nats, with their intervals and flags (the values of one
    table row: i_xl, i_ly, i_xl_lo, i_xl_hi, i_ly_lo, i_ly_hi, flags).

    Args:
        estimator: a registry estimator.
        t: the layer (n, d) on the n evaluation inputs.
        inputs: the n distinct evaluation inputs (n, d_x); labels: their labels (n,).
    """
    # X is uniform over distinct inputs: estimators that know it take the layer alone
    i_xl = (estimator.estimate_layer(t) if isinstance(estimator, LayerEstimator | DiscreteMI)
            else estimator.estimate_with_interval(t, inputs))
    i_ly = estimator.estimate_with_interval(t, labels)
    flags = [f"{key}_{flag}" for key, est in (("i_xl", i_xl), ("i_ly", i_ly))
             for flag in getattr(est, "flags", ())]
    return {"i_xl": i_xl.mi, "i_ly": i_ly.mi, "i_xl_lo": i_xl.lo, "i_xl_hi": i_xl.hi, "i_ly_lo": i_ly.lo,
            "i_ly_hi": i_ly.hi, "flags": ";".join(flags)}


def distinct_inputs(inputs: np.ndarray, where: str) -> np.ndarray:
    """The evaluation inputs as rows (n, d_x), checked to be distinct: every table treats X as
    uniform over them (H(X) = log n)."""
    inputs = inputs.reshape(len(inputs), -1)
    if len(np.unique(inputs, axis=0)) != len(inputs):
        raise ValueError(f"the evaluation inputs of {where} repeat; X must be uniform over distinct inputs")
    return inputs


def global_range(run: _Run, epochs: list[int]) -> dict[str, float]:
    """``{"lo", "hi"}``: the smallest and largest activation over the run's stored layers and
    ``epochs`` (Lorenzen et al.'s binning baseline bins every layer and epoch on this one range)."""
    lo, hi = math.inf, -math.inf
    for epoch in epochs:
        acts, _ = load_activations(run.run_dir, epoch)
        for layer in [name for name in run.stored if name in acts]:
            lo, hi = min(lo, float(acts[layer].min())), max(hi, float(acts[layer].max()))
    if not lo < hi:
        raise ValueError(f"the stored activations of {run.run_dir} span no range ({lo} .. {hi}); "
                         "global_range bins need varying activations")
    return {"lo": lo, "hi": hi}


def _loaded(autoencoders: Any, device: str) -> list[Any]:
    """X autoencoders (one, or a list; files or fitted compressors) as fitted compressors."""
    from infoplane.compression.image_autoencoder import ImageAutoencoderCompressor

    many = autoencoders if isinstance(autoencoders, list | tuple) else [autoencoders]
    return [ImageAutoencoderCompressor.load(a, device=device) if isinstance(a, str | os.PathLike) else a
            for a in many]


def _x_autoencoder(name: str, x: str, settings: dict[str, Any], autoencoders: list[Any] | None) -> Any:
    """The autoencoder analysis ``name`` compresses X with: ``x: autoencoder`` the experiment's
    own, ``x: autoencoder:K`` the one whose code has K dimensions."""
    own = (settings.get("x_autoencoder") or {}).get("latent_dim")
    size = int(x.split(":")[1]) if ":" in x else own
    make = "`infoplane train-autoencoder`"
    if size != own:
        make += f" with --set x_autoencoder.latent_dim={size}"
    if not autoencoders:
        raise ValueError(f"analysis {name!r} compresses X with the autoencoder; pass its file "
                         f"({make} makes it)")
    # the experiment names no code size: the one autoencoder passed, whatever its code
    fitting = [a for a in autoencoders if size is None or a.latent_dim == size]
    if size is None and len(fitting) > 1:
        raise ValueError(f"analysis {name!r} compresses X with the autoencoder, and {len(fitting)} were "
                         "passed; pass one, or name the code size as `x: autoencoder:K`")
    if not fitting:
        raise ValueError(f"analysis {name!r} compresses X to {size} dimensions, but the autoencoders "
                         f"passed have codes of {sorted(a.latent_dim for a in autoencoders)}; pass one of "
                         f"{size} ({make} makes it)")
    return fitting[0]


def _compressed_kind(run: _Run, name: str, analysis: dict[str, Any], autoencoders: list[Any] | None,
                     jobs: int, progress: bool, epochs: list[int] | None) -> pd.DataFrame:
    """Rows of a ``compressed`` analysis (Butakov et al.'s recipe, :mod:`infoplane.analysis`)."""
    from infoplane.analysis import AnalysisConfig
    from infoplane.analysis import analyse_run as compressed_table

    inputs, _, _ = load_eval_set(run.run_dir)
    x = analysis.get("x", "autoencoder")
    if x.startswith("autoencoder"):
        autoencoder = _x_autoencoder(name, x, run.settings, autoencoders)
        # "autoencoder:K" as in the experiment file: a spec "ae:K" would read as one fitted here
        x_codes, x_compression = autoencoder.transform(inputs), f"autoencoder:{autoencoder.latent_dim}"
    else:
        from infoplane.recorder import encode_inputs

        x_codes, x_compression = encode_inputs(x, inputs, run.seed)
    stored_of = {table: stored for stored, table in run.names.items()}   # exp_layers: [T6] or [L5]
    exp_layers = tuple(stored_of.get(n, n) for n in analysis.get("exp_layers") or ())
    config = AnalysisConfig(
        estimator=analysis["estimator"], estimator_params=dict(analysis.get("params") or {}),
        layer_dim=int(analysis.get("layer_dim", 4)), pca_fit=analysis.get("pca_fit", "per-epoch"),
        pca_fit_epoch=analysis.get("pca_fit_epoch"), exp_layers=exp_layers,
        epochs=None if epochs is None else tuple(epochs))
    table = compressed_table(run.run_dir, x_codes, config, run.settings["name"], run.seed, x_compression,
                             progress=progress, n_jobs=jobs)
    return table.drop(columns=["experiment", "seed", "h_y"]).assign(analysis=name)


def _sp_kind(run: _Run, name: str, analysis: dict[str, Any], epochs: list[int] | None) -> pd.DataFrame:
    """Rows of a ``sample-propagation`` analysis: SP through the kept weights, hidden layers."""
    from infoplane.experiments.sample_propagation import run_sp_planes

    table = run_sp_planes(run.settings, run.seed, run.run_dir, dict(analysis.get("params") or {}), epochs)
    table["layer"] = [run.stored[i - 1] for i in table["layer"]]
    return table.assign(analysis=name, estimator="sp", flags="")
