"""Many seeds of one MLP variant at once, with the MI of every layer at every captured epoch.

:func:`train_seeds_at_once` trains the seeds of a variant together in one
:class:`~infoplane.nets.batched.SeedStack` and measures its ``layer`` analyses in the same pass:
nothing is written per epoch, so 50 seeds x 400 captured epochs need no activation files
(50 x 400 x 4096 x 31 float32 values would be 10 GB). The MI table has the columns of
:func:`infoplane.experiments.analyse_run`, and a separate run of the same seed
(:func:`~infoplane.experiments.train_run`, then ``analyse_run``) gives the same numbers, to
float rounding (the stacked products sum in another order; an MI value moves only where that
rounding carries an activation across a bin edge).

Every ``layer`` analysis is measured inline (:func:`inline_analyses`): binning and the exact
counts of quantised layers for all seeds and layers at once, the KDE bounds and other registry
estimators seed by seed as the analysis step runs them. Sample propagation and compressed kNN
need the network or a compressor fitted on stored activations and stay with the per-seed path.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import importlib
import json
import math
import re
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
from infoplane.experiments.analyse import distinct_inputs, layer_estimates
from infoplane.experiments.build import build_data, build_network, is_mlp
from infoplane.experiments.spec import variant
from infoplane.flags import flag_values
from infoplane.nets.batched import SeedData, SeedStack, StackCheckpoint, noise_seed, train_seeds
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


@dataclasses.dataclass(frozen=True)
class InlineAnalyses:
    """How the ``layer`` analyses of a variant are measured while its seeds train.

    ``binned``: analysis name -> binning parameters, measured for every seed and layer at once
    (binning, and the exact counts of quantised layers). ``ranged``: the binned analyses with
    ``global_range`` (each seed's bins span its smallest to largest activation over layers and
    captured epochs, known only after training: they are measured on a second, identical pass).
    ``per_seed``: analysis name -> estimator, run on each seed's layer alone as the analysis step
    runs it (the KDE bounds and any other registry estimator).
    """

    binned: dict[str, dict[str, Any]]
    ranged: tuple[str, ...]
    per_seed: dict[str, Any]


def inline_analyses(analyses: dict[str, dict[str, Any]]) -> InlineAnalyses:
    """The ``layer`` analyses of a variant as the stacked training measures them.

    Raises:
        ValueError: for an analysis that is not of kind ``layer``.
    """
    binned, ranged, per_seed = {}, [], {}
    for name, analysis in analyses.items():
        if analysis.get("kind") != "layer":
            raise ValueError(f"analysis {name!r} is of kind {analysis.get('kind')!r}; batched seeds "
                             "measure layer analyses only")
        estimator_name = analysis["estimator"]
        estimator = build(estimator_name, **(analysis.get("params") or {}))  # checked, with defaults
        if estimator_name == "discrete" and estimator.params().get("correction") == "none":
            binned[name] = {"scheme": "exact"}
        elif estimator_name == "binning":
            binned[name] = estimator.params()
            if analysis.get("global_range"):
                ranged.append(name)
        else:
            per_seed[name] = estimator
    return InlineAnalyses(binned, tuple(ranged), per_seed)


def stacked_analyses(settings: dict[str, Any]) -> InlineAnalyses:
    """The analyses of a variant (:func:`inline_analyses`) when its seeds can be trained at once
    (its settings, :func:`~infoplane.experiments.spec.variant`).

    Stacked training covers MLPs trained on the nll loss with the given labels, captured in
    float32, whose analyses are all of kind ``layer``; the rest (sample propagation, compressed
    kNN, shuffled labels, frozen networks, the orthonormality penalty, float16 captures) reads
    a stored run.

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
    dtype = settings["capture"].get("dtype", "float32")
    if dtype != "float32":   # a stored run's estimators read its activations rounded to this type
        raise ValueError(f"capture.dtype {dtype!r}: stacked seeds measure float32 activations")
    return inline_analyses(settings.get("analyses") or {})


def unbatchable_reason(settings: dict[str, Any]) -> str | None:
    """Why the seeds of a variant cannot be trained at once (:func:`stacked_analyses`), or
    None when they can."""
    try:
        stacked_analyses(settings)
    except ValueError as error:
        return str(error)
    return None


def train_seeds_at_once(
    spec: dict[str, Any], variant_name: str, seeds: Sequence[int], data_root: str | Path | None = None,
    threads: int | None = 1, progress: bool = False, jobs: int = 1, checkpoints: str | Path | None = None,
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
        checkpoints: a folder where each stack keeps its state every ten minutes, in a file
            named by its settings, seeds and code, and resumes from it when run again with the
            same ``jobs`` (hours-long paper-scale runs survive a kill). The files stay until
            :func:`remove_checkpoints` (once the tables are safely written). Variants with
            ``global_range`` bins train twice and are not checkpointed.

    Returns:
        (the MI table, columns ``MI_COLUMNS``, one row per seed, analysis, captured epoch
        and layer; the training history, one row per seed and epoch).
    """
    settings = variant(spec, variant_name)
    try:
        stacked_analyses(settings)
    except ValueError as error:
        raise ValueError(f"variant {variant_name!r} cannot train its seeds at once: {error}; train it "
                         "seed by seed (`infoplane train`, then `infoplane analyse`)") from None
    seeds = [int(s) for s in seeds]
    chunks = ([[int(s) for s in chunk] for chunk in np.array_split(seeds, min(jobs, len(seeds)))]
              if jobs > 1 and len(seeds) > 1 else [seeds])
    if len(chunks) > 1:
        parts = parallel_map(_TrainChunk(spec, variant_name, data_root, checkpoints), chunks,
                             n_jobs=len(chunks))
    else:
        if threads:
            torch.set_num_threads(threads)
        parts = [_train_stack(spec, variant_name, seeds, data_root, progress, checkpoints)]
    tables, histories = zip(*parts, strict=True)
    return _sorted(pd.concat(tables), settings["analyses"]), pd.concat(histories, ignore_index=True)


def remove_checkpoints(checkpoints: str | Path, spec: dict[str, Any], variant_name: str,
                       seeds: Sequence[int]) -> list[Path]:
    """Delete the stack checkpoints of a variant's ``seeds`` (whichever ``jobs`` split them, and
    whichever code wrote them) and the half-written files a kill during a save left; call it
    once the run's tables are written, so that a failure before then costs no training.

    Returns the paths removed.
    """
    wanted = {int(s) for s in seeds}
    prefix = _checkpoint_prefix(spec, variant(spec, variant_name))
    removed = []
    for pattern in (f"{glob.escape(prefix)}*.pt", f".{glob.escape(prefix)}*.tmp-*.pt"):
        for path in Path(checkpoints).glob(pattern):
            ends = re.match(r"\.?" + re.escape(prefix) + r"(\d+)-(\d+)_", path.name)
            if ends and {int(ends[1]), int(ends[2])} <= wanted:   # a stack of these seeds
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


#: The modules whose code decides a stack's numbers: a checkpoint that other code wrote is not
#: resumed (a run killed, then resumed after a pull, would mix two codes' epochs in one table).
NUMERIC_MODULES = ("infoplane.nets.batched", "infoplane.nets.mlp", "infoplane.experiments.seeds",
                   "infoplane.experiments.build", "infoplane.experiments.analyse", "infoplane.train",
                   "infoplane.estimators.grouped", "infoplane.estimators.binning", "infoplane.data.images")


def _code_digest() -> str:
    """A digest of the source of :data:`NUMERIC_MODULES` and of torch's version."""
    digest = hashlib.sha256(torch.__version__.encode())
    for name in NUMERIC_MODULES:
        digest.update(Path(str(importlib.import_module(name).__file__)).read_bytes())
    return digest.hexdigest()[:16]


def _checkpoint_prefix(spec: dict[str, Any], settings: dict[str, Any]) -> str:
    """How every stack checkpoint of a variant's file name begins (its seeds and digest follow)."""
    return f"{spec['name']}_{settings['variant']}_seeds-"


def _checkpoint_file(checkpoints: str | Path, spec: dict[str, Any], settings: dict[str, Any],
                     seeds: list[int]) -> tuple[Path, str]:
    """Where a stack of ``seeds`` keeps its state, and the identity the state must carry."""
    identity = json.dumps({"settings": settings, "seeds": seeds, "code": _code_digest()}, sort_keys=True,
                          default=str)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    name = f"{_checkpoint_prefix(spec, settings)}{seeds[0]}-{seeds[-1]}_{digest}.pt"
    return Path(checkpoints) / name, identity


def _train_stack(spec: dict[str, Any], variant_name: str, seeds: list[int], data_root: str | Path | None,
                 progress: bool, checkpoints: str | Path | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`train_seeds_at_once` of one stack, in this process; its checkpoint is kept."""
    settings = variant(spec, variant_name)
    plan = stacked_analyses(settings)
    train = settings["train"]
    data = seed_data(settings, seeds, data_root)
    inputs = distinct_inputs(data.inputs[data.eval_rows].numpy(), f"variant {variant_name!r}")
    labels = data.labels[data.eval_rows].numpy()
    measured: list[tuple[int, str, dict[str, Any]]] = []
    epochs = int(train["epochs"])
    schedule = capture_schedule(epochs, **settings["capture"]["schedule"])

    checkpoint = None
    if checkpoints is not None and not plan.ranged:
        path, identity = _checkpoint_file(checkpoints, spec, settings, seeds)
        checkpoint = StackCheckpoint(path, identity, carry=measured)

    def trained(on_capture: Any) -> tuple[SeedStack, pd.DataFrame]:
        """One pass: the seeds trained from their initial weights, and their history."""
        stack = SeedStack([build_network(settings, s) for s in seeds],
                          noise_seeds=[noise_seed(s) for s in seeds])
        return stack, train_seeds(stack, data, seeds, epochs, int(train["batch_size"]), float(train["lr"]),
                                  train.get("optimizer", "adam"), capture_epochs=schedule,
                                  on_capture=on_capture, progress=progress, checkpoint=checkpoint)

    lo = np.full(len(seeds), np.inf)
    hi = np.full(len(seeds), -np.inf)

    def measure(epoch: int, layers: list[torch.Tensor]) -> None:
        for t in layers if plan.ranged else ():   # each seed's range, for the second pass
            np.minimum(lo, t.amin(dim=(1, 2)).numpy(), out=lo)
            np.maximum(hi, t.amax(dim=(1, 2)).numpy(), out=hi)
        for name, params in plan.binned.items():
            if name not in plan.ranged:
                measured.append((epoch, name, _storable(_binned_information(layers, [params] * len(seeds),
                                                                            labels))))
        for name, estimator in plan.per_seed.items():
            rows = [layer_estimates(estimator, one_seed, inputs, labels)
                    for t in layers for one_seed in t.numpy()]
            measured.append((epoch, name, _storable({key: [row[key] for row in rows] for key in rows[0]})))

    stack, history = trained(measure)
    if plan.ranged:
        if not np.all(lo < hi):
            raise ValueError(f"variant {variant_name!r}: a seed's activations span no range; global_range "
                             "bins need varying activations")

        ranged = {name: [{**plan.binned[name], "lo": float(low), "hi": float(high)}
                         for low, high in zip(lo, hi, strict=True)] for name in plan.ranged}

        def measure_ranged(epoch: int, layers: list[torch.Tensor]) -> None:
            for name, params in ranged.items():
                measured.append((epoch, name, _binned_information(layers, params, labels)))

        trained(measure_ranged)   # the same networks again (training is deterministic), on their ranges
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
    checkpoints: str | Path | None = None

    def __call__(self, seeds: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
        return _train_stack(self.spec, self.variant_name, seeds, self.data_root, False, self.checkpoints)


def _storable(values: dict[str, Any]) -> dict[str, Any]:
    """Measured values as a checkpoint can hold them: numeric arrays as tensors, the rest
    (flags) as lists."""
    stored = {}
    for key, value in values.items():
        array = np.asarray(value)
        if array.dtype.kind in "biuf":
            stored[key] = torch.from_numpy(array.copy())
        else:   # numpy scalars (np.str_, np.float64) as Python's: a weights-only load refuses them
            stored[key] = [item.item() if isinstance(item, np.generic) else item for item in value]
    return stored


def _binned_information(layers: list[torch.Tensor], params: list[dict[str, Any]], labels: np.ndarray
                        ) -> dict[str, np.ndarray]:
    """The plug-in I(X;T) and I(T;Y) of every layer and seed (group g = layer g // S, seed g % S)
    of the layers (S, n, d_l), binned with ``params[s]`` for seed s."""
    width = max(t.shape[-1] for t in layers)
    bins = np.zeros((len(layers), len(params), len(labels), width), dtype=np.int64)
    for layer, t in enumerate(layers):  # a narrower layer's missing columns are one bin
        bins[layer, :, :, : t.shape[-1]] = _bins(t.numpy(), params)
    return grouped_plugin_information(bins.reshape(-1, len(labels), width), labels)


def _bins(t: np.ndarray, params: list[dict[str, Any]]) -> np.ndarray:
    """Bin indices (S, n, d), shifted to start at 0, of one layer of every seed, (S, n, d),
    seed s binned with ``params[s]``.

    Schemes whose bins depend on the layer's own range (``quantized``, ``uniform`` without
    lo/hi), and seeds with ranges of their own, are binned seed by seed, as separate runs would
    be; the others all at once. ``exact`` (the ``discrete`` estimator on quantised layers) gives
    every distinct value its own bin: rows are equal exactly where their values are.
    """
    first = params[0]
    if first["scheme"] == "exact":
        return np.unique(t, return_inverse=True)[1].reshape(t.shape)
    per_seed = any(p != first for p in params) or first["scheme"] == "quantized" or (
        first["scheme"] == "uniform" and (first["lo"] is None or first["hi"] is None))
    bins = (np.stack([bin_layer(seed_t, **p) for seed_t, p in zip(t, params, strict=True)]) if per_seed
            else bin_layer(t, **first))
    return bins - bins.min(axis=(1, 2), keepdims=True)


def _table(measured: list[tuple[int, str, dict[str, Any]]], history: pd.DataFrame, n_layers: int,
           seeds: list[int], analyses: dict[str, dict[str, Any]], names: dict[str, str],
           limits: dict[str, float], n_inputs: int) -> pd.DataFrame:
    """The MI table from the measured values of every group (group g = layer g // S, seed
    g % S) of ``n_inputs`` evaluation inputs: a binned analysis's flags are the binning
    estimator's (:func:`_estimator_flags`), a per-seed estimator's come with its values."""
    accuracy = {(row.seed, row.epoch): (row.test_acc, row.train_acc) for row in history.itertuples()}
    rows = []
    for epoch, name, values in measured:
        for g in range(n_layers * len(seeds)):
            depth, seed = g // len(seeds) + 1, seeds[g % len(seeds)]
            rows.append({**names, "seed": seed, "analysis": name, "estimator": analyses[name]["estimator"],
                         "epoch": epoch, "layer": f"T{depth}", "depth": depth,
                         **{key: float(v[g]) for key, v in values.items() if key not in ("cells", "flags")},
                         **limits, "test_acc": accuracy[seed, epoch][0],
                         "train_acc": accuracy[seed, epoch][1],
                         "flags": (values["flags"][g] if "flags" in values
                                   else _estimator_flags(values, g, n_inputs, limits["h_y"]))})
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
