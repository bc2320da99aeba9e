"""One training step and one analysis step for every experiment, each checked against an
independent computation of the same numbers: plug-in counts of the stored activations (layer
kind), separate runs (batched seeds), the compressed recipe called directly (compressed kind),
sample propagation on the kept networks (SP kind), a run and an autoencoder built by hand from
the lower-level pieces (the CNN run, the X autoencoder)."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from infoplane.experiments.analyse import analyse_run
from infoplane.experiments.run import train_run
from infoplane.experiments.sample_propagation import layer_scatter
from infoplane.experiments.spec import variant
from infoplane.runstore import captured_epochs, load_activations, load_eval_set
from infoplane.tables import MI_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
DATA = str(ROOT / "../shared/datasets")
pytestmark = pytest.mark.skipif(not (Path(DATA) / "SZT" / "var_u.mat").is_file(),
                                reason="SZT/var_u.mat missing")

SPEC = {
    "name": "tiny_szt", "paper": "test", "title": "a tiny SZT experiment",
    "dataset": {"name": "szt", "split": "stratified", "test_fraction": 0.2},
    "network": {"name": "szt-mlp", "activation": "tanh", "init": "trunc-fan-in"},
    "train": {"optimizer": "adam", "lr": 1.0e-2, "batch_size": 512, "epochs": 3, "loss": "nll"},
    "capture": {"layers": "auto", "schedule": {"log_points": 2}, "dtype": "float32", "weights": False},
    "device": "cpu", "seeds": [0],
    "variants": {"tanh": {}, "relu-4bit": {"network": {"activation": "relu", "bits": 4}}},
    "analyses": {"szt": {"kind": "layer", "estimator": "binning", "params": {"scheme": "szt"}},
                 "exact": {"kind": "layer", "estimator": "discrete"}},
}
VALUES = ["i_xl", "i_ly", "i_xl_lo", "i_xl_hi", "i_ly_lo", "i_ly_hi", "test_acc", "train_acc"]


def entropy_of_rows(symbols: np.ndarray) -> float:
    """Plug-in entropy (nats) of the rows of an (n, d) array, each distinct row one symbol."""
    _, counts = np.unique(symbols, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def plugin_planes(symbols: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(I(X;T), I(T;Y)) in nats by counting, X uniform over the n rows (distinct inputs):
    I(X;T) = H(T), I(T;Y) = H(T) - sum_y p(y) H(T | Y = y)."""
    h_t = entropy_of_rows(symbols)
    h_t_given_y = sum(np.mean(labels == y) * entropy_of_rows(symbols[labels == y]) for y in np.unique(labels))
    return h_t, h_t - h_t_given_y


def szt_bins(t: np.ndarray) -> np.ndarray:
    """Shwartz-Ziv & Tishby's bins: 30 edges on [-1, 1], index = edges passed - 1, in 0..29."""
    edges = np.linspace(-1.0, 1.0, 30)
    return np.clip((t[..., None] >= edges).sum(-1) - 1, 0, 29)


@pytest.mark.parametrize("variant_name", ["tanh", pytest.param("relu-4bit", marks=pytest.mark.slow)])
def test_a_layer_analysis_gives_plugin_counts_of_the_stored_activations(tmp_path, variant_name):
    seed = 3
    run_dir = train_run(SPEC, variant_name, seed, tmp_path / "run", data_root=DATA, threads=1)
    table = analyse_run(SPEC, variant_name, seed, run_dir)
    assert list(table.columns) == MI_COLUMNS
    assert len(table) == 2 * 3 * 6                       # analyses x captured epochs (0, 1, 3) x layers
    assert captured_epochs(run_dir) == [0, 1, 3]
    assert sorted(table["layer"].unique()) == [f"T{i}" for i in range(1, 7)]
    assert (table["layer"] == "T" + table["depth"].astype(str)).all()
    assert (table["estimator"] == table["analysis"].map({"szt": "binning", "exact": "discrete"})).all()
    np.testing.assert_allclose(table["h_x"], math.log(4096))
    np.testing.assert_allclose(table["h_y"] / math.log(2), 0.99916, atol=1e-5)
    assert (table["experiment"] == "tiny_szt").all() and (table["seed"] == seed).all()

    history = pd.read_csv(run_dir / "history.csv").set_index("epoch")
    _, labels, _ = load_eval_set(run_dir)
    for epoch in (0, 1, 3):
        acts, stored_labels = load_activations(run_dir, epoch)
        np.testing.assert_array_equal(stored_labels, labels)
        for depth in range(1, 7):
            t = acts[f"layers.{depth - 1}"]
            for analysis, symbols in (("szt", szt_bins(t)), ("exact", t)):
                row = table[(table.analysis == analysis) & (table.epoch == epoch) & (table.depth == depth)]
                assert len(row) == 1
                row = row.iloc[0]
                i_xl, i_ly = plugin_planes(symbols, labels)
                where = f"{analysis} epoch {epoch} T{depth}"
                assert row["i_xl"] == pytest.approx(i_xl, abs=1e-10), where
                assert row["i_ly"] == pytest.approx(i_ly, abs=1e-10), where
                assert row["i_xl_lo"] <= row["i_xl"] + 1e-12 <= row["i_xl_hi"] + 2e-12, where
                assert row["i_ly_lo"] <= row["i_ly"] + 1e-12 <= row["i_ly_hi"] + 2e-12, where
        for column in ("test_acc", "train_acc"):   # train_acc is NaN before training (epoch 0)
            rows = table.loc[table.epoch == epoch, column].to_numpy()
            np.testing.assert_array_equal(rows, np.full(len(rows), history.loc[epoch, column]))
    # T1 of a float tanh net keeps the 4096 inputs apart; a 4-bit net can only merge them
    first = table[(table.analysis == "exact") & (table.depth == 1)]["i_xl"]
    if variant_name == "tanh":
        np.testing.assert_allclose(first, math.log(4096))
    else:
        assert (first <= math.log(4096) + 1e-12).all()


def test_global_range_bins_every_layer_and_epoch_on_one_range(tmp_path):
    """Lorenzen et al.'s binning baseline: 30 equal bins between the smallest and the largest
    activation of any layer at any epoch, counted by hand."""
    spec = {**SPEC, "analyses": {"global": {"kind": "layer", "estimator": "binning", "global_range": True,
                                            "params": {"scheme": "uniform", "n_bins": 30}}}}
    run_dir = train_run(spec, "tanh", 1, tmp_path / "run", data_root=DATA, threads=1)
    table = analyse_run(spec, "tanh", 1, run_dir)
    _, labels, _ = load_eval_set(run_dir)
    stored = {epoch: load_activations(run_dir, epoch)[0] for epoch in (0, 1, 3)}
    values = np.concatenate([a.ravel() for acts in stored.values() for a in acts.values()])
    lo, hi = values.min(), values.max()
    for epoch, depth in ((0, 1), (3, 5), (3, 6)):
        t = stored[epoch][f"layers.{depth - 1}"]
        bins = np.clip(np.floor((t - lo) / (hi - lo) * 30), 0, 29).astype(int)   # the top value: last bin
        i_xl, i_ly = plugin_planes(bins, labels)
        row = table[(table.epoch == epoch) & (table.depth == depth)].iloc[0]
        assert row["i_xl"] == pytest.approx(i_xl, abs=1e-10) and row["i_ly"] == pytest.approx(i_ly, abs=1e-10)


@pytest.mark.slow  # SP over all 4096 inputs: ~30 s on a loaded two-core machine
def test_sample_propagation_gives_the_numbers_of_sp_on_the_kept_networks(tmp_path):
    from infoplane.experiments.run import load_network
    from infoplane.experiments.sample_propagation import noisy_net_planes, propagate

    spec = copy.deepcopy(SPEC)
    spec["network"]["noise_std"] = 0.1
    spec["train"]["epochs"] = 2
    spec["capture"]["weights"] = True
    params = {"n_cond": 4, "cond_inputs": 32, "n_mc": 1}
    spec["analyses"] = {"sp": {"kind": "sample-propagation", "params": params}}
    seed = 1
    run_dir = train_run(spec, "tanh", seed, tmp_path / "run", data_root=DATA, threads=1)
    table = analyse_run(spec, "tanh", seed, run_dir)
    assert list(table.columns) == MI_COLUMNS
    assert sorted(table["layer"].unique()) == [f"T{i}" for i in range(1, 6)]   # the noisy hidden layers
    assert (table["estimator"] == "sp").all()

    settings = variant(spec, "tanh")
    inputs, labels, _ = load_eval_set(run_dir)
    history = pd.read_csv(run_dir / "history.csv").set_index("epoch")
    epochs = captured_epochs(run_dir)
    assert table["epoch"].unique().tolist() == epochs == [0, 1, 2]
    for epoch in epochs:
        model = load_network(settings, seed, run_dir, epoch)
        sp = noisy_net_planes(model, inputs, labels, 0.1, n_cond=4, cond_inputs=32, n_mc=1,
                              seed=seed * 1000 + epoch)
        rows = table[table.epoch == epoch].reset_index(drop=True)
        assert rows["depth"].tolist() == sp["layer"].tolist() == [1, 2, 3, 4, 5]
        for column in VALUES[:6]:
            np.testing.assert_array_equal(rows[column].to_numpy(), sp[column].to_numpy(), err_msg=column)
        np.testing.assert_array_equal(rows["test_acc"].to_numpy(), np.full(5, history.loc[epoch, "test_acc"]))
    assert (table["i_xl"] <= math.log(4096) + 0.05).all()

    scatter = layer_scatter(spec, "tanh", seed, run_dir, "T5")
    assert scatter["epoch"].unique().tolist() == [0, 1, 2] and len(scatter) == 3 * 4096
    for epoch in (0, 1, 2):   # one noisy pass, noise from a generator seeded by the run's seed
        generator = torch.Generator().manual_seed(seed)
        s = propagate(load_network(settings, seed, run_dir, epoch), torch.as_tensor(inputs), generator)[4]
        t = (s + 0.1 * torch.randn(s.shape, generator=generator)).numpy()
        rows = scatter[scatter.epoch == epoch]
        np.testing.assert_array_equal(rows[["t1", "t2", "t3"]].to_numpy(), t)
        np.testing.assert_array_equal(rows["label"].to_numpy(), labels)


def test_batched_seeds_give_the_numbers_of_separate_runs(tmp_path):
    from infoplane.experiments.seeds import train_seeds_at_once

    seeds = [3, 7]
    table, history = train_seeds_at_once(SPEC, "relu-4bit", seeds, DATA)
    assert list(table.columns) == MI_COLUMNS
    assert len(table) == 2 * 2 * 3 * 6 and set(history["seed"]) == set(seeds)

    # separate runs: equal up to the stack's float rounding at bin edges
    separate = pd.concat([analyse_run(SPEC, "relu-4bit", seed, train_run(
        SPEC, "relu-4bit", seed, tmp_path / f"seed-{seed}", data_root=DATA, threads=1)) for seed in seeds])
    separate = separate.sort_values(["seed", "analysis", "epoch", "depth"], key=lambda s: s.map(
        {"szt": 0, "exact": 1}) if s.name == "analysis" else s, kind="stable").reset_index(drop=True)
    for column in ("seed", "analysis", "estimator", "epoch", "layer", "depth"):
        assert table[column].tolist() == separate[column].tolist()
    for column in ("i_xl", "i_ly", "i_xl_lo", "i_ly_hi"):
        diff = np.abs(table[column].to_numpy() - separate[column].to_numpy())
        assert np.mean(diff < 1e-9) >= 0.9 and diff.max() < 5e-3, column
    np.testing.assert_allclose(table["h_x"], separate["h_x"], rtol=1e-12)
    np.testing.assert_allclose(table["h_y"], separate["h_y"], rtol=1e-12)
    assert np.abs(table["test_acc"] - separate["test_acc"]).max() < 1e-6
    assert np.abs(table["train_acc"] - separate["train_acc"]).max() < 1e-6


class _FixedCodes:
    """A stand-in X autoencoder: a fixed linear map of the 12 input bits to 4 codes."""

    latent_dim = 4

    def transform(self, inputs: np.ndarray) -> np.ndarray:
        weights = np.random.default_rng(0).normal(size=(inputs[0].size, self.latent_dim))
        return inputs.reshape(len(inputs), -1) @ weights


def test_a_compressed_analysis_gives_the_numbers_of_the_compressed_recipe(tmp_path):
    """The same X codes and settings through infoplane.analysis.analyse_run directly."""
    from infoplane.analysis import AnalysisConfig
    from infoplane.analysis import analyse_run as compressed_recipe
    from infoplane.runstore import load_eval_set

    spec = copy.deepcopy(SPEC)
    spec["analyses"] = {"wkl": {"kind": "compressed", "estimator": "wkl", "params": {"k": 5},
                                "x": "autoencoder", "layer_dim": 4, "pca_fit": "fixed", "exp_layers": ["T6"]}}
    run_dir = train_run(spec, "tanh", 0, tmp_path / "run", data_root=DATA, threads=1)
    table = analyse_run(spec, "tanh", 0, run_dir, autoencoder=_FixedCodes(), epochs=[3])
    assert table["layer"].tolist() == [f"T{i}" for i in range(1, 7)] + ["exp(T6)"]
    assert table["depth"].tolist() == [1, 2, 3, 4, 5, 6, 6]
    assert (table["x_compression"] == "autoencoder:4").all() and (table["pca_fit"] == "fixed").all()

    codes = _FixedCodes().transform(load_eval_set(run_dir)[0])
    config = AnalysisConfig(estimator="wkl", estimator_params={"k": 5}, layer_dim=4, pca_fit="fixed",
                            exp_layers=("layers.5",), epochs=(3,))
    old = compressed_recipe(run_dir, codes, config, "tiny_szt", 0, "ae:4")
    for column in VALUES[:6] + ["layer_dim", "pca_dim", "pca_explained", "flags"]:
        np.testing.assert_array_equal(table[column].to_numpy(), old[column].to_numpy(), err_msg=column)


def test_the_x_column_tells_the_pretrained_autoencoder_from_a_spec_fitted_on_the_eval_inputs(tmp_path):
    """``x: autoencoder`` (codes of the autoencoder passed in) and ``x: pca:4`` (fitted on the
    evaluation inputs here) are different X compressions, so their rows must not share a label."""
    spec = copy.deepcopy(SPEC)
    common = {"kind": "compressed", "estimator": "ksg", "params": {"k": 5}, "layer_dim": 2,
              "pca_fit": "fixed"}
    spec["analyses"] = {"pretrained": {**common, "x": "autoencoder"}, "fitted": {**common, "x": "pca:4"}}
    run_dir = train_run(spec, "tanh", 0, tmp_path / "run", data_root=DATA, threads=1)
    table = analyse_run(spec, "tanh", 0, run_dir, autoencoder=_FixedCodes(), epochs=[3])
    labels = table.groupby("analysis")["x_compression"].unique().map(list).to_dict()
    assert labels == {"pretrained": ["autoencoder:4"], "fitted": ["pca:4"]}


@pytest.mark.slow  # loads MNIST twice: ~20 s on a loaded two-core machine
@pytest.mark.skipif(not (Path(DATA) / "MNIST").is_dir(), reason="MNIST missing")
def test_a_butakov_cnn_run_stores_what_train_stores_for_the_same_pieces(tmp_path):
    """The run of train_run equals train() on the data, network and TrainConfig put together by
    hand from the experiment's settings: every captured layer and the history are equal."""
    from infoplane.data.images import image_data
    from infoplane.nets.cnn import build_model
    from infoplane.train import TrainConfig, train

    cnn = {"sigma": 1.0e-3, "noise": "relative", "detach_scale": False, "noise_in_eval": True, "dropout": 0.1}
    layers = ["L1", "L2", "L3", "L4", "L5"]
    spec = {"name": "tiny_butakov", "dataset": {"name": "mnist", "train_size": 256, "eval_source": "test",
                                                "eval_size": 100, "eval_seed": 0},
            "network": {"name": "butakov-mnist-cnn", **cnn},
            "train": {"optimizer": "adam", "lr": 1.0e-3, "batch_size": 64, "epochs": 1, "loss": "nll"},
            "capture": {"layers": layers, "schedule": {"every": 1}, "dtype": "float16"},
            "device": "cpu", "variants": {"noisy": {}}}
    new_dir = train_run(spec, "noisy", 2, tmp_path / "new", data_root=DATA, threads=1)

    data = image_data("mnist", DATA, eval_source="test", eval_size=100, eval_seed=0, train_size=256,
                      normalise=True)
    torch.manual_seed(2)
    model = build_model("butakov_mnist_cnn", **cnn)
    config = TrainConfig(epochs=1, batch_size=64, lr=1e-3, optimizer="adam", loss="nll", seed=2, device="cpu",
                         layers=tuple(layers), capture_epochs=(0, 1), activation_dtype="float16", threads=1)
    train(model, data, config, tmp_path / "by-hand")
    for epoch in (0, 1):
        new_acts, new_labels = load_activations(new_dir, epoch)
        hand_acts, hand_labels = load_activations(tmp_path / "by-hand", epoch)
        np.testing.assert_array_equal(new_labels, hand_labels)
        assert list(new_acts) == layers
        for layer in layers:
            np.testing.assert_array_equal(new_acts[layer], hand_acts[layer], err_msg=f"{layer} epoch {epoch}")
    columns = ["train_loss", "train_acc", "test_loss", "test_acc"]
    pd.testing.assert_frame_equal(pd.read_csv(new_dir / "history.csv")[columns],
                                  pd.read_csv(tmp_path / "by-hand" / "history.csv")[columns])


@pytest.mark.slow  # loads MNIST twice: ~20 s on a loaded two-core machine
@pytest.mark.skipif(not (Path(DATA) / "MNIST").is_dir(), reason="MNIST missing")
def test_the_x_autoencoder_is_the_compressor_fitted_by_hand(tmp_path):
    from infoplane.compression.image_autoencoder import ImageAutoencoderCompressor
    from infoplane.data.images import load_images
    from infoplane.experiments.run import train_x_autoencoder

    settings = {"latent_dim": 4, "epochs": 1, "lr": 1.0e-3, "batch_size": 128, "train_size": 512, "seed": 0}
    spec = {"name": "tiny_ae", "dataset": {"name": "mnist"}, "x_autoencoder": settings}
    report = train_x_autoencoder(spec, tmp_path / "new.pt", DATA, device="cpu", threads=1)
    assert report["train_images"] == 512 and min(report["latent_std"]) > 1e-4

    train_images, _ = load_images("mnist", DATA, train=True)
    by_hand = ImageAutoencoderCompressor("mnist", epochs=1, lr=1e-3, batch_size=128, seed=0, latent_dim=4,
                                         device="cpu", progress=False).fit(train_images[:512])
    images, _ = load_images("mnist", DATA, train=False)
    new = ImageAutoencoderCompressor.load(tmp_path / "new.pt", device="cpu")
    assert new.history == by_hand.history
    np.testing.assert_array_equal(new.transform(images[:500]), by_hand.transform(images[:500]))
    assert report["final_l1"] == by_hand.history[-1]


def test_bad_settings_are_refused_with_what_to_fix(tmp_path):
    from infoplane.experiments.build import build_network

    bad = copy.deepcopy(SPEC)
    bad["network"]["name"] = "resnet"
    with pytest.raises(ValueError, match="unknown network 'resnet'"):
        build_network(bad, 0)
    bad = copy.deepcopy(SPEC)
    bad["dataset"]["name"] = "mnist"
    with pytest.raises(ValueError, match="reads 'szt' inputs"):
        train_run(bad, "tanh", 0, tmp_path / "run", data_root=DATA)
    with pytest.raises(ValueError, match="sigmoid"):
        variant(SPEC, "sigmoid")
    bad = copy.deepcopy(SPEC)
    bad["analyses"] = {"x": {"kind": "histogram"}}
    with pytest.raises(ValueError, match="kind must be one of"):
        analyse_run(bad, "tanh", 0, tmp_path / "nowhere")
    with pytest.raises(ValueError, match="not a run directory"):
        analyse_run(SPEC, "tanh", 0, tmp_path / "nowhere")


def test_analyse_cli_runs_only_the_named_analysis(tmp_path, monkeypatch):
    """`infoplane analyse --analysis exact` writes the rows of that analysis alone, and they equal
    the rows of the same analysis computed with every other."""
    import yaml

    from infoplane.cli import main

    monkeypatch.chdir(ROOT)
    experiment = tmp_path / "tiny_szt.yaml"
    file_spec = {**SPEC, "seeds": 1, "panels": [{"variant": "tanh", "analysis": "exact", "title": "exact"}]}
    experiment.write_text(yaml.safe_dump(file_spec))
    run_dir = train_run(SPEC, "tanh", 3, tmp_path / "run", data_root=DATA, threads=1)
    out = tmp_path / "exact.csv"
    code = main(["analyse", "--experiment", str(experiment), "--variant", "tanh", "--seed", "3",
                 "--run-dir", str(run_dir), "--analysis", "exact", "--out", str(out), "--no-progress"])
    assert code == 0
    alone = pd.read_csv(out)
    assert set(alone["analysis"]) == {"exact"} and len(alone) == 3 * 6
    every = analyse_run(SPEC, "tanh", 3, run_dir)
    every = every[every["analysis"] == "exact"].reset_index(drop=True)
    np.testing.assert_allclose(alone["i_xl"], every["i_xl"], rtol=1e-12)
    np.testing.assert_allclose(alone["i_ly"], every["i_ly"], rtol=1e-12)
    code = main(["analyse", "--experiment", str(experiment), "--variant", "tanh", "--seed", "3",
                 "--run-dir", str(run_dir), "--analysis", "ksg", "--out", str(out), "--no-progress"])
    assert code == 2
