"""Many seeds of one MLP variant at once, with binning (or exact) MI at every captured epoch.

:func:`train_seeds_at_once` trains the seeds of a variant together in one
:class:`~infoplane.nets.batched.SeedStack` and measures its ``layer`` analyses in the same pass:
nothing is written per epoch, so 50 seeds x 400 captured epochs need no activation files
(50 x 400 x 4096 x 31 float32 values would be 10 GB). The MI table has the columns of
:func:`infoplane.experiments.analyse_run`, and a separate run of the same seed
(:func:`~infoplane.experiments.train_run`, then ``analyse_run``) gives the same numbers, to
float rounding (the stacked products sum in another order; an MI value moves only where that
rounding carries an activation across a bin edge).

Binning analyses and the exact counts of quantised layers (``discrete``, no correction) are
measured inline; the KDE bounds and sample propagation read stored activations or weights and
stay with the per-seed path.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from infoplane.arrays import label_entropy
from infoplane.estimators import build
from infoplane.estimators.binning import bin_layer
from infoplane.estimators.estimate import SATURATED_SHARE
from infoplane.estimators.grouped import grouped_plugin_information
from infoplane.experiments.build import build_data, build_network, is_mlp
from infoplane.experiments.spec import variant
from infoplane.flags import flag_values
from infoplane.nets.batched import SeedData, SeedStack, noise_seed, train_seeds
from infoplane.parallel import parallel_map
from infoplane.tables import MI_COLUMNS
from infoplane.train import capture_schedule


def seed_data(settings: dict[str, Any], seeds: Sequence[int],
              data_root: str | Path | None = None) -> SeedData:
    """The training, test and evaluation rows of every seed of a variant in one pool.

    Each seed's split is the one a separate run of that seed reads (:func:`build_data`); the
    pool is the concatenation of the first seed's training, test and evaluation inputs followed
    by the rows every other seed adds, so MNIST (whose split does not depend on the seed) is
    held once.
    """
    pool_x: list[torch.Tensor] = []
    pool_y: list[torch.Tensor] = []
    index_of: dict[bytes, int] = {}
    train_rows, test_rows, eval_rows = [], [], None

    def rows_of(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x = x.reshape(len(x), -1).float()
        keys = [row.numpy().tobytes() + bytes([int(label)]) for row, label in zip(x, y, strict=True)]
        new = [i for i, key in enumerate(keys) if key not in index_of]
        start = sum(len(p) for p in pool_x)
        for offset, i in enumerate(new):
            index_of[keys[i]] = start + offset
        if new:
            pool_x.append(x[new])
            pool_y.append(y[new].long())
        return torch.tensor([index_of[key] for key in keys], dtype=torch.int64)

    for seed in seeds:
        data, _ = build_data(settings, int(seed), data_root)
        train_rows.append(rows_of(data.train_x, data.train_y))
        test_rows.append(rows_of(data.test_x, data.test_y))
        if eval_rows is None:
            eval_rows = rows_of(data.eval_x, data.eval_y)
    assert eval_rows is not None
    sizes = {(len(a), len(b)) for a, b in zip(train_rows, test_rows, strict=True)}
    if len(sizes) != 1:
        raise ValueError(f"the seeds' splits differ in size ({sorted(sizes)}); batched training needs "
                         "one split size for every seed")
    return SeedData(torch.cat(pool_x), torch.cat(pool_y), torch.stack(train_rows), torch.stack(test_rows),
                    eval_rows)


def inline_bin_params(analyses: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Analysis name -> binning parameters, for the analyses measured while training.

    Raises:
        ValueError: for an analysis that is not a ``layer`` binning or exact-count analysis.
    """
    bin_params = {}
    for name, analysis in analyses.items():
        estimator_name = analysis.get("estimator")
        if analysis.get("kind") != "layer":
            raise ValueError(f"analysis {name!r} is of kind {analysis.get('kind')!r}; batched seeds "
                             "measure layer analyses only")
        estimator = build(estimator_name, **(analysis.get("params") or {}))  # checked, with defaults
        if estimator_name == "discrete" and estimator.params().get("correction") == "none":
            bin_params[name] = {"scheme": "exact"}
        elif estimator_name == "binning":
            bin_params[name] = estimator.params()
        else:
            raise ValueError(f"analysis {name!r} uses {estimator_name!r}; batched seeds measure binning "
                             "and exact (discrete) analyses only (train the seeds one by one for the others)")
    return bin_params


def stacked_bin_params(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The binning parameters of a variant's analyses (:func:`inline_bin_params`) when its seeds
    can be trained at once (its settings, :func:`~infoplane.experiments.spec.variant`).

    Stacked training covers MLPs trained on the nll loss with the given labels, and measures
    binning and exact-count analyses only; the rest (KDE, sample propagation, compressed kNN,
    shuffled labels, frozen networks, the orthonormality penalty) reads a stored run.

    Raises:
        ValueError: saying why the variant's seeds cannot be stacked.
    """
    if not is_mlp(settings):
        raise ValueError(f"network {settings['network']['name']!r} is not an MLP")
    train = settings["train"]
    if train.get("loss", "nll") != "nll" or train.get("optimizer_params"):
        raise ValueError("stacked training uses the nll loss and no optimizer_params")
    unsupported = [key for key in ("labels", "frozen", "orthonormality")
                   if train.get(key) not in (None, "given", False, 0, 0.0)]
    if unsupported:
        raise ValueError(f"train.{', train.'.join(unsupported)} is not implemented for stacked seeds")
    return inline_bin_params(settings.get("analyses") or {})


def unbatchable_reason(settings: dict[str, Any]) -> str | None:
    """Why the seeds of a variant cannot be trained at once (:func:`stacked_bin_params`), or
    None when they can."""
    try:
        stacked_bin_params(settings)
    except ValueError as error:
        return str(error)
    return None


def train_seeds_at_once(
    spec: dict[str, Any], variant_name: str, seeds: Sequence[int], data_root: str | Path | None = None,
    threads: int | None = 1, progress: bool = False, jobs: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train every seed of a variant at once and measure its ``layer`` analyses as it trains.

    Args:
        spec: the loaded experiment; variant_name: one of its variants (an MLP network).
        seeds: the seeds (S of them).
        data_root: dataset root (None: the default).
        threads: torch CPU threads (None: torch's default); with ``jobs`` > 1, ignored.
        progress: a progress bar.
        jobs: split the seeds into this many stacks, trained in parallel processes (one core
            each). Every seed's numbers are the same for any ``jobs``.

    Returns:
        (the MI table, columns ``MI_COLUMNS``, one row per seed, analysis, captured epoch
        and layer; the training history, one row per seed and epoch).
    """
    settings = variant(spec, variant_name)
    try:
        bin_params = stacked_bin_params(settings)
    except ValueError as error:
        raise ValueError(f"variant {variant_name!r} cannot train its seeds at once: {error}; train it "
                         "seed by seed (`infoplane train`, then `infoplane analyse`)") from None
    train = settings["train"]
    seeds = [int(s) for s in seeds]
    if jobs > 1 and len(seeds) > 1:
        chunks = [list(chunk) for chunk in np.array_split(seeds, min(jobs, len(seeds)))]
        parts = parallel_map(_TrainChunk(spec, variant_name, data_root), chunks, n_jobs=len(chunks))
        tables, histories = zip(*parts, strict=True)
        return _sorted(pd.concat(tables), settings["analyses"]), pd.concat(histories, ignore_index=True)
    if threads:
        torch.set_num_threads(threads)
    data = seed_data(settings, seeds, data_root)
    stack = SeedStack([build_network(settings, s) for s in seeds], noise_seeds=[noise_seed(s) for s in seeds])
    labels = data.labels[data.eval_rows].numpy()
    measured: list[tuple[int, str, dict[str, np.ndarray]]] = []

    def measure(epoch: int, layers: list[torch.Tensor]) -> None:
        for name, params in bin_params.items():
            width = max(t.shape[-1] for t in layers)
            bins = np.zeros((len(layers), len(seeds), len(labels), width), dtype=np.int64)
            for layer, t in enumerate(layers):  # a narrower layer's missing columns are one bin
                bins[layer, :, :, : t.shape[-1]] = _bins(t.numpy(), params)
            measured.append((epoch, name, grouped_plugin_information(bins.reshape(-1, len(labels), width),
                                                                     labels)))

    epochs = int(train["epochs"])
    schedule = capture_schedule(epochs, **settings["capture"]["schedule"])
    history = train_seeds(stack, data, seeds, epochs, int(train["batch_size"]), float(train["lr"]),
                          train.get("optimizer", "adam"), capture_epochs=schedule, on_capture=measure,
                          progress=progress)
    limits = {"h_x": math.log(len(labels)), "h_y": label_entropy(labels)}
    names = {"experiment": spec["name"], "variant": variant_name}
    table = _table(measured, history, len(stack.widths) - 1, seeds, settings["analyses"], names, limits,
                   len(labels))
    return table, history


@dataclasses.dataclass(frozen=True)
class _TrainChunk:
    """``train_seeds_at_once`` of one chunk of seeds, picklable for a worker process."""

    spec: dict[str, Any]
    variant_name: str
    data_root: str | Path | None

    def __call__(self, seeds: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
        return train_seeds_at_once(self.spec, self.variant_name, seeds, self.data_root, threads=None)


def _bins(t: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    """Bin indices (S, n, d), shifted to start at 0, of one layer of every seed, (S, n, d).

    Schemes whose bins depend on the layer's own range (``quantized``, ``uniform`` without
    lo/hi) bin each seed alone, as a separate run would; the others bin all seeds at once.
    ``exact`` (the ``discrete`` estimator on quantised layers) gives every distinct value its
    own bin: rows are equal exactly where their values are.
    """
    if params["scheme"] == "exact":
        return np.unique(t, return_inverse=True)[1].reshape(t.shape)
    per_seed = params["scheme"] == "quantized" or (
        params["scheme"] == "uniform" and (params["lo"] is None or params["hi"] is None))
    bins = np.stack([bin_layer(seed_t, **params) for seed_t in t]) if per_seed else bin_layer(t, **params)
    return bins - bins.min(axis=(1, 2), keepdims=True)


def _table(measured: list[tuple[int, str, dict[str, np.ndarray]]], history: pd.DataFrame, n_layers: int,
           seeds: list[int], analyses: dict[str, dict[str, Any]], names: dict[str, str],
           limits: dict[str, float], n_inputs: int) -> pd.DataFrame:
    """The MI table from the grouped results (group g = layer g // S, seed g % S) of
    ``n_inputs`` evaluation inputs."""
    accuracy = {(row.seed, row.epoch): (row.test_acc, row.train_acc) for row in history.itertuples()}
    rows = []
    for epoch, name, values in measured:
        for g in range(n_layers * len(seeds)):
            depth, seed = g // len(seeds) + 1, seeds[g % len(seeds)]
            rows.append({**names, "seed": seed, "analysis": name, "estimator": analyses[name]["estimator"],
                         "epoch": epoch, "layer": f"T{depth}", "depth": depth,
                         **{key: float(v[g]) for key, v in values.items() if key != "cells"}, **limits,
                         "test_acc": accuracy[seed, epoch][0], "train_acc": accuracy[seed, epoch][1],
                         "flags": _estimator_flags(values, g, n_inputs, limits["h_y"])})
    return flag_values(_sorted(pd.DataFrame(rows, columns=MI_COLUMNS), analyses))


def _estimator_flags(values: dict[str, np.ndarray], group: int, n: int, h_y: float) -> str:
    """The flags the binning estimator gives the same layer run alone (prefixed by the quantity,
    as the analysis step writes them): ``saturated`` on both, ``above-H(Y)`` on I(T;Y)."""
    flags = []
    if values["cells"][group] >= SATURATED_SHARE * n and n > 1:
        flags += ["i_xl_saturated", "i_ly_saturated"]
    if values["i_ly_lo"][group] > h_y + 1e-9:
        flags.append("i_ly_above-H(Y)")
    return ";".join(sorted(flags))


def _sorted(table: pd.DataFrame, analyses: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Rows by seed, analysis (in the experiment's order), epoch and depth."""
    order = {name: i for i, name in enumerate(analyses)}
    table = table.sort_values(["seed", "analysis", "epoch", "depth"],
                              key=lambda s: s.map(order) if s.name == "analysis" else s, kind="stable")
    return table.reset_index(drop=True)
