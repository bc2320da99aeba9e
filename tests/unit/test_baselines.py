"""The baseline analyses: exact quantised MI against a brute-force count, the single noisy neuron
against numerical integration, and the SZT sanity limits on a tiny training run."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from infoplane.baselines.goldfeld import single_neuron_curve
from infoplane.baselines.planes import run_planes
from infoplane.baselines.summary import aggregate, final_epoch_summary, sanity_flags
from infoplane.baselines.szt_runs import SZTRun, train_szt

from infoplane.arrays import label_entropy
from infoplane.estimators import build
from infoplane.nets.mlp import MLP

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "../shared/datasets"
needs_szt = pytest.mark.skipif(not (DATA / "SZT" / "var_u.mat").is_file(), reason="SZT/var_u.mat missing")
LOG2 = math.log(2)


def brute_force_entropy(symbols: list[tuple]) -> float:
    """H in nats of the empirical distribution of hashable symbols, by counting."""
    n = len(symbols)
    return -sum(c / n * math.log(c / n) for c in Counter(symbols).values())


@pytest.mark.parametrize("activation,bits", [("tanh", 2), ("tanh", 3), ("relu", 2)])
def test_exact_quantised_mi_equals_a_brute_force_count(activation, bits):
    """All 2^6 binary inputs through a 6-5-4-3-2 quantised net: the discrete estimator = counting."""
    x = np.array(list(itertools.product([0.0, 1.0], repeat=6)), dtype=np.float32)
    y = (x.sum(1) % 2).astype(np.int64)  # parity labels
    net = MLP((6, 5, 4, 3, 2), activation, bits=bits, seed=2)
    net.train()
    net(torch.from_numpy(x))  # ReLU ranges
    layers = [t.detach().numpy() for t in net.eval().layer_outputs(torch.from_numpy(x))]
    assert_exact_mi_is_counting(layers, x, y)


def assert_exact_mi_is_counting(layers: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> None:
    """The discrete estimator on every layer (n, d_l) equals counting its distinct rows:
    I(X;T) = H(T) and I(T;Y) = H(T) - sum_y p(y) H(T | y); and H(T_l) never grows along the net,
    since every quantised layer is a function of the previous one (DPI)."""
    exact = build("discrete")
    previous = math.log(len(x))
    for t in layers:
        symbols = [tuple(row) for row in t.tolist()]
        h_t = brute_force_entropy(symbols)
        h_t_given_y = sum(
            np.mean(y == label) * brute_force_entropy(
                [s for s, yy in zip(symbols, y.tolist(), strict=True) if yy == label])
            for label in np.unique(y)
        )
        assert exact.estimate(t, x) == pytest.approx(h_t, abs=1e-12)
        assert exact.estimate(t, y) == pytest.approx(h_t - h_t_given_y, abs=1e-12)
        assert h_t <= previous + 1e-12
        previous = h_t


def test_single_neuron_sp_matches_numerical_integration():
    weights = np.array([0.1, 0.3, 0.6, 1.0, 2.0, 5.0])
    table = single_neuron_curve(weights, beta=0.1, n_samples=1000, n_mc=50, seed=0)
    error_bits = (table["i_sp"] - table["i_true"]).abs() / LOG2
    assert error_bits.max() < 0.02, table
    # the shape Goldfeld et al. describe: up towards 2 bits, then down towards 1 bit
    truth = table["i_true"] / LOG2
    assert truth.max() > 1.9 and truth.iloc[-1] == pytest.approx(1.0, abs=0.01)
    assert truth.idxmax() not in (0, len(truth) - 1)


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """Three tiny SZT runs: float tanh, float ReLU, 8-bit ReLU (4 epochs, 3 captured)."""
    base = tmp_path_factory.mktemp("szt")
    runs = {}
    for name, settings in {"tanh": {}, "relu": {"activation": "relu"},
                           "relu-8bit": {"activation": "relu", "bits": 8}}.items():
        run = SZTRun(epochs=4, log_points=2, batch_size=512, lr=1e-2, **settings)
        runs[name] = train_szt(run, base / name, str(DATA))
    return runs


@needs_szt
def test_szt_limits_hold_for_every_layer_and_epoch(tiny_runs):
    analyses = {"szt": {"estimator": "binning", "scheme": "szt"},
                "range": {"estimator": "binning", "scheme": "uniform", "n_bins": 30},
                "w0.07": {"estimator": "binning", "scheme": "saxe", "width": 0.07},
                "exact": {"estimator": "discrete"}}
    table = pd.concat([run_planes(d, analyses, "test", name, 0) for name, d in tiny_runs.items()])
    y = np.load(tiny_runs["tanh"] / "eval_set.npz")["labels"]
    h_y = label_entropy(y)
    assert h_y / LOG2 == pytest.approx(0.99916, abs=1e-5)
    assert table["epoch"].nunique() == 3 and table["layer"].nunique() == 6
    assert (table["i_xl"] <= math.log(4096) + 1e-9).all() and (table["i_ly"] <= h_y + 1e-9).all()
    assert (table[["i_xl", "i_ly"]] >= -1e-12).all().all()
    assert sanity_flags(table, 4096, h_y)["ok"]
    # a layer with I(T;Y) = H(Y) must separate the classes; T_1 of a fresh tanh net is injective
    first = table[(table.layer == 1) & (table.variant == "tanh") & (table.estimator == "exact")]
    np.testing.assert_allclose(first["i_xl"], math.log(4096))
    # the flags notice a violation
    broken = table.copy()
    broken.loc[broken.index[0], "i_ly"] = h_y + 0.01
    assert not sanity_flags(broken.reset_index(drop=True), 4096, h_y)["ok"]
    summary = aggregate(table)
    assert set(summary["seeds"]) == {1}
    finals = final_epoch_summary(summary)
    assert (finals["compression_bits"] >= -1e-9).all()


@pytest.mark.slow
@needs_szt
def test_szt_limits_hold_for_kde_and_sp(tiny_runs, tmp_path):
    from infoplane.baselines.goldfeld import noisy_net_planes

    from infoplane.data.szt import load_szt

    analyses = {"up": {"estimator": "kde-upper", "noise_variance": 1e-3},
                "low": {"estimator": "kde-lower", "noise_variance": 1e-3}}
    table = run_planes(tiny_runs["tanh"], analyses, "test", "tanh", 0, epochs=[4])
    data = load_szt(str(DATA))
    h_y = label_entropy(data.y)
    assert sanity_flags(table, 4096, h_y)["ok"]
    wide = table.pivot(index="layer", columns="estimator", values="i_xl")
    assert (wide["low"] <= wide["up"] + 1e-9).all()
    net = MLP((12, 10, 7, 5, 4, 3, 2), noise_std=0.1, seed=0)
    sp = noisy_net_planes(net, data.x, data.y, 0.1, n_cond=16, cond_inputs=64, n_mc=2)
    assert (sp["i_xl"] <= math.log(4096) + 0.05).all() and (sp["i_ly"] <= h_y + 0.01).all()


def test_final_epoch_summary_reads_dips_and_fitting_off_the_curves():
    ln2 = math.log(2)
    # I(X;T) 1, 3, 2, 2.5 bits: peak 3 at epoch 10, a dip of 1 bit, last 2.5 (0.5 below the peak)
    summary = pd.DataFrame({
        "variant": "v", "estimator": "e", "layer": 1, "epoch": [0, 10, 20, 30],
        "i_xl_mean": [v * ln2 for v in (1.0, 3.0, 2.0, 2.5)],
        "i_ly_mean": [v * ln2 for v in (0.2, 0.5, 0.7, 0.9)], "test_acc_mean": 0.9,
        "train_acc_mean": [math.nan, 0.75, 0.9, 0.95],
    })
    row = final_epoch_summary(summary).iloc[0]
    assert row["compression_bits"] == pytest.approx(0.5) and row["largest_dip_bits"] == pytest.approx(1.0)
    assert row["fit_bits"] == pytest.approx(0.7) and row["peak_epoch"] == 10
    assert row["train_error_at_peak"] == pytest.approx(0.25)  # compression starts at 75 % training accuracy
