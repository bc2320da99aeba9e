"""Information-plane analysis of a stored training run: I(X; L) and I(L; Y) per epoch and layer.

The recipe of Butakov et al. (2024, Algorithm 2), on what :mod:`infoplane.train` stored:

    Zx = compressor_X(eval inputs)                 e.g. the image autoencoder, once per run
    for every stored epoch, for every layer L:
        Zl = PCA_p(L)                              p = 4; refit per epoch, or fitted once
        I(X; L) ~ estimator(Zx, Zl)                wkl with k = 5 by default
        I(L; Y) ~ estimator(Zl, labels)            H(Zl) - sum_y p(y) H(Zl | Y = y)

What the numbers are: MI between 4-D *projections* of the layers and a low-dimensional code of
the input, not between the layers themselves (with relative noise sigma = 1e-3 the true
I(X; L) of a 1352-wide layer is far larger). Two PCA modes answer different questions:

* ``per-epoch`` (the paper): the projection is refit on every epoch's outputs, so it always
  keeps the currently dominant directions, but part of any trend comes from the moving
  projection itself.
* ``fixed``: one projection, fitted on a reference epoch (the last stored, by default), applied
  to every epoch; trends then come from the layer alone, seen through one fixed window.
* ``pooled``: one projection fitted on rows drawn evenly from every analysed epoch (as many rows
  in all as one epoch has), applied to every epoch: a fixed window that favours no epoch, where
  ``fixed`` sees the early epochs through the directions of the last.

Impossible values are bias, and are flagged, never clipped (column ``flags``):
``i_xl<0``, ``i_ly<0``, ``i_ly>H(Y)`` (H(Y) = plug-in entropy of the evaluation labels,
<= ln 10), the estimator's own flags prefixed by the quantity (``i_ly_few-samples``,
``i_xl_below-zero``; see ``infoplane.estimators.base.FLAG_TEXT``), and data-processing
violations ``dpi_xl`` / ``dpi_ly``: a layer whose interval lies
wholly above the previous layer's (the Markov chain X -> L1 -> L2 -> ... forbids it for the
true layers; projections need not obey it, so it is a warning, not an error).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from infoplane.arrays import label_entropy
from infoplane.compression.pca import PCACompressor
from infoplane.estimators import build
from infoplane.flags import flag_values
from infoplane.parallel import parallel_map
from infoplane.runstore import InMemoryLayer, LayerRef, RunStore, open_run

#: The MI table of docs/architecture.md, then the columns that say how each value was made.
MI_COLUMNS = ["experiment", "seed", "epoch", "layer", "estimator", "i_xl", "i_ly",
              "i_xl_lo", "i_xl_hi", "i_ly_lo", "i_ly_hi"]
EXTRA_COLUMNS = ["layer_dim", "pca_dim", "pca_explained", "pca_fit", "x_compression", "h_y", "flags"]
PCA_FITS = ("per-epoch", "fixed", "pooled")


@dataclass(frozen=True)
class AnalysisConfig:
    """How a run is analysed.

    Attributes:
        estimator: registry name of the MI estimator (``wkl``, ``ksg``, ...).
        estimator_params: its parameters (Butakov et al.: k = 5).
        layer_dim: PCA components kept per layer (fewer when a layer is narrower).
        pca_fit: ``"per-epoch"``, ``"fixed"`` or ``"pooled"`` (see the module docstring).
        pca_fit_epoch: reference epoch of the fixed projection (None: the last stored).
        exp_layers: layers also analysed through exp() (``"L5"`` -> ``"exp(L5)"``: the
            probabilities of a log-softmax output, which the paper analyses too).
        layers: analyse only these layers (None: every stored layer, in forward order).
        epochs: analyse only these epochs (None: every stored epoch).
        seed: seed of the PCA solver and of the rows a pooled projection is fitted on.
    """

    estimator: str = "wkl"
    estimator_params: dict[str, Any] = field(default_factory=lambda: {"k": 5})
    layer_dim: int = 4
    pca_fit: str = "per-epoch"
    pca_fit_epoch: int | None = None
    exp_layers: tuple[str, ...] = ()
    layers: tuple[str, ...] | None = None
    epochs: tuple[int, ...] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.pca_fit not in PCA_FITS:
            raise ValueError(f"pca_fit must be one of {PCA_FITS}, got {self.pca_fit!r}")
        if self.layer_dim < 1:
            raise ValueError(f"layer_dim must be >= 1, got {self.layer_dim}")


def _layer_names(store: RunStore, epoch: int, config: AnalysisConfig) -> list[str]:
    """The layers to analyse at ``epoch``: stored ones, then exp layers, then the selection."""
    names = store.layer_names(epoch)
    for name in config.exp_layers:
        if name not in names:
            raise ValueError(f"exp_layers names {name!r}, which is not stored; stored: {sorted(names)}")
    names = names + [f"exp({name})" for name in config.exp_layers]
    if config.layers is not None:
        missing = [name for name in config.layers if name not in names]
        if missing:
            raise ValueError(f"layers {missing} are not stored in {store}; stored: {sorted(names)}")
        names = list(config.layers)
    return names


def _layer_source(store: RunStore, epoch: int, name: str) -> LayerRef | InMemoryLayer:
    """How to load one layer (``exp(L)`` is L through exp()), without loading it yet."""
    if name.startswith("exp(") and name.endswith(")"):
        return store.layer(epoch, name[4:-1], exp=True)
    return store.layer(epoch, name)


@dataclass(frozen=True)
class _LayerTask:
    """One (epoch, layer) of the table: where its values are, and the fixed projection if any."""

    epoch: int
    layer: str
    source: LayerRef | InMemoryLayer
    fixed_pca: PCACompressor | None


@dataclass(frozen=True)
class _AnalyseLayer:
    """Compress one layer and estimate its two MI values (a picklable callable for workers)."""

    config: AnalysisConfig
    x_codes: np.ndarray
    labels: np.ndarray

    def __call__(self, task: _LayerTask) -> dict[str, Any]:
        config = self.config
        acts = task.source.load()
        pca = task.fixed_pca or PCACompressor(config.layer_dim, seed=config.seed).fit(acts)
        codes = pca.transform(acts)
        row = {"epoch": task.epoch, "layer": task.layer, "layer_dim": acts.shape[1],
               "pca_dim": codes.shape[1], "pca_explained": _explained(pca, acts), "flags": ""}
        estimator = build(config.estimator, **config.estimator_params)
        row.update(_estimate_pair(estimator, self.x_codes, codes, self.labels))
        return row


def analyse_run(run_dir: str | Path | RunStore, x_codes: np.ndarray, config: AnalysisConfig,
                experiment: str, seed: int, x_compression: str, progress: bool = False,
                n_jobs: int | None = 1) -> pd.DataFrame:
    """The MI table of one run.

    Args:
        run_dir: a run directory (written by :class:`infoplane.Recorder` or
            :func:`infoplane.train.train`), or a store of :mod:`infoplane.runstore` (a
            recorder's in-memory run).
        x_codes: (n_eval, d_x) compressed evaluation inputs, rows aligned with the stored
            evaluation set (e.g. ``compressor.transform(load_eval_set(run_dir)[0])``).
        config: the analysis settings.
        experiment, seed: written into the table.
        x_compression: how ``x_codes`` were made, e.g. ``"pca:4"`` (a spec fitted on these inputs) or
            ``"autoencoder:4"`` (an autoencoder trained before, on other inputs); written into the table.
        progress: show a tqdm bar over the (epoch, layer) pairs (one process only).
        n_jobs: worker processes over the (epoch, layer) pairs (None or -1: one per core),
            threads split between them by :func:`infoplane.parallel.parallel_map`; 1 runs here
            and leaves the thread settings alone. The table is the same for any ``n_jobs``.

    Returns:
        one row per (epoch, layer): ``MI_COLUMNS + EXTRA_COLUMNS``, values in nats.
    """
    from tqdm.auto import tqdm

    store = open_run(run_dir)
    labels = store.labels()
    if len(x_codes) != len(labels):
        raise ValueError(
            f"x_codes has {len(x_codes)} rows but the evaluation set of {store} has {len(labels)}"
        )
    epochs = list(config.epochs) if config.epochs is not None else store.epochs()
    if not epochs:
        raise ValueError(f"no stored activations in {store}")
    h_y = label_entropy(labels)
    build(config.estimator, **config.estimator_params)  # an unknown name or parameter fails here, at start

    fixed = _shared_projections(store, epochs, config)
    tasks = []
    for epoch in epochs:
        if not np.array_equal(store.epoch_labels(epoch), labels):  # one sample per row of X, L and Y
            raise ValueError(f"epoch {epoch} of {store}: stored labels differ from the evaluation set's")
        tasks += [_LayerTask(epoch, name, _layer_source(store, epoch, name), fixed.get(name))
                  for name in _layer_names(store, epoch, config)]
    job = _AnalyseLayer(config, x_codes, labels)
    if n_jobs == 1:
        bar = tqdm(tasks, desc=f"{experiment} seed {seed}", unit="layer", disable=not progress)
        results = [job(task) for task in bar]
    else:
        results = parallel_map(job, tasks, n_jobs)
    shared = {"experiment": experiment, "seed": seed, "estimator": config.estimator,
              "pca_fit": config.pca_fit, "x_compression": x_compression, "h_y": h_y}
    table = pd.DataFrame([{**shared, **row} for row in results], columns=MI_COLUMNS + EXTRA_COLUMNS)
    return flag_values(table)


def _shared_projections(store: RunStore, epochs: list[int], config: AnalysisConfig
                        ) -> dict[str, PCACompressor]:
    """Layer -> the one projection every epoch goes through (``fixed``, ``pooled``); empty for
    ``per-epoch``."""
    if config.pca_fit == "per-epoch":
        return {}
    if config.pca_fit == "fixed":
        reference = config.pca_fit_epoch if config.pca_fit_epoch is not None else max(epochs)
        return {name: PCACompressor(config.layer_dim, seed=config.seed).fit(
                    _layer_source(store, reference, name).load())
                for name in _layer_names(store, reference, config)}
    rng = np.random.default_rng(config.seed)
    projections = {}
    for name in _layer_names(store, max(epochs), config):
        rows = []
        for epoch in epochs:
            acts = _layer_source(store, epoch, name).load()
            per_epoch = min(len(acts), -(-len(acts) // len(epochs)))   # ceil(n / epochs)
            rows.append(acts[rng.choice(len(acts), size=per_epoch, replace=False)])
        projections[name] = PCACompressor(config.layer_dim, seed=config.seed).fit(np.concatenate(rows))
    return projections


def _explained(pca: PCACompressor, acts: np.ndarray) -> float:
    """Fraction of the variance of ``acts`` (this epoch's) that the projection keeps."""
    total = float(np.sum(np.var(acts.astype(np.float64), axis=0)))
    return float(np.sum(np.var(pca.transform(acts), axis=0)) / total) if total > 0 else math.nan


def _estimate_pair(estimator, x_codes: np.ndarray, codes: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """I(X; L) and I(L; Y) with intervals; a failure becomes NaN with its reason in ``flags``."""
    out: dict[str, Any] = {}
    for key, (a, b) in {"i_xl": (x_codes, codes), "i_ly": (codes, labels)}.items():
        try:
            est = estimator.estimate_with_interval(a, b)
            out.update({key: est.mi, f"{key}_lo": est.lo, f"{key}_hi": est.hi})
            extra = [f"{key}_{flag}" for flag in getattr(est, "flags", ())]  # the estimator's own flags
            if extra:
                out["flags"] = ";".join(filter(None, [out.get("flags", ""), *extra]))
        except ValueError as err:
            out.update({key: math.nan, f"{key}_lo": math.nan, f"{key}_hi": math.nan})
            reason = str(err).replace(";", ",")  # ";" separates flags
            out["flags"] = f"{out.get('flags', '')};{key} failed: {reason}".lstrip(";")
    return out
