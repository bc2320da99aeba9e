"""The MI table of every experiment: its columns, the file format, the aggregation over seeds and
the final-epoch summary.

One row per (experiment, variant, seed, analysis, epoch, layer), values in nats::

    experiment, variant, seed, analysis, estimator, epoch, layer, depth,
    i_xl, i_ly, i_xl_lo, i_xl_hi, i_ly_lo, i_ly_hi, h_x, h_y, test_acc, train_acc, flags
    (+ how-made columns: layer_dim, pca_dim, pca_explained, pca_fit, x_compression)

``analysis`` is the name in the experiment file, ``estimator`` the registry name, ``layer`` text
("T5", "L3", "exp(L5)") and ``depth`` its 1-based forward position; ``h_x`` and ``h_y`` are the
limits H(X) = ln n_eval and H(Y) of the evaluation set; ``flags`` are ";"-joined
(:mod:`infoplane.flags`).

    save_table(table, "mi.csv")           # or "mi.csv.gz"
    table = load_table("mi.csv")          # equal to what was saved, value for value
    aggregated = aggregate(table)         # mean, spread and band over seeds
    summary = finals(aggregated)          # compression and fitting read off the curves, bits

Plain ``pd.read_csv`` reads an empty ``flags`` cell as NaN (which ``str()`` makes the flag
"nan") and a layer named ``"0"`` as the integer 0. Here the text columns are read as text, an
empty cell of a text column stays "", an empty cell of a number column is NaN, and floats are
written with every digit (Python's shortest round-trip form), so saving and loading change
nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from infoplane.files import write_csv

#: The MI table's columns, in order (the contract every analysis writes).
MI_COLUMNS = ["experiment", "variant", "seed", "analysis", "estimator", "epoch", "layer", "depth",
              "i_xl", "i_ly", "i_xl_lo", "i_xl_hi", "i_ly_lo", "i_ly_hi", "h_x", "h_y",
              "test_acc", "train_acc", "flags"]
#: Optional columns that say how a value was made (compressed analyses).
HOW_MADE_COLUMNS = ["layer_dim", "pca_dim", "pca_explained", "pca_fit", "x_compression"]
#: One row of the aggregated table per value of these.
AGGREGATE_KEYS = ["experiment", "variant", "analysis", "epoch", "layer"]
#: The aggregated table's columns, in order.
AGGREGATED_COLUMNS = [*AGGREGATE_KEYS, "estimator", "depth", "n_seeds",
                      "i_xl", "i_xl_sd", "i_xl_min", "i_xl_max", "i_xl_lo", "i_xl_hi",
                      "i_ly", "i_ly_sd", "i_ly_min", "i_ly_max", "i_ly_lo", "i_ly_hi",
                      "h_x", "h_y", "test_acc", "train_acc", "flags"]
#: The final-epoch summary's columns (bits where the name says so).
FINALS_COLUMNS = ["experiment", "variant", "analysis", "layer", "depth", "last_epoch",
                  "i_xl_last_bits", "i_ly_last_bits", "i_xl_peak_bits", "peak_epoch",
                  "compression_bits", "largest_dip_bits", "fit_bits", "test_acc_last",
                  "train_error_at_peak"]
#: Text columns of the MI table and of its aggregate (others are numbers).
TEXT_COLUMNS = ("experiment", "variant", "layer", "analysis", "estimator", "pca_fit", "x_compression",
                "flags")
LN2 = math.log(2)


def save_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` to ``path`` as CSV (gzip when the name ends in .gz), atomically.

    A gzip header carries no name and no time, so the same table gives the same bytes.
    """
    write_csv(table, path)
    return Path(path)


def load_table(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`save_table` (or ``infoplane analyse``/``combine``).

    Text columns (``TEXT_COLUMNS``) come back as strings with "" for empty cells; other empty
    cells are NaN.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"table {path} does not exist")
    header = pd.read_csv(path, nrows=0).columns
    text = [c for c in header if c in TEXT_COLUMNS]
    table = pd.read_csv(path, dtype={c: str for c in text}, keep_default_na=False,
                        na_values={c: [""] for c in header if c not in text})
    return table


def _union(flags: pd.Series) -> str:
    """The flags of several rows as one sorted, ";"-joined set."""
    return ";".join(sorted({f for value in flags.fillna("") for f in str(value).split(";") if f}))


def aggregate(table: pd.DataFrame) -> pd.DataFrame:
    """The MI table over seeds: one row per (experiment, variant, analysis, epoch, layer).

    Args:
        table: MI table (``MI_COLUMNS``; nats). ``h_x``, ``h_y``, ``test_acc``, ``train_acc``
            and ``estimator`` may be missing (then they are missing from the result too).

    Returns:
        ``AGGREGATED_COLUMNS``: ``i_xl`` the mean over seeds, ``i_xl_sd`` their standard
        deviation (ddof 1; NaN for one seed), ``i_xl_min`` / ``i_xl_max`` the extreme seed
        values, ``i_xl_lo`` / ``i_xl_hi`` the lowest lower and the highest upper interval bound
        of the seeds (a band covering every seed's interval); the same for ``i_ly``; mean
        accuracies; ``n_seeds``; ``h_x``, ``h_y``, ``depth`` and ``estimator`` as in the rows;
        ``flags`` the union. Sorted by experiment, variant, analysis, depth, layer, epoch.
    """
    missing = [c for c in [*AGGREGATE_KEYS, "seed", "depth", "i_xl", "i_ly", "i_xl_lo", "i_xl_hi",
                           "i_ly_lo", "i_ly_hi", "flags"] if c not in table]
    if missing:
        raise ValueError(f"the MI table has no column(s) {missing}; it has {list(table.columns)}")
    spec = {"n_seeds": ("seed", "nunique")}
    for key in ("i_xl", "i_ly"):
        spec.update({key: (key, "mean"), f"{key}_sd": (key, "std"), f"{key}_min": (key, "min"),
                     f"{key}_max": (key, "max"), f"{key}_lo": (f"{key}_lo", "min"),
                     f"{key}_hi": (f"{key}_hi", "max")})
    for column, how in (("estimator", "first"), ("depth", "first"), ("h_x", "first"), ("h_y", "first"),
                        ("test_acc", "mean"), ("train_acc", "mean"), ("pca_fit", "first"),
                        ("x_compression", "first")):
        if column in table:
            spec[column] = (column, how)
    out = table.groupby(AGGREGATE_KEYS, sort=False, dropna=False).agg(**spec)
    out["flags"] = table.groupby(AGGREGATE_KEYS, sort=False, dropna=False)["flags"].agg(_union)
    out = out.reset_index()
    columns = [c for c in AGGREGATED_COLUMNS if c in out] + [c for c in out if c not in AGGREGATED_COLUMNS]
    out = out[columns].sort_values(["experiment", "variant", "analysis", "depth", "layer", "epoch"],
                                   kind="stable")
    return out.reset_index(drop=True)


def finals(aggregated: pd.DataFrame) -> pd.DataFrame:
    """Per (experiment, variant, analysis, layer): compression and fitting read off the mean curves.

    Args:
        aggregated: the table of :func:`aggregate` (nats).

    Returns:
        ``FINALS_COLUMNS``, bits: the mean I(X;L) and I(L;Y) at the last epoch
        (``i_xl_last_bits``, ``i_ly_last_bits``), the peak of I(X;L) and its epoch,
        ``compression_bits`` = peak - last; ``largest_dip_bits``: the largest fall of I(X;L)
        below its running maximum, at any epoch (a compression phase followed by regrowth);
        ``fit_bits`` = last - first I(L;Y); ``test_acc_last``; ``train_error_at_peak``: 1 - the
        mean training accuracy at the peak of I(X;L), where compression starts (NaN when the
        peak is at epoch 0).
    """
    rows = []
    keys = ["experiment", "variant", "analysis", "layer"]
    for (experiment, variant, analysis, layer), g in aggregated.groupby(keys, sort=False):
        g = g.sort_values("epoch")
        last = g.iloc[-1]
        # a layer whose every I(X;L) failed (a row with flags) has no peak: NaN, not a crash
        at_peak = g.loc[g["i_xl"].idxmax()] if g["i_xl"].notna().any() else last
        peak = at_peak["i_xl"]
        rows.append({
            "experiment": experiment, "variant": variant, "analysis": analysis, "layer": layer,
            "depth": int(last["depth"]), "last_epoch": int(last["epoch"]),
            "i_xl_last_bits": last["i_xl"] / LN2,
            "i_ly_last_bits": last["i_ly"] / LN2,
            "i_xl_peak_bits": peak / LN2,
            "peak_epoch": int(at_peak["epoch"]) if pd.notna(peak) else math.nan,
            "compression_bits": (peak - last["i_xl"]) / LN2,
            "largest_dip_bits": float((g["i_xl"].cummax() - g["i_xl"]).max()) / LN2,
            "fit_bits": (last["i_ly"] - g["i_ly"].iloc[0]) / LN2,
            "test_acc_last": last["test_acc"] if "test_acc" in g else math.nan,
            "train_error_at_peak": (1.0 - at_peak["train_acc"] if "train_acc" in g and pd.notna(peak)
                                    else math.nan),
        })
    return pd.DataFrame(rows, columns=FINALS_COLUMNS)
