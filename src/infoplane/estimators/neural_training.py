"""Training a critic on one split, early stopping on a second, the bound on a third (torch).

    train split       Adam steps on mini-batches of B pairs (the bound's loss on B x (1 + K) scores)
    validation split  the bound after every epoch; the best epoch's weights are kept, and
                      training stops after ``patience`` epochs without a new best
    test split        the bound of the kept critic: the reported estimate and its terms

Choosing the epoch on one split and reporting on another keeps the reported number free of
the upward bias of picking the maximum of noisy estimates. Each pair is contrasted with K
negatives from its batch; held-out sets are scored the same way, in blocks of about B samples
(InfoNCE's cap log(1 + K) depends on it).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from infoplane.estimators.bounds import Bound, pair_statistics
from infoplane.estimators.critics import Critic, build_critic


@dataclass
class Split:
    """Paired samples of one split as tensors: x (n, *shape_x), y (n, *shape_y)."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.x)


@dataclass
class FitResult:
    """What training produced.

    Attributes:
        terms: (n_test,) per-sample terms of the bound on the test split; their mean is the
            estimate (nats).
        negatives: K, negatives per pair in training and evaluation; InfoNCE is capped at
            log(1 + K).
        batch_size: the training batch size B.
        epochs: epochs run; best_epoch: the epoch whose weights were kept (1-based).
        val_history, train_history: per-epoch bound on the validation split and the mean
            training loss (nats; the loss is minus the bound, MINE's surrogate aside).
        diverged: training stopped on a non-finite loss (the best weights so far are used).
    """

    terms: np.ndarray
    negatives: int
    batch_size: int
    epochs: int
    best_epoch: int
    device: str
    diverged: bool = False
    val_history: list[float] = field(default_factory=list)
    train_history: list[float] = field(default_factory=list)


@torch.no_grad()
def held_out_terms(critic: Critic, bound: Bound, data: Split, block: int, negatives: int) -> torch.Tensor:
    """(n,) per-sample terms of ``bound`` on ``data``, scored in contiguous blocks of >= ``block``
    rows with ``negatives`` negatives per pair (``data`` is in random order already)."""
    n_blocks = max(1, len(data) // block)
    chunks = torch.tensor_split(torch.arange(len(data), device=data.x.device), n_blocks)
    stats = [pair_statistics(critic(data.x[i], data.y[i], negatives), bound.include_positive)
             for i in chunks]
    return bound.terms(torch.cat([s[0] for s in stats]), torch.cat([s[1] for s in stats]))


def train_and_evaluate(
    bound: Bound,
    train: Split,
    val: Split,
    test: Split,
    *,
    hidden: Sequence[int],
    channels: int,
    batch_size: int,
    negatives: int | None,
    lr: float,
    max_epochs: int,
    patience: int,
    seed: int,
    progress: bool = False,
) -> FitResult:
    """Train a critic for ``bound`` with early stopping, then evaluate it on ``test``.

    The batch B is ``batch_size`` capped at the smallest split's size; ``negatives`` (None: all
    B - 1) is capped at B - 1. Both actual values are in the result.
    All three splits must already be on the same device. Weight initialisation and batch order
    come from ``seed``; the caller's global torch random state is left untouched.
    """
    device = train.x.device
    batch = min(batch_size, len(train), len(val), len(test))
    k = batch - 1 if negatives is None else min(negatives, batch - 1)
    fork = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=fork):
        torch.manual_seed(seed)
        critic = build_critic(tuple(train.x.shape[1:]), tuple(train.y.shape[1:]), hidden, channels)
    critic = critic.to(device)
    optimizer = torch.optim.Adam(critic.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)  # batch order, on the CPU for reproducibility

    best, best_state, best_epoch, wait = -np.inf, copy.deepcopy(critic.state_dict()), 0, 0
    val_history: list[float] = []
    train_history: list[float] = []
    diverged = False
    epochs = tqdm(range(1, max_epochs + 1), desc=bound.name, disable=not progress, leave=False)
    for epoch in epochs:
        critic.train()
        perm = torch.randperm(len(train), generator=order).to(device)
        losses = []
        for start in range(0, len(train) - batch + 1, batch):  # full batches only: B is fixed
            rows = perm[start : start + batch]
            loss = bound.loss(critic(train.x[rows], train.y[rows], k))
            if not torch.isfinite(loss):
                diverged = True
                break
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if diverged:
            warnings.warn(f"{bound.name}: non-finite training loss at epoch {epoch}; keeping the "
                          f"critic of epoch {best_epoch}", RuntimeWarning, stacklevel=3)
            break
        critic.eval()
        value = float(held_out_terms(critic, bound, val, batch, k).mean())
        train_history.append(float(np.mean(losses)))
        val_history.append(value)
        epochs.set_postfix(val=f"{value:.3f}", best=f"{max(best, value):.3f}")
        if np.isfinite(value) and value > best:
            best, best_state, best_epoch, wait = value, copy.deepcopy(critic.state_dict()), epoch, 0
        else:
            wait += 1
            if wait >= patience:
                break

    critic.load_state_dict(best_state)
    critic.eval()
    terms = held_out_terms(critic, bound, test, batch, k)
    return FitResult(
        terms=terms.double().cpu().numpy(),
        negatives=k,
        batch_size=batch,
        epochs=len(val_history),
        best_epoch=best_epoch,
        device=str(device),
        diverged=diverged,
        val_history=val_history,
        train_history=train_history,
    )
