"""Convolutional autoencoders that compress MNIST / CIFAR-10 images X to a few dimensions.

Butakov et al. compress the network input X with an autoencoder trained once per dataset,
then estimate I(X; L) between the codes and the (PCA-compressed) layer outputs. Architecture
after their code (``source/examples/misc/autoencoder.py``):

    encoder: dropout 0.1; per block conv 3x3 'same', max-pool 2, LeakyReLU
             (MNIST channels 8, 16, 32: 28 -> 14 -> 7 -> 3, flatten 288;
              CIFAR-10 channels 16, 32, 64: 32 -> 16 -> 8 -> 4, flatten 1024);
             dense 128, LeakyReLU; dense latent (MNIST 4, sigmoid; CIFAR-10 10, tanh)
    decoder: dense 128, dense to the last block's channels at the largest size that doubles
             back to the image (MNIST 32 x 7 x 7 = 1568, CIFAR-10 64 x 4 x 4); per doubling
             upsample 2, conv 3x3, LeakyReLU; a final conv 3x3 to the image channels

Training: L1 reconstruction loss, Adam, relative Gaussian noise (sigma 0.1) on the latent code
in training only (it spreads the codes, which helps the kNN estimators downstream). The codes
of a deterministic encoder (eval mode) are what the analysis uses.

The class keeps the ``Compressor`` protocol of :mod:`infoplane.compression.base`: ``fit``,
``transform``, ``reconstruction_error`` and ``latent_dim``; ``save`` / ``load`` keep one
trained encoder per dataset for every seed of an experiment.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from infoplane.files import load_torch, require_keys, save_torch
from infoplane.nets.noise import NoiseInjection
from infoplane.parallel import resolve_device

#: The saved file: weights, architecture, settings, history (tensors and plain values only).
FILE_KIND, FILE_VERSION = "image-autoencoder", 1

#: The papers' settings per dataset (the paper trains MNIST 200 epochs at lr 1e-2, CIFAR-10
#: 1500 epochs at lr 1e-3; experiments override epochs for the quick scale).
PRESETS: dict[str, dict[str, Any]] = {
    "mnist": {"in_channels": 1, "image_size": 28, "channels": (8, 16, 32), "latent_dim": 4,
              "latent_activation": "sigmoid"},
    "cifar10": {"in_channels": 3, "image_size": 32, "channels": (16, 32, 64), "latent_dim": 10,
                "latent_activation": "tanh"},
}
_ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


class ConvAutoencoder(nn.Module):
    """The encoder-decoder pair; ``encode``: (n, c, s, s) -> (n, latent_dim)."""

    def __init__(self, in_channels: int, image_size: int, channels: tuple[int, ...], latent_dim: int,
                 latent_activation: str = "sigmoid", dropout: float = 0.1, latent_noise: float = 0.1) -> None:
        super().__init__()
        if latent_activation not in _ACTIVATIONS:
            raise ValueError(f"latent_activation must be one of {sorted(_ACTIVATIONS)}")
        layers: list[nn.Module] = [nn.Dropout(dropout)]
        size, c_prev = image_size, in_channels
        for c in channels:
            layers += [nn.Conv2d(c_prev, c, 3, padding=1), nn.MaxPool2d(2), nn.LeakyReLU()]
            size, c_prev = size // 2, c
        self.encoder = nn.Sequential(
            *layers, nn.Flatten(), nn.Linear(c_prev * size * size, 128), nn.LeakyReLU(),
            nn.Linear(128, latent_dim), _ACTIVATIONS[latent_activation](),
        )
        self.noise = NoiseInjection(latent_noise, "relative", in_eval=False)
        doublings = 0  # the most halvings (<= number of blocks) that divide the image size
        while doublings < len(channels) and image_size % 2 ** (doublings + 1) == 0:
            doublings += 1
        start = image_size // 2**doublings
        decoder: list[nn.Module] = [
            nn.Linear(latent_dim, 128), nn.LeakyReLU(), nn.Linear(128, channels[-1] * start * start),
            nn.LeakyReLU(), nn.Unflatten(1, (channels[-1], start, start)),
        ]
        c_prev = channels[-1]
        for step in range(doublings):
            c = channels[max(len(channels) - 2 - step, 0)]
            decoder += [nn.Upsample(scale_factor=2), nn.Conv2d(c_prev, c, 3, padding=1), nn.LeakyReLU()]
            c_prev = c
        decoder.append(nn.Conv2d(c_prev, in_channels, 3, padding=1))
        self.decoder = nn.Sequential(*decoder)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.noise(self.encoder(x)))


class ImageAutoencoderCompressor:
    """Compress images to ``latent_dim`` codes with a trained :class:`ConvAutoencoder`.

    Args:
        dataset: ``"mnist"`` or ``"cifar10"`` (chooses the architecture preset), or give
            ``architecture`` explicitly.
        epochs, lr, batch_size: Adam training settings.
        seed: seeds the initial weights and the batch order.
        latent_dim: overrides the preset's latent dimension.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
        progress: show a tqdm bar.
    """

    def __init__(self, dataset: str = "mnist", epochs: int = 200, lr: float = 1e-2, batch_size: int = 512,
                 seed: int = 0, latent_dim: int | None = None, device: str = "auto", progress: bool = True,
                 architecture: dict[str, Any] | None = None) -> None:
        if architecture is None:
            if dataset not in PRESETS:
                raise ValueError(f"no autoencoder preset for {dataset!r}; use one of {sorted(PRESETS)}")
            architecture = dict(PRESETS[dataset])
        if latent_dim is not None:
            architecture["latent_dim"] = int(latent_dim)
        self.architecture = architecture
        self.settings = {"dataset": dataset, "epochs": int(epochs), "lr": float(lr),
                         "batch_size": int(batch_size), "seed": int(seed)}
        self.latent_dim = int(architecture["latent_dim"])
        self.device, self.progress = device, progress
        self.history: list[float] = []
        torch.manual_seed(seed)
        self.model = ConvAutoencoder(**architecture)

    def _device(self) -> torch.device:
        return torch.device(resolve_device(self.device))

    def fit(self, x: np.ndarray | torch.Tensor) -> ImageAutoencoderCompressor:
        """Train on images (n, c, h, w); records the mean L1 loss of every epoch in ``history``."""
        from tqdm.auto import tqdm

        images = torch.as_tensor(np.asarray(x, dtype=np.float32))
        device = self._device()
        model = self.model.to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=self.settings["lr"])
        generator = torch.Generator().manual_seed(self.settings["seed"])
        torch.manual_seed(self.settings["seed"])
        size = self.settings["batch_size"]
        epochs = range(self.settings["epochs"])
        bar = tqdm(epochs, desc="autoencoder", unit="epoch", disable=not self.progress)
        for _ in bar:
            model.train()
            order = torch.randperm(len(images), generator=generator)
            total = 0.0
            for start in range(0, len(order), size):
                batch = images[order[start:start + size]].to(device)
                optimizer.zero_grad(set_to_none=True)
                loss = nn.functional.l1_loss(model(batch), batch)
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(batch)
            self.history.append(total / len(order))
            bar.set_postfix(l1=f"{self.history[-1]:.4f}")
        return self

    @torch.no_grad()
    def _apply(self, x: np.ndarray | torch.Tensor, fn: str, batch_size: int = 2000) -> np.ndarray:
        images = torch.as_tensor(np.asarray(x, dtype=np.float32))
        if images.ndim != 4:
            raise ValueError(
                f"image autoencoder expects images (n, c, h, w), got shape {tuple(images.shape)}"
            )
        device = self._device()
        self.model.to(device).eval()
        parts = [getattr(self.model, fn)(images[s:s + batch_size].to(device)).cpu()
                 for s in range(0, len(images), batch_size)]
        return torch.cat(parts).numpy().astype(np.float64)

    def transform(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        """Images (n, c, h, w) -> codes (n, latent_dim), float64, deterministic (eval mode)."""
        return self._apply(x, "encode")

    def reconstruction_error(self, x: np.ndarray | torch.Tensor) -> float:
        """Mean squared error of the reconstruction of images ``x`` (normalised pixel units^2)."""
        recon = self._apply(x, "forward")
        return float(np.mean((recon - np.asarray(x, dtype=np.float64)) ** 2))

    def save(self, path: str | Path) -> None:
        """Weights, architecture, settings and training history to one torch file (plain values)."""
        save_torch({"state": self.model.state_dict(), "architecture": dict(self.architecture),
                    "settings": dict(self.settings), "history": [float(h) for h in self.history]},
                   path, FILE_KIND, FILE_VERSION)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> ImageAutoencoderCompressor:
        """A compressor saved by :meth:`save`, ready to ``transform``; no code runs from the file."""
        remedy = "delete it and rerun `infoplane train-autoencoder` (snakemake remakes it)"
        if not Path(path).exists():
            raise ValueError(
                f"autoencoder {path} does not exist; train it with `infoplane train-autoencoder`"
            )
        stored = load_torch(path, FILE_KIND, FILE_VERSION, "autoencoder", remedy)
        require_keys(stored, ["state", "architecture", "settings", "history"], path, "autoencoder", remedy)
        try:
            self = cls(architecture=dict(stored["architecture"]), device=device, progress=False,
                       **stored["settings"])
            self.model.load_state_dict(stored["state"])
        except (TypeError, RuntimeError, KeyError) as err:
            raise ValueError(f"autoencoder {path} does not match this version's architecture "
                             f"({str(err).splitlines()[0]}): {remedy}") from None
        self.history = list(stored["history"])
        return self

    def describe(self) -> str:
        return json.dumps({**self.settings, **self.architecture}, sort_keys=True, default=list)
