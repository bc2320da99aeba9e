"""One training step and one analysis step for every experiment give the numbers of the paths
they replace (:func:`train_szt` + :func:`run_planes`, ``baseline sp``, ``baseline seeds``) on the
same settings: same seeds, same estimator calls, same values."""

from __future__ import annotations

import argparse
import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from infoplane.baselines.szt_runs import SZTRun, train_szt

from infoplane.experiments.analyse import analyse_run
from infoplane.experiments.run import train_run
from infoplane.experiments.sample_propagation import layer_scatter
from infoplane.experiments.spec import variant
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
OLD_ANALYSES = {"szt": {"estimator": "binning", "scheme": "szt"}, "exact": {"estimator": "discrete"}}
VALUES = ["i_xl", "i_ly", "i_xl_lo", "i_xl_hi", "i_ly_lo", "i_ly_hi", "test_acc", "train_acc"]


def old_table(run: SZTRun, run_dir: Path, variant: str) -> pd.DataFrame:
    from infoplane.baselines.planes import run_planes

    train_szt(run, run_dir, DATA, threads=1)
    table = run_planes(run_dir, OLD_ANALYSES, "tiny_szt", variant, run.seed)
    return table.sort_values(["estimator", "epoch", "layer"], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("variant,old_settings",
                         [("tanh", {}), pytest.param("relu-4bit", {"activation": "relu", "bits": 4},
                                                     marks=pytest.mark.slow)])
def test_a_layer_analysis_gives_the_numbers_of_the_old_path(tmp_path, variant, old_settings):
    seed = 3
    run_dir = train_run(SPEC, variant, seed, tmp_path / "new", data_root=DATA, threads=1)
    table = analyse_run(SPEC, variant, seed, run_dir)
    assert list(table.columns) == MI_COLUMNS
    assert len(table) == 2 * 3 * 6                       # analyses x captured epochs (0, 1, 3) x layers
    assert sorted(table["layer"].unique()) == [f"T{i}" for i in range(1, 7)]
    assert (table["layer"] == "T" + table["depth"].astype(str)).all()
    assert (table["estimator"] == table["analysis"].map({"szt": "binning", "exact": "discrete"})).all()
    np.testing.assert_allclose(table["h_x"], math.log(4096))
    np.testing.assert_allclose(table["h_y"] / math.log(2), 0.99916, atol=1e-5)
    assert (table["experiment"] == "tiny_szt").all() and (table["seed"] == seed).all()

    old = old_table(SZTRun(epochs=3, log_points=2, batch_size=512, lr=1e-2, seed=seed, **old_settings),
                    tmp_path / "old", variant)
    new = table.sort_values(["analysis", "epoch", "depth"], key=lambda s: s.map({"exact": 0, "szt": 1})
                            if s.name == "analysis" else s, kind="stable").reset_index(drop=True)
    assert new["epoch"].tolist() == old["epoch"].tolist()
    assert new["depth"].tolist() == old["layer"].tolist()
    for column in VALUES:   # equal, not close: the same draws and the same estimator calls
        np.testing.assert_array_equal(new[column].to_numpy(), old[column].to_numpy(), err_msg=column)


@pytest.mark.slow  # SP over all 4096 inputs: ~30 s on a loaded two-core machine
def test_sample_propagation_gives_the_numbers_of_baseline_sp(tmp_path):
    from infoplane.baselines.commands import cmd_sp

    spec = copy.deepcopy(SPEC)
    spec["network"]["noise_std"] = 0.1
    spec["train"]["epochs"] = 2
    spec["capture"]["weights"] = True
    params = {"n_cond": 4, "cond_inputs": 32, "n_mc": 1}
    spec["analyses"] = {"sp": {"kind": "sample-propagation", "params": params}}
    seed = 1
    run_dir = train_run(spec, "tanh", seed, tmp_path / "new", data_root=DATA, threads=1)
    table = analyse_run(spec, "tanh", seed, run_dir)
    assert list(table.columns) == MI_COLUMNS
    assert sorted(table["layer"].unique()) == [f"T{i}" for i in range(1, 6)]   # the noisy hidden layers
    assert (table["estimator"] == "sp").all()

    old_run = SZTRun(epochs=2, log_points=2, batch_size=512, lr=1e-2, noise_std=0.1, seed=seed)
    train_szt(old_run, tmp_path / "old", DATA, threads=1)
    args = argparse.Namespace(run_dir=tmp_path / "old", experiment="tiny_szt", variant="tanh", seed=seed,
                              n_cond=4, cond_inputs=32, n_mc=1, threads=1, out=tmp_path / "old.csv",
                              scatter_out=tmp_path / "scatter.csv", scatter_layer=5, scatter_epochs=[])
    cmd_sp(args)
    old = pd.read_csv(tmp_path / "old.csv")
    assert table["epoch"].tolist() == old["epoch"].tolist()
    assert table["depth"].tolist() == old["layer"].tolist()
    for column in VALUES:
        np.testing.assert_array_equal(table[column].to_numpy(), old[column].to_numpy(), err_msg=column)

    scatter = layer_scatter(spec, "tanh", seed, run_dir, "T5")
    old_scatter = pd.read_csv(tmp_path / "scatter.csv")
    pd.testing.assert_frame_equal(scatter, old_scatter, check_dtype=False)


def test_batched_seeds_give_the_numbers_of_separate_runs(tmp_path):
    from infoplane.baselines.szt_seeds import train_szt_seeds

    from infoplane.experiments.seeds import train_seeds_at_once

    seeds = [3, 7]
    table, history = train_seeds_at_once(SPEC, "relu-4bit", seeds, DATA)
    assert list(table.columns) == MI_COLUMNS
    assert len(table) == 2 * 2 * 3 * 6 and set(history["seed"]) == set(seeds)

    # the old batched path: equal values (the same code on the same stack)
    run = SZTRun(epochs=3, log_points=2, batch_size=512, lr=1e-2, activation="relu", bits=4)
    old, _ = train_szt_seeds(run, seeds, OLD_ANALYSES, "tiny_szt", "relu-4bit", DATA)
    old = old.sort_values(["seed", "estimator", "epoch", "layer"], key=lambda s: s.map({"szt": 0, "exact": 1})
                          if s.name == "estimator" else s, kind="stable").reset_index(drop=True)
    assert table["depth"].tolist() == old["layer"].tolist()
    for column in VALUES:
        np.testing.assert_array_equal(table[column].to_numpy(), old[column].to_numpy(), err_msg=column)

    # separate runs of the new path: equal up to the stack's float rounding at bin edges
    separate = pd.concat([analyse_run(SPEC, "relu-4bit", seed, train_run(
        SPEC, "relu-4bit", seed, tmp_path / f"seed-{seed}", data_root=DATA, threads=1)) for seed in seeds])
    separate = separate.sort_values(["seed", "analysis", "epoch", "depth"], key=lambda s: s.map(
        {"szt": 0, "exact": 1}) if s.name == "analysis" else s, kind="stable").reset_index(drop=True)
    for column in ("seed", "analysis", "epoch", "layer"):
        assert table[column].tolist() == separate[column].tolist()
    for column in ("i_xl", "i_ly", "i_xl_lo", "i_ly_hi"):
        diff = np.abs(table[column].to_numpy() - separate[column].to_numpy())
        assert np.mean(diff < 1e-9) >= 0.9 and diff.max() < 5e-3, column
    np.testing.assert_allclose(table["h_y"], separate["h_y"], rtol=1e-12)
    assert np.abs(table["test_acc"] - separate["test_acc"]).max() < 1e-6


class _FixedCodes:
    """A stand-in X autoencoder: a fixed linear map of the 12 input bits to 4 codes."""

    latent_dim = 4

    def transform(self, inputs: np.ndarray) -> np.ndarray:
        weights = np.random.default_rng(0).normal(size=(inputs[0].size, self.latent_dim))
        return inputs.reshape(len(inputs), -1) @ weights


def test_a_compressed_analysis_gives_the_numbers_of_the_old_analysis(tmp_path):
    from infoplane.analysis import AnalysisConfig
    from infoplane.analysis import analyse_run as old_analyse_run
    from infoplane.runstore import load_eval_set

    spec = copy.deepcopy(SPEC)
    spec["analyses"] = {"wkl": {"kind": "compressed", "estimator": "wkl", "params": {"k": 5},
                                "x": "autoencoder", "layer_dim": 4, "pca_fit": "fixed", "exp_layers": ["T6"]}}
    run_dir = train_run(spec, "tanh", 0, tmp_path / "run", data_root=DATA, threads=1)
    table = analyse_run(spec, "tanh", 0, run_dir, autoencoder=_FixedCodes(), epochs=[3])
    assert table["layer"].tolist() == [f"T{i}" for i in range(1, 7)] + ["exp(T6)"]
    assert table["depth"].tolist() == [1, 2, 3, 4, 5, 6, 6]
    assert (table["x_compression"] == "ae:4").all() and (table["pca_fit"] == "fixed").all()

    codes = _FixedCodes().transform(load_eval_set(run_dir)[0])
    config = AnalysisConfig(estimator="wkl", estimator_params={"k": 5}, layer_dim=4, pca_fit="fixed",
                            exp_layers=("layers.5",), epochs=(3,))
    old = old_analyse_run(run_dir, codes, config, "tiny_szt", 0, "ae:4")
    for column in VALUES[:6] + ["layer_dim", "pca_dim", "pca_explained", "flags"]:
        np.testing.assert_array_equal(table[column].to_numpy(), old[column].to_numpy(), err_msg=column)


@pytest.mark.slow  # loads MNIST twice: ~20 s on a loaded two-core machine
@pytest.mark.skipif(not (Path(DATA) / "MNIST").is_dir(), reason="MNIST missing")
def test_a_butakov_cnn_run_stores_what_the_old_train_command_stored(tmp_path):
    """Same data, weights, batches and noise: every captured layer and the history are equal."""
    from infoplane.experiment import build_data, build_network, train_config

    from infoplane.train import load_activations, seeded, train

    cnn = {"sigma": 1.0e-3, "noise": "relative", "detach_scale": False, "noise_in_eval": True, "dropout": 0.1}
    layers = ["L1", "L2", "L3", "L4", "L5"]
    spec = {"name": "tiny_butakov", "dataset": {"name": "mnist", "train_size": 256, "eval_source": "test",
                                                "eval_size": 100, "eval_seed": 0},
            "network": {"name": "butakov-mnist-cnn", **cnn},
            "train": {"optimizer": "adam", "lr": 1.0e-3, "batch_size": 64, "epochs": 1, "loss": "nll"},
            "capture": {"layers": layers, "schedule": {"every": 1}, "dtype": "float16"},
            "device": "cpu", "variants": {"noisy": {}}}
    new_dir = train_run(spec, "noisy", 2, tmp_path / "new", data_root=DATA, threads=1)

    old = {"name": "tiny_butakov", "dataset": "mnist",
           "data": {"eval_source": "test", "eval_size": 100, "eval_seed": 0, "train_size": 256},
           "model": {"name": "butakov_mnist_cnn", **cnn}, "train": spec["train"],
           "capture": {"layers": layers, "schedule": {"every": 1}, "dtype": "float16"}}
    model = seeded(build_network, 2, settings=old)
    train(model, build_data(old, DATA), train_config(old, 2, device="cpu", threads=1, progress=False),
          tmp_path / "old")
    for epoch in (0, 1):
        new_acts, new_labels = load_activations(new_dir, epoch)
        old_acts, old_labels = load_activations(tmp_path / "old", epoch)
        np.testing.assert_array_equal(new_labels, old_labels)
        assert list(new_acts) == layers
        for layer in layers:
            np.testing.assert_array_equal(new_acts[layer], old_acts[layer], err_msg=f"{layer} epoch {epoch}")
    columns = ["train_loss", "train_acc", "test_loss", "test_acc"]
    pd.testing.assert_frame_equal(pd.read_csv(new_dir / "history.csv")[columns],
                                  pd.read_csv(tmp_path / "old" / "history.csv")[columns])


@pytest.mark.slow  # loads MNIST twice: ~20 s on a loaded two-core machine
@pytest.mark.skipif(not (Path(DATA) / "MNIST").is_dir(), reason="MNIST missing")
def test_the_x_autoencoder_is_the_one_the_old_command_trained(tmp_path):
    import yaml

    from infoplane.cli import cmd_train_autoencoder
    from infoplane.compression.image_autoencoder import ImageAutoencoderCompressor
    from infoplane.data.images import load_images
    from infoplane.experiments.run import train_x_autoencoder

    settings = {"latent_dim": 4, "epochs": 1, "lr": 1.0e-3, "batch_size": 128, "train_size": 512, "seed": 0}
    spec = {"name": "tiny_ae", "dataset": {"name": "mnist"}, "x_autoencoder": settings}
    report = train_x_autoencoder(spec, tmp_path / "new.pt", DATA, device="cpu", threads=1)
    assert report["train_images"] == 512 and min(report["latent_std"]) > 1e-4

    (tmp_path / "old.yaml").write_text(yaml.safe_dump({"name": "tiny_ae", "dataset": "mnist",
                                                       "autoencoder": settings}))
    cmd_train_autoencoder(argparse.Namespace(experiment=tmp_path / "old.yaml", scale="paper", set=None,
                                             data_root=DATA, device="cpu", threads=1, no_progress=True,
                                             out=tmp_path / "old.pt"))
    images, _ = load_images("mnist", DATA, train=False)
    new = ImageAutoencoderCompressor.load(tmp_path / "new.pt", device="cpu")
    old = ImageAutoencoderCompressor.load(tmp_path / "old.pt", device="cpu")
    assert new.history == old.history
    np.testing.assert_array_equal(new.transform(images[:500]), old.transform(images[:500]))


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
