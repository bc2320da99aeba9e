"""The MNIST networks of the baselines (Saxe et al.'s 784-1024-20-20-20-10 with KDE bounds,
Lorenzen et al.'s 8-bit Bottleneck-2 with exact counts): the run path on a tiny stand-in keeps
every estimate inside its limits, and exact quantised MI equals a brute-force count."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from infoplane.baselines.planes import run_planes
from infoplane.baselines.summary import sanity_flags
from infoplane.baselines.szt_runs import SZTRun, information_limits, train_szt

from infoplane.arrays import label_entropy
from infoplane.nets.mlp import bottleneck2_mlp
from tests.unit.test_baselines import assert_exact_mi_is_counting, brute_force_entropy

ROOT = Path(__file__).resolve().parents[2]
DATA = os.environ.get("INFOPLANE_DATA_ROOT") or str(ROOT / "../shared/datasets")
needs_mnist = pytest.mark.skipif(not (Path(DATA) / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").is_file(),
                                 reason="MNIST missing under the data root")
N_EVAL = 200

#: Tiny stand-ins of the two experiments: 300 training images, 2 epochs, 200 evaluation images.
TINY = {
    "saxe-tanh": ({"network": "saxe-mnist", "activation": "tanh", "init": "glorot", "optimizer": "sgd",
                   "lr": 1e-2, "batch_size": 128},
                  {"up": {"estimator": "kde-upper", "noise_variance": 0.1},
                   "low": {"estimator": "kde-lower", "noise_variance": 0.1}}),
    "bottleneck2-8bit": ({"network": "bottleneck2", "activation": "relu", "bits": 8, "init": "glorot",
                          "optimizer": "adam", "lr": 1e-3, "batch_size": 64},
                         {"exact": {"estimator": "discrete"}}),
}


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    """One MI table per tiny run (2 epochs, 3 captured), and the run settings."""
    base = tmp_path_factory.mktemp("mnist")
    tables, runs = {}, {}
    for name, (settings, analyses) in TINY.items():
        run = SZTRun(dataset="mnist", train_size=300, eval_size=N_EVAL, eval_seed=3, epochs=2, log_points=2,
                     **settings)
        run_dir = train_szt(run, base / name, DATA)
        tables[name] = run_planes(run_dir, analyses, "test", name, 0)
        runs[name] = (run, run_dir)
    return tables, runs


@needs_mnist
def test_mnist_run_stores_unit_range_pixels_of_a_fixed_test_subset(tiny_mnist):
    _, runs = tiny_mnist
    stored = [np.load(run_dir / "eval_set.npz") for _, run_dir in runs.values()]
    run = runs["saxe-tanh"][0]
    for s in stored:  # the same 200 test images for every run (eval_seed, not the training seed)
        np.testing.assert_array_equal(s["index"], run.eval_subset())
        np.testing.assert_array_equal(s["labels"], stored[0]["labels"])
        assert s["inputs"].shape == (N_EVAL, 1, 28, 28)
        assert s["inputs"].min() == 0.0 and s["inputs"].max() == 1.0  # raw pixels / 255
    n_eval, h_y = information_limits(run, DATA)
    assert n_eval == N_EVAL
    assert h_y == pytest.approx(label_entropy(stored[0]["labels"]), abs=1e-12)
    assert 2.0 < h_y / math.log(2) <= math.log2(10)  # ten roughly balanced classes


@needs_mnist
@pytest.mark.parametrize("name", list(TINY))
def test_mnist_limits_hold_for_every_layer_and_epoch(tiny_mnist, name):
    tables, runs = tiny_mnist
    table = tables[name]
    run = runs[name][0]
    n_eval, h_y = information_limits(run, DATA)
    depth = len(run.build_model().layers)
    assert table["epoch"].nunique() == 3 and table["layer"].nunique() == depth == 5
    assert np.isfinite(table[["i_xl", "i_ly"]].to_numpy()).all()
    assert (table["i_xl"] >= -1e-12).all() and (table["i_xl"] <= math.log(n_eval) + 1e-9).all()
    assert (table["i_ly"] >= -1e-12).all() and (table["i_ly"] <= h_y + 1e-9).all()
    assert sanity_flags(table, n_eval, h_y)["ok"]
    # the 1024- or 16-wide first layer separates all 200 images: I(X;T_1) = ln 200 (KDE: noise
    # variance 0.1 is tiny against the distances between images in that layer)
    first = table[table["layer"] == 1]
    np.testing.assert_allclose(first["i_xl"], math.log(n_eval), atol=1e-3)
    if "low" in set(table["estimator"]):
        wide = table.pivot_table(index=["epoch", "layer"], columns="estimator", values="i_xl")
        assert (wide["low"] <= wide["up"] + 1e-9).all()


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


def test_run_settings_name_the_dataset_a_network_needs():
    with pytest.raises(ValueError, match="dataset: mnist"):
        SZTRun(network="bottleneck2")
    with pytest.raises(ValueError, match="only MNIST runs"):
        SZTRun(eval_size=100)
    assert len(SZTRun(dataset="mnist", network="saxe-mnist").build_model().layers) == 5
    rows = SZTRun(dataset="mnist", network="bottleneck2", eval_size=50, eval_seed=1).eval_subset()
    assert len(np.unique(rows)) == 50 and (np.diff(rows) > 0).all() and rows.max() < 10_000
