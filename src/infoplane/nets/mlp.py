"""The fully connected networks of the earlier IB analyses.

One class, :class:`MLP`, builds all of them: a stack of blocks ``layers.0 .. layers.{L-1}``,
each ``Linear -> activation [-> fake quantisation] [-> + N(0, beta^2 I)]``; the last block's
activation is the softmax, so its output (the analysed layer T_L, as in all original codes) is a
probability vector. Hooks on ``layers.i`` capture T_{i+1}. ``forward`` returns the log of the
output probabilities (for an NLL loss, as :func:`infoplane.train.train` expects).

- ``szt_mlp``: 12-10-7-5-4-3-2 of Shwartz-Ziv & Tishby, Saxe et al., Lorenzen et al., Goldfeld et al.
- ``saxe_mnist_mlp``: 784-1024-20-20-20-10 of Saxe et al.
- ``bottleneck2_mlp``: 784-16-8-4-2-10 (ReLU) of Lorenzen et al. ("Bottleneck-2"); their other
  MNIST MLPs are ``LORENZEN_4X10_WIDTHS``, ``BOTTLENECK4_WIDTHS`` and ``HOURGLASS_WIDTHS``.

Quantisation (Lorenzen et al.) is quantisation-aware training: each block's output is rounded
to one of 2^bits levels on a per-layer range, with the straight-through estimator for the
gradient. Our ranges are fixed where the activation is bounded (tanh: [-1, 1], softmax: [0, 1])
and a moving average of the batch maximum for ReLU (frozen in eval mode), so the code of an
input never depends on the batch it is evaluated in (Lorenzen's tanh layers used each batch's
own min/max). Weights stay in floating point: every layer is then a function of the previous
quantised layer, and I(X;T) = H(T) is exact.

Noise (Goldfeld et al.): ``noise_std = beta`` adds N(0, beta^2 I) after every hidden layer
(:class:`~infoplane.nets.noise.NoiseInjection`, additive), in training and in evaluation alike:
the noise is part of the model. The output layer is noiseless.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from infoplane.nets.noise import NoiseInjection

ACTIVATIONS = ("tanh", "relu", "linear")
INITS = ("trunc-fan-in", "trunc-fan-out", "glorot")


def fake_quantise(x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor, bits: int) -> torch.Tensor:
    """Round ``x`` to 2^bits levels on [lo, hi] with a straight-through (identity) gradient.

    ``lo`` and ``hi`` broadcast against ``x`` (a scalar range, or one range per seed).
    """
    step = (hi - lo) / (2**bits - 1)
    clipped = torch.minimum(torch.maximum(x, lo), hi)
    quantised = lo + torch.round((clipped - lo) / step) * step
    return clipped + (quantised - clipped).detach()


class FakeQuant(nn.Module):
    """Round to 2^bits levels on [lo, hi] in the forward pass; identity gradient inside the range.

    With ``lo``/``hi`` given the range is fixed; without, ``lo = 0`` and ``hi`` is a moving average
    (momentum 0.9) of the training batches' maxima, for unbounded non-negative activations (ReLU).
    """

    def __init__(self, bits: int, lo: float | None = None, hi: float | None = None) -> None:
        super().__init__()
        if bits < 1 or bits > 16:
            raise ValueError(f"quantisation bits must be in 1..16, got {bits}")
        self.bits = bits
        self.fixed = hi is not None
        self.register_buffer("lo", torch.tensor(0.0 if lo is None else float(lo)))
        self.register_buffer("hi", torch.tensor(1.0 if hi is None else float(hi)))
        self.register_buffer("seen", torch.tensor(False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and not self.fixed:
            batch_max = x.detach().max().clamp_min(1e-6)
            self.hi.copy_(torch.where(self.seen, 0.9 * self.hi + 0.1 * batch_max, batch_max))
            self.seen.fill_(True)
        return fake_quantise(x, self.lo, self.hi, self.bits)

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """Integer level indices (0 .. 2^bits - 1) of already quantised values ``x``."""
        return torch.round((x - self.lo) / ((self.hi - self.lo) / (2**self.bits - 1))).to(torch.int64)


class Block(nn.Module):
    """``Linear -> activation [-> FakeQuant] [-> + N(0, noise_std^2)]``; the output is T_l."""

    def __init__(self, d_in: int, d_out: int, activation: str, bits: int | None, noise_std: float) -> None:
        super().__init__()
        self.linear = nn.Linear(d_in, d_out)
        self.activation = activation
        self.noise = NoiseInjection(noise_std, kind="additive", in_eval=True)
        if bits is None:
            self.quant = None
        elif activation == "tanh":
            self.quant = FakeQuant(bits, -1.0, 1.0)
        elif activation == "softmax":
            self.quant = FakeQuant(bits, 0.0, 1.0)
        elif activation == "relu":
            self.quant = FakeQuant(bits)
        else:
            raise ValueError(f"no quantisation range for activation {activation!r}; "
                             "use tanh, relu or softmax")

    def clean(self, t_prev: torch.Tensor) -> torch.Tensor:
        """S_l = quant(activation(W t_prev + b)), before the noise. (n, d_in) -> (n, d_out)."""
        z = self.linear(t_prev)
        if self.activation == "tanh":
            s = torch.tanh(z)
        elif self.activation == "relu":
            s = F.relu(z)
        elif self.activation == "softmax":
            s = torch.softmax(z, dim=-1)
        else:
            s = z
        return s if self.quant is None else self.quant(s)

    def forward(self, t_prev: torch.Tensor) -> torch.Tensor:
        return self.noise(self.clean(t_prev))


class MLP(nn.Module):
    """A fully connected classifier whose blocks are the analysed layers (see the module doc).

    Args:
        widths: layer widths including input and output, e.g. (12, 10, 7, 5, 4, 3, 2).
        activation: hidden activation, ``tanh``, ``relu`` or ``linear``; the output is softmax.
        bits: quantise every block's output to 2^bits levels (None: floating point).
        noise_std: beta of the additive Gaussian noise after every hidden layer (0: none).
        init: ``trunc-fan-in`` (IDNNs: truncated normal, std 1/sqrt(fan_in)), ``trunc-fan-out``
            (Saxe et al.: std 1/sqrt(fan_out)) or ``glorot`` (Keras default, Lorenzen et al.);
            biases start at 0.
        seed: seed of the initial weights.
    """

    def __init__(
        self,
        widths: Sequence[int],
        activation: str = "tanh",
        bits: int | None = None,
        noise_std: float = 0.0,
        init: str = "trunc-fan-in",
        seed: int = 0,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"widths must list at least input and output sizes >= 1, got {widths}")
        if noise_std < 0:
            raise ValueError(f"noise_std must be >= 0, got {noise_std}")
        self.widths = tuple(int(w) for w in widths)
        self.activation = activation
        n_blocks = len(widths) - 1
        self.layers = nn.ModuleList(
            Block(d_in, d_out, "softmax" if i == n_blocks - 1 else activation, bits,
                  0.0 if i == n_blocks - 1 else noise_std)
            for i, (d_in, d_out) in enumerate(zip(widths[:-1], widths[1:], strict=True))
        )
        generator = torch.Generator().manual_seed(seed)
        for block in self.layers:
            _init_linear(block.linear, init, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Log class probabilities, (n, widths[-1]) (clamped at log 1e-12 for quantised zeros).

        ``x``: (n, widths[0]) or any (n, ...) that flattens to it (images).
        """
        x = x.flatten(1)
        for block in self.layers:
            x = block(x)
        return torch.log(x.clamp_min(1e-12))

    @property
    def layer_names(self) -> list[str]:
        """Submodule names of the analysed layers T_1 .. T_L (for activation hooks)."""
        return [f"layers.{i}" for i in range(len(self.layers))]

    def layer_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """T_1 .. T_L for inputs ``x`` (n, widths[0]): a list of (n, widths[l]) tensors."""
        x = x.flatten(1)
        outputs = []
        for block in self.layers:
            x = block(x)
            outputs.append(x)
        return outputs


def _init_linear(linear: nn.Linear, init: str, generator: torch.Generator) -> None:
    fan_out, fan_in = linear.weight.shape
    with torch.no_grad():
        if init == "glorot":
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            linear.weight.uniform_(-bound, bound, generator=generator)
        else:
            std = 1.0 / math.sqrt(fan_in if init == "trunc-fan-in" else fan_out)
            nn.init.trunc_normal_(linear.weight, std=std, a=-2 * std, b=2 * std, generator=generator)
        linear.bias.zero_()


SZT_WIDTHS = (12, 10, 7, 5, 4, 3, 2)
SAXE_MNIST_WIDTHS = (784, 1024, 20, 20, 20, 10)
BOTTLENECK2_WIDTHS = (784, 16, 8, 4, 2, 10)
# Lorenzen et al.'s other MNIST MLPs (hidden widths from ../shared/reference/seed_baselines.md):
# 4 x 10, Bottleneck-4 16-12-8-4 and HourGlass 16-8-4-2-4-8, each with a softmax-10 output.
LORENZEN_4X10_WIDTHS = (784, 10, 10, 10, 10, 10)
BOTTLENECK4_WIDTHS = (784, 16, 12, 8, 4, 10)
HOURGLASS_WIDTHS = (784, 16, 8, 4, 2, 4, 8, 10)


def szt_mlp(activation: str = "tanh", **kwargs) -> MLP:
    """The 12-10-7-5-4-3-2 network (keyword arguments as :class:`MLP`)."""
    return MLP(SZT_WIDTHS, activation, **kwargs)


def saxe_mnist_mlp(activation: str = "tanh", **kwargs) -> MLP:
    """Saxe et al.'s MNIST network 784-1024-20-20-20-10 (keyword arguments as :class:`MLP`)."""
    return MLP(SAXE_MNIST_WIDTHS, activation, **kwargs)


def bottleneck2_mlp(**kwargs) -> MLP:
    """Lorenzen et al.'s Bottleneck-2 MNIST network 784-16-8-4-2-10, ReLU (keywords as :class:`MLP`)."""
    kwargs.setdefault("init", "glorot")
    return MLP(BOTTLENECK2_WIDTHS, "relu", **kwargs)
