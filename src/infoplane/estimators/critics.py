"""Critic networks f(x, y) -> score for the neural MI bounds (imports torch: load lazily).

A critic is two *towers* that embed x and y separately (identity for vectors, a small
convolutional network for images) and a *joint head*, an MLP on the concatenated embeddings:

    f(x_i, y_j) = head([tower_x(x_i), tower_y(y_j)])

The bounds contrast each joint pair (x_i, y_i) of a batch of B with K negative pairs
(x_i, y_{(i + k) mod B}), k = 1..K <= B - 1: as the batch is in random order, these are samples
of p(x) p(y). K = B - 1 scores every pair of the batch. Splitting the head's
first layer, W [e_x; e_y] = W_x e_x + W_y e_y, needs the towers and the first layer only once
per sample; the later layers see B (1 + K) rows.

Butakov et al.'s MINE uses, for images, two conv towers (8 channels, pooled down to 4x4) and a
100-100-1 head; for low-dimensional vectors a 400-400-1 head (VanessB/pytorch-mine).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class ConvTower(nn.Module):
    """Embed images (B, C, H, W) -> (B, channels * s * s), s <= 4.

    Blocks of conv 3x3 ('same') + LeakyReLU + MaxPool 2 until the spatial side is at most 4
    (two blocks for 16x16, three for 32x32).
    """

    def __init__(self, in_channels: int, side: int, channels: int = 8) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        while side > 4:
            layers += [nn.Conv2d(c, channels, 3, padding=1), nn.LeakyReLU(0.2), nn.MaxPool2d(2)]
            c, side = channels, side // 2
        self.net = nn.Sequential(*layers, nn.Flatten())
        self.out_dim = c * side * side

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class JointHead(nn.Module):
    """MLP on [e_x, e_y] with hidden widths ``hidden``, LeakyReLU, one output score."""

    def __init__(self, dim_x: int, dim_y: int, hidden: Sequence[int]) -> None:
        super().__init__()
        if not hidden:
            raise ValueError("the critic needs at least one hidden layer, e.g. hidden=(128, 128)")
        self.first_x = nn.Linear(dim_x, hidden[0])
        self.first_y = nn.Linear(dim_y, hidden[0], bias=False)  # one bias is enough
        rest: list[nn.Module] = [nn.LeakyReLU(0.2)]
        for width_in, width_out in zip(hidden[:-1], hidden[1:], strict=True):
            rest += [nn.Linear(width_in, width_out), nn.LeakyReLU(0.2)]
        rest.append(nn.Linear(hidden[-1], 1))
        self.rest = nn.Sequential(*rest)

    def forward(self, e_x: torch.Tensor, e_y: torch.Tensor, negatives: int) -> torch.Tensor:
        """(B, d_x), (B, d_y) embeddings -> (B, 1 + K) scores, K = ``negatives`` <= B - 1.

        Column k holds f(x_i, y_{(i + k) mod B}): column 0 the joint pairs, the rest negatives.
        """
        b = len(e_x)
        if not 0 <= negatives < b:
            raise ValueError(f"negatives must be in [0, {b - 1}] for a batch of {b}, got {negatives}")
        offsets = torch.arange(negatives + 1, device=e_x.device)
        partner = (torch.arange(b, device=e_x.device)[:, None] + offsets[None, :]) % b  # (B, 1 + K)
        h = self.first_x(e_x)[:, None, :] + self.first_y(e_y)[partner]
        return self.rest(h).squeeze(-1)


class Critic(nn.Module):
    """f(x, y) = head([tower_x(x), tower_y(y)]); a tower is the identity for vector inputs."""

    def __init__(self, tower_x: nn.Module, tower_y: nn.Module, dim_x: int, dim_y: int,
                 hidden: Sequence[int]) -> None:
        super().__init__()
        self.tower_x, self.tower_y = tower_x, tower_y
        self.head = JointHead(dim_x, dim_y, hidden)

    def forward(self, x: torch.Tensor, y: torch.Tensor, negatives: int) -> torch.Tensor:
        """(B, 1 + K) scores of the joint pairs (column 0) and K negatives each (see JointHead)."""
        return self.head(self.tower_x(x), self.tower_y(y), negatives)


def _tower(shape: tuple[int, ...], channels: int) -> tuple[nn.Module, int]:
    """A tower for one variable's per-sample shape: (d,) -> identity, (C, H, W) -> ConvTower."""
    if len(shape) == 1:
        return nn.Identity(), shape[0]
    c, h, w = shape
    if h != w:
        raise ValueError(f"the conv critic takes square images, got {h}x{w}")
    tower = ConvTower(c, h, channels)
    return tower, tower.out_dim


def build_critic(shape_x: tuple[int, ...], shape_y: tuple[int, ...], hidden: Sequence[int],
                 channels: int = 8) -> Critic:
    """A critic for per-sample shapes ``shape_x`` and ``shape_y``: (d,) vectors or (C, H, W) images.

    Args:
        hidden: widths of the joint head's hidden layers, e.g. (100, 100) or (400, 400).
        channels: filters of every conv block of an image tower.
    """
    tower_x, dim_x = _tower(shape_x, channels)
    tower_y, dim_y = _tower(shape_y, channels)
    return Critic(tower_x, tower_y, dim_x, dim_y, [int(h) for h in hidden])

