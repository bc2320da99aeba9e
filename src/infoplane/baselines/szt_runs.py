"""Training one network of the baseline experiments, with every layer captured on its evaluation set.

The loop is :func:`infoplane.train.train`; this module only fixes what the baselines share:
the data with an explicit split, the evaluation set over which MI is computed (X uniform over
its rows, p(x) = 1/n_eval), float32 activations (binning at the edge 1.0 of Shwartz-Ziv &
Tishby's bins changes with float16 rounding), a log-spaced capture schedule, and a copy of the
weights at every captured epoch (``weights/epoch-NNNN.pt``; sample propagation through a noisy
network needs the network, not one draw of its activations).

Two datasets:

- ``szt`` (default): the 12-bit task, 12-10-7-5-4-3-2 network; the evaluation set is all 4096
  inputs in row order, as in the three original codes (H(X) = 12 bits, H(Y) = 0.99916 bits);
- ``mnist``: pixels in [0, 1] (Saxe et al., Lorenzen et al.), the first ``train_size`` training
  images (all by default), test accuracy on the 10,000 test images, and MI over a fixed subset
  of ``eval_size`` test images drawn by ``eval_seed`` (the same for every training seed), so
  H(X) = ln n_eval and H(Y) = the entropy of those images' labels. Networks: ``saxe-mnist``
  (784-1024-20-20-20-10) and ``bottleneck2`` (784-16-8-4-2-10).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from infoplane.arrays import label_entropy
from infoplane.data import data_root
from infoplane.data.images import eval_subset, image_data
from infoplane.data.szt import load_szt
from infoplane.files import load_torch
from infoplane.nets.mlp import BOTTLENECK2_WIDTHS, MLP, SAXE_MNIST_WIDTHS, SZT_WIDTHS
from infoplane.train import TensorData, TrainConfig, capture_schedule, train

#: Network name -> layer widths (input ... output), and the dataset each network reads.
NETWORKS = {"szt": SZT_WIDTHS, "saxe-mnist": SAXE_MNIST_WIDTHS, "bottleneck2": BOTTLENECK2_WIDTHS}
DATASET_OF = {"szt": "szt", "saxe-mnist": "mnist", "bottleneck2": "mnist"}
#: Size of the MNIST test split (the source of the evaluation images).
MNIST_TEST_SIZE = 10_000


#: Save the checkpoint at most this often: an SZT epoch takes milliseconds, a checkpoint with the
#: whole history many times that (a killed run redoes at most this much training).
CHECKPOINT_SECONDS = 10.0


@dataclass(frozen=True)
class SZTRun:
    """One training run of a baseline experiment (the SZT task by default, or MNIST).

    Attributes:
        dataset: ``szt`` or ``mnist``.
        network: ``szt``, ``saxe-mnist`` or ``bottleneck2`` (see ``NETWORKS``); it must read
            ``dataset``.
        activation: hidden activation, ``tanh`` or ``relu``.
        bits: quantise every layer to 2^bits levels (None: float).
        noise_std: beta of the additive noise after every hidden layer (0: none).
        init: weight initialisation (see :class:`infoplane.nets.mlp.MLP`).
        optimizer, lr, batch_size, epochs: training settings of the reference.
        log_points: about this many log-spaced captured epochs (plus 0 and the last).
        split, test_fraction: the SZT train/test split (``stratified`` or ``idnns``).
        train_size: MNIST: train on the first ``train_size`` training images (None: all 60,000).
        eval_size: MNIST: test images over which MI is computed (None: all 10,000).
        eval_seed: MNIST: seed of that subset (not the training seed: every seed sees the same X).
        seed: seeds the initial weights, the split, the batch order and the noise.
    """

    dataset: str = "szt"
    network: str = "szt"
    activation: str = "tanh"
    bits: int | None = None
    noise_std: float = 0.0
    init: str = "trunc-fan-in"
    optimizer: str = "adam"
    lr: float = 4e-4
    batch_size: int = 512
    epochs: int = 1000
    log_points: int = 40
    split: str = "stratified"
    test_fraction: float = 0.2
    train_size: int | None = None
    eval_size: int | None = None
    eval_seed: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.network not in NETWORKS:
            raise ValueError(f"unknown network {self.network!r}; choose one of {', '.join(NETWORKS)}")
        if DATASET_OF[self.network] != self.dataset:
            raise ValueError(f"network {self.network!r} reads {DATASET_OF[self.network]!r} inputs, "
                             f"not dataset {self.dataset!r}; set dataset: {DATASET_OF[self.network]}")
        for name in ("train_size", "eval_size"):
            value = getattr(self, name)
            if value is not None and (self.dataset != "mnist" or value < 2):
                raise ValueError(f"{name} = {value}: only MNIST runs take it, and it must be >= 2 "
                                 "(SZT always trains on its split and evaluates all 4096 inputs)")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SZTRun:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown SZT run settings {unknown}; known: {sorted(known)}")
        return cls(**values)

    def build_model(self) -> MLP:
        return MLP(NETWORKS[self.network], self.activation, bits=self.bits, noise_std=self.noise_std,
                   init=self.init, seed=self.seed)

    def eval_subset(self) -> np.ndarray:
        """MNIST: the rows of the evaluation images in the test split, ascending."""
        return eval_subset(MNIST_TEST_SIZE, self.eval_size, self.eval_seed)


def load_data(run: SZTRun, configured_root: str | None = None) -> tuple[TensorData, str]:
    """The training, test and evaluation tensors of ``run``, and a description of its split."""
    if run.dataset == "mnist":
        root = data_root(configured_root)
        data = image_data("mnist", root, eval_source="test", eval_size=run.eval_size,
                          eval_seed=run.eval_seed, train_size=run.train_size, normalise=False)
        split = (f"mnist: first {len(data.train_y)} training images; test accuracy on the "
                 f"{len(data.test_y)} test images; MI over {len(data.eval_y)} test images (eval_seed "
                 f"{run.eval_seed})")
        return data, split
    szt = load_szt(configured_root, split=run.split, test_fraction=run.test_fraction, seed=run.seed)
    x, y = torch.from_numpy(szt.x), torch.from_numpy(szt.y)
    data = TensorData(x[szt.train], y[szt.train], x[szt.test], y[szt.test], x, y,
                      eval_index=np.arange(len(y)))
    return data, szt.split


def information_limits(run: SZTRun, configured_root: str | None = None) -> tuple[int, float]:
    """n_eval and H(Y) (nats) of the evaluation set of ``run``: the limits of I(X;T) and I(T;Y).

    X is uniform over the n_eval distinct evaluation inputs, so I(X;T) <= H(X) = ln n_eval
    (SZT: 12 bits); H(Y) is the plug-in entropy of their labels (SZT: 0.99916 bits).
    """
    if run.dataset == "mnist":
        from infoplane.data.images import load_images

        _, labels = load_images("mnist", data_root(configured_root), train=False)
        labels = labels.numpy()[run.eval_subset()]
    else:
        labels = load_szt(configured_root).y
    return len(labels), label_entropy(labels)


def weights_path(run_dir: str | os.PathLike[str], epoch: int) -> Path:
    """Where the weights of a captured epoch are stored."""
    return Path(run_dir) / "weights" / f"epoch-{epoch:04d}.pt"


def train_szt(
    run: SZTRun, run_dir: str | os.PathLike[str], configured_root: str | None = None,
    threads: int | None = 1, progress: bool = False,
) -> Path:
    """Train ``run`` into ``run_dir`` (layout of :func:`infoplane.train.train`, plus ``weights/``).

    Returns the run directory. The captured layers are ``layers.0`` .. ``layers.{L-1}`` (T_1 ..
    T_L, T_L the softmax output), on the evaluation set (SZT: all 4096 inputs in row order).
    """
    run_dir = Path(run_dir)
    tensors, split = load_data(run, configured_root)
    model = run.build_model()
    config = TrainConfig(
        epochs=run.epochs, batch_size=run.batch_size, lr=run.lr, optimizer=run.optimizer, loss="nll",
        seed=run.seed, device="cpu", layers=tuple(model.layer_names),
        capture_epochs=tuple(capture_schedule(run.epochs, log_points=run.log_points)),
        activation_dtype="float32", threads=threads, progress=progress,
        checkpoint_seconds=CHECKPOINT_SECONDS,
    )
    (run_dir / "weights").mkdir(parents=True, exist_ok=True)

    def keep_weights(epoch: int, _row: dict[str, float]) -> None:
        if epoch in config.capture_epochs:
            torch.save(model.state_dict(), weights_path(run_dir, epoch))

    metadata = {"szt_run": dataclasses.asdict(run), "split": split}
    train(model, tensors, config, run_dir, callbacks=[keep_weights], metadata=metadata)
    return run_dir


def load_model(run: SZTRun, run_dir: str | os.PathLike[str], epoch: int) -> MLP:
    """The network of ``run`` with the weights stored for ``epoch``, in eval mode."""
    path = weights_path(run_dir, epoch)
    if not path.exists():
        raise ValueError(f"no weights for epoch {epoch} in {run_dir} ({path} missing)")
    model = run.build_model()
    remedy = f"delete {run_dir} and rerun `infoplane baseline train` (snakemake does)"
    model.load_state_dict(load_torch(path, "weights", 1, "weights file", remedy))
    return model.eval()
