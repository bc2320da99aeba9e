"""The MI table: exact round trip on disk, the aggregation over seeds and the final-epoch summary,
checked against the same numbers computed by hand with numpy."""

from __future__ import annotations

import gzip
import math

import numpy as np
import pandas as pd
import pytest

from infoplane.tables import (
    AGGREGATED_COLUMNS,
    FINALS_COLUMNS,
    MI_COLUMNS,
    aggregate,
    finals,
    load_table,
    save_table,
)

LN2 = math.log(2)
LAYERS = ["T1", "T2", "exp(T2)"]
DEPTH = {"T1": 1, "T2": 2, "exp(T2)": 2}


def runs_table(seeds=(0, 1, 2), epochs=(0, 1, 3, 7), variants=("tanh", "relu"), analyses=("szt", "kde")):
    """A random MI table of several runs (nats), every column of the contract."""
    rng = np.random.default_rng(7)
    rows = []
    for variant in variants:
        for seed in seeds:
            for analysis in analyses:
                for epoch in epochs:
                    for layer in LAYERS:
                        xl, ly = rng.uniform(0, 8), rng.uniform(0, 0.65)
                        rows.append({
                            "experiment": "toy", "variant": variant, "seed": seed, "analysis": analysis,
                            "estimator": "binning" if analysis == "szt" else "kde-upper", "epoch": epoch,
                            "layer": layer, "depth": DEPTH[layer], "i_xl": xl, "i_ly": ly,
                            "i_xl_lo": xl - rng.uniform(0, 0.3), "i_xl_hi": xl + rng.uniform(0, 0.3),
                            "i_ly_lo": ly - rng.uniform(0, 0.1), "i_ly_hi": ly + rng.uniform(0, 0.1),
                            "h_x": math.log(4096), "h_y": 0.6925,
                            "test_acc": rng.uniform(0.5, 1),
                            "train_acc": math.nan if epoch == 0 else rng.uniform(),
                            "flags": rng.choice(["", "i_ly<0", "dpi_xl;i_xl<0"]),
                        })
    return pd.DataFrame(rows, columns=MI_COLUMNS)


def test_table_round_trips_exactly_csv_and_gzip(tmp_path):
    table = runs_table(seeds=(0,), epochs=(0, 1))
    table.loc[2, "i_ly"] = np.nan  # a failed estimate stays NaN
    for name in ("mi.csv", "mi.csv.gz"):
        back = load_table(save_table(table, tmp_path / "sub" / name))
        pd.testing.assert_frame_equal(back, table)
    with gzip.open(tmp_path / "sub" / "mi.csv.gz", "rt") as text:
        assert text.readline().strip() == ",".join(MI_COLUMNS)
    first = (tmp_path / "sub" / "mi.csv.gz").read_bytes()
    assert save_table(table, tmp_path / "again.csv.gz").read_bytes() == first  # no time, no name inside


def test_aggregate_equals_numpy_by_hand():
    table = runs_table()
    out = aggregate(table)
    assert list(out.columns) == AGGREGATED_COLUMNS
    assert len(out) == 2 * 2 * 4 * 3  # variants x analyses x epochs x layers
    for _, row in out.iterrows():
        mask = ((table["variant"] == row["variant"]) & (table["analysis"] == row["analysis"])
                & (table["epoch"] == row["epoch"]) & (table["layer"] == row["layer"])).to_numpy()
        for key in ("i_xl", "i_ly"):
            v = table[key].to_numpy()[mask]
            assert row[key] == pytest.approx(np.mean(v), rel=1e-12)
            assert row[f"{key}_sd"] == pytest.approx(np.std(v, ddof=1), rel=1e-12)
            assert (row[f"{key}_min"], row[f"{key}_max"]) == (np.min(v), np.max(v))
            assert row[f"{key}_lo"] == np.min(table[f"{key}_lo"].to_numpy()[mask])
            assert row[f"{key}_hi"] == np.max(table[f"{key}_hi"].to_numpy()[mask])
        assert row["test_acc"] == pytest.approx(np.mean(table["test_acc"].to_numpy()[mask]), rel=1e-12)
        train = table["train_acc"].to_numpy()[mask]
        assert (math.isnan(row["train_acc"]) if row["epoch"] == 0
                else row["train_acc"] == pytest.approx(np.nanmean(train), rel=1e-12))
        assert row["n_seeds"] == 3 and row["depth"] == DEPTH[row["layer"]]
        assert (row["h_x"], row["h_y"]) == (math.log(4096), 0.6925)
        union = sorted({f for v in table["flags"].to_numpy()[mask] for f in v.split(";") if f})
        assert row["flags"] == ";".join(union)


def test_aggregate_of_one_seed_has_no_spread_and_keeps_the_band():
    out = aggregate(runs_table(seeds=(4,)))
    assert out["i_xl_sd"].isna().all() and (out["n_seeds"] == 1).all()
    assert (out["i_xl_min"] == out["i_xl"]).all() and (out["i_xl_lo"] <= out["i_xl"]).all()


def test_aggregate_mean_and_band_of_two_seeds():
    base = {"experiment": "e", "variant": "v", "analysis": "per-epoch", "epoch": 1, "layer": "L1", "depth": 1,
            "estimator": "wkl", "flags": ""}
    table = pd.DataFrame([
        {**base, "seed": 0, "i_xl": 1.0, "i_ly": 0.5, "i_xl_lo": 0.9, "i_xl_hi": 1.1,
         "i_ly_lo": 0.4, "i_ly_hi": 0.6},
        {**base, "seed": 1, "i_xl": 2.0, "i_ly": 0.7, "i_xl_lo": 1.8, "i_xl_hi": 2.2,
         "i_ly_lo": 0.6, "i_ly_hi": 0.8, "flags": "dpi_xl"},
    ])
    out = aggregate(table).iloc[0]
    assert (out["n_seeds"], out["i_xl"], out["i_ly"]) == (2, 1.5, pytest.approx(0.6))
    assert (out["i_xl_lo"], out["i_xl_hi"], out["i_ly_lo"], out["i_ly_hi"]) == (0.9, 2.2, 0.4, 0.8)
    assert out["i_xl_sd"] == pytest.approx(math.sqrt(0.5)) and out["flags"] == "dpi_xl"
    with pytest.raises(ValueError, match="depth"):
        aggregate(table.drop(columns="depth"))


def test_finals_equal_numpy_by_hand():
    aggregated = aggregate(runs_table())
    out = finals(aggregated)
    assert list(out.columns) == FINALS_COLUMNS and len(out) == 2 * 2 * 3
    for _, row in out.iterrows():
        g = aggregated[(aggregated["variant"] == row["variant"]) & (aggregated["analysis"] == row["analysis"])
                       & (aggregated["layer"] == row["layer"])].sort_values("epoch")
        xl, ly = g["i_xl"].to_numpy(), g["i_ly"].to_numpy()
        peak = int(np.argmax(xl))
        assert row["depth"] == DEPTH[row["layer"]] and row["last_epoch"] == 7
        assert row["peak_epoch"] == g["epoch"].to_numpy()[peak]
        assert row["i_xl_last_bits"] == pytest.approx(xl[-1] / LN2, rel=1e-12)
        assert row["i_ly_last_bits"] == pytest.approx(ly[-1] / LN2, rel=1e-12)
        assert row["i_xl_peak_bits"] == pytest.approx(xl.max() / LN2, rel=1e-12)
        assert row["compression_bits"] == pytest.approx((xl.max() - xl[-1]) / LN2, rel=1e-12, abs=1e-15)
        dip = np.max(np.maximum.accumulate(xl) - xl)
        assert row["largest_dip_bits"] == pytest.approx(dip / LN2, rel=1e-12)
        assert row["fit_bits"] == pytest.approx((ly[-1] - ly[0]) / LN2, rel=1e-12)
        assert row["test_acc_last"] == pytest.approx(g["test_acc"].to_numpy()[-1], rel=1e-12)
        train = g["train_acc"].to_numpy()[peak]
        assert (math.isnan(row["train_error_at_peak"]) if math.isnan(train)
                else row["train_error_at_peak"] == pytest.approx(1 - train, rel=1e-12))


def test_finals_read_dips_and_fitting_off_the_curves():
    # I(X;L) 1, 3, 2, 2.5 bits: peak 3 at epoch 10, a dip of 1 bit, last 2.5 (0.5 below the peak)
    aggregated = pd.DataFrame({
        "experiment": "e", "variant": "v", "analysis": "a", "layer": "T1", "depth": 1,
        "epoch": [0, 10, 20, 30],
        "i_xl": [v * LN2 for v in (1.0, 3.0, 2.0, 2.5)],
        "i_ly": [v * LN2 for v in (0.2, 0.5, 0.7, 0.9)], "test_acc": 0.9,
        "train_acc": [math.nan, 0.75, 0.9, 0.95],
    })
    row = finals(aggregated).iloc[0]
    assert row["compression_bits"] == pytest.approx(0.5) and row["largest_dip_bits"] == pytest.approx(1.0)
    assert row["fit_bits"] == pytest.approx(0.7) and row["peak_epoch"] == 10
    assert row["train_error_at_peak"] == pytest.approx(0.25)  # compression starts at 75 % training accuracy


def test_finals_of_a_layer_whose_every_estimate_failed_are_nan():
    # an estimator that refuses (e.g. WKL above its dimension) leaves NaN rows with flags; the
    # layer's finals are NaN while I(L;Y), measured, still gives its fitting
    aggregated = pd.DataFrame({
        "experiment": "e", "variant": "v", "analysis": "a", "layer": "T1", "depth": 1,
        "epoch": [0, 10], "i_xl": [math.nan, math.nan], "i_ly": [0.2 * LN2, 0.5 * LN2],
        "test_acc": 0.9, "train_acc": [math.nan, 0.75],
    })
    row = finals(aggregated).iloc[0]
    for column in ("i_xl_last_bits", "i_xl_peak_bits", "peak_epoch", "compression_bits",
                   "train_error_at_peak"):
        assert math.isnan(row[column]), column
    assert row["fit_bits"] == pytest.approx(0.3)
