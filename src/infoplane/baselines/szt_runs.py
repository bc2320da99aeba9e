"""Training one network of the SZT experiments, with every layer captured on all 4096 inputs.

The loop is :func:`infoplane.train.train`; this module only fixes what the baselines share:
the SZT data with an explicit split, the evaluation set = all 4096 inputs in row order (MI is
computed over them, p(x) = 1/4096, as in the original codes), float32 activations (binning at
the edge 1.0 of Shwartz-Ziv & Tishby's bins changes with float16 rounding), a log-spaced capture
schedule, and a copy of the weights at every captured epoch (``weights/epoch-NNNN.pt``; sample
propagation through a noisy network needs the network, not one draw of its activations).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from infoplane.data.szt import load_szt
from infoplane.nets.mlp import MLP, szt_mlp
from infoplane.train import TensorData, TrainConfig, capture_schedule, train


#: Save the checkpoint at most this often: an SZT epoch takes milliseconds, a checkpoint with the
#: whole history many times that (a killed run redoes at most this much training).
CHECKPOINT_SECONDS = 10.0


@dataclass(frozen=True)
class SZTRun:
    """One SZT training run.

    Attributes:
        activation: hidden activation, ``tanh`` or ``relu``.
        bits: quantise every layer to 2^bits levels (None: float).
        noise_std: beta of the additive noise after every hidden layer (0: none).
        init: weight initialisation (see :class:`infoplane.nets.mlp.MLP`).
        optimizer, lr, batch_size, epochs: training settings of the reference.
        log_points: about this many log-spaced captured epochs (plus 0 and the last).
        split, test_fraction: the SZT train/test split (``stratified`` or ``idnns``).
        seed: seeds the initial weights, the split, the batch order and the noise.
    """

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
    seed: int = 0

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SZTRun:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown SZT run settings {unknown}; known: {sorted(known)}")
        return cls(**values)

    def build_model(self) -> MLP:
        return szt_mlp(self.activation, bits=self.bits, noise_std=self.noise_std, init=self.init,
                       seed=self.seed)


def weights_path(run_dir: str | os.PathLike[str], epoch: int) -> Path:
    """Where the weights of a captured epoch are stored."""
    return Path(run_dir) / "weights" / f"epoch-{epoch:04d}.pt"


def train_szt(
    run: SZTRun, run_dir: str | os.PathLike[str], configured_root: str | None = None,
    threads: int | None = 1, progress: bool = False,
) -> Path:
    """Train ``run`` into ``run_dir`` (layout of :func:`infoplane.train.train`, plus ``weights/``).

    Returns the run directory. The captured layers are ``layers.0`` .. ``layers.5`` (T_1 .. T_6,
    T_6 the softmax output), on all 4096 inputs in row order.
    """
    run_dir = Path(run_dir)
    data = load_szt(configured_root, split=run.split, test_fraction=run.test_fraction, seed=run.seed)
    x, y = torch.from_numpy(data.x), torch.from_numpy(data.y)
    tensors = TensorData(x[data.train], y[data.train], x[data.test], y[data.test], x, y,
                         eval_index=np.arange(len(y)))
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

    metadata = {"szt_run": dataclasses.asdict(run), "split": data.split}
    train(model, tensors, config, run_dir, callbacks=[keep_weights], metadata=metadata)
    return run_dir


def load_model(run: SZTRun, run_dir: str | os.PathLike[str], epoch: int) -> MLP:
    """The network of ``run`` with the weights stored for ``epoch``, in eval mode."""
    path = weights_path(run_dir, epoch)
    if not path.exists():
        raise ValueError(f"no weights for epoch {epoch} in {run_dir} ({path} missing)")
    model = run.build_model()
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()
