"""Information-plane analysis of a tiny stored run: table layout, values in range, flags."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from infoplane.analysis import MI_COLUMNS, AnalysisConfig, aggregate_seeds, analyse_run, flag_values
from infoplane.compression.pca import PCACompressor
from infoplane.nets.noise import NoiseInjection
from infoplane.runstore import load_eval_set
from infoplane.train import TensorData, TrainConfig, seeded, train


def blobs(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Four well-separated Gaussian classes in 8-D."""
    y = torch.randint(0, 4, (n,), generator=g)
    return torch.randn(n, 8, generator=g) + 4.0 * nn.functional.one_hot(y, 8).float(), y


def mlp() -> nn.Sequential:
    return nn.Sequential(
        nn.Sequential(NoiseInjection(0.1, "additive"), nn.Linear(8, 6), nn.Tanh()),
        nn.Sequential(NoiseInjection(0.1, "additive"), nn.Linear(6, 4), nn.LogSoftmax(dim=1)),
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    g = torch.Generator().manual_seed(0)
    (tx, ty), (sx, sy), (ex, ey) = blobs(800, g), blobs(200, g), blobs(600, g)
    config = TrainConfig(epochs=6, batch_size=64, lr=1e-2, seed=0, layers=("0", "1"),
                         capture_epochs=(0, 3, 6), progress=False)
    path = tmp_path_factory.mktemp("run")
    history = train(seeded(mlp, 0), TensorData(tx, ty, sx, sy, ex, ey), config, path)
    assert history["test_acc"].iloc[-1] > 0.95  # the classes are separable: the net learns them
    return path


def x_codes(run_dir) -> np.ndarray:
    inputs, _, _ = load_eval_set(run_dir)
    return PCACompressor(4).fit(inputs).transform(inputs)


@pytest.mark.parametrize("pca_fit", ["per-epoch", "fixed"])
def test_table_of_a_tiny_run(run_dir, pca_fit):
    config = AnalysisConfig(estimator="wkl", estimator_params={"k": 5}, layer_dim=2, pca_fit=pca_fit,
                            exp_layers=("1",))
    table = analyse_run(run_dir, x_codes(run_dir), config, "tiny", seed=0, x_compression="pca:4")
    assert list(table.columns[: len(MI_COLUMNS)]) == MI_COLUMNS
    assert len(table) == 3 * 3  # epochs 0, 3, 6 x layers 0, 1, exp(1)
    assert table[["i_xl", "i_ly", "i_xl_lo", "i_xl_hi", "i_ly_lo", "i_ly_hi"]].notna().all().all()
    assert (table["i_xl_lo"] <= table["i_xl"]).all() and (table["i_xl"] <= table["i_xl_hi"]).all()
    h_y = table["h_y"].iloc[0]
    assert h_y == pytest.approx(math.log(4), abs=0.02)  # four roughly balanced classes
    final = table[(table["epoch"] == 6) & (table["layer"] == "1")].iloc[0]
    # A 97 %+ accurate output layer carries almost all of H(Y): I(L;Y) in [H(Y) - 0.35, H(Y) + 0.1].
    # (The kNN estimate of a near-deterministic class split is biased low by a few tenths.)
    assert h_y - 0.35 < final["i_ly"] < h_y + 0.1
    plain = table[table["layer"] != "exp(1)"]
    assert (plain["i_xl"] > 0.5).all()  # 8-D Gaussian inputs through a noisy net: well above 0
    # exp of a saturated softmax is nearly discrete, where kNN estimates can go below zero:
    # such values stay in the table, flagged.
    negative = table[table["i_xl"] < 0]
    assert negative["flags"].str.contains("i_xl<0").all()


def test_mismatched_rows_are_refused(run_dir):
    with pytest.raises(ValueError, match="rows"):
        analyse_run(run_dir, np.zeros((10, 4)), AnalysisConfig(), "tiny", 0, "pca:4")


def test_flags_mark_impossible_values_without_clipping():
    rows = pd.DataFrame({
        "experiment": "e", "seed": 0, "epoch": 1, "layer": ["L1", "L2"], "estimator": "wkl",
        "i_xl": [-0.2, 1.0], "i_ly": [2.5, 0.5], "i_xl_lo": [-0.3, 0.9], "i_xl_hi": [-0.1, 1.1],
        "i_ly_lo": [2.4, 0.4], "i_ly_hi": [2.6, 0.6], "h_y": math.log(10), "flags": "",
    })
    flagged = flag_values(rows)
    assert flagged["flags"].tolist() == ["i_ly>H(Y);i_xl<0", "dpi_xl"]
    assert flagged["i_xl"].tolist() == [-0.2, 1.0]  # values untouched


def test_aggregate_over_seeds_mean_and_band():
    base = {"experiment": "e", "epoch": 1, "layer": "L1", "estimator": "wkl", "pca_fit": "per-epoch",
            "x_compression": "ae:4", "flags": ""}
    table = pd.DataFrame([
        {**base, "seed": 0, "i_xl": 1.0, "i_ly": 0.5, "i_xl_lo": 0.9, "i_xl_hi": 1.1,
         "i_ly_lo": 0.4, "i_ly_hi": 0.6},
        {**base, "seed": 1, "i_xl": 2.0, "i_ly": 0.7, "i_xl_lo": 1.8, "i_xl_hi": 2.2,
         "i_ly_lo": 0.6, "i_ly_hi": 0.8, "flags": "dpi_xl"},
    ])
    out = aggregate_seeds(table).iloc[0]
    assert (out["n_seeds"], out["i_xl"], out["i_ly"]) == (2, 1.5, pytest.approx(0.6))
    assert (out["i_xl_lo"], out["i_xl_hi"], out["i_ly_lo"], out["i_ly_hi"]) == (0.9, 2.2, 0.4, 0.8)
    assert out["i_xl_sd"] == pytest.approx(math.sqrt(0.5)) and out["flags"] == "dpi_xl"


def test_bad_analysis_config():
    with pytest.raises(ValueError, match="pca_fit"):
        AnalysisConfig(pca_fit="sometimes")


def test_compression_summary_finds_a_drop_beyond_the_band():
    from infoplane.analysis import compression_summary

    epochs = [0, 1, 2, 3]
    i_xl = [1.0, 2.0, 1.5, 1.2]
    table = pd.DataFrame({"layer": "L3", "pca_fit": "per-epoch", "epoch": epochs, "i_xl": i_xl,
                          "i_xl_lo": [v - 0.1 for v in i_xl], "i_xl_hi": [v + 0.1 for v in i_xl],
                          "i_ly": [0.5, 1.0, 1.1, 1.2]})
    out = compression_summary(table)["L3 (per-epoch)"]
    assert (out["peak_epoch"], out["peak_i_xl"], out["last_i_xl"]) == (1, 2.0, 1.2)
    assert out["drop"] == pytest.approx(0.8) and out["drop_beyond_band"]


def test_first_dip_and_fastest_loss_drop():
    from infoplane.analysis import compression_summary, fastest_loss_drop_epoch

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
    from infoplane.analysis import compression_summary

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
