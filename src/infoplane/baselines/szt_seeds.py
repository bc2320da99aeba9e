"""Many seeds of one baseline run at once, with binning (or exact) MI at every captured epoch.

:func:`train_szt_seeds` trains the seeds of an :class:`~infoplane.baselines.szt_runs.SZTRun`
together in one :class:`~infoplane.nets.batched.SeedStack` and measures the binning analyses
in the same pass: nothing is written per epoch, so 50 seeds x 400 captured epochs need no
activation files (50 x 400 x 4096 x 31 float32 values would be 10 GB). The returned MI table
has the columns of :func:`infoplane.baselines.planes.run_planes`, and a separate run of the
same seed gives the same numbers (to float rounding; tested).

Binning analyses and the exact counts of quantised layers (``discrete``) are measured inline;
the KDE bounds and sample propagation read stored activations or weights and stay with the
per-seed path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from infoplane.baselines.planes import MI_COLUMNS, build_analysis
from infoplane.baselines.szt_runs import SZTRun, load_data
from infoplane.estimators.binning import bin_layer
from infoplane.estimators.grouped import grouped_plugin_information
from infoplane.nets.batched import SeedData, SeedStack, noise_seed, train_seeds
from infoplane.parallel import parallel_map
from infoplane.train import capture_schedule


def seed_data(run: SZTRun, seeds: Sequence[int], configured_root: str | None = None) -> SeedData:
    """The training, test and evaluation rows of every seed of ``run`` in one pool.

    Each seed's split is the one a separate run of that seed reads (:func:`load_data`); the
    pool is the concatenation of seed 0's training, test and evaluation inputs followed by
    the rows every other seed adds, so MNIST (whose split does not depend on the seed) is held
    once.
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
        data, _ = load_data(dataclasses.replace(run, seed=int(seed)), configured_root)
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


def train_szt_seeds(
    run: SZTRun,
    seeds: Sequence[int],
    analyses: dict[str, dict[str, Any]],
    experiment: str,
    variant: str,
    configured_root: str | None = None,
    threads: int | None = 1,
    progress: bool = False,
    jobs: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train every seed of ``run`` at once and measure the binning ``analyses`` as it trains.

    Args:
        run: the run's settings; its ``seed`` is replaced by each of ``seeds``.
        seeds: the seeds (S of them).
        analyses: analysis name -> binning spec, e.g. ``{"szt": {"estimator": "binning",
            "scheme": "szt"}}``.
        experiment, variant: copied into the table.
        threads: torch CPU threads (None: torch's default); with ``jobs`` > 1, ignored.
        jobs: split the seeds into this many stacks, trained in parallel processes (one
            core each: the small products of these networks gain more from processes than
            from torch's threads). Every seed's numbers are the same for any ``jobs``.

    Returns:
        (MI table with ``MI_COLUMNS``, one row per seed, captured epoch, layer and analysis;
        training history, one row per seed and epoch).
    """
    bin_params = {}
    for name, spec in analyses.items():
        estimator = build_analysis(spec)                        # checked, with the estimator's defaults
        if spec.get("estimator") == "discrete" and estimator.params().get("correction") == "none":
            bin_params[name] = {"scheme": "exact"}
        elif spec.get("estimator") == "binning":
            bin_params[name] = estimator.params()
        else:
            raise ValueError(f"analysis {name!r} uses {spec.get('estimator')!r}; batched seeds measure "
                             "binning and exact (discrete) analyses only (train the seeds one by one for "
                             "the others)")
    seeds = [int(s) for s in seeds]
    if jobs > 1 and len(seeds) > 1:
        chunks = [list(chunk) for chunk in np.array_split(seeds, min(jobs, len(seeds)))]
        parts = parallel_map(_TrainChunk(run, analyses, experiment, variant, configured_root), chunks,
                             n_jobs=len(chunks))
        tables, histories = zip(*parts, strict=True)
        table = pd.concat(tables).sort_values(["seed", "epoch", "layer", "estimator"], kind="stable")
        return table.reset_index(drop=True), pd.concat(histories, ignore_index=True)
    if threads:
        torch.set_num_threads(threads)
    data = seed_data(run, seeds, configured_root)
    stack = SeedStack([dataclasses.replace(run, seed=s).build_model() for s in seeds],
                      noise_seeds=[noise_seed(s) for s in seeds])
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

    schedule = capture_schedule(run.epochs, log_points=run.log_points)
    history = train_seeds(stack, data, seeds, run.epochs, run.batch_size, run.lr, run.optimizer,
                          capture_epochs=schedule, on_capture=measure, progress=progress)
    return _table(measured, history, len(stack.widths) - 1, seeds, experiment, variant), history


@dataclasses.dataclass(frozen=True)
class _TrainChunk:
    """``train_szt_seeds`` of one chunk of seeds, picklable for a worker process."""

    run: SZTRun
    analyses: dict[str, dict[str, Any]]
    experiment: str
    variant: str
    configured_root: str | None

    def __call__(self, seeds: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
        return train_szt_seeds(self.run, seeds, self.analyses, self.experiment, self.variant,
                               self.configured_root, threads=None)


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
           seeds: list[int], experiment: str, variant: str) -> pd.DataFrame:
    """The MI table from the grouped results (group g = layer g // S, seed g % S)."""
    accuracy = {(row.seed, row.epoch): (row.test_acc, row.train_acc) for row in history.itertuples()}
    rows = []
    for epoch, name, values in measured:
        for g in range(n_layers * len(seeds)):
            layer, seed = g // len(seeds) + 1, seeds[g % len(seeds)]
            rows.append({"experiment": experiment, "variant": variant, "seed": seed, "epoch": epoch,
                         "layer": layer, "estimator": name,
                         **{key: float(v[g]) for key, v in values.items()},
                         "test_acc": accuracy[seed, epoch][0], "train_acc": accuracy[seed, epoch][1]})
    table = pd.DataFrame(rows, columns=MI_COLUMNS)
    return table.sort_values(["seed", "epoch", "layer", "estimator"], kind="stable").reset_index(drop=True)
