"""The MNIST networks of the earlier papers (Saxe et al.'s 784-1024-20-20-20-10 with KDE bounds,
Lorenzen et al.'s 8-bit Bottleneck-2 with exact counts): train_run + analyse_run on a tiny
stand-in keep every estimate inside its limits, and exact quantised MI equals a brute-force count."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from infoplane.arrays import label_entropy
from infoplane.data.images import eval_subset
from infoplane.experiments import analyse_run, load_experiment, train_run, variant
from infoplane.experiments.build import build_network, information_limits
from infoplane.flags import sanity
from infoplane.nets.mlp import bottleneck2_mlp
from tests.unit.test_paper_networks import assert_exact_mi_is_counting, brute_force_entropy

ROOT = Path(__file__).resolve().parents[2]
DATA = os.environ.get("INFOPLANE_DATA_ROOT") or str(ROOT / "../shared/datasets")
needs_mnist = pytest.mark.skipif(not (Path(DATA) / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").is_file(),
                                 reason="MNIST missing under the data root")
N_EVAL = 200
TINY_DATA = {"dataset.train_size": 300, "dataset.eval_size": N_EVAL, "dataset.eval_seed": 3,
             "train.epochs": 2, "capture.schedule.log_points": 2, "seeds": [0]}

#: Tiny stand-ins of the two experiments: 300 training images, 2 epochs, 200 evaluation images.
TINY = {
    "saxe-tanh": ("saxe_kde_mnist", "tanh", {"train.lr": 1e-2, "train.batch_size": 128}),
    "bottleneck2-8bit": ("lorenzen_quantized_mnist", "relu-8bit", {"train.lr": 1e-3, "train.batch_size": 64}),
}


def tiny_spec(name: str) -> tuple[dict, str]:
    experiment, variant_name, train = TINY[name]
    spec = load_experiment(ROOT / "experiments" / f"{experiment}.yaml", "quick", {**TINY_DATA, **train})
    return spec, variant_name


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    """One MI table per tiny run (2 epochs, 3 captured), and the run directories."""
    base = tmp_path_factory.mktemp("mnist")
    tables, runs = {}, {}
    for name in TINY:
        spec, variant_name = tiny_spec(name)
        run_dir = train_run(spec, variant_name, 0, base / name, data_root=DATA, threads=1)
        tables[name] = analyse_run(spec, variant_name, 0, run_dir)
        runs[name] = run_dir
    return tables, runs


@needs_mnist
def test_mnist_run_stores_unit_range_pixels_of_a_fixed_test_subset(tiny_mnist):
    _, runs = tiny_mnist
    stored = [np.load(run_dir / "eval_set.npz") for run_dir in runs.values()]
    for s in stored:  # the same 200 test images for every run (eval_seed, not the training seed)
        np.testing.assert_array_equal(s["index"], eval_subset(10_000, N_EVAL, 3))
        np.testing.assert_array_equal(s["labels"], stored[0]["labels"])
        assert s["inputs"].shape == (N_EVAL, 1, 28, 28)
        assert s["inputs"].min() == 0.0 and s["inputs"].max() == 1.0  # raw pixels / 255
    h_x, h_y = information_limits(runs["saxe-tanh"])
    assert h_x == pytest.approx(math.log(N_EVAL), abs=1e-12)
    assert h_y == pytest.approx(label_entropy(stored[0]["labels"]), abs=1e-12)
    assert 2.0 < h_y / math.log(2) <= math.log2(10)  # ten roughly balanced classes


@needs_mnist
@pytest.mark.parametrize("name", list(TINY))
def test_mnist_limits_hold_for_every_layer_and_epoch(tiny_mnist, name):
    tables, runs = tiny_mnist
    table = tables[name]
    h_x, h_y = information_limits(runs[name])
    spec, variant_name = tiny_spec(name)
    depth = len(build_network(variant(spec, variant_name), 0).layers)
    assert table["epoch"].nunique() == 3 and table["layer"].nunique() == depth == 5
    np.testing.assert_allclose(table["h_x"], h_x, rtol=1e-12)
    np.testing.assert_allclose(table["h_y"], h_y, rtol=1e-12)
    assert np.isfinite(table[["i_xl", "i_ly"]].to_numpy()).all()
    assert (table["i_xl"] >= -1e-12).all() and (table["i_xl"] <= math.log(N_EVAL) + 1e-9).all()
    assert (table["i_ly"] >= -1e-12).all() and (table["i_ly"] <= h_y + 1e-9).all()
    assert sanity(table)["ok"]
    # the 1024- or 16-wide first layer separates all 200 images: I(X;T_1) = ln 200 (KDE: noise
    # variance 0.1 is tiny against the distances between images in that layer)
    first = table[table["layer"] == "T1"]
    assert len(first) == 3 * table["analysis"].nunique()
    np.testing.assert_allclose(first["i_xl"], math.log(N_EVAL), atol=1e-3)
    if "kde-lower" in set(table["analysis"]):
        wide = table.pivot_table(index=["epoch", "layer"], columns="analysis", values="i_xl")
        assert (wide["kde-lower"] <= wide["kde-upper"] + 1e-9).all()


@pytest.mark.parametrize("bits", [2, 3, 8])
def test_exact_mi_of_bottleneck2_equals_a_brute_force_count(bits):
    """64 random [0, 1] images through the quantised Bottleneck-2 net: the discrete estimator
    equals counting the layers' distinct rows, and H(T_l) never grows along the net (DPI)."""
    generator = torch.Generator().manual_seed(bits)
    x = torch.rand(64, 784, generator=generator)
    y = torch.arange(64) % 10
    net = bottleneck2_mlp(bits=bits, seed=1)
    net.train()
    net(x)  # sets the moving ReLU ranges
    layers = [t.detach().numpy() for t in net.eval().layer_outputs(x)]
    assert_exact_mi_is_counting(layers, x.numpy(), y.numpy())
    # the 2-D layer at 2 bits has at most 4^2 codes: counting must see the collapse
    if bits == 2:
        assert brute_force_entropy([tuple(r) for r in layers[3].tolist()]) <= math.log(16) + 1e-12


def test_experiment_settings_name_the_dataset_a_network_needs(tmp_path):
    base = load_experiment(ROOT / "experiments" / "szt_binning.yaml", "paper")
    base.pop("scale")

    def problems_of(name: str, change: dict) -> str:
        settings = {**base, "name": name, **change}
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(settings))
        with pytest.raises(ValueError) as err:
            load_experiment(tmp_path / f"{name}.yaml", "paper")
        return str(err.value)

    assert "set dataset.name: mnist" in problems_of("bn", {"network": {"name": "bottleneck2"}})
    assert "only image datasets take it" in problems_of(
        "ev", {"dataset": {**base["dataset"], "eval_size": 100}})
    saxe = variant(load_experiment(ROOT / "experiments" / "saxe_kde_mnist.yaml", "paper"), "tanh")
    assert len(build_network(saxe, 0).layers) == 5
    rows = eval_subset(10_000, 50, 1)
    assert len(np.unique(rows)) == 50 and (np.diff(rows) > 0).all() and rows.max() < 10_000


@pytest.mark.parametrize("bits", [2, 8])
def test_exact_mi_of_the_conv_network_equals_a_brute_force_count(bits):
    """Lorenzen et al.'s quantised Conv network: every layer takes at most 2^bits values per unit,
    and the discrete estimator equals counting distinct rows, H(L_l) never growing (DPI)."""
    from infoplane.nets.quantized_cnn import LorenzenConv

    generator = torch.Generator().manual_seed(bits)
    x = torch.rand(64, 1, 28, 28, generator=generator)
    y = torch.arange(64) % 10
    torch.manual_seed(0)
    net = LorenzenConv(bits=bits)
    net.train()
    net(x)  # sets the moving ReLU ranges
    layers = [t.detach().numpy() for t in net.eval().layer_outputs(x)]
    assert [t.shape[1] for t in layers] == [338, 50, 16, 10]
    assert all(len(np.unique(t)) <= 2**bits for t in layers)
    assert_exact_mi_is_counting(layers, x.flatten(1).numpy(), y.numpy())
    with pytest.raises(ValueError, match="ReLU only"):
        LorenzenConv(activation="tanh")


@needs_mnist
def test_conv_network_runs_through_the_experiment_model(tmp_path):
    spec = load_experiment(ROOT / "experiments" / "lorenzen_quantized_mnist.yaml", "quick",
                           {**TINY_DATA, "train.lr": 1e-3, "train.batch_size": 64})
    run_dir = train_run(spec, "conv-8bit", 0, tmp_path / "conv", data_root=DATA, threads=1)
    table = analyse_run(spec, "conv-8bit", 0, run_dir)
    h_x, h_y = information_limits(run_dir)
    assert sorted(table["layer"].unique()) == ["L1", "L2", "L3", "L4"] and table["epoch"].nunique() == 3
    assert (table["i_xl"] >= -1e-12).all() and (table["i_xl"] <= h_x + 1e-9).all()
    assert (table["i_ly"] >= -1e-12).all() and (table["i_ly"] <= h_y + 1e-9).all()
    # every quantised layer is a function of the one before: I(X;L) = H(L) never grows with depth
    wide = table.pivot_table(index="epoch", columns="depth", values="i_xl")
    assert (wide.diff(axis=1).iloc[:, 1:] <= 1e-9).all().all()
