"""What an experiment's metrics file says: where I(X;L) peaks and falls, when the loss falls
fastest, the final accuracies, the flags and the sanity check.

    results/metrics/<experiment>.json = metrics(table, aggregated, history)

Keys of a layer are ``"<layer> (<analysis>)"`` (``"L3 (per-epoch)"``), and of a run
``"seed-<s>"``; for an experiment of more than one variant both are prefixed by
``"<variant>/"`` (``several=True``), whether or not the table holds every variant yet, so that
a claim's key does not change when a variant is added to the results; ``several=None`` decides
by the table.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from infoplane.flags import flag_counts, sanity


def _variants(table: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(table["variant"])) if "variant" in table else [""]


def _prefix(variant: str, several: bool) -> str:
    return f"{variant}/" if several else ""


def compression_summary(aggregated: pd.DataFrame, fastest_loss_drop: int | dict[str, int] | None = None,
                        several: bool | None = None) -> dict[str, dict[str, Any]]:
    """Per layer and analysis: where I(X;L) peaks and how much it falls after the peak.

    Args:
        aggregated: the table of :func:`infoplane.tables.aggregate` (nats).
        fastest_loss_drop: the epoch of :func:`fastest_loss_drop_epoch`, if known (one per
            variant, as a dict, when the table has several).

    Returns:
        ``"<layer> (<analysis>)"`` (prefixed ``"<variant>/"`` with several variants) -> first /
        peak / last I(X;L) (nats, seed means), the peak's epoch, the drop peak - last,
        ``drop_beyond_band``: whether the peak's band lies wholly above the last epoch's (a
        compression phase the intervals cannot explain), ``first_dip_epoch``: the last stored
        epoch before I(X;L) first falls (None if it never does), ``first_clear_dip_epoch``:
        where the first fall that clears the intervals starts (:func:`first_clear_dip_epoch`),
        and, with ``fastest_loss_drop``, each of the two minus that epoch
        (``first_dip_minus_fastest_loss_epoch``, ``first_clear_dip_minus_fastest_loss_epoch``).
    """
    several = len(_variants(aggregated)) > 1 if several is None else several
    table = aggregated if "variant" in aggregated else aggregated.assign(variant="")
    named = "analysis" in table  # without it (one analysis), a layer's key is its name
    table = table if named else table.assign(analysis="")
    summary = {}
    for (variant, layer, analysis), rows in table.groupby(["variant", "layer", "analysis"], sort=False):
        rows = rows.dropna(subset=["i_xl"]).sort_values("epoch")
        if rows.empty:
            continue
        fastest = fastest_loss_drop.get(variant) if isinstance(fastest_loss_drop, dict) else fastest_loss_drop
        peak, last = rows.loc[rows["i_xl"].idxmax()], rows.iloc[-1]
        name = f"{_prefix(variant, several)}{layer}" + (f" ({analysis})" if named else "")
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
            if dip is not None and fastest is not None:
                summary[name][f"{measure}_minus_fastest_loss_epoch"] = dip - fastest
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


def loss_fall(history: pd.DataFrame, column: str = "test_loss") -> pd.Series:
    """How fast the seed-mean loss falls: loss(e') - loss(e) per epoch between consecutive
    logged epochs e' < e, indexed by e (nats per epoch; Butakov et al.'s "loss delta")."""
    mean = history.groupby("epoch")[column].mean().dropna().sort_index()
    epochs = mean.index.to_series()
    return (-mean.diff() / epochs.diff()).iloc[1:]


def fastest_loss_drop_epoch(history: pd.DataFrame, column: str = "test_loss") -> int:
    """The epoch that ends the steepest fall of the loss, seed means.

    Args:
        history: ``history.csv`` rows of one or more seeds (columns epoch, ``column``); the
            test loss is used by default because it is measured at epoch 0 too, on the same
            schedule as the captured activations.

    Returns:
        the epoch e maximising loss(e - 1) - loss(e) (per epoch, so gaps in the epochs count;
        :func:`loss_fall`).
    """
    fall = loss_fall(history, column)
    if fall.empty:
        raise ValueError(f"history needs {column} at two epochs or more to find the fastest drop")
    return int(fall.idxmax())


def _number(value: Any) -> float | None:
    """A JSON-safe float (NaN, e.g. the training accuracy before training, becomes null)."""
    value = float(value)
    return None if math.isnan(value) else value


def final_accuracies(history: pd.DataFrame, several: bool | None = None) -> dict[str, dict[str, Any]]:
    """``"seed-<s>"`` (``"<variant>/seed-<s>"`` with several variants) -> the last epoch's
    ``epoch``, ``test_acc``, ``train_acc``, ``test_loss`` of that run's history."""
    several = len(_variants(history)) > 1 if several is None else several
    history = history if "variant" in history else history.assign(variant="")
    final = {}
    for (variant, seed), rows in history.groupby(["variant", "seed"], sort=False):
        last = rows.sort_values("epoch", kind="stable").iloc[-1]
        final[f"{_prefix(variant, several)}seed-{int(seed)}"] = {
            "epoch": int(last["epoch"]),
            **{k: _number(last[k]) for k in ("test_acc", "train_acc", "test_loss") if k in last},
        }
    return final


def metrics(table: pd.DataFrame, aggregated: pd.DataFrame, history: pd.DataFrame | None = None,
            tol: float = 1e-9, several: bool | None = None) -> dict[str, Any]:
    """The metrics file of one experiment (JSON-ready).

    Args:
        table: the MI table of every run (:mod:`infoplane.tables`).
        aggregated: :func:`infoplane.tables.aggregate` of it.
        history: every run's history (``epoch``, ``seed``, ``test_loss``, ``test_acc``,
            ``train_acc``; ``variant`` when there are several), or None.
        tol: tolerance of the sanity check, nats.
        several: whether keys carry the variant (the experiment has several; None: the table
            has several).

    Returns:
        ``rows``, ``sanity`` (:func:`infoplane.flags.sanity`), ``flags``
        (:func:`infoplane.flags.flag_counts`), ``final`` (:func:`final_accuracies`),
        ``fastest_loss_drop_epoch`` (an epoch; per variant with several; None without history)
        and ``i_xl_peak_and_drop`` (:func:`compression_summary`).
    """
    fastest: int | dict[str, int] | None = None
    final: dict[str, dict[str, Any]] = {}
    if history is not None and len(history):
        several = len(_variants(history)) > 1 if several is None else several
        final = final_accuracies(history, several)
        if several:
            fastest = {v: fastest_loss_drop_epoch(history[history["variant"] == v])
                       for v in _variants(history)}
        else:
            fastest = fastest_loss_drop_epoch(history)
    return {"rows": int(len(table)), "sanity": sanity(table, tol), "flags": flag_counts(table),
            "final": final, "fastest_loss_drop_epoch": fastest,
            "i_xl_peak_and_drop": compression_summary(aggregated, fastest, several)}
