"""Experiment files (experiments/*.yaml): the settings of one paper experiment, at two scales.

An experiment file's top level holds the paper's settings; its ``scales.quick`` section is
merged over them for the quick scale; ``--set key.path=value`` overrides come last. The
functions here turn the merged settings into the objects of the library (data, model,
:class:`~infoplane.train.TrainConfig`, autoencoder, :class:`~infoplane.analysis.AnalysisConfig`),
so the CLI and a notebook build a run the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infoplane.config import overlay

SCALES = ("quick", "paper")


def dotted(assignments: dict[str, Any]) -> dict[str, Any]:
    """``{"train.lr": 1e-3}`` -> ``{"train": {"lr": 1e-3}}``."""
    nested: dict[str, Any] = {}
    for path, value in assignments.items():
        node = nested
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return nested


def load_experiment(
    path: str | Path, scale: str = "quick", overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The settings of an experiment file at ``scale``, with dotted ``overrides`` applied.

    Raises:
        ValueError: for a missing file, an unknown scale, or an override of a key that the
            file does not have (a typo must not pass silently).
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"experiment file {path} does not exist")
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    raw = yaml.safe_load(path.read_text())
    scales = raw.pop("scales", {}) or {}
    settings = overlay(raw, scales.get(scale, {})) if scale != "paper" else raw
    for key in overrides or {}:
        *parents, leaf = key.split(".")
        node = settings
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or leaf not in node:
            raise ValueError(f"override {key!r}: {path} has no such setting")
    settings = overlay(settings, dotted(overrides or {}))
    settings["scale"] = scale
    return settings


def train_config(settings: dict[str, Any], seed: int, device: str = "auto", threads: int | None = None,
                 progress: bool = True):
    """The :class:`~infoplane.train.TrainConfig` of an experiment's ``train`` and ``capture``."""
    from infoplane.train import TrainConfig, capture_schedule

    train = dict(settings["train"])
    capture = settings["capture"]
    epochs = int(train.pop("epochs"))
    return TrainConfig(
        epochs=epochs, batch_size=int(train.pop("batch_size")), lr=float(train.pop("lr")),
        optimizer=train.pop("optimizer", "adam"), loss=train.pop("loss", "nll"),
        optimizer_params=train.pop("optimizer_params", {}) or {}, seed=seed, device=device,
        layers=tuple(capture["layers"]),
        capture_epochs=tuple(capture_schedule(epochs, **capture["schedule"])),
        activation_dtype=capture.get("dtype", "float16"), threads=threads, progress=progress,
    )


def build_data(settings: dict[str, Any], root: str | Path, train_size: int | None = None):
    """The :class:`~infoplane.train.TensorData` of an experiment (MNIST / CIFAR-10)."""
    from infoplane.data.images import image_data

    data = settings.get("data", {})
    return image_data(settings["dataset"], root, eval_source=data.get("eval_source", "test"),
                      eval_size=data.get("eval_size"), eval_seed=int(data.get("eval_seed", 0)),
                      train_size=train_size if train_size is not None else data.get("train_size"))


def build_network(settings: dict[str, Any]):
    """The experiment's network (weights drawn from torch's current seed)."""
    from infoplane.nets.cnn import build_model

    params = dict(settings["model"])
    return build_model(params.pop("name"), **params)


def build_autoencoder(settings: dict[str, Any], device: str = "auto", progress: bool = True):
    """An untrained :class:`ImageAutoencoderCompressor` with the experiment's settings."""
    from infoplane.compression.image_autoencoder import ImageAutoencoderCompressor

    ae = settings["autoencoder"]
    return ImageAutoencoderCompressor(
        settings["dataset"], epochs=int(ae["epochs"]), lr=float(ae["lr"]), batch_size=int(ae["batch_size"]),
        seed=int(ae.get("seed", 0)), latent_dim=int(ae["latent_dim"]), device=device, progress=progress,
    )


def analysis_configs(settings: dict[str, Any]) -> list:
    """One :class:`~infoplane.analysis.AnalysisConfig` per PCA mode the experiment asks for."""
    from infoplane.analysis import AnalysisConfig

    analysis = dict(settings["analysis"])
    fits = analysis.pop("pca_fit", "per-epoch")
    fits = [fits] if isinstance(fits, str) else list(fits)
    analysis["exp_layers"] = tuple(analysis.get("exp_layers") or ())
    return [AnalysisConfig(pca_fit=fit, **analysis) for fit in fits]
