"""A generic training loop that records layer activations for information-plane analysis.

Any ``nn.Module`` classifier, any in-memory data, one call::

    from infoplane.train import TensorData, TrainConfig, train

    data = TensorData(train_x, train_y, test_x, test_y, eval_x, eval_y)
    config = TrainConfig(epochs=30, batch_size=1024, lr=1e-3, seed=0,
                         layers=("L1", "L2"), capture_epochs=(0, 1, 2, 5, 10, 30))
    history = train(model, data, config, run_dir="results/runs/my_run/seed-0")

What ``train`` writes under ``run_dir`` is the run directory of :mod:`infoplane.runstore`
(config.json, eval_set.npz, activations/ captured through an :class:`infoplane.Recorder`,
history.csv, summary.json; read it with that module's functions), plus its own

    checkpoint.pt                the latest epoch: model, optimizer, RNG states, epoch

Resuming: calling ``train`` again with the same config on the same ``run_dir`` continues
after the last checkpointed epoch and ends with exactly the numbers an uninterrupted run
gives (on the CPU): the checkpoint holds the model, the optimizer, torch's global RNG (noise,
dropout) and the generator of the batch order. A checkpoint made by a different config is
refused rather than silently mixed.

Conventions: ``train_loss`` is the mean loss over the epoch's mini-batches in training mode
(noise and dropout on), so it costs nothing extra; ``test_loss`` and the activations are
computed in ``eval()`` mode (dropout off; noise layers decide themselves, see
``infoplane.nets.noise``), with the noise drawn from torch's global RNG, which the checkpoint
holds. Losses in nats per sample.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from infoplane.files import load_torch, require_keys, save_torch
from infoplane.parallel import resolve_device
from infoplane.recorder import Recorder
from infoplane.runstore import (
    ACTIVATIONS_DIR,
    history_table,
    write_config,
    write_history,
    write_summary,
)

#: Called after every finished (and checkpointed) epoch with the epoch and its history row.
Callback = Callable[[int, dict[str, float]], None]


@dataclass(frozen=True)
class TensorData:
    """In-memory data for :func:`train`.

    Attributes:
        train_x, train_y: training inputs (n_train, ...) float and labels (n_train,) int64.
        test_x, test_y: held-out set for the test loss and accuracy of every epoch.
        eval_x, eval_y: the fixed evaluation set whose activations are captured, in a fixed
            row order that every stored file keeps.
        eval_index: (n_eval,) rows of the evaluation set in its source dataset (stored with
            it so a reader can trace every row back); ``arange`` when not given.
    """

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    eval_x: torch.Tensor
    eval_y: torch.Tensor
    eval_index: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("train", "test", "eval"):
            x, y = getattr(self, f"{name}_x"), getattr(self, f"{name}_y")
            if len(x) != len(y):
                raise ValueError(f"{name}_x has {len(x)} rows but {name}_y has {len(y)}")
            if y.ndim != 1:
                raise ValueError(f"{name}_y must be a 1-D label tensor, got shape {tuple(y.shape)}")
        if self.eval_index is not None and len(self.eval_index) != len(self.eval_x):
            raise ValueError("eval_index must have one entry per evaluation row")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (and so its checkpoint's identity).

    Attributes:
        epochs: number of training epochs.
        batch_size: mini-batch size; the last, smaller batch of an epoch is kept.
        lr: learning rate.
        optimizer: ``"adam"`` or ``"sgd"``.
        optimizer_params: extra keyword arguments of the optimizer (momentum, weight_decay...).
        loss: ``"nll"`` when the model outputs log-probabilities, ``"cross_entropy"`` when it
            outputs logits.
        seed: seeds the initial weights, the batch order, noise and dropout.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``; not part of the
            run's identity, so a run may resume on another device (numbers then differ).
        layers: names of submodules (``model.get_submodule(name)``) whose outputs are captured.
        capture_epochs: epochs after which the layers are captured on the evaluation set;
            0 means before training.
        activation_dtype: ``"float16"`` (half the disk; stored centred, rounding <= 2^-11
            relative to each value's deviation from its column mean) or ``"float32"``.
        eval_batch_size: batch size of the evaluation passes (memory only, not results).
        threads: torch CPU threads (None: leave torch's default).
        progress: show a tqdm progress bar with loss and accuracy.
        labels: ``"given"``, or ``"shuffled"``: the training labels permuted once by the seed
            (class counts kept; test and evaluation labels stay true), so the network can only
            memorise, the randomisation test of Zhang et al. (2017). A control.
        frozen: no weight updates: the network keeps its initial weights through every epoch,
            while test losses and captures follow the schedule as usual (training loss and
            accuracy are NaN). A control: what an analysis reports when nothing is learnt.
        orthonormality: weight of :func:`orthonormality_penalty` added to the training
            objective (Goldfeld et al.'s regulariser against clustering); 0 leaves it out.
            ``train_loss`` stays the data loss alone.
        checkpoint_seconds: save the checkpoint (and history.csv) once at least this many
            seconds have passed since the last save, and after the last epoch; 0 saves after
            every epoch. Runs of thousands of sub-second epochs (the SZT networks) spend more
            time pickling checkpoints than training otherwise. A resumed run redoes the epochs
            after the last save and ends with the same numbers.
    """

    epochs: int
    batch_size: int
    lr: float
    optimizer: str = "adam"
    optimizer_params: dict[str, Any] = field(default_factory=dict)
    loss: str = "nll"
    seed: int = 0
    device: str = "auto"
    layers: tuple[str, ...] = ()
    capture_epochs: tuple[int, ...] = ()
    activation_dtype: str = "float16"
    eval_batch_size: int = 2000
    threads: int | None = None
    progress: bool = True
    checkpoint_seconds: float = 0.0
    labels: str = "given"
    frozen: bool = False
    orthonormality: float = 0.0

    def __post_init__(self) -> None:
        if self.epochs < 0 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError("epochs must be >= 0, batch_size >= 1 and lr > 0")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; use one of {sorted(OPTIMIZERS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; use one of {sorted(LOSSES)}")
        if self.activation_dtype not in ("float16", "float32"):
            raise ValueError("activation_dtype must be 'float16' or 'float32'")
        if self.labels not in LABELS:
            raise ValueError(f"labels must be one of {LABELS}, got {self.labels!r}")
        if not self.orthonormality >= 0:
            raise ValueError(f"orthonormality must be >= 0, got {self.orthonormality}")
        bad = [e for e in self.capture_epochs if not 0 <= e <= self.epochs]
        if bad:
            raise ValueError(f"capture_epochs {bad} are outside 0..{self.epochs}")
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "capture_epochs", tuple(sorted(set(int(e) for e in self.capture_epochs))))

    def identity(self) -> str:
        """A hash of the fields that change the numbers (not device, threads, progress)."""
        fields = dataclasses.asdict(self)
        for key in ("device", "threads", "progress", "eval_batch_size", "checkpoint_seconds"):
            fields.pop(key)
        # Settings added later enter the hash only when set, so runs made before them keep theirs.
        if fields["labels"] == "given":
            fields.pop("labels")
        if not fields["frozen"]:
            fields.pop("frozen")
        if not fields["orthonormality"]:
            fields.pop("orthonormality")
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
LOSSES: dict[str, Callable[[], nn.Module]] = {"nll": nn.NLLLoss, "cross_entropy": nn.CrossEntropyLoss}
LABELS = ("given", "shuffled")
#: Spawn key of the label permutation's generator, apart from the batch order's (seeded by the
#: same seed), so that the first epoch's order is not the permutation itself.
LABEL_STREAM = 1


def orthonormality_penalty(model: nn.Module) -> torch.Tensor:
    """Sum over the hidden ``nn.Linear`` layers (every one but the last) of ||W W^T - I||_F^2,
    with W (out, in) transposed first when out > in: zero when the rows (or columns) of every
    hidden weight matrix are orthonormal."""
    terms = []
    for layer in [m for m in model.modules() if isinstance(m, nn.Linear)][:-1]:
        w = layer.weight if layer.out_features <= layer.in_features else layer.weight.T
        gram = w @ w.T
        terms.append(((gram - torch.eye(len(gram), device=gram.device)) ** 2).sum())
    return torch.stack(terms).sum() if terms else torch.zeros(())


def shuffled_labels(labels: torch.Tensor, seed: int) -> torch.Tensor:
    """``labels`` (n,) in an order drawn from ``seed``: the same class counts, no tie to the inputs."""
    order = np.random.default_rng([seed, LABEL_STREAM]).permutation(len(labels))
    return labels[torch.from_numpy(order)]


def capture_schedule(
    epochs: int, every: int | None = None, log_points: int = 0, dense_until: int = 0
) -> list[int]:
    """Epochs at which to capture activations: 0 and the last epoch always, plus

    Args:
        every: every ``every``-th epoch (1 = every epoch).
        log_points: about this many log-spaced epochs in 1..epochs (dense early, where
            the information plane moves fastest).
        dense_until: every epoch in 1..dense_until.

    Returns:
        sorted distinct epochs in 0..epochs.
    """
    chosen = {0, epochs}
    if every:
        chosen.update(range(every, epochs + 1, every))
    if log_points and epochs >= 1:
        chosen.update(np.unique(np.round(np.geomspace(1, epochs, log_points)).astype(int)).tolist())
    chosen.update(range(1, min(dense_until, epochs) + 1))
    return sorted(chosen)


def _batches(n: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: nn.Module, batch_size: int,
             device: torch.device) -> tuple[float, float]:
    """Mean loss (nats per sample) and accuracy of ``model`` in eval mode on (x, y)."""
    model.eval()
    # Sums stay on the device (float64, as Python's float would be) and are read once: reading
    # each batch's loss would wait for the accelerator after every batch.
    total_loss = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    for rows in _batches(len(x), batch_size):
        xb, yb = x[rows].to(device), y[rows].to(device)
        out = model(xb)
        total_loss += loss_fn(out, yb).double() * len(yb)
        correct += (out.argmax(dim=1) == yb).sum()
    return float(total_loss) / max(len(x), 1), int(correct) / max(len(x), 1)


def _rng_state(generator: torch.Generator) -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "batches": generator.get_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any], generator: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    generator.set_state(state["batches"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


#: The checkpoint's format: tensors (model, optimizer, RNG states) and plain values only, so it
#: is loaded with ``weights_only=True`` and a crafted file cannot run code.
CHECKPOINT_KIND, CHECKPOINT_VERSION = "checkpoint", 1
CHECKPOINT_KEYS = ["epoch", "identity", "model", "optimizer", "rng", "history"]


def load_checkpoint(path: str | Path, device: torch.device | str = "cpu") -> dict[str, Any]:
    """A run's checkpoint.pt, read without running code from it.

    Raises:
        ValueError: one line naming the file and what to do, when it is truncated, corrupted,
            holds Python objects, or lacks an entry.
    """
    remedy = (f"delete it (or the run directory {Path(path).parent}), "
              "or rerun `infoplane train` with --restart")
    state = load_torch(path, CHECKPOINT_KIND, CHECKPOINT_VERSION, "checkpoint", remedy, map_location=device)
    require_keys(state, CHECKPOINT_KEYS, path, "checkpoint", remedy)
    return state


def train(
    model: nn.Module,
    data: TensorData,
    config: TrainConfig,
    run_dir: str | Path,
    callbacks: Sequence[Callback] = (),
    metadata: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Train ``model`` on ``data``, capturing activations and checkpointing every epoch.

    Build the model with :func:`seeded` (or after ``torch.manual_seed``) so that its initial
    weights, too, follow from the seed. When ``run_dir`` holds a checkpoint of the same
    config, training resumes from it; a finished run only rewrites summary.json.

    Args:
        model: classifier returning (n, n_classes) log-probabilities or logits (see loss).
        data: training, test and evaluation tensors.
        config: the run's settings.
        run_dir: output directory (created); layout in :mod:`infoplane.runstore`.
        callbacks: called as ``callback(epoch, row)`` after each epoch.
        metadata: extra JSON-serialisable facts stored in config.json (e.g. experiment name).

    Returns:
        the history table (columns ``infoplane.runstore.HISTORY_COLUMNS``), one row per epoch from 0.
    """
    from tqdm.auto import tqdm

    run_dir = Path(run_dir)
    (run_dir / ACTIVATIONS_DIR).mkdir(parents=True, exist_ok=True)
    if config.labels == "shuffled":
        data = dataclasses.replace(data, train_y=shuffled_labels(data.train_y, config.seed))
    if config.threads:
        torch.set_num_threads(config.threads)
    device = torch.device(resolve_device(config.device))
    model.to(device)
    # On an accelerator the training and test sets move there once, so no batch waits on a copy
    # from host memory (the evaluation set stays: the recorder moves it)
    data = dataclasses.replace(data, train_x=data.train_x.to(device), train_y=data.train_y.to(device),
                               test_x=data.test_x.to(device), test_y=data.test_y.to(device))
    loss_fn = LOSSES[config.loss]()
    # foreach: one fused update over all parameters; on the CPU torch defaults to a loop over
    # them, which cost a third of an epoch of the small MLPs (measured 2026-12-04)
    optimizer = OPTIMIZERS[config.optimizer](model.parameters(), lr=config.lr,
                                             **{"foreach": True, **config.optimizer_params})
    generator = torch.Generator().manual_seed(config.seed)

    checkpoint_path = run_dir / "checkpoint.pt"
    history: list[dict[str, float]] = []
    start_epoch = 0
    if checkpoint_path.exists():
        state = load_checkpoint(checkpoint_path, device)
        if state["identity"] != config.identity():
            raise ValueError(
                f"{checkpoint_path} was made by a different training config; delete {run_dir} "
                "to start afresh or restore the config to resume"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        _set_rng_state(state["rng"], generator)
        history = state["history"]
        start_epoch = state["epoch"] + 1
    else:
        torch.manual_seed(config.seed)
        write_config(run_dir, dataclasses.asdict(config), config.identity(), repr(model), metadata)
    # Captures draw noise from the global RNG (seed=None), so a resumed run repeats them exactly.
    recorder = Recorder(model, list(config.layers), (data.eval_x, data.eval_y), run_dir, mode="eval",
                        seed=None, batch_size=config.eval_batch_size, dtype=config.activation_dtype,
                        eval_index=data.eval_index)

    bar = tqdm(range(start_epoch, config.epochs + 1), initial=start_epoch, total=config.epochs + 1,
               desc=run_dir.name, unit="epoch", disable=not config.progress, dynamic_ncols=True)
    saved_at = time.perf_counter()
    for epoch in bar:
        started, cpu_started = time.perf_counter(), time.process_time()
        train_loss = train_acc = math.nan
        gradients: dict[str, float] = {}
        if epoch > 0 and not config.frozen:
            train_loss, train_acc, gradients = _train_epoch(model, data, config, loss_fn, optimizer,
                                                            generator, device)
        test_loss, test_acc = evaluate(
            model, data.test_x, data.test_y, loss_fn, config.eval_batch_size, device
        )
        if epoch in config.capture_epochs:
            recorder.capture(epoch)
        row = {"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc, "test_loss": test_loss,
               "test_acc": test_acc, "seconds": time.perf_counter() - started,
               "cpu_seconds": time.process_time() - cpu_started, **gradients}
        history.append(row)
        if epoch == config.epochs or time.perf_counter() - saved_at >= config.checkpoint_seconds:
            save_torch({"epoch": epoch, "identity": config.identity(), "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(), "rng": _rng_state(generator),
                        "history": history}, checkpoint_path, CHECKPOINT_KIND, CHECKPOINT_VERSION)
            write_history(run_dir, history)
            saved_at = time.perf_counter()
        bar.set_postfix(loss=f"{train_loss:.4f}", test_loss=f"{test_loss:.4f}", test_acc=f"{test_acc:.4f}")
        for callback in callbacks:
            callback(epoch, row)
    bar.close()

    table = history_table(history)
    final = history[-1] if history else {}
    summary = {"epochs": config.epochs, "final_test_acc": final.get("test_acc"),
               "final_test_loss": final.get("test_loss"), "final_train_loss": final.get("train_loss"),
               "captured_epochs": list(config.capture_epochs), "layers": list(config.layers),
               "train_seconds": float(table["seconds"].sum()), "device": str(device)}
    write_summary(run_dir, summary)
    return table


def _train_epoch(model: nn.Module, data: TensorData, config: TrainConfig, loss_fn: nn.Module,
                 optimizer: torch.optim.Optimizer, generator: torch.Generator,
                 device: torch.device) -> tuple[float, float, dict[str, float]]:
    """One pass over the training set in a fresh random order; mean loss, accuracy and the
    captured layers' gradient moments (:class:`GradientMoments`)."""
    model.train()
    # the permutation is drawn on the CPU, whatever the device, so a seed orders batches alike
    order = torch.randperm(len(data.train_x), generator=generator).to(data.train_x.device)
    total_loss = torch.zeros((), dtype=torch.float64, device=device)  # read once, as in evaluate
    correct = torch.zeros((), dtype=torch.int64, device=device)
    parameters, slices = layer_parameters(model, config.layers)
    moments = GradientMoments(slices)
    for rows in _batches(len(order), config.batch_size):
        idx = order[rows]
        xb, yb = data.train_x[idx].to(device), data.train_y[idx].to(device)
        optimizer.zero_grad(set_to_none=True)
        out = model(xb)
        loss = loss_fn(out, yb)
        if config.orthonormality:
            (loss + config.orthonormality * orthonormality_penalty(model)).backward()
        else:
            loss.backward()
        moments.add(flat_gradient(parameters))
        optimizer.step()
        total_loss += loss.detach().double() * len(idx)
        correct += (out.detach().argmax(dim=1) == yb).sum()
    gradients = {key: float(value) for key, value in moments.epoch_norms().items()}
    return float(total_loss) / len(order), int(correct) / len(order), gradients


class GradientMoments:
    """Shwartz-Ziv & Tishby's drift and diffusion of SGD, per layer, over one epoch's batches.

    Fed each batch's gradient, :meth:`epoch_norms` gives per layer the norm of its mean over the
    batches (the drift) and the norm of its standard deviation (the diffusion); their ratio is
    the gradient signal-to-noise ratio whose fall marks, in their account, the start of
    compression. A batch's gradient is one tensor (..., P): every parameter, after any leading
    dimensions (the seeds of a stack), and ``layers`` says which of the P are each layer's.
    Moments are kept in float64, so the spread of a gradient much larger than it is not lost to
    cancellation. One tensor a batch keeps the cost to three operations, whatever the depth.

    Args:
        layers: per layer, its parameters' slice of the P (an empty slice: a layer without any).
    """

    def __init__(self, layers: Sequence[slice]) -> None:
        self.layers = list(layers)
        self._sum: torch.Tensor | None = None
        self._square: torch.Tensor | None = None
        self._batches = 0

    def add(self, gradient: torch.Tensor) -> None:
        """One batch's gradient (..., P)."""
        g = gradient.detach().to(torch.float64)
        if self._sum is None or self._square is None:
            self._sum, self._square = g.clone(), g * g
        else:
            self._sum += g
            self._square += g * g
        self._batches += 1

    def epoch_norms(self) -> dict[str, torch.Tensor]:
        """``grad_mean_<l>`` and ``grad_std_<l>`` (l = 1 .. L, each of the leading shape) over the
        batches added since the last call, which starts the next epoch; NaN for a layer without
        parameters. Empty when no batch was added."""
        if self._sum is None or self._square is None:
            return {}
        mean = self._sum / self._batches
        spread = (self._square / self._batches - mean * mean).clamp_min(0.0).sqrt()
        nan = torch.full(mean.shape[:-1], math.nan, dtype=torch.float64)
        norms: dict[str, torch.Tensor] = {}
        for depth, part in enumerate(self.layers, start=1):
            empty = part.stop <= part.start
            norms[f"grad_mean_{depth}"] = nan if empty else mean[..., part].norm(dim=-1)
            norms[f"grad_std_{depth}"] = nan if empty else spread[..., part].norm(dim=-1)
        self._sum = self._square = None
        self._batches = 0
        return norms


def layer_parameters(model: nn.Module, layers: Sequence[str]) -> tuple[list[nn.Parameter], list[slice]]:
    """The parameters of the named submodules, in order, and each submodule's slice of their
    flattened concatenation (for :class:`GradientMoments`)."""
    parameters, slices, start = [], [], 0
    for name in layers:
        own = list(model.get_submodule(name).parameters())
        size = sum(p.numel() for p in own)
        parameters += own
        slices.append(slice(start, start + size))
        start += size
    return parameters, slices


def flat_gradient(parameters: Sequence[nn.Parameter]) -> torch.Tensor:
    """The gradients of ``parameters`` flattened into one (P,) tensor (zeros where none)."""
    if not parameters:
        return torch.zeros(0)
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in parameters]
    return torch.cat([g.reshape(-1) for g in grads])


def seeded(builder: Callable[..., nn.Module], seed: int, **params: Any) -> nn.Module:
    """Build a model with ``torch.manual_seed(seed)`` set first, so its initial weights are
    a function of the seed alone."""
    torch.manual_seed(seed)
    return builder(**params)
