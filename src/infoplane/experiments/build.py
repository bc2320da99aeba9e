"""From an experiment's settings to the objects of a run: data, network, TrainConfig, limits.

Everything here reads one *variant's* settings, the dict of
:func:`infoplane.experiments.spec.variant` (the experiment file with the variant's overlay
applied; the format of ``experiments/<name>.yaml``)::

    settings = variant(spec, "tanh")
    data, split = build_data(settings, seed, data_root)     # TensorData + a description
    model = build_network(settings, seed)                   # weights drawn from the seed
    config = train_config(settings, seed, capture_layers(settings, model))

Seeding is the one of the pipelines it replaces, so a seed gives the numbers it gave before:
an MLP draws its weights from its own generator seeded by the run's seed (and the SZT split
uses the same seed); a CNN is built after ``torch.manual_seed(seed)``.

Layer names: an MLP's blocks are the submodules ``layers.0`` .. ``layers.{L-1}``, which the
run directory stores; the MI table calls them ``T1`` .. ``TL`` (:func:`table_layer_names`,
written into the run's config.json). The CNNs' blocks are named ``L1`` .. ``L5`` already.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from infoplane.arrays import label_entropy
from infoplane.data import data_root as resolve_data_root
from infoplane.experiments.spec import DATASET_OF
from infoplane.nets.mlp import (
    BOTTLENECK2_WIDTHS,
    BOTTLENECK4_WIDTHS,
    HOURGLASS_WIDTHS,
    LORENZEN_4X10_WIDTHS,
    MLP,
    SAXE_MNIST_WIDTHS,
    SZT_WIDTHS,
)
from infoplane.runstore import load_eval_set
from infoplane.train import TensorData, TrainConfig, capture_schedule

#: MLP networks: name -> layer widths (input ... output).
MLP_WIDTHS = {"szt-mlp": SZT_WIDTHS, "saxe-mnist": SAXE_MNIST_WIDTHS, "bottleneck2": BOTTLENECK2_WIDTHS,
              "lorenzen-4x10": LORENZEN_4X10_WIDTHS, "bottleneck4": BOTTLENECK4_WIDTHS,
              "hourglass": HOURGLASS_WIDTHS}
#: CNN networks: name -> the model name of :func:`infoplane.nets.cnn.build_model`.
CNN_MODELS = {"butakov-mnist-cnn": "butakov_mnist_cnn", "butakov-cifar10-cnn": "butakov_cifar10_cnn",
              "lorenzen-conv": "lorenzen_conv"}
NETWORKS = tuple(DATASET_OF)
DATASETS = ("szt", "mnist", "cifar10")
MLP_PARAMS = ("activation", "bits", "noise_std", "init", "hidden")

#: Save the checkpoint at most this often: an SZT epoch takes milliseconds, a checkpoint with the
#: whole history many times that (a killed run redoes at most this much training).
CHECKPOINT_SECONDS = 10.0


def is_mlp(settings: dict[str, Any]) -> bool:
    """Whether the network is one of the MLPs (T1..TL) rather than a CNN (L1..L5)."""
    name = settings["network"]["name"]
    if name not in NETWORKS:
        raise ValueError(f"unknown network {name!r}; choose one of {', '.join(NETWORKS)}")
    return name in MLP_WIDTHS


def build_data(settings: dict[str, Any], seed: int, data_root: str | Path | None = None
               ) -> tuple[TensorData, str]:
    """The training, test and evaluation tensors of a run, and a description of its split.

    ``szt``: the 12-bit task split by ``seed`` (``split``, ``test_fraction``), evaluated on all
    4096 inputs in row order. ``mnist`` / ``cifar10``: the first ``train_size`` training images,
    test accuracy on the test split, and the evaluation set a fixed subset (``eval_size``,
    ``eval_seed``: the same for every seed) of ``eval_source``; ``normalise`` false keeps the
    pixels in [0, 1] (the MLP papers), true standardises them (Butakov et al.).
    """
    dataset = dict(settings["dataset"])
    name = dataset.pop("name")
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    network = settings["network"]["name"]
    if is_mlp(settings) and DATASET_OF[network] != name:
        raise ValueError(f"network {network!r} reads {DATASET_OF[network]!r} inputs, not {name!r}")
    if name == "szt":
        from infoplane.data.szt import load_szt

        root = None if data_root is None else str(data_root)
        szt = load_szt(root, split=dataset.get("split", "stratified"),
                       test_fraction=float(dataset.get("test_fraction", 0.2)), seed=seed)
        x, y = torch.from_numpy(szt.x), torch.from_numpy(szt.y)
        data = TensorData(x[szt.train], y[szt.train], x[szt.test], y[szt.test], x, y,
                          eval_index=np.arange(len(y)))
        return data, szt.split
    from infoplane.data.images import image_data

    eval_source = dataset.get("eval_source", "test")
    data = image_data(name, resolve_data_root(None if data_root is None else str(data_root)),
                      eval_source=eval_source, eval_size=dataset.get("eval_size"),
                      eval_seed=int(dataset.get("eval_seed", 0)), train_size=dataset.get("train_size"),
                      normalise=bool(dataset.get("normalise", True)))
    split = (f"{name}: first {len(data.train_y)} training images; test accuracy on the {len(data.test_y)} "
             f"test images; MI over {len(data.eval_y)} {eval_source} images (eval_seed "
             f"{int(dataset.get('eval_seed', 0))})")
    return data, split


def mlp_widths(settings: dict[str, Any]) -> tuple[int, ...]:
    """The layer widths (input ... output) of an MLP network: its name's, with ``hidden`` (a list
    of widths) in place of the hidden layers when given (networks of another depth)."""
    network = settings["network"]
    widths = MLP_WIDTHS[network["name"]]
    hidden = network.get("hidden")
    if hidden is None:
        return tuple(widths)
    if not isinstance(hidden, list) or not hidden or any(not isinstance(w, int) or w < 1 for w in hidden):
        raise ValueError(f"network.hidden must be a non-empty list of positive widths, got {hidden!r}")
    return (widths[0], *hidden, widths[-1])


def build_network(settings: dict[str, Any], seed: int) -> nn.Module:
    """The network of ``settings["network"]`` with its initial weights drawn from ``seed``."""
    params = dict(settings["network"])
    name = params.pop("name")
    if is_mlp(settings):
        unknown = sorted(set(params) - set(MLP_PARAMS))
        if unknown:
            raise ValueError(f"network {name!r} takes {list(MLP_PARAMS)}, not {unknown}")
        return MLP(mlp_widths(settings), params.get("activation", "tanh"), bits=params.get("bits"),
                   noise_std=float(params.get("noise_std", 0.0)), init=params.get("init", "trunc-fan-in"),
                   seed=seed)
    from infoplane.nets.cnn import build_model

    torch.manual_seed(seed)  # the CNNs draw their weights from torch's global RNG
    return build_model(CNN_MODELS[name], **params)


def capture_layers(settings: dict[str, Any], model: nn.Module) -> list[str]:
    """The submodules to capture: every block (``auto``) or the list of ``capture.layers``."""
    layers = settings["capture"].get("layers", "auto")
    if layers != "auto":
        return list(layers)
    if isinstance(model, MLP):
        return list(model.layer_names)
    return [name for name, _ in model.named_children()]


def table_layer_names(settings: dict[str, Any], layers: list[str]) -> dict[str, str]:
    """Stored layer name -> its name in the MI table: MLP ``layers.{i}`` -> ``T{i+1}``."""
    if not is_mlp(settings):
        return {name: name for name in layers}
    return {name: f"T{int(name.rsplit('.', 1)[-1]) + 1}" if name.startswith("layers.") else name
            for name in layers}


def train_config(settings: dict[str, Any], seed: int, layers: list[str], device: str | None = None,
                 threads: int | None = None, progress: bool = False) -> TrainConfig:
    """The :class:`TrainConfig` of the settings' ``train`` and ``capture`` sections.

    ``capture.schedule`` is ``{log_points: n}``, ``{dense_until: a, every: b}`` or ``{every: b}``
    (:func:`infoplane.train.capture_schedule`); ``device`` None takes ``settings["device"]``.
    """
    train = dict(settings["train"])
    capture = settings["capture"]
    epochs = int(train.pop("epochs"))
    return TrainConfig(
        epochs=epochs, batch_size=int(train.pop("batch_size")), lr=float(train.pop("lr")),
        optimizer=train.pop("optimizer", "adam"), loss=train.pop("loss", "nll"),
        optimizer_params=train.pop("optimizer_params", {}) or {}, seed=int(seed),
        device=device or settings.get("device", "cpu"), layers=tuple(layers),
        capture_epochs=tuple(capture_schedule(epochs, **capture["schedule"])),
        activation_dtype=capture.get("dtype", "float32"), threads=threads, progress=progress,
        checkpoint_seconds=CHECKPOINT_SECONDS, labels=train.pop("labels", "given"),
        frozen=bool(train.pop("frozen", False)), orthonormality=float(train.pop("orthonormality", 0.0)),
    )


def information_limits(run_dir: str | Path) -> tuple[float, float]:
    """(H(X), H(Y)) in nats of a run's stored evaluation set: the limits of I(X;T) and I(T;Y).

    X is uniform over the n_eval distinct evaluation inputs, so H(X) = ln n_eval (SZT: 12 bits);
    H(Y) is the plug-in entropy of their labels (SZT: 0.99916 bits).
    """
    _, labels, _ = load_eval_set(run_dir)
    return math.log(len(labels)), label_entropy(np.asarray(labels))
