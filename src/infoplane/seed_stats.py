"""Effects over seeds with intervals: what a verdict on "layer l compresses" or "fits" rests on.

A difference of seed means says nothing about whether an effect is larger than the spread
between seeds, and "peak minus last" is positive for any noisy curve (the maximum of a curve is
never below its last value). The effects here cannot be passed by noise alone:

- :func:`held_out_compression`: the seeds are split in two halves at random (seeded). The first
  half picks the epoch e* where the seed-mean I(X;T_l) peaks; on the other half, each seed's
  effect is I(X;T_l) at e* minus I(X;T_l) at the last epoch. With no compression, the held-out
  seeds' values at e* are no higher than at the end on average, so the effect's interval
  covers 0; choosing e* on the same seeds would bias it upwards.
- :func:`held_out_dip`: a dip anywhere in training, not only before the end (the "alternating
  fitting and compression phases" of Butakov et al.). Leave one seed out: the other seeds' mean
  curve picks the pair of epochs e1 < e2 with the largest fall; the left-out seed's effect is
  I(X;T_l) at e1 minus at e2. It works from 3 seeds, where a split in halves cannot.
- :func:`change_between`: each seed's value at one fixed epoch minus its value at another
  (for example I(T;Y) at the end minus at epoch 0: fitting).
- :func:`value_range`: each seed's largest minus smallest value over the logged epochs (a
  "flat" layer has a small range; noise makes it larger, never smaller).
- :func:`paired_gap`: each seed's value at the last epoch in one variant minus the same seed's in
  another (a paired comparison: the seed's initial weights are common to both).
- :func:`drift_to_diffusion_lag`: how far apart, in decades of epochs, a seed's compression of
  layer l starts and its gradient signal-to-noise ratio falls below 1 (Shwartz-Ziv & Tishby's
  drift-to-diffusion transition), from the MI table and the training history.
- :func:`flag_share` and :func:`layer_gap`: checks of the pipeline rather than effects of
  training. The share of epochs whose row carries a flag (``dpi_ly``: a layer reading more label
  information than the layer before it, which the data-processing inequality forbids), and the
  mean distance between two layers that must carry the same information (``exp(L5)`` and
  ``L5``: exp is invertible).

Intervals are percentile bootstrap intervals of the mean over seeds (seeds resampled with
replacement; seeded, so the same table gives the same interval), or with ``interval="t"``
Student-t intervals, which are the honest choice for a handful of seeds: with 3 seeds the
bootstrap has 10 distinct resamples and its percentile interval is too narrow. Tables are MI tables (one row
per seed, epoch, layer and analysis, :mod:`infoplane.tables`; nats); effects are returned in bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

LOG2 = math.log(2)


@dataclass(frozen=True)
class SeedEffect:
    """The mean of a per-seed effect with a 95 % bootstrap interval over seeds (bits)."""

    mean: float
    lo: float
    hi: float
    seeds: int
    detail: dict[str, float]

    def excludes_zero_above(self) -> bool:
        """True when the whole interval lies above 0."""
        return self.lo > 0


def bootstrap_mean(values: np.ndarray, n_boot: int = 10_000, seed: int = 0, level: float = 0.95
                   ) -> tuple[float, float, float]:
    """Mean of ``values`` (S,) and its percentile bootstrap interval over the S entries."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"need at least 2 finite per-seed values, got {values!r}")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    tail = (1 - level) / 2
    return float(values.mean()), float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def t_mean(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` (S,) and its Student-t interval (S - 1 degrees of freedom)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"need at least 2 finite per-seed values, got {values!r}")
    from scipy import stats  # ~1 s to import: only the steps that judge seeds pay it

    mean = float(values.mean())
    half = float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values)))
    return mean, mean - half, mean + half


def interval_of(values: np.ndarray, interval: str = "bootstrap", n_boot: int = 10_000, seed: int = 0
                ) -> tuple[float, float, float]:
    """Mean and 95 % interval over seeds by ``interval`` ("bootstrap" or "t")."""
    if interval == "bootstrap":
        return bootstrap_mean(values, n_boot, seed)
    if interval == "t":
        return t_mean(values)
    raise ValueError(f"interval is 'bootstrap' or 't', got {interval!r}")


def per_seed_curve(table: pd.DataFrame, column: str, layer: str, analysis: str) -> pd.DataFrame:
    """``column`` of one layer (its name, e.g. ``T5``) and analysis as a seeds x epochs frame (nats)."""
    rows = table[(table["layer"] == layer) & (table["analysis"] == analysis)]
    if rows.empty:
        raise ValueError(f"no rows for layer {layer!r} and analysis {analysis!r}")
    curve = rows.pivot_table(index="seed", columns="epoch", values=column, aggfunc="mean")
    if curve.isna().any().any():
        raise ValueError("every seed must have every epoch; the table has gaps")
    return curve


def held_out_compression(table: pd.DataFrame, layer: str, analysis: str, split_seed: int = 0,
                         n_boot: int = 10_000, versus_analysis: str | None = None) -> SeedEffect:
    """I(X;T_l) at the peak epoch chosen on half the seeds minus at the last epoch, on the others.

    With ``versus_analysis``, each judged seed's compression under ``analysis`` minus its
    compression under ``versus_analysis`` (the same layer of the same networks read another way,
    its own peak chosen on the same half): a paired comparison of two estimators.

    ``detail``: ``peak_epoch`` (e*), ``last_epoch``, ``peak_epoch_lo``/``_hi`` (a bootstrap
    interval of e* over the choosing half), ``choosing_seeds``.
    """
    curve = per_seed_curve(table, "i_xl", layer, analysis) / LOG2
    seeds = curve.index.to_numpy()
    if len(seeds) < 4:
        raise ValueError(f"a held-out effect needs at least 4 seeds, got {len(seeds)}")
    rng = np.random.default_rng(split_seed)
    shuffled = rng.permutation(seeds)
    choose, judge = shuffled[: len(seeds) // 2], shuffled[len(seeds) // 2:]
    epochs = curve.columns.to_numpy()

    def compression(curve: pd.DataFrame) -> tuple[np.ndarray, float]:
        peak = epochs[int(np.argmax(curve.loc[choose].mean(axis=0).to_numpy()))]
        return (curve.loc[judge, peak] - curve.loc[judge, epochs[-1]]).to_numpy(), peak

    effect, peak = compression(curve)
    if versus_analysis is not None:
        versus = per_seed_curve(table, "i_xl", layer, versus_analysis) / LOG2
        if not (versus.index.equals(curve.index) and versus.columns.equals(curve.columns)):
            raise ValueError(f"analyses {analysis!r} and {versus_analysis!r} must cover the same seeds "
                             "and epochs")
        effect = effect - compression(versus)[0]
    mean, lo, hi = bootstrap_mean(effect, n_boot, seed=split_seed)
    resampled = curve.loc[choose].to_numpy()[rng.integers(0, len(choose), size=(1000, len(choose)))]
    peaks = epochs[np.argmax(resampled.mean(axis=1), axis=1)]
    return SeedEffect(mean, lo, hi, len(judge), {
        "peak_epoch": float(peak), "last_epoch": float(epochs[-1]),
        "peak_epoch_lo": float(np.quantile(peaks, 0.025)), "peak_epoch_hi": float(np.quantile(peaks, 0.975)),
        "choosing_seeds": float(len(choose))})


def largest_fall(curve: np.ndarray) -> tuple[int, int]:
    """Indices (i, j), i < j, of the largest fall ``curve[i] - curve[j]`` of a curve (E,), E >= 2."""
    running_max = np.maximum.accumulate(curve[:-1])           # best earlier value before each j
    falls = running_max - curve[1:]
    j = int(np.argmax(falls)) + 1
    i = int(np.argmax(curve[:j]))
    return i, j


def held_out_dip(table: pd.DataFrame, layer: str, analysis: str, interval: str = "t",
                 n_boot: int = 10_000) -> SeedEffect:
    """The largest fall of I(X;T_l), its epochs chosen without the seed it is measured on (bits).

    For each seed s, the mean curve of the other seeds gives epochs e1 < e2 of its largest fall
    (:func:`largest_fall`); s's effect is I(X;T_l) at e1 minus at e2. With no dip in the network,
    s's own noise is independent of the choice, so the effects centre on zero or below.
    ``detail``: ``dip_start``/``dip_end`` (the epochs chosen on all seeds together).
    """
    curve = per_seed_curve(table, "i_xl", layer, analysis) / LOG2
    values, epochs = curve.to_numpy(), curve.columns.to_numpy()
    if len(values) < 3:
        raise ValueError(f"a leave-one-out dip needs at least 3 seeds, got {len(values)}")
    effects = []
    for s in range(len(values)):
        i, j = largest_fall(np.delete(values, s, axis=0).mean(axis=0))
        effects.append(values[s, i] - values[s, j])
    mean, lo, hi = interval_of(np.array(effects), interval, n_boot)
    i, j = largest_fall(values.mean(axis=0))
    return SeedEffect(mean, lo, hi, len(values), {"dip_start": float(epochs[i]), "dip_end": float(epochs[j])})


def change_between(table: pd.DataFrame, column: str, layer: str, analysis: str, start: int | None = None,
                   end: int | None = None, interval: str = "bootstrap", n_boot: int = 10_000) -> SeedEffect:
    """Each seed's ``column`` at ``end`` minus at ``start`` (default: last minus first epoch), bits."""
    curve = per_seed_curve(table, column, layer, analysis) / LOG2
    epochs = curve.columns.to_numpy()
    start = int(epochs[0]) if start is None else start
    end = int(epochs[-1]) if end is None else end
    mean, lo, hi = interval_of((curve[end] - curve[start]).to_numpy(), interval, n_boot)
    return SeedEffect(mean, lo, hi, len(curve), {"start_epoch": float(start), "end_epoch": float(end)})


def value_range(table: pd.DataFrame, column: str, layer: str, analysis: str, interval: str = "bootstrap",
                n_boot: int = 10_000) -> SeedEffect:
    """Each seed's largest minus smallest ``column`` over the logged epochs, bits."""
    curve = per_seed_curve(table, column, layer, analysis) / LOG2
    mean, lo, hi = interval_of((curve.max(axis=1) - curve.min(axis=1)).to_numpy(), interval, n_boot)
    return SeedEffect(mean, lo, hi, len(curve), {})


def value_at(table: pd.DataFrame, column: str, layer: str, analysis: str, epoch: int | None = None,
             interval: str = "bootstrap", n_boot: int = 10_000) -> SeedEffect:
    """The seed mean of ``column`` at ``epoch`` (default: the last), with its interval, bits.

    ``column`` test_acc or train_acc is a share, not information, and is returned as it is.
    """
    curve = per_seed_curve(table, column, layer, analysis)
    if column.startswith(("i_", "h_")):
        curve = curve / LOG2
    epoch = int(curve.columns[-1]) if epoch is None else epoch
    mean, lo, hi = interval_of(curve[epoch].to_numpy(), interval, n_boot)
    return SeedEffect(mean, lo, hi, len(curve), {"epoch": float(epoch)})


def flag_share(table: pd.DataFrame, flag: str, layer: str, analysis: str, interval: str = "bootstrap",
               n_boot: int = 10_000) -> SeedEffect:
    """Each seed's share of the logged epochs whose row of ``layer`` carries ``flag`` (a share).

    Flags are those of :mod:`infoplane.flags`; a row's ``flags`` is a ``;``-joined list.
    ``detail``: ``epochs`` (how many logged epochs each share is over).
    """
    rows = table[(table["layer"] == layer) & (table["analysis"] == analysis)]
    if rows.empty:
        raise ValueError(f"no rows for layer {layer!r} and analysis {analysis!r}")
    flagged = rows["flags"].fillna("").astype(str).map(lambda flags: flag in flags.split(";"))
    shares = flagged.groupby(rows["seed"]).mean().to_numpy(dtype=np.float64)
    mean, lo, hi = interval_of(shares, interval, n_boot)
    return SeedEffect(mean, lo, hi, len(shares), {"epochs": float(rows["epoch"].nunique())})


def layer_gap(table: pd.DataFrame, column: str, layer: str, other: str, analysis: str,
              interval: str = "bootstrap", n_boot: int = 10_000) -> SeedEffect:
    """Each seed's mean over the logged epochs of |``column`` at ``layer`` - at ``other``|, bits."""
    gap = (per_seed_curve(table, column, layer, analysis) - per_seed_curve(table, column, other, analysis))
    mean, lo, hi = interval_of((gap.abs().mean(axis=1) / LOG2).to_numpy(), interval, n_boot)
    return SeedEffect(mean, lo, hi, len(gap), {})


def paired_gap(table: pd.DataFrame, versus: pd.DataFrame, column: str, layer: str, analysis: str,
               epoch: int | None = None, interval: str = "bootstrap", n_boot: int = 10_000) -> SeedEffect:
    """Each seed's ``column`` at ``epoch`` (default: the last) in ``table`` minus the same seed's
    in ``versus`` (another variant of the experiment), bits; a paired comparison over the seeds
    both have.

    ``detail``: ``epoch``, ``unpaired`` (seeds in only one of the two tables).
    """
    ours, theirs = (per_seed_curve(t, column, layer, analysis) for t in (table, versus))
    if column.startswith(("i_", "h_")):
        ours, theirs = ours / LOG2, theirs / LOG2
    epoch = int(ours.columns[-1]) if epoch is None else epoch
    if epoch not in ours.columns or epoch not in theirs.columns:
        raise ValueError(f"epoch {epoch} is not logged in both tables")
    seeds = ours.index.intersection(theirs.index)
    gap = (ours.loc[seeds, epoch] - theirs.loc[seeds, epoch]).to_numpy()
    mean, lo, hi = interval_of(gap, interval, n_boot)
    unpaired = len(ours.index.symmetric_difference(theirs.index))
    return SeedEffect(mean, lo, hi, len(seeds), {"epoch": float(epoch), "unpaired": float(unpaired)})


def drift_to_diffusion_lag(table: pd.DataFrame, history: pd.DataFrame, layer: str, analysis: str,
                           interval: str = "bootstrap", n_boot: int = 10_000) -> SeedEffect:
    """|log10((e_c + 1) / (e_d + 1))| per seed, in decades of epochs: e_c, the epoch where the
    seed's largest fall of I(X;T_l) starts (:func:`largest_fall`), against e_d, the first
    trained epoch where the gradient signal-to-noise ratio of the same layer, ``grad_mean_<l>``
    over ``grad_std_<l>`` of the history (:class:`infoplane.train.GradientMoments`), is below 1.
    0: compression starts at the drift-to-diffusion transition; 1: ten times earlier or later.

    ``history``: one row per seed and epoch (the epochs may be a subset, e.g. the logged ones).
    ``detail``: ``compression_start`` and ``diffusion_start``, the seed medians of e_c and e_d,
    and ``signed_lag``, the mean of log10((e_c + 1) / (e_d + 1)) (> 0: compression later).

    Raises:
        ValueError: the history has no gradient moments of ``layer``, or a seed's ratio never
            falls below 1.
    """
    curve = per_seed_curve(table, "i_xl", layer, analysis)
    depth = int(table.loc[table["layer"] == layer, "depth"].iloc[0])
    mean, std = f"grad_mean_{depth}", f"grad_std_{depth}"
    if mean not in history or std not in history:
        raise ValueError(f"the history has no {mean} / {std}: train with gradient moments recorded")
    trained = history[history["epoch"] > 0].sort_values("epoch")
    starts, transitions = [], []
    for seed, values in curve.iterrows():
        rows = trained[trained["seed"] == seed]
        below = rows.loc[rows[mean] < rows[std], "epoch"]
        if below.empty:
            raise ValueError(f"seed {seed}: the gradient signal-to-noise ratio of {layer} never falls "
                             "below 1")
        starts.append(float(curve.columns[largest_fall(values.to_numpy())[0]]))
        transitions.append(float(below.iloc[0]))
    lag = np.log10((np.array(starts) + 1) / (np.array(transitions) + 1))
    mean_lag, lo, hi = interval_of(np.abs(lag), interval, n_boot)
    return SeedEffect(mean_lag, lo, hi, len(lag), {"compression_start": float(np.median(starts)),
                                                   "diffusion_start": float(np.median(transitions)),
                                                   "signed_lag": float(lag.mean())})


def error_at_held_out_peak(table: pd.DataFrame, history: pd.DataFrame, layer: str, analysis: str,
                           column: str = "train_acc", interval: str = "bootstrap", n_boot: int = 10_000
                           ) -> SeedEffect:
    """Each seed's error, 1 - ``column`` of the history, at the epoch where compression starts (a
    share, not bits): the peak epoch of the other seeds' mean curve of I(X;T_l), so that the
    seed's own noise does not pick it.

    ``history``: one row per seed and epoch, holding every epoch of the MI table.
    ``detail``: ``peak_epoch``, the peak of all seeds' mean curve.
    """
    curve = per_seed_curve(table, "i_xl", layer, analysis)
    values, epochs = curve.to_numpy(), curve.columns.to_numpy()
    if len(values) < 2:
        raise ValueError(f"a held-out peak needs at least 2 seeds, got {len(values)}")
    accuracy = history.pivot_table(index="seed", columns="epoch", values=column, aggfunc="mean")
    errors = []
    for s, seed in enumerate(curve.index):
        peak = epochs[int(np.argmax(np.delete(values, s, axis=0).mean(axis=0)))]
        if seed not in accuracy.index or peak not in accuracy.columns or np.isnan(accuracy.loc[seed, peak]):
            raise ValueError(f"the history has no {column} of seed {seed} at epoch {peak}")
        errors.append(1.0 - float(accuracy.loc[seed, peak]))
    mean, lo, hi = interval_of(np.array(errors), interval, n_boot)
    peak = float(epochs[int(np.argmax(values.mean(axis=0)))])
    return SeedEffect(mean, lo, hi, len(errors), {"peak_epoch": peak})


def epochs_to_accuracy(history: pd.DataFrame, threshold: float, column: str = "test_acc") -> pd.Series:
    """Per seed, the first logged epoch whose ``column`` reaches ``threshold``; a seed that never
    reaches it gets the last logged epoch + 1 (it was slower than the whole run)."""
    last = int(history["epoch"].max())
    reached = history[history[column] >= threshold].groupby("seed")["epoch"].min()
    return reached.reindex(history["seed"].unique(), fill_value=last + 1).astype(float)


def epochs_to_accuracy_ratio(history: pd.DataFrame, versus: pd.DataFrame, threshold: float,
                             column: str = "test_acc", interval: str = "bootstrap",
                             n_boot: int = 10_000) -> SeedEffect:
    """log2 of the epochs ``versus`` needs to reach ``threshold`` over the epochs ``history``
    needs (:func:`epochs_to_accuracy`), per seed both have; > 0: ``history``'s network is faster.

    ``detail``: ``epochs`` and ``epochs_versus``, the seed medians; ``never``, ``never_versus``:
    the seeds that never reached the threshold (counted at the last epoch + 1).

    Raises:
        ValueError: the two histories share no seed.
    """
    ours = epochs_to_accuracy(history, threshold, column)
    theirs = epochs_to_accuracy(versus, threshold, column)
    seeds = ours.index.intersection(theirs.index)
    if seeds.empty:
        raise ValueError("the two histories share no seed")
    ratio = np.log2(np.maximum(theirs[seeds].to_numpy(), 1.0) / np.maximum(ours[seeds].to_numpy(), 1.0))
    mean, lo, hi = interval_of(ratio, interval, n_boot)
    never = {"never": float((ours[seeds] > history["epoch"].max()).sum()),
             "never_versus": float((theirs[seeds] > versus["epoch"].max()).sum())}
    return SeedEffect(mean, lo, hi, len(seeds), {"epochs": float(ours[seeds].median()),
                                                 "epochs_versus": float(theirs[seeds].median()), **never})
