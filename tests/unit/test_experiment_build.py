"""What an experiment file builds: the TrainConfig of the paper and quick scales (capture
schedule, optimiser settings), for Butakov et al.'s two CNN experiments."""

from __future__ import annotations

from pathlib import Path

from infoplane.experiments.build import train_config
from infoplane.experiments.spec import load_experiment, variant

ROOT = Path(__file__).resolve().parents[2]
MNIST = ROOT / "experiments" / "butakov_mnist.yaml"
CIFAR = ROOT / "experiments" / "butakov_cifar10.yaml"


def config_of(spec: dict, seed: int):
    settings = variant(spec, "base")
    return train_config(settings, seed, settings["capture"]["layers"])


def test_paper_scale_trains_and_captures_as_the_paper():
    s = load_experiment(MNIST, "paper")
    assert (s["network"]["sigma"], s["network"]["noise"], s["network"]["dropout"]) == (1e-3, "relative", 0.1)
    assert s["dataset"]["eval_size"] == 10000 and s["dataset"]["eval_source"] == "test"
    assert s["x_autoencoder"]["latent_dim"] == 4
    paper_analyses = {n: a for n, a in s["analyses"].items() if n in ("per-epoch", "fixed")}
    assert [a["params"] for a in paper_analyses.values()] == [{"k": 5}, {"k": 5}]
    assert [(a["estimator"], a["layer_dim"], a["pca_fit"]) for a in paper_analyses.values()] == [
        ("wkl", 4, "per-epoch"), ("wkl", 4, "fixed")]
    # Each ablation changes one thing of the paper's analysis; the controls leave them out.
    per_epoch = s["analyses"]["per-epoch"]
    for name in ("pooled", "layer-dim-2", "layer-dim-8", "ksg", "kl"):
        changed = {k for k in per_epoch if s["analyses"][name].get(k) != per_epoch[k]}
        one_change = [{key, "exp_layers"} for key in ("pca_fit", "layer_dim", "estimator")]
        assert changed in one_change, name
    # KSG at 8 dimensions (where the weighted estimator has no weights): one change of `ksg`
    ksg, ksg_8 = s["analyses"]["ksg"], s["analyses"]["ksg-layer-dim-8"]
    assert {k for k in ksg if ksg_8.get(k) != ksg[k]} == {"layer_dim"} and ksg_8["layer_dim"] == 8
    assert list(variant(s, "frozen")["analyses"]) == ["per-epoch", "fixed"]
    assert variant(s, "frozen")["train"]["frozen"]
    assert variant(s, "shuffled_labels")["train"]["labels"] == "shuffled"
    config = config_of(s, seed=0)
    assert (config.lr, config.batch_size, config.epochs, config.seed) == (1e-5, 1024, 300, 0)
    assert config.layers == ("L1", "L2", "L3", "L4", "L5") and config.activation_dtype == "float16"
    # Every epoch to 20, then every 10th: 21 + 28 = 49 captures (disk budget, see the file).
    assert len(config.capture_epochs) == 49 and config.capture_epochs[-1] == 300
    assert config.capture_epochs[:21] == tuple(range(21)) and config.capture_epochs[21] == 30
    c = load_experiment(CIFAR, "paper")
    assert (c["train"]["lr"], c["train"]["epochs"], c["x_autoencoder"]["latent_dim"]) == (1e-4, 50, 10)
    assert config_of(c, seed=0).epochs == 50


def test_quick_scale_with_an_override_captures_every_epoch():
    s = load_experiment(MNIST, "quick", {"train.epochs": 3})
    # the quick scale: lr 1e-3 in batches of 256 on 12,000 training images (the paper: 1e-5, 1024, 60,000)
    assert s["train"]["epochs"] == 3 and s["train"]["lr"] == 1e-3 and s["train"]["batch_size"] == 256
    assert s["dataset"]["eval_size"] == 2000 and s["dataset"]["train_size"] == 12000
    assert s["network"]["sigma"] == 1e-3
    config = config_of(s, seed=1)
    assert config.capture_epochs == (0, 1, 2, 3)
    assert (config.epochs, config.lr, config.seed) == (3, 1e-3, 1)
