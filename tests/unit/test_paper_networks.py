"""The networks of the four earlier papers: exact quantised MI against a brute-force count, the
single noisy neuron against numerical integration, and the SZT limits on tiny training runs of the
experiment model (train_run, then analyse_run)."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from infoplane.arrays import label_entropy
from infoplane.estimators import build
from infoplane.experiments import analyse_run, load_experiment, train_run
from infoplane.experiments.sample_propagation import single_neuron_curve
from infoplane.flags import sanity
from infoplane.nets.mlp import MLP
from infoplane.tables import aggregate, finals

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


TINY_VARIANTS = {"tanh": {"network": {"activation": "tanh"}}, "relu": {"network": {"activation": "relu"}},
                 "relu-8bit": {"network": {"activation": "relu", "bits": 8}}}
LIMIT_ANALYSES = {
    "szt": {"kind": "layer", "estimator": "binning", "params": {"scheme": "szt"}},
    "range": {"kind": "layer", "estimator": "binning", "params": {"scheme": "uniform", "n_bins": 30}},
    "w0.07": {"kind": "layer", "estimator": "binning", "params": {"scheme": "saxe", "width": 0.07}},
    "exact": {"kind": "layer", "estimator": "discrete"},
}


def tiny_szt_spec(analyses: dict) -> dict:
    """szt_binning at a tiny scale: 4 epochs (3 captured), lr 1e-2; float tanh, float ReLU, 8-bit ReLU."""
    overrides = {"train.epochs": 4, "train.lr": 1e-2, "capture.schedule.log_points": 2, "seeds": [0]}
    spec = load_experiment(ROOT / "experiments" / "szt_binning.yaml", "quick", overrides)
    return {**spec, "variants": TINY_VARIANTS, "analyses": analyses}


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """Three tiny SZT runs of seed 0, by variant."""
    base = tmp_path_factory.mktemp("szt")
    spec = tiny_szt_spec(LIMIT_ANALYSES)
    return {name: train_run(spec, name, 0, base / name, data_root=DATA, threads=1) for name in TINY_VARIANTS}


@needs_szt
def test_szt_limits_hold_for_every_layer_and_epoch(tiny_runs):
    spec = tiny_szt_spec(LIMIT_ANALYSES)
    table = pd.concat([analyse_run(spec, name, 0, d) for name, d in tiny_runs.items()], ignore_index=True)
    y = np.load(tiny_runs["tanh"] / "eval_set.npz")["labels"]
    h_y = label_entropy(y)
    assert h_y / LOG2 == pytest.approx(0.99916, abs=1e-5)
    np.testing.assert_allclose(table["h_y"], h_y, rtol=1e-12)
    np.testing.assert_allclose(table["h_x"], math.log(4096), rtol=1e-12)
    assert table["epoch"].nunique() == 3 and table["layer"].nunique() == 6
    assert len(table) == 3 * 4 * 3 * 6   # variants x analyses x captured epochs x layers
    assert (table["i_xl"] <= math.log(4096) + 1e-9).all() and (table["i_ly"] <= h_y + 1e-9).all()
    assert (table[["i_xl", "i_ly"]] >= -1e-12).all().all()
    assert sanity(table)["ok"]
    assert not table["flags"].str.contains("<0|>H", regex=True).any()
    # every estimate of a layer is a function of the one before: binning and counting obey the DPI
    # only within a scheme, so check the exact counts: H(T_l) never grows along a quantised net
    exact = table[(table.variant == "relu-8bit") & (table.analysis == "exact")]
    for _, rows in exact.groupby("epoch"):
        assert (np.diff(rows.sort_values("depth")["i_xl"].to_numpy()) <= 1e-12).all()
    # a layer with I(T;Y) = H(Y) must separate the classes; T_1 of a fresh tanh net is injective
    first = table[(table.layer == "T1") & (table.variant == "tanh") & (table.estimator == "discrete")]
    assert len(first) == 3
    np.testing.assert_allclose(first["i_xl"], math.log(4096))
    # the sanity check notices a violation
    broken = table.copy()
    broken.loc[broken.index[0], "i_ly"] = h_y + 0.01
    assert not sanity(broken)["ok"]
    summary = aggregate(table)
    assert set(summary["n_seeds"]) == {1}
    assert (finals(summary)["compression_bits"] >= -1e-9).all()


@pytest.mark.slow
@needs_szt
def test_szt_limits_hold_for_kde_and_sp(tiny_runs):
    from infoplane.data.szt import load_szt
    from infoplane.experiments.sample_propagation import noisy_net_planes

    analyses = {"up": {"kind": "layer", "estimator": "kde-upper", "params": {"noise_variance": 1e-3}},
                "low": {"kind": "layer", "estimator": "kde-lower", "params": {"noise_variance": 1e-3}}}
    table = analyse_run(tiny_szt_spec(analyses), "tanh", 0, tiny_runs["tanh"], epochs=[4])
    data = load_szt(str(DATA))
    h_y = label_entropy(data.y)
    assert len(table) == 2 * 6 and (table["epoch"] == 4).all()
    assert (table["i_xl"] <= math.log(4096) + 1e-9).all() and (table["i_ly"] <= h_y + 1e-9).all()
    assert (table[["i_xl", "i_ly"]] >= -1e-12).all().all()
    assert sanity(table)["ok"]
    wide = table.pivot(index="layer", columns="analysis", values="i_xl")
    assert (wide["low"] <= wide["up"] + 1e-9).all()
    net = MLP((12, 10, 7, 5, 4, 3, 2), noise_std=0.1, seed=0)
    sp = noisy_net_planes(net, data.x, data.y, 0.1, n_cond=16, cond_inputs=64, n_mc=2)
    assert (sp["i_xl"] <= math.log(4096) + 0.05).all() and (sp["i_ly"] <= h_y + 0.01).all()
