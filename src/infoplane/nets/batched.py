"""Many seeds of one small network trained at once: stacked weights and batched matrix products.

The earlier IB papers average information planes over 20 to 50 training runs of tiny networks
(the SZT 12-10-7-5-4-3-2 net has 284 weights). Trained one by one, each run is dominated by
per-operation overhead, not arithmetic: an epoch of seven 512-row batches costs the same few
hundred microseconds of Python and dispatch whether one network or fifty are in the tensors.
:class:`SeedStack` holds S copies of an :class:`~infoplane.nets.mlp.MLP`, weight l of shape
(S, d_out, d_in), and runs all of them with one ``baddbmm`` per layer.

Same numbers as separate runs. Every seed keeps what a separate run of
:func:`infoplane.train.train` would have: its initial weights (copied from an ``MLP`` built with
that seed), its own data split, its own batch order (a generator seeded with the seed, one
``randperm`` per epoch), and its own optimizer state. Adam and SGD act on each element alone,
and the loss is the sum over seeds of each seed's mean batch loss, so seed s's gradient is
exactly its own run's gradient; the results agree with separate runs to float rounding (tested).
The additive noise of noisy networks cannot follow a separate run draw for draw (a separate run
draws it from torch's global generator): here each seed draws it from a generator of its own,
seeded from the seed, so a seed's noise does not depend on which other seeds share its stack.
"""

from __future__ import annotations

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
from infoplane.nets.mlp import MLP, fake_quantise
from infoplane.train import GradientMoments

#: Called at every captured epoch with the epoch and T_1 .. T_L on the evaluation set,
#: each (S, n_eval, d_l) float32.
CaptureCallback = Callable[[int, list[torch.Tensor]], None]


class SeedStack(nn.Module):
    """S networks of one architecture, one per seed, evaluated together.

    Args:
        models: S :class:`MLP` of identical widths, activation, quantisation and noise, each
            built with its own seed (their weights are copied; the models are not kept).
        noise_seeds: S seeds of the generators of each network's additive noise (default
            0 .. S-1; :func:`noise_seed` derives one from a training seed).

    Shapes: :meth:`columns` and ``forward`` take samples as rows, (S, B, d_0), and give T_l
    as (S, d_l, B) and the log class probabilities as (S, C, B), samples as columns;
    :meth:`layer_outputs` takes and gives samples as rows.
    """

    def __init__(self, models: Sequence[MLP], noise_seeds: Sequence[int] | None = None) -> None:
        super().__init__()
        if not models:
            raise ValueError("a SeedStack needs at least one model")
        first = models[0]
        shape = [(b.activation, b.noise.scale, _quant_spec(b)) for b in first.layers]
        for model in models[1:]:
            if model.widths != first.widths or [
                (b.activation, b.noise.scale, _quant_spec(b)) for b in model.layers
            ] != shape:
                raise ValueError("every model of a SeedStack must have the same widths, activations, "
                                 "quantisation and noise; only the seed may differ")
        self.widths = first.widths
        self.activations = [b.activation for b in first.layers]
        self.noise_std = [b.noise.scale for b in first.layers]
        self.quant = [_quant_spec(b) for b in first.layers]
        # Every weight and bias of every seed in one (S, P) tensor, P = the parameters of one
        # network: the optimizer then updates one tensor per step instead of two per layer.
        per_model = [[t.detach().reshape(-1) for b in m.layers for t in (b.linear.weight, b.linear.bias)]
                     for m in models]
        self.flat = nn.Parameter(torch.stack([torch.cat(parts) for parts in per_model]))
        self.shapes = list(zip(self.widths[1:], self.widths[:-1], strict=True))  # (d_out, d_in)
        # A quantised ReLU layer's upper range: a moving average of each seed's batch maxima.
        self.register_buffer("relu_hi", torch.ones(len(models), len(first.layers)))
        self.register_buffer("relu_seen", torch.zeros(len(first.layers), dtype=torch.bool))
        noise_seeds = range(len(models)) if noise_seeds is None else noise_seeds
        if len(noise_seeds) != len(models):
            raise ValueError(f"{len(models)} models but {len(noise_seeds)} noise seeds")
        self.noise = [torch.Generator().manual_seed(int(seed)) for seed in noise_seeds]

    @property
    def n_seeds(self) -> int:
        return self.flat.shape[0]

    def layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(weight (S, d_out, d_in), bias (S, d_out)) of every layer: views of ``flat``."""
        out = []
        for (d_out, d_in), part in zip(self.shapes, self.layer_slices(), strict=True):
            weight = self.flat[:, part.start:part.start + d_out * d_in].view(-1, d_out, d_in)
            out.append((weight, self.flat[:, part.start + d_out * d_in:part.stop]))
        return out

    def layer_slices(self) -> list[slice]:
        """Where each layer's weight and bias (in that order, as an MLP block's parameters) lie
        along the second dimension of ``flat``."""
        slices, start = [], 0
        for d_out, d_in in self.shapes:
            slices.append(slice(start, start + d_out * d_in + d_out))
            start = slices[-1].stop
        return slices

    def columns(self, x: torch.Tensor) -> list[torch.Tensor]:
        """T_1 .. T_L of every seed, samples as columns: (S, B, d_0) -> list of (S, d_l, B).

        Samples are columns because ``W @ x`` with the batch as the long last dimension runs
        several times faster for these narrow layers than ``x @ W.T`` with the batch first. The
        inputs come as rows all the same: turning a batch of wide inputs (MNIST's 784 pixels)
        into columns cost more than the first layer's product with them as rows (measured on
        20 stacked MNIST MLPs: 5.9 s an epoch, 4.6 s without the turn).
        """
        outputs = []
        for i, (weight, bias) in enumerate(self.layers()):
            if i == 0:   # (S, B, d_0) @ (S, d_0, d_1), then the narrow result turned to (S, d_1, B)
                z = torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2)).transpose(1, 2)
            else:
                z = torch.baddbmm(bias.unsqueeze(2), weight, x)
            x = self._activate(z, i)
            if self.noise_std[i] > 0:
                eps = torch.stack([torch.randn(x.shape[1:], generator=g) for g in self.noise])
                x = x + self.noise_std[i] * eps
            outputs.append(x)
        return outputs

    def layer_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """T_1 .. T_L of every seed, samples as rows: (S, B, d_0) -> list of (S, B, d_l)."""
        return [t.transpose(1, 2) for t in self.columns(x)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Log class probabilities (S, C, B) of inputs (S, B, d_0), clamped at log 1e-12 as
        :class:`MLP` does."""
        return torch.log(self.columns(x)[-1].clamp_min(1e-12))

    def _activate(self, z: torch.Tensor, i: int) -> torch.Tensor:
        kind = self.activations[i]
        if kind == "tanh":
            s = torch.tanh(z)
        elif kind == "relu":
            s = torch.relu(z)
        elif kind == "softmax":
            s = torch.softmax(z, dim=1)
        else:
            s = z
        spec = self.quant[i]
        if spec is None:
            return s
        bits, lo, hi = spec
        if hi is not None:
            return fake_quantise(s, torch.tensor(lo), torch.tensor(hi), bits)
        # Unbounded (ReLU): each seed's own moving range, as each separate MLP keeps its own.
        if self.training:
            batch_max = s.detach().amax(dim=(1, 2)).clamp_min(1e-6)
            seen = self.relu_seen[i]
            self.relu_hi[:, i] = torch.where(seen, 0.9 * self.relu_hi[:, i] + 0.1 * batch_max, batch_max)
            self.relu_seen[i] = True
        # A copy: the next layer updates another column of the same buffer in place.
        hi = self.relu_hi[:, i].clone().view(-1, 1, 1)
        return fake_quantise(s, torch.tensor(0.0), hi, bits)

    def seed_state_dict(self, s: int) -> dict[str, torch.Tensor]:
        """The weights of seed ``s`` in the layout of :class:`MLP`'s state dict (quantisers aside)."""
        state = {}
        for i, (weight, bias) in enumerate(self.layers()):
            state[f"layers.{i}.linear.weight"] = weight[s].detach().clone()
            state[f"layers.{i}.linear.bias"] = bias[s].detach().clone()
        return state


def noise_seed(seed: int) -> int:
    """The seed of a network's noise generator, derived from its training seed.

    Not the training seed itself: the batch-order generator is seeded with that, and two
    generators with one seed would draw the same stream.
    """
    return int(np.random.SeedSequence([int(seed), 1]).generate_state(1)[0])


def _quant_spec(block: nn.Module) -> tuple[int, float, float | None] | None:
    """(bits, lo, hi) of a block's quantiser (hi None: a moving ReLU range), or None."""
    quant = block.quant
    if quant is None:
        return None
    return quant.bits, float(quant.lo), float(quant.hi) if quant.fixed else None


@dataclass(frozen=True)
class SeedData:
    """The data of S seeds: one pool of rows, each seed its own training and test rows.

    Attributes:
        inputs: (N, d_0) float32, every row any seed reads (flattened images, SZT patterns).
        labels: (N,) int64.
        train_rows, test_rows: (S, n_train) and (S, n_test) int64 rows of ``inputs``: seed s's
            split (the same for every seed where the split does not depend on the seed).
        eval_rows: (n_eval,) rows over which MI is computed, the same for every seed.
    """

    inputs: torch.Tensor
    labels: torch.Tensor
    train_rows: torch.Tensor
    test_rows: torch.Tensor
    eval_rows: torch.Tensor

    def __post_init__(self) -> None:
        if self.inputs.ndim != 2 or self.labels.shape != self.inputs.shape[:1]:
            raise ValueError("inputs must be (N, d) with one label per row")
        if self.train_rows.ndim != 2 or self.test_rows.shape[:1] != self.train_rows.shape[:1]:
            raise ValueError("train_rows and test_rows must be (S, n): one split per seed")

    @property
    def n_seeds(self) -> int:
        return self.train_rows.shape[0]


#: A stack's checkpoint: tensors and plain values only, loaded with ``weights_only=True``.
STACK_CHECKPOINT_KIND, STACK_CHECKPOINT_VERSION = "seed-stack-checkpoint", 1
STACK_CHECKPOINT_KEYS = ["epoch", "identity", "stack", "noise", "optimizer", "batches", "rows", "carry"]


@dataclass
class StackCheckpoint:
    """Where :func:`train_seeds` keeps its state, so that a killed run resumes where it stopped.

    Attributes:
        path: the checkpoint file (written atomically; its parent is created).
        identity: what the state belongs to (the settings and seeds); a file of another
            identity is refused, never resumed from.
        seconds: the least wall time between two saves; the last epoch is always saved.
        carry: the caller's results so far (tensors and plain values), saved with the state and
            restored in place on resuming: what ``on_capture`` measured before the kill.
    """

    path: Path
    identity: str
    seconds: float = 600.0
    carry: list[Any] = field(default_factory=list)

    def load(self) -> dict[str, Any] | None:
        """The stored state, or None when there is none yet."""
        if not self.path.exists():
            return None
        remedy = f"delete {self.path} to train these seeds from the start"
        state = load_torch(self.path, STACK_CHECKPOINT_KIND, STACK_CHECKPOINT_VERSION, "checkpoint", remedy)
        require_keys(state, STACK_CHECKPOINT_KEYS, self.path, "checkpoint", remedy)
        if state["identity"] != self.identity:
            raise ValueError(f"{self.path} holds another training (other settings or seeds); {remedy}")
        return state

    def save(self, state: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        save_torch({**state, "identity": self.identity, "carry": self.carry}, self.path,
                   STACK_CHECKPOINT_KIND, STACK_CHECKPOINT_VERSION)


def train_seeds(
    stack: SeedStack,
    data: SeedData,
    seeds: Sequence[int],
    epochs: int,
    batch_size: int,
    lr: float,
    optimizer: str = "adam",
    capture_epochs: Sequence[int] = (),
    on_capture: CaptureCallback | None = None,
    progress: bool = False,
    checkpoint: StackCheckpoint | None = None,
) -> pd.DataFrame:
    """Train every seed of ``stack`` for ``epochs`` epochs, as separate runs of ``train`` would.

    Args:
        stack: the S networks; seed s of ``seeds`` is network s.
        data: the S splits and the shared evaluation set.
        seeds: S seeds; seed s draws the batch order of network s (as ``TrainConfig.seed``).
        epochs, batch_size, lr, optimizer: as :class:`infoplane.train.TrainConfig`
            (``"adam"`` or ``"sgd"``); the last, smaller batch of an epoch is kept.
        capture_epochs: epochs (0 = before training) at which ``on_capture`` receives the
            layers on the evaluation set, computed in eval mode.
        progress: show a tqdm bar.
        checkpoint: save the training's state there now and then, and resume from it when it
            holds an earlier state of the same training: the stack's weights, ranges and noise
            generators, the optimizer, the batch orders and the history, so the numbers are
            those of an uninterrupted run.

    Returns:
        history, one row per seed and epoch: seed, epoch, train_loss, train_acc, test_loss,
        test_acc (losses in nats per sample; train values NaN at epoch 0), seconds (wall time
        of the epoch, shared by all seeds), grad_mean_<l> and grad_std_<l> per layer
        (:class:`infoplane.train.GradientMoments`; absent at epoch 0).
    """
    from tqdm.auto import tqdm

    if len(seeds) != stack.n_seeds or data.n_seeds != stack.n_seeds:
        raise ValueError(f"{stack.n_seeds} networks, {len(seeds)} seeds and {data.n_seeds} "
                         "splits: give one seed and one split per network")
    optimizers = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
    if optimizer not in optimizers:
        raise ValueError(f"unknown optimizer {optimizer!r}; use one of {sorted(optimizers)}")
    opt = optimizers[optimizer](stack.parameters(), lr=lr, foreach=True)
    generators = [torch.Generator().manual_seed(int(seed)) for seed in seeds]
    capture = set(int(e) for e in capture_epochs)
    n_seeds, n_train = data.train_rows.shape
    inputs = data.inputs.contiguous()                            # (N, d_0)
    test_x, test_y = _gather_rows(inputs, data.test_rows), data.labels[data.test_rows]
    eval_x = _gather_rows(inputs, data.eval_rows.expand(n_seeds, -1))
    rows: list[dict[str, Any]] = []
    slices = stack.layer_slices()
    start = 0
    state = checkpoint.load() if checkpoint is not None else None
    if state is not None and checkpoint is not None:
        stack.load_state_dict(state["stack"])
        opt.load_state_dict(state["optimizer"])
        for generator, saved in zip([*stack.noise, *generators], [*state["noise"], *state["batches"]],
                                    strict=True):
            generator.set_state(saved)
        rows, checkpoint.carry[:] = list(state["rows"]), list(state["carry"])
        start = int(state["epoch"]) + 1
    saved_at = time.perf_counter()
    for epoch in tqdm(range(start, epochs + 1), initial=start, total=epochs + 1, disable=not progress,
                      desc=f"{n_seeds} seeds", unit="epoch"):
        started = time.perf_counter()
        train_loss = train_acc = torch.full((n_seeds,), math.nan)
        gradients: dict[str, torch.Tensor] = {}
        if epoch > 0:
            stack.train()
            order = torch.stack([torch.randperm(n_train, generator=g) for g in generators])
            loss_sum, correct = torch.zeros(n_seeds), torch.zeros(n_seeds)
            moments = GradientMoments(slices)
            for start in range(0, n_train, batch_size):
                rows_b = data.train_rows.gather(1, order[:, start:start + batch_size])
                xb, yb = _gather_rows(inputs, rows_b), data.labels.take(rows_b)
                out = stack(xb)
                loss = _nll(out, yb)
                opt.zero_grad(set_to_none=True)
                loss.sum().backward()
                moments.add(stack.flat.grad)
                opt.step()
                loss_sum += loss.detach() * rows_b.shape[1]
                correct += (_predicted(out.detach()) == yb).sum(dim=1)
            train_loss, train_acc = loss_sum / n_train, correct / n_train
            gradients = moments.epoch_norms()
        stack.eval()
        with torch.no_grad():
            out = stack(test_x)
            test_loss = _nll(out, test_y)
            test_acc = (_predicted(out) == test_y).float().mean(dim=1)
            if epoch in capture and on_capture is not None:
                on_capture(epoch, [t.transpose(1, 2) for t in stack.columns(eval_x)])
        seconds = time.perf_counter() - started
        for s, seed in enumerate(seeds):
            rows.append({"seed": int(seed), "epoch": epoch, "train_loss": float(train_loss[s]),
                         "train_acc": float(train_acc[s]), "test_loss": float(test_loss[s]),
                         "test_acc": float(test_acc[s]), "seconds": seconds,
                         **{key: float(value[s]) for key, value in gradients.items()}})
        if checkpoint is not None and (epoch == epochs
                                       or time.perf_counter() - saved_at >= checkpoint.seconds):
            checkpoint.save({"epoch": epoch, "stack": stack.state_dict(), "optimizer": opt.state_dict(),
                             "noise": [g.get_state() for g in stack.noise],
                             "batches": [g.get_state() for g in generators], "rows": rows})
            saved_at = time.perf_counter()
    return pd.DataFrame(rows)


def _nll(log_probs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood per seed: (S, C, B), (S, B) -> (S,)."""
    return -log_probs.gather(1, labels.unsqueeze(1)).squeeze(1).mean(dim=1)


def _predicted(log_probs: torch.Tensor) -> torch.Tensor:
    """The predicted class (S, B) of log probabilities (S, C, B): the first largest, as argmax.

    argmax along a short middle dimension is an order of magnitude slower than along a
    contiguous last one, so the classes are made the last dimension first.
    """
    return log_probs.transpose(1, 2).contiguous().argmax(dim=-1)


def _gather_rows(inputs: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """Inputs (S, B, d_0) of the pool's ``rows`` (S, B), from the pool as rows (N, d_0)."""
    return inputs.index_select(0, rows.reshape(-1)).view(*rows.shape, inputs.shape[1])
