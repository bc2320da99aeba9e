"""Aggregation of per-run MI tables over seeds, and the sanity flags of the SZT task.

Sanity on SZT (X uniform over 4096 inputs, deterministic labels with H(Y) = 0.99916 bits): every
estimate must satisfy I(X;T) <= log 4096 = 12 bits and I(T;Y) <= H(Y) (and both >= 0), for
every layer and epoch. A violation means a bug (or, for Monte Carlo estimates, noise beyond the
tolerance), so the flags count violations and the pipeline fails when any is found. On MNIST the
same limits hold with X uniform over the n_eval evaluation images: I(X;T) <= ln n_eval and
I(T;Y) <= H(Y) of their labels (:func:`infoplane.baselines.szt_runs.information_limits`).
"""

from __future__ import annotations

import math

import pandas as pd

KEYS = ["experiment", "variant", "estimator", "layer", "epoch"]


def aggregate(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation, min and max over seeds of ``i_xl`` and ``i_ly``; mean accuracies.

    Returns one row per (experiment, variant, estimator, layer, epoch) with columns
    ``i_xl_mean, i_xl_std, i_xl_min, i_xl_max`` (same for ``i_ly``; nats), ``test_acc_mean``,
    ``train_acc_mean`` and ``seeds``.
    """
    grouped = table.groupby(KEYS)
    stats = grouped[["i_xl", "i_ly"]].agg(["mean", "std", "min", "max"])
    stats.columns = [f"{col}_{stat}" for col, stat in stats.columns]
    stats["test_acc_mean"] = grouped["test_acc"].mean()
    stats["train_acc_mean"] = grouped["train_acc"].mean()
    stats["seeds"] = grouped["seed"].nunique()
    return stats.reset_index().fillna({"i_xl_std": 0.0, "i_ly_std": 0.0})


def sanity_flags(table: pd.DataFrame, n_inputs: int, h_y: float, tol: float = 1e-9) -> dict[str, object]:
    """Violations of 0 <= I(X;T) <= log n_inputs and 0 <= I(T;Y) <= H(Y) (nats, tolerance ``tol``).

    Returns a JSON-ready dict: the limits, the largest values seen per estimator (nats and
    bits) and ``violations`` (count of offending rows), ``ok`` = no violation.
    """
    h_x = math.log(n_inputs)
    bad = (table["i_xl"] > h_x + tol) | (table["i_ly"] > h_y + tol) | (table["i_xl"] < -tol) | (
        table["i_ly"] < -tol)
    per_estimator = {}
    for name, rows in table.groupby("estimator"):
        per_estimator[str(name)] = {
            "max_i_xl_bits": float(rows["i_xl"].max() / math.log(2)),
            "max_i_ly_bits": float(rows["i_ly"].max() / math.log(2)),
            "min_i_xl_bits": float(rows["i_xl"].min() / math.log(2)),
            "min_i_ly_bits": float(rows["i_ly"].min() / math.log(2)),
            "violations": int(bad[rows.index].sum()),
        }
    return {
        "h_x_bits": h_x / math.log(2), "h_y_bits": h_y / math.log(2), "tolerance_nats": tol,
        "rows": int(len(table)), "violations": int(bad.sum()), "ok": bool(not bad.any()),
        "estimators": per_estimator,
    }


def final_epoch_summary(aggregated: pd.DataFrame) -> pd.DataFrame:
    """Per (variant, estimator, layer): the mean I(X;T) and I(T;Y) at the last epoch and their
    maxima over epochs (bits), to read compression off: ``compression_bits`` = max - last;
    ``largest_dip_bits``: the largest fall of I(X;T) below its running maximum, at any epoch (a
    compression phase followed by regrowth); ``fit_bits`` = last - first I(T;Y);
    ``train_error_at_peak``: 1 - the mean training accuracy at the peak of I(X;T), where
    compression starts (NaN when the peak is at epoch 0)."""
    rows = []
    for (variant, estimator, layer), g in aggregated.groupby(["variant", "estimator", "layer"]):
        g = g.sort_values("epoch")
        last = g.iloc[-1]
        at_peak = g.loc[g["i_xl_mean"].idxmax()]
        peak = at_peak["i_xl_mean"]
        rows.append({
            "variant": variant, "estimator": estimator, "layer": layer, "last_epoch": int(last["epoch"]),
            "i_xl_last_bits": last["i_xl_mean"] / math.log(2),
            "i_ly_last_bits": last["i_ly_mean"] / math.log(2),
            "i_xl_peak_bits": peak / math.log(2),
            "peak_epoch": int(at_peak["epoch"]),
            "compression_bits": (peak - last["i_xl_mean"]) / math.log(2),
            "largest_dip_bits": float((g["i_xl_mean"].cummax() - g["i_xl_mean"]).max()) / math.log(2),
            "fit_bits": (last["i_ly_mean"] - g["i_ly_mean"].iloc[0]) / math.log(2),
            "test_acc_last": last["test_acc_mean"],
            "train_error_at_peak": 1.0 - at_peak["train_acc_mean"],
        })
    return pd.DataFrame(rows)

