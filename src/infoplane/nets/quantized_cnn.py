"""Lorenzen et al.'s quantised convolutional MNIST network ("Conv"), layer by layer.

Our reference describes it as two convolutions of 2 filters 3x3, each followed by max-pooling,
then a dense layer of 16 and the softmax-10 output. Its activation is not given; we use ReLU, as
their Bottleneck-2. Every block's output is fake-quantised as in :mod:`infoplane.nets.mlp`
(ReLU: 2^bits levels on [0, moving max]; softmax: on [0, 1]), so every analysed layer is discrete
and I(X;T) = H(T) is exact. Max-pooling comes after the quantisation: the maximum of quantised
values is one of them.

    L1  conv 3x3 1->2 (no padding), ReLU, quantise, max-pool 2          2 x 13 x 13 = 338
    L2  conv 3x3 2->2,              ReLU, quantise, max-pool 2, flatten  2 x 5 x 5 = 50
    L3  dense 50->16,               ReLU, quantise                       16
    L4  dense 16->10,               softmax, quantise                    10 (probabilities)

``forward`` returns the log of L4's probabilities (clamped at log 1e-12), for an NLL loss.
"""

from __future__ import annotations

import torch
from torch import nn

from infoplane.nets.mlp import FakeQuant

#: The names of the analysed layers, in forward order.
LAYERS = ("L1", "L2", "L3", "L4")


class LorenzenConv(nn.Module):
    """The quantised Conv network (see the module doc); blocks ``L1`` .. ``L4``.

    Args:
        activation: ``relu`` (the only one: FakeQuant's moving range is for non-negative values).
        bits: quantisation levels 2^bits of every block.
        init: ``glorot`` (Keras default, as Lorenzen et al.'s code) or ``torch`` (PyTorch's own).
            Weights come from torch's global generator: seed it first.
    """

    def __init__(self, activation: str = "relu", bits: int = 8, init: str = "glorot") -> None:
        super().__init__()
        if activation != "relu":
            raise ValueError(f"the Conv network is built with ReLU only, got activation {activation!r}")
        if init not in ("glorot", "torch"):
            raise ValueError(f"unknown init {init!r} for the Conv network; choose glorot or torch")
        self.L1 = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), FakeQuant(bits), nn.MaxPool2d(2))
        self.L2 = nn.Sequential(nn.Conv2d(2, 2, 3), nn.ReLU(), FakeQuant(bits), nn.MaxPool2d(2), nn.Flatten())
        self.L3 = nn.Sequential(nn.Linear(50, 16), nn.ReLU(), FakeQuant(bits))
        self.L4 = nn.Sequential(nn.Linear(16, 10), nn.Softmax(dim=-1), FakeQuant(bits, 0.0, 1.0))
        if init == "glorot":
            for module in self.modules():
                if isinstance(module, nn.Conv2d | nn.Linear):
                    nn.init.xavier_uniform_(module.weight)
                    nn.init.zeros_(module.bias)

    def layer_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """L1 .. L4 of images ``x`` (n, 1, 28, 28) or (n, 784), each flattened to (n, d_l)."""
        x = x.reshape(len(x), 1, 28, 28)
        outputs = []
        for block in (self.L1, self.L2, self.L3, self.L4):
            x = block(x)
            outputs.append(x.flatten(1))
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Log class probabilities (n, 10) of images ``x`` (n, 1, 28, 28) or (n, 784)."""
        return torch.log(self.layer_outputs(x)[-1].clamp_min(1e-12))
