"""Noise injection: the layer that makes a deterministic network stochastic.

With noise inside the network, I(X; L) of a layer output L is finite and depends on the
weights (Goldfeld et al. 2019); without it, a deterministic layer of a continuous input
carries infinite information and the information plane says nothing. Two forms are in use:

    relative (Butakov et al. 2024):  x + sigma * x * eps,  eps ~ N(0, I)  ("noise-to-signal" sigma)
    additive (Goldfeld et al. 2019): x + beta * eps

The noise is on in training and, by default, in evaluation too, so that recorded activations
are draws of the same stochastic network that was trained.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

NoiseKind = Literal["relative", "additive"]


class NoiseInjection(nn.Module):
    """Gaussian noise on the input of a layer.

    Args:
        scale: sigma (relative) or beta (additive); 0 disables the layer.
        kind: ``"relative"`` (x + scale * x * eps) or ``"additive"`` (x + scale * eps).
        detach_scale: relative noise only: use ``x.detach()`` in ``scale * x`` so that no
            gradient flows through the noise amplitude. Butakov et al.'s code detached it
            until Sep 2023 and not after; the two train differently, so it is a parameter.
        in_eval: keep the noise on in ``eval()`` mode (the default; recorded activations are
            then noisy, as in the paper). ``False`` makes evaluation deterministic.

    Shapes: any (n, ...) tensor in, the same shape out. The noise comes from torch's global
    generator, so ``torch.manual_seed`` (and a checkpoint's RNG state) fixes it.
    """

    def __init__(
        self, scale: float, kind: NoiseKind = "relative", detach_scale: bool = False, in_eval: bool = True
    ) -> None:
        super().__init__()
        if scale < 0:
            raise ValueError(f"noise scale must be >= 0, got {scale}")
        if kind not in ("relative", "additive"):
            raise ValueError(f"noise kind must be 'relative' or 'additive', got {kind!r}")
        self.scale, self.kind = float(scale), kind
        self.detach_scale, self.in_eval = bool(detach_scale), bool(in_eval)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.scale == 0 or not (self.training or self.in_eval):
            return x
        eps = torch.randn_like(x)
        if self.kind == "additive":
            return x + self.scale * eps
        amplitude = x.detach() if self.detach_scale else x
        return x + self.scale * amplitude * eps

    def extra_repr(self) -> str:
        return (f"scale={self.scale}, kind={self.kind}, detach_scale={self.detach_scale}, "
                f"in_eval={self.in_eval}")
