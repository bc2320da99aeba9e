"""The metrics of an experiment: compression per layer and analysis, the fastest loss drop, the
final accuracies, and the key layout that paper/claims.yaml reads."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from infoplane.summaries import compression_summary, fastest_loss_drop_epoch, metrics
from infoplane.tables import aggregate
from tests.unit.test_tables import runs_table


def test_compression_summary_finds_a_drop_beyond_the_band():
    epochs = [0, 1, 2, 3]
    i_xl = [1.0, 2.0, 1.5, 1.2]
    table = pd.DataFrame({"layer": "L3", "analysis": "per-epoch", "epoch": epochs, "i_xl": i_xl,
                          "i_xl_lo": [v - 0.1 for v in i_xl], "i_xl_hi": [v + 0.1 for v in i_xl],
                          "i_ly": [0.5, 1.0, 1.1, 1.2]})
    out = compression_summary(table)["L3 (per-epoch)"]
    assert (out["peak_epoch"], out["peak_i_xl"], out["last_i_xl"]) == (1, 2.0, 1.2)
    assert out["drop"] == pytest.approx(0.8) and out["drop_beyond_band"]


def test_first_dip_and_fastest_loss_drop():
    # two seeds; the mean test loss falls 2.0 -> 1.8 -> 0.8 -> 0.7: steepest fall ends at epoch 2
    history = pd.DataFrame({"epoch": [0, 1, 2, 3] * 2,
                            "test_loss": [2.1, 1.9, 0.9, 0.8, 1.9, 1.7, 0.7, 0.6]})
    assert fastest_loss_drop_epoch(history) == 2
    # I(X;L) rises to epoch 3, falls at 4: the dip starts at epoch 3 (stored epochs 0, 1, 3, 4)
    table = pd.DataFrame({"layer": "L3", "epoch": [0, 1, 3, 4], "i_xl": [1.0, 1.5, 2.0, 1.8],
                          "i_xl_lo": 0.0, "i_xl_hi": 3.0, "i_ly": 0.5})
    out = compression_summary(table, fastest_loss_drop=2)["L3"]
    assert out["first_dip_epoch"] == 3 and out["first_dip_minus_fastest_loss_epoch"] == 1
    rising = table.assign(i_xl=[1.0, 1.5, 2.0, 2.5])
    assert compression_summary(rising, fastest_loss_drop=2)["L3"]["first_dip_epoch"] is None


def test_first_clear_dip_ignores_falls_inside_the_intervals():
    # a wiggle at epoch 1 -> 2 (0.05, inside the +-0.2 intervals), the real fall 3 -> 5:
    # epoch 5's interval [1.3, 1.7] lies below epoch 3's [2.0, 2.4], and epoch 3 is the top.
    i_xl = [1.0, 1.5, 1.45, 2.2, 2.0, 1.5, 2.5]
    table = pd.DataFrame({"layer": "L3", "epoch": range(7), "i_xl": i_xl,
                          "i_xl_lo": [v - 0.2 for v in i_xl], "i_xl_hi": [v + 0.2 for v in i_xl],
                          "i_ly": 0.5})
    out = compression_summary(table, fastest_loss_drop=4)["L3"]
    assert out["first_dip_epoch"] == 1 and out["first_clear_dip_epoch"] == 3
    assert out["first_clear_dip_minus_fastest_loss_epoch"] == -1
    # with intervals of +-0.5 no fall clears them
    wide = table.assign(i_xl_lo=[v - 0.5 for v in i_xl], i_xl_hi=[v + 0.5 for v in i_xl])
    out = compression_summary(wide, fastest_loss_drop=4)["L3"]
    assert out["first_clear_dip_epoch"] is None
    assert "first_clear_dip_minus_fastest_loss_epoch" not in out


def history_of(variants, seeds=(0, 1, 2), epochs=(0, 1, 3, 7)):
    rows = [{"variant": v, "seed": s, "epoch": e, "test_loss": 2.0 / (1 + e * (1 + s)) + k,
             "test_acc": 0.5 + 0.05 * e + 0.01 * s, "train_acc": math.nan if e == 0 else 0.6 + 0.05 * e}
            for k, v in enumerate(variants) for s in seeds for e in epochs]
    return pd.DataFrame(rows)


def test_metrics_key_layout_of_one_variant():
    table = runs_table(variants=("cnn",), analyses=("per-epoch",))
    aggregated = aggregate(table)
    out = metrics(table, aggregated, history_of(["cnn"]))
    assert set(out) == {"rows", "sanity", "flags", "final", "fastest_loss_drop_epoch", "i_xl_peak_and_drop"}
    assert list(out["final"]) == ["seed-0", "seed-1", "seed-2"]
    assert out["final"]["seed-0"] == {"epoch": 7, "test_acc": pytest.approx(0.85),
                                      "train_acc": pytest.approx(0.95), "test_loss": pytest.approx(2.0 / 8)}
    assert out["fastest_loss_drop_epoch"] == 1  # mean loss 2.0, 0.72, 0.33, 0.16 at epochs 0, 1, 3, 7
    assert list(out["i_xl_peak_and_drop"]) == ["T1 (per-epoch)", "T2 (per-epoch)", "exp(T2) (per-epoch)"]
    l2 = out["i_xl_peak_and_drop"]["T2 (per-epoch)"]
    rows = aggregated[aggregated["layer"] == "T2"].sort_values("epoch")
    assert l2["peak_i_xl"] == rows["i_xl"].max() and l2["last_i_xl"] == rows["i_xl"].iloc[-1]
    assert out["sanity"]["ok"] and out["rows"] == len(table)


def test_metrics_key_layout_of_several_variants():
    table = runs_table()
    out = metrics(table, aggregate(table), history_of(["tanh", "relu"]))
    assert list(out["final"])[:3] == ["tanh/seed-0", "tanh/seed-1", "tanh/seed-2"]
    assert set(out["fastest_loss_drop_epoch"]) == {"tanh", "relu"}
    assert "relu/exp(T2) (kde)" in out["i_xl_peak_and_drop"]
    assert len(out["i_xl_peak_and_drop"]) == 2 * 3 * 2
    assert metrics(table, aggregate(table), None)["final"] == {}


def test_keys_of_an_experiment_of_several_variants_carry_the_variant_before_all_are_run():
    """A claim's key stays the same when the controls join the results later."""
    table = runs_table(variants=("base",), analyses=("per-epoch",))
    out = metrics(table, aggregate(table), history_of(["base"]), several=True)
    assert list(out["final"]) == ["base/seed-0", "base/seed-1", "base/seed-2"]
    assert out["fastest_loss_drop_epoch"] == {"base": 1}
    unprefixed = metrics(table, aggregate(table), history_of(["base"]))["i_xl_peak_and_drop"]
    assert out["i_xl_peak_and_drop"]["base/T2 (per-epoch)"] == unprefixed["T2 (per-epoch)"]
