"""Experiment files: the paper's settings, the quick overlay, overrides, and what they build."""

from __future__ import annotations

from pathlib import Path

import pytest
from infoplane.experiment import analysis_configs, load_experiment, train_config

ROOT = Path(__file__).resolve().parents[2]
MNIST = ROOT / "experiments" / "butakov_mnist.yaml"
CIFAR = ROOT / "experiments" / "butakov_cifar10.yaml"


def test_paper_scale_is_the_papers_settings():
    s = load_experiment(MNIST, "paper")
    assert (s["train"]["lr"], s["train"]["batch_size"], s["train"]["epochs"]) == (1e-5, 1024, 300)
    assert (s["model"]["sigma"], s["model"]["noise"], s["model"]["dropout"]) == (1e-3, "relative", 0.1)
    assert s["data"]["eval_size"] == 10000 and s["data"]["eval_source"] == "test"
    assert s["autoencoder"]["latent_dim"] == 4 and s["analysis"]["estimator_params"] == {"k": 5}
    config = train_config(s, seed=0)
    # Every epoch to 20, then every 10th: 21 + 28 = 49 captures (disk budget, see the file).
    assert len(config.capture_epochs) == 49 and config.capture_epochs[-1] == 300
    assert [c.pca_fit for c in analysis_configs(s)] == ["per-epoch", "fixed"]
    c = load_experiment(CIFAR, "paper")
    assert (c["train"]["lr"], c["train"]["epochs"], c["autoencoder"]["latent_dim"]) == (1e-4, 50, 10)


def test_quick_scale_overlays_and_overrides():
    s = load_experiment(MNIST, "quick", {"train.epochs": 3})
    assert s["train"]["epochs"] == 3 and s["train"]["lr"] == 1e-3 and s["train"]["batch_size"] == 1024
    assert s["data"]["eval_size"] == 2000 and s["model"]["sigma"] == 1e-3
    assert train_config(s, seed=1).capture_epochs == (0, 1, 2, 3)


def test_unknown_override_or_scale_is_an_error():
    with pytest.raises(ValueError, match="no such setting"):
        load_experiment(MNIST, "quick", {"train.learning_rate": 1e-3})
    with pytest.raises(ValueError, match="scale"):
        load_experiment(MNIST, "huge")
    with pytest.raises(ValueError, match="does not exist"):
        load_experiment(ROOT / "experiments" / "nope.yaml")
