"""Information-plane analysis of a tiny stored run: table layout, values in range, flags."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from infoplane.analysis import MI_COLUMNS, AnalysisConfig, analyse_run
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


@pytest.mark.parametrize("pca_fit", ["per-epoch", "fixed", "pooled"])
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


def test_a_pooled_projection_is_one_window_for_all_epochs(run_dir):
    """PCA refit on an epoch keeps the most of that epoch's variance; a pooled projection keeps
    less of each epoch's, and is not the last epoch's projection (which ``fixed`` uses)."""
    kept = {}
    for pca_fit in ("per-epoch", "fixed", "pooled"):
        config = AnalysisConfig(estimator="wkl", estimator_params={"k": 5}, layer_dim=2, pca_fit=pca_fit)
        table = analyse_run(run_dir, x_codes(run_dir), config, "tiny", seed=0, x_compression="pca:4")
        kept[pca_fit] = table[table["layer"] == "0"].set_index("epoch")["pca_explained"]
    assert (kept["per-epoch"] >= kept["pooled"] - 1e-9).all()
    assert kept["fixed"][6] == pytest.approx(kept["per-epoch"][6], abs=1e-9)
    assert abs(kept["pooled"][0] - kept["fixed"][0]) > 1e-4
    assert ((kept["pooled"] > 0) & (kept["pooled"] <= 1)).all()


def test_mismatched_rows_are_refused(run_dir):
    with pytest.raises(ValueError, match="rows"):
        analyse_run(run_dir, np.zeros((10, 4)), AnalysisConfig(), "tiny", 0, "pca:4")


def test_bad_analysis_config():
    with pytest.raises(ValueError, match="pca_fit"):
        AnalysisConfig(pca_fit="sometimes")
