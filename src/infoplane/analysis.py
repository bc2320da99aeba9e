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
from infoplane.parallel import parallel_map
from infoplane.runstore import InMemoryLayer, LayerRef, RunStore, open_run

#: The MI table of docs/architecture.md, then the columns that say how each value was made.
MI_COLUMNS = ["experiment", "seed", "epoch", "layer", "estimator", "i_xl", "i_ly",
              "i_xl_lo", "i_xl_hi", "i_ly_lo", "i_ly_hi"]
EXTRA_COLUMNS = ["layer_dim", "pca_dim", "pca_explained", "pca_fit", "x_compression", "h_y", "flags"]
PCA_FITS = ("per-epoch", "fixed")


@dataclass(frozen=True)
class AnalysisConfig:
    """How a run is analysed.

    Attributes:
        estimator: registry name of the MI estimator (``wkl``, ``ksg``, ...).
        estimator_params: its parameters (Butakov et al.: k = 5).
        layer_dim: PCA components kept per layer (fewer when a layer is narrower).
        pca_fit: ``"per-epoch"`` or ``"fixed"`` (see the module docstring).
        pca_fit_epoch: reference epoch of the fixed projection (None: the last stored).
        exp_layers: layers also analysed through exp() (``"L5"`` -> ``"exp(L5)"``: the
            probabilities of a log-softmax output, which the paper analyses too).
        layers: analyse only these layers (None: every stored layer, in forward order).
        epochs: analyse only these epochs (None: every stored epoch).
        seed: seed of the PCA solver.
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
        x_compression: how ``x_codes`` were made, e.g. ``"ae:4"`` (written into the table).
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

    fixed: dict[str, PCACompressor] = {}
    if config.pca_fit == "fixed":
        reference = config.pca_fit_epoch if config.pca_fit_epoch is not None else max(epochs)
        for name in _layer_names(store, reference, config):
            acts = _layer_source(store, reference, name).load()
            fixed[name] = PCACompressor(config.layer_dim, seed=config.seed).fit(acts)

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


def flag_values(table: pd.DataFrame) -> pd.DataFrame:
    """Add the sanity flags of the module docstring to ``table`` (a copy); never changes values."""
    table = table.copy()
    flags = [set(filter(None, str(f).split(";"))) if isinstance(f, str) else set() for f in table["flags"]]
    for i, row in enumerate(table.itertuples(index=False)):
        if row.i_xl < 0:
            flags[i].add("i_xl<0")
        if row.i_ly < 0:
            flags[i].add("i_ly<0")
        if row.i_ly > row.h_y:
            flags[i].add("i_ly>H(Y)")
    # Data-processing checks along the forward order of the plain layers (not exp(...)).
    order = {name: rank for rank, name in enumerate(dict.fromkeys(table["layer"]))}
    plain = table[~table["layer"].str.startswith("exp(")]
    for _, group in plain.groupby(["seed", "epoch"]):
        group = group.sort_values("layer", key=lambda s: s.map(order))
        ranked = list(group.iterrows())
        for (_, prev), (i_cur, cur) in zip(ranked, ranked[1:], strict=False):
            for key in ("i_xl", "i_ly"):
                if cur[f"{key}_lo"] > prev[f"{key}_hi"]:
                    flags[table.index.get_loc(i_cur)].add(f"dpi_{key[2:]}")
    table["flags"] = [";".join(sorted(f)) for f in flags]
    return table


def aggregate_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds and a band per (experiment, pca_fit, x_compression, epoch, layer, estimator).

    The point values are the means over seeds; ``*_lo`` / ``*_hi`` span the lowest lower and
    highest upper interval bound of the seeds (a band covering every seed's interval);
    ``*_sd`` is the standard deviation of the seeds' point values; ``flags`` is the union.
    """
    keys = ["experiment", "pca_fit", "x_compression", "epoch", "layer", "estimator"]
    keys = [k for k in keys if k in table]
    grouped = table.groupby(keys, sort=False)
    out = grouped.agg(
        n_seeds=("seed", "nunique"), i_xl=("i_xl", "mean"), i_ly=("i_ly", "mean"),
        i_xl_lo=("i_xl_lo", "min"), i_xl_hi=("i_xl_hi", "max"),
        i_ly_lo=("i_ly_lo", "min"), i_ly_hi=("i_ly_hi", "max"),
        i_xl_sd=("i_xl", "std"), i_ly_sd=("i_ly", "std"),
        flags=("flags", lambda f: ";".join(sorted({x for v in f for x in str(v).split(";") if x}))),
    ).reset_index()
    order = [k for k in ("pca_fit", "epoch") if k in out]
    return out.sort_values(order, kind="stable").reset_index(drop=True)


def flag_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many rows carry each flag (for the metrics file)."""
    counts: dict[str, int] = {}
    for value in table["flags"].fillna(""):
        for flag in filter(None, str(value).split(";")):
            flag = flag.split(":")[0]
            counts[flag] = counts.get(flag, 0) + 1
    return counts


def compression_summary(aggregated: pd.DataFrame, fastest_loss_drop: int | None = None
                        ) -> dict[str, dict[str, float]]:
    """Per layer (and PCA mode): where I(X;L) peaks and how much it falls after the peak.

    Args:
        aggregated: the table of :func:`aggregate_seeds`.
        fastest_loss_drop: the epoch of :func:`fastest_loss_drop_epoch`, if known.

    Returns:
        ``"<layer> (<pca_fit>)"`` -> first / peak / last I(X;L) (nats, seed means), the peak's
        epoch, the drop peak - last, ``drop_beyond_band``: whether the peak's band lies
        wholly above the last epoch's (a compression phase the intervals cannot explain),
        ``first_dip_epoch``: the last stored epoch before I(X;L) first falls (None if it never
        does), ``first_clear_dip_epoch``: where the first fall that clears the intervals starts
        (see :func:`first_clear_dip_epoch`), and, with ``fastest_loss_drop``, each of the two
        minus that epoch (``first_dip_minus_fastest_loss_epoch``,
        ``first_clear_dip_minus_fastest_loss_epoch``).
    """
    summary = {}
    by = ["layer", "pca_fit"] if "pca_fit" in aggregated else ["layer"]
    for key, rows in aggregated.groupby(by, sort=False):
        rows = rows.dropna(subset=["i_xl"]).sort_values("epoch")
        if rows.empty:
            continue
        peak, last = rows.loc[rows["i_xl"].idxmax()], rows.iloc[-1]
        parts = key if isinstance(key, tuple) else (key,)
        name = " ".join(f"({k})" if i else str(k) for i, k in enumerate(parts))
        summary[name] = {
            "first_i_xl": float(rows["i_xl"].iloc[0]), "peak_i_xl": float(peak["i_xl"]),
            "peak_epoch": int(peak["epoch"]), "last_i_xl": float(last["i_xl"]),
            "drop": float(peak["i_xl"] - last["i_xl"]),
            "drop_beyond_band": bool(peak["i_xl_lo"] > last["i_xl_hi"]),
            "first_i_ly": float(rows["i_ly"].iloc[0]), "last_i_ly": float(last["i_ly"]),
        }
        falls = np.flatnonzero(np.diff(rows["i_xl"].to_numpy()) < 0)
        dips = {"first_dip": int(rows["epoch"].iloc[falls[0]]) if falls.size else None,
                "first_clear_dip": first_clear_dip_epoch(rows)}
        for measure, dip in dips.items():
            summary[name][f"{measure}_epoch"] = dip
            if dip is not None and fastest_loss_drop is not None:
                summary[name][f"{measure}_minus_fastest_loss_epoch"] = dip - fastest_loss_drop
    return summary


def first_clear_dip_epoch(rows: pd.DataFrame) -> int | None:
    """Where the first fall of I(X;L) that the intervals cannot explain starts.

    A fall is clear at epoch j when I(X;L)'s whole interval at j lies below the whole interval
    of some earlier epoch (``i_xl_hi[j] < i_xl_lo[i]``, i < j). For the first such j this
    returns the epoch before j with the highest lower bound: the top the layer fell from.
    Small wiggles inside the intervals, which :func:`compression_summary`'s ``first_dip_epoch``
    counts, do not count here.

    Args:
        rows: one layer's rows sorted by epoch, columns ``epoch``, ``i_xl_lo``, ``i_xl_hi``.

    Returns:
        the epoch, or None if I(X;L) never falls clear of its intervals.
    """
    lower, upper = rows["i_xl_lo"].to_numpy(), rows["i_xl_hi"].to_numpy()
    best_before = np.maximum.accumulate(lower)[:-1]  # best_before[j - 1]: max lower over epochs < j
    clear = np.flatnonzero(upper[1:] < best_before)
    if not clear.size:
        return None
    top = int(np.argmax(lower[: clear[0] + 1]))
    return int(rows["epoch"].iloc[top])


def fastest_loss_drop_epoch(history: pd.DataFrame, column: str = "test_loss") -> int:
    """The epoch that ends the steepest fall of the loss, seed means.

    Args:
        history: ``history.csv`` rows of one or more seeds (columns epoch, ``column``); the
            test loss is used by default because it is measured at epoch 0 too, on the same
            schedule as the captured activations.

    Returns:
        the epoch e maximising loss(e - 1) - loss(e) (per epoch, so gaps in the epochs count).
    """
    mean = history.groupby("epoch")[column].mean().dropna().sort_index()
    if len(mean) < 2:
        raise ValueError(f"history needs {column} at two epochs or more to find the fastest drop")
    epochs = mean.index.to_numpy()
    rate = -np.diff(mean.to_numpy()) / np.diff(epochs)
    return int(epochs[1:][np.argmax(rate)])
