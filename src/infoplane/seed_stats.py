"""Effects over seeds with intervals: what a verdict on "layer l compresses" or "fits" rests on.

A difference of seed means says nothing about whether an effect is larger than the spread
between seeds, and "peak minus last" is positive for any noisy curve (the maximum of a curve is
never below its last value). The two effects here cannot be passed by noise alone:

- :func:`held_out_compression`: the seeds are split in two halves at random (seeded). The first
  half picks the epoch e* where the seed-mean I(X;T_l) peaks; on the other half, each seed's
  effect is I(X;T_l) at e* minus I(X;T_l) at the last epoch. With no compression, the held-out
  seeds' values at e* are no higher than at the end on average, so the effect's interval
  covers 0; choosing e* on the same seeds would bias it upwards.
- :func:`change_between`: each seed's value at one fixed epoch minus its value at another
  (for example I(T;Y) at the end minus at epoch 0: fitting).

Intervals are percentile bootstrap intervals of the mean over seeds (seeds resampled with
replacement; seeded, so the same table gives the same interval). Tables are MI tables (one row
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
                         n_boot: int = 10_000) -> SeedEffect:
    """I(X;T_l) at the peak epoch chosen on half the seeds minus at the last epoch, on the others.

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
    peak = epochs[int(np.argmax(curve.loc[choose].mean(axis=0).to_numpy()))]
    effect = (curve.loc[judge, peak] - curve.loc[judge, epochs[-1]]).to_numpy()
    mean, lo, hi = bootstrap_mean(effect, n_boot, seed=split_seed)
    resampled = curve.loc[choose].to_numpy()[rng.integers(0, len(choose), size=(1000, len(choose)))]
    peaks = epochs[np.argmax(resampled.mean(axis=1), axis=1)]
    return SeedEffect(mean, lo, hi, len(judge), {
        "peak_epoch": float(peak), "last_epoch": float(epochs[-1]),
        "peak_epoch_lo": float(np.quantile(peaks, 0.025)), "peak_epoch_hi": float(np.quantile(peaks, 0.975)),
        "choosing_seeds": float(len(choose))})


def change_between(table: pd.DataFrame, column: str, layer: str, analysis: str, start: int | None = None,
                   end: int | None = None, n_boot: int = 10_000) -> SeedEffect:
    """Each seed's ``column`` at ``end`` minus at ``start`` (default: last minus first epoch), bits."""
    curve = per_seed_curve(table, column, layer, analysis) / LOG2
    epochs = curve.columns.to_numpy()
    start = int(epochs[0]) if start is None else start
    end = int(epochs[-1]) if end is None else end
    mean, lo, hi = bootstrap_mean((curve[end] - curve[start]).to_numpy(), n_boot)
    return SeedEffect(mean, lo, hi, len(curve), {"start_epoch": float(start), "end_epoch": float(end)})


def value_at(table: pd.DataFrame, column: str, layer: str, analysis: str, epoch: int | None = None,
             n_boot: int = 10_000) -> SeedEffect:
    """The seed mean of ``column`` at ``epoch`` (default: the last), with its interval, bits."""
    curve = per_seed_curve(table, column, layer, analysis) / LOG2
    epoch = int(curve.columns[-1]) if epoch is None else epoch
    mean, lo, hi = bootstrap_mean(curve[epoch].to_numpy(), n_boot)
    return SeedEffect(mean, lo, hi, len(curve), {"epoch": float(epoch)})
