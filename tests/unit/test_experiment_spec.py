"""Experiment files: one schema, the paper's settings with a quick overlay, overrides, variants,
and a problem named by its key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from infoplane.experiments.spec import available, load_experiment, variant

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = ROOT / "experiments"


def path(name: str) -> Path:
    return EXPERIMENTS / f"{name}.yaml"


def write(tmp_path: Path, name: str, settings: dict) -> Path:
    target = tmp_path / f"{name}.yaml"
    target.write_text(yaml.safe_dump(settings))
    return target


@pytest.mark.parametrize("scale", ["quick", "paper"])
def test_every_experiment_of_the_papers_loads_at_both_scales(scale):
    names = available(EXPERIMENTS)
    assert names == ["butakov_cifar10", "butakov_mnist", "estimator_comparison", "goldfeld_sp",
                     "lorenzen_quantized", "lorenzen_quantized_mnist", "saxe_kde", "saxe_kde_mnist",
                     "szt_binning", "szt_depth", "szt_training_size"]
    for name in names:
        spec = load_experiment(path(name), scale)
        assert spec["name"] == name and spec["scale"] == scale
        assert all(isinstance(s, int) for s in spec["seeds"])
        for panel in spec["panels"]:
            assert panel["analysis"] in variant(spec, panel["variant"])["analyses"]


def test_the_files_values_are_the_papers_settings():
    szt = load_experiment(path("szt_binning"), "paper")
    assert szt["seeds"] == list(range(50)) and szt["train"]["epochs"] == 8000
    assert szt["capture"]["schedule"] == {"log_points": 400}
    mnist = load_experiment(path("butakov_mnist"), "paper")
    assert (mnist["train"]["lr"], mnist["train"]["batch_size"], mnist["train"]["epochs"]) == (1e-5, 1024, 300)
    assert (mnist["network"]["sigma"], mnist["network"]["noise"]) == (1e-3, "relative")
    assert mnist["dataset"]["eval_size"] == 10000 and mnist["x_autoencoder"]["epochs"] == 200
    assert list(mnist["analyses"])[:2] == ["per-epoch", "fixed"]  # the paper's, then our ablations
    assert len(mnist["seeds"]) >= 3


def test_quick_scale_overlays_removes_with_null_and_overrides_come_last():
    quick = load_experiment(path("butakov_mnist"), "quick", {"train.epochs": 3})
    assert quick["train"]["epochs"] == 3 and quick["train"]["lr"] == 1e-3
    assert quick["train"]["batch_size"] == 256 and quick["dataset"]["train_size"] == 12000  # the overlay's
    assert quick["train"]["optimizer"] == "adam" and quick["dataset"]["eval_seed"] == 0  # untouched by it
    assert list(quick["analyses"]) == ["per-epoch"]  # `fixed: null` removed it
    assert quick["capture"]["schedule"] == {"dense_until": 20, "every": 1}
    szt = load_experiment(path("szt_binning"), "quick", {"seeds": [4, 7]})
    assert szt["seeds"] == [4, 7] and szt["train"]["epochs"] == 1500


def test_a_variant_is_an_overlay_of_any_key():
    spec = load_experiment(path("saxe_kde"), "quick")
    full_batch = variant(spec, "tanh_full_batch")
    assert full_batch["train"]["batch_size"] == 4096 and full_batch["network"]["activation"] == "tanh"
    assert variant(spec, "relu")["train"]["batch_size"] == 256
    with pytest.raises(ValueError, match="no variant 'gelu'"):
        variant(spec, "gelu")


def test_unknown_override_scale_or_file_is_an_error():
    with pytest.raises(ValueError, match="no such setting"):
        load_experiment(path("butakov_mnist"), "quick", {"train.learning_rate": 1e-3})
    with pytest.raises(ValueError, match="scale"):
        load_experiment(path("butakov_mnist"), "huge")
    with pytest.raises(ValueError, match="does not exist.*szt_binning"):
        load_experiment(EXPERIMENTS / "nope.yaml")


def test_every_problem_of_a_file_is_named_by_its_key(tmp_path):
    settings = yaml.safe_load(path("szt_binning").read_text())
    settings["train"]["lr"] = -1.0
    settings["network"]["name"] = "szt-mlp"
    settings["panels"].append({"variant": "gelu", "analysis": "szt", "title": "x"})
    settings["analyses"]["bad"] = {"kind": "layer", "estimator": "binning", "params": {"n_bins": 0}}
    with pytest.raises(ValueError) as info:
        load_experiment(write(tmp_path, "szt_binning", settings), "paper")
    assert "train.lr = -1.0" in str(info.value)
    del settings["train"]["lr"]
    settings["train"]["lr"] = 1e-3
    with pytest.raises(ValueError) as info:
        load_experiment(write(tmp_path, "szt_binning", settings), "paper")
    message = str(info.value)
    assert "panels[4].variant = 'gelu'" in message and "analyses.bad" in message


def test_names_are_checked_against_the_code(tmp_path):
    settings = yaml.safe_load(path("lorenzen_quantized_mnist").read_text())
    settings["network"]["name"] = "szt-mlp"  # reads the SZT inputs, not MNIST
    with pytest.raises(ValueError, match="reads szt inputs, not dataset 'mnist'"):
        load_experiment(write(tmp_path, "lorenzen_quantized_mnist", settings), "paper")
    settings = yaml.safe_load(path("szt_binning").read_text())
    settings["dataset"]["eval_size"] = 100
    with pytest.raises(ValueError, match="only image datasets take it"):
        load_experiment(write(tmp_path, "szt_binning", settings), "paper")
    settings = yaml.safe_load(path("butakov_mnist").read_text())
    settings["dataset"]["eval_size"] = 20000
    with pytest.raises(ValueError, match="eval_size = 20000: must be in 1..10000"):
        load_experiment(write(tmp_path, "butakov_mnist", settings), "paper")
    del settings["x_autoencoder"]
    settings["dataset"]["eval_size"] = 100
    with pytest.raises(ValueError, match="x_autoencoder: missing"):
        load_experiment(write(tmp_path, "butakov_mnist", settings), "paper")


@pytest.mark.parametrize("x, valid", [("ae:4", True), ("pca:3", True), ("none", True),
                                      ("pca", False), ("umap:2", False), ("autoencoder:", False)])
def test_a_compressed_analysis_names_how_x_is_compressed(tmp_path, x, valid):
    settings = yaml.safe_load(path("estimator_comparison").read_text())
    settings["analyses"]["ksg"]["x"] = x
    target = write(tmp_path, "estimator_comparison", settings)
    if valid:
        assert load_experiment(target, "quick")["analyses"]["ksg"]["x"] == x
    else:
        with pytest.raises(ValueError, match="analyses.ksg.x"):
            load_experiment(target, "quick")
    settings["analyses"]["ksg"]["x"] = "autoencoder"   # the experiment's own file, which it lacks
    with pytest.raises(ValueError, match="x_autoencoder: missing"):
        load_experiment(write(tmp_path, "estimator_comparison", settings), "quick")


def test_analyses_name_the_code_sizes_of_their_x_autoencoders(tmp_path):
    """`x: autoencoder` is the experiment's own autoencoder, `x: autoencoder:K` its twin with a
    K-dimensional code; an analysis picks the autoencoder of its size, or says which to make."""
    from types import SimpleNamespace

    from infoplane.experiments.analyse import _x_autoencoder
    from infoplane.experiments.spec import autoencoder_latents

    spec = load_experiment("butakov_mnist", "paper")
    assert autoencoder_latents(spec) == [2, 4]                     # x-latent-2 beside the others
    assert autoencoder_latents(load_experiment("butakov_mnist", "quick")) == [4]
    assert autoencoder_latents(load_experiment("szt_binning", "quick")) == []
    two, four = SimpleNamespace(latent_dim=2), SimpleNamespace(latent_dim=4)
    settings = variant(spec, "base")
    assert _x_autoencoder("per-epoch", "autoencoder", settings, [two, four]) is four
    assert _x_autoencoder("x-latent-2", "autoencoder:2", settings, [four, two]) is two
    with pytest.raises(ValueError, match="x_autoencoder.latent_dim=2"):
        _x_autoencoder("x-latent-2", "autoencoder:2", settings, [four])
    with pytest.raises(ValueError, match="pass its file"):
        _x_autoencoder("per-epoch", "autoencoder", settings, None)
    # one autoencoder of another size than the experiment's is refused, not used in its place
    with pytest.raises(ValueError, match="compresses X to 4 dimensions"):
        _x_autoencoder("per-epoch", "autoencoder", settings, [two])


def test_the_name_is_the_files_stem_and_only_a_quick_overlay_exists(tmp_path):
    settings = yaml.safe_load(path("szt_binning").read_text())
    with pytest.raises(ValueError, match="must be the file's stem 'other'"):
        load_experiment(write(tmp_path, "other", settings), "paper")
    settings["scales"]["paper"] = {"seeds": 2}
    with pytest.raises(ValueError, match="only scales.quick"):
        load_experiment(write(tmp_path, "szt_binning", settings), "paper")


def test_the_depth_variants_change_only_the_hidden_layers():
    from infoplane.experiments.build import build_network

    spec = load_experiment(path("szt_depth"), "paper")
    widths = {name: build_network(variant(spec, name), 0).widths for name in spec["variants"]}
    assert widths["hidden-1"] == (12, 12, 2) and widths["hidden-6"] == (12, 12, 10, 8, 6, 4, 2, 2)
    assert [len(w) - 2 for w in widths.values()] == [1, 2, 3, 4, 5, 6]
    bad = variant(spec, "hidden-1")
    bad["network"] = {**bad["network"], "hidden": [12, 0]}
    with pytest.raises(ValueError, match="hidden"):
        build_network(bad, 0)


def test_a_variant_may_add_analyses_of_its_own(tmp_path):
    from infoplane.cli.experiments import keep_analyses

    spec = load_experiment(path("lorenzen_quantized"), "quick")
    assert list(variant(spec, "tanh-32bit")["analyses"]) == ["exact", "bins-30", "bins-100", "bins-256"]
    assert list(variant(spec, "tanh-8bit")["analyses"]) == ["exact"]
    only_exact = keep_analyses(load_experiment(path("lorenzen_quantized"), "quick"), ["exact"])
    assert list(variant(only_exact, "tanh-32bit")["analyses"]) == ["exact"]
    # a panel names an analysis of its own variant, and a variant's analysis is checked as the file's
    settings = yaml.safe_load(path("lorenzen_quantized").read_text())
    settings["panels"].append({"variant": "tanh-8bit", "analysis": "bins-30", "title": "x"})
    settings["variants"]["tanh-32bit"]["analyses"]["bins-30"]["params"]["n_bins"] = 0
    with pytest.raises(ValueError) as info:
        load_experiment(write(tmp_path, "lorenzen_quantized", settings), "quick")
    message = str(info.value)
    assert "no such analysis of variant 'tanh-8bit'" in message
    assert "variants.tanh-32bit.analyses.bins-30" in message
