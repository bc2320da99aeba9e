"""Autoencoder compressors (PyTorch): convolutional for images, dense for vectors.

The convolutional autoencoder follows Butakov et al.'s synthetic-image autoencoders, sized for
a CPU: Gaussian noise on the input (0.1); blocks of [conv 3x3, batch norm, LeakyReLU(0.2),
max-pool 2] until the image is 2x2; a dense layer to the code with tanh; a decoder that
mirrors it (noise 0.02 on the code, upsampling blocks, sigmoid output); mean absolute error;
Adam. Images whose side is not a power of two are zero-padded up to one and cropped back.

The dense autoencoder (for vectors such as layer outputs or LMI-style data) standardises each
coordinate, then d -> hidden... -> code (tanh) -> ...hidden -> d with LeakyReLU, mean squared
error.

Both are fitted on data separate from the samples they compress for estimation; the codes of
an autoencoder are a lossy compression, so MI between codes is a lower bound of the MI between
inputs unless the encoder is injective on the data's support.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from infoplane.arrays import InputTypeError, as_samples, to_array
from infoplane.parallel import resolve_device


class GaussianNoise(nn.Module):
    """Adds N(0, sigma^2) noise in training mode only (regularises the code, as in Keras)."""

    def __init__(self, sigma: float) -> None:
        super().__init__()
        self.sigma = sigma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.sigma > 0:
            return x + self.sigma * torch.randn_like(x)
        return x


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2)]


class ConvAutoencoder(nn.Module):
    """(n, C, size, size) images in [0, 1] <-> (n, latent_dim) codes in (-1, 1).

    Args:
        size: image side in pixels (padded internally to the next power of two).
        latent_dim: code dimension.
        input_noise, code_noise: training-time noise on the input and on the code.
        in_channels: C, channels of the images (1 for grey scale).
    """

    def __init__(self, size: int, latent_dim: int, input_noise: float = 0.1,
                 code_noise: float = 0.02, in_channels: int = 1) -> None:
        super().__init__()
        self.size, self.padded = size, 2 ** max(2, math.ceil(math.log2(size)))
        n_blocks = int(math.log2(self.padded)) - 1  # down to 2 x 2
        channels = [in_channels] + [min(8 * 2**i, 32) for i in range(n_blocks)]
        down: list[nn.Module] = [GaussianNoise(input_noise)]
        for c_in, c_out in zip(channels[:-1], channels[1:], strict=True):
            down += [*_block(c_in, c_out), nn.MaxPool2d(2)]
        flat = channels[-1] * 4
        self.encoder = nn.Sequential(*down, nn.Flatten(), nn.Linear(flat, latent_dim), nn.Tanh())
        up: list[nn.Module] = [GaussianNoise(code_noise), nn.Linear(latent_dim, flat), nn.LeakyReLU(0.2),
                               nn.Unflatten(1, (channels[-1], 2, 2))]
        rev = channels[::-1]
        for c_in, c_out in zip(rev[:-2], rev[1:-1], strict=True):
            up += [nn.Upsample(scale_factor=2), *_block(c_in, c_out)]
        up += [nn.Upsample(scale_factor=2), nn.Conv2d(rev[-2], in_channels, 3, padding=1), nn.Sigmoid()]
        self.decoder = nn.Sequential(*up)

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        extra = self.padded - self.size
        return nn.functional.pad(x, (0, extra, 0, extra)) if extra else x

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(self._pad(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)[..., : self.size, : self.size]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class DenseAutoencoder(nn.Module):
    """(n, dim) standardised vectors <-> (n, latent_dim) codes in (-1, 1)."""

    def __init__(self, dim: int, latent_dim: int, hidden: tuple[int, ...] = (128, 64),
                 input_noise: float = 0.1, code_noise: float = 0.02) -> None:
        super().__init__()
        widths = [dim, *hidden]
        down: list[nn.Module] = [GaussianNoise(input_noise)]
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            down += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        self.encoder = nn.Sequential(*down, nn.Linear(widths[-1], latent_dim), nn.Tanh())
        up: list[nn.Module] = [GaussianNoise(code_noise)]
        rev = [latent_dim, *widths[::-1]]
        for a, b in zip(rev[:-2], rev[1:-1], strict=True):
            up += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        self.decoder = nn.Sequential(*up, nn.Linear(rev[-2], rev[-1]))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class AutoencoderCompressor:
    """Compress with an autoencoder: convolutional for (n, H, W) images, dense for (n, d) vectors.

    Args:
        latent_dim: code dimension (Butakov et al. use the latent dimension of the task).
        epochs, batch_size, lr: Adam training schedule.
        hidden: widths of the dense autoencoder's hidden layers (ignored for images).
        input_noise, code_noise: training-time Gaussian noise on the input and on the code.
        seed: seed of the initialisation, the noise and the batch order.
        device: ``"auto"`` (CUDA when present), ``"cpu"`` or ``"cuda"``.
        progress: show a progress bar over epochs.
    """

    def __init__(self, latent_dim: int, epochs: int = 100, batch_size: int = 128, lr: float = 1e-3,
                 hidden: tuple[int, ...] | list[int] = (128, 64), input_noise: float = 0.1,
                 code_noise: float = 0.02, seed: int = 0, device: str = "auto",
                 progress: bool = False) -> None:
        if latent_dim < 1:
            raise ValueError(f"ae: latent_dim must be >= 1, got {latent_dim}")
        if epochs < 1 or batch_size < 1 or lr <= 0:
            raise ValueError(f"ae: epochs, batch_size and lr must be positive, got {epochs}, {batch_size}, "
                             f"{lr}")
        self.latent_dim, self.epochs, self.batch_size = int(latent_dim), int(epochs), int(batch_size)
        self.lr, self.hidden = float(lr), tuple(int(h) for h in hidden)
        self.input_noise, self.code_noise = float(input_noise), float(code_noise)
        self.seed, self.device, self.progress = int(seed), device, progress
        self.model: ConvAutoencoder | DenseAutoencoder | None = None
        self.input_shape: tuple[int, ...] = ()
        self.mean: np.ndarray | None = None  # per-coordinate standardisation (vectors only)
        self.std: np.ndarray | None = None
        self.history: list[float] = []  # mean training loss per epoch

    # --- configuration and persistence ---------------------------------------------------

    def config(self) -> dict[str, Any]:
        return {"latent_dim": self.latent_dim, "epochs": self.epochs, "batch_size": self.batch_size,
                "lr": self.lr, "hidden": list(self.hidden), "input_noise": self.input_noise,
                "code_noise": self.code_noise, "seed": self.seed}

    def _build(self, input_shape: tuple[int, ...]) -> ConvAutoencoder | DenseAutoencoder:
        if len(input_shape) in (2, 3):  # (H, W) or (C, H, W)
            channels = 1 if len(input_shape) == 2 else input_shape[0]
            height, width = input_shape[-2:]
            if height != width:
                raise ValueError(f"ae: images must be square, got {input_shape}")
            return ConvAutoencoder(height, self.latent_dim, self.input_noise, self.code_noise,
                                   in_channels=channels)
        if len(input_shape) == 1:
            return DenseAutoencoder(input_shape[0], self.latent_dim, self.hidden, self.input_noise,
                                    self.code_noise)
        raise ValueError(f"ae: samples must be vectors (n, d) or images (n, H, W) or (n, C, H, W), got "
                         f"sample shape {input_shape}")

    def state(self) -> dict[str, Any]:
        """Everything needed to rebuild the fitted compressor (tensors and plain values)."""
        model = self._fitted()
        return {"kind": "ae", "config": self.config(), "input_shape": list(self.input_shape),
                "state_dict": {k: v.cpu() for k, v in model.state_dict().items()},
                "mean": None if self.mean is None else torch.from_numpy(self.mean),
                "std": None if self.std is None else torch.from_numpy(self.std),
                "history": self.history}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> AutoencoderCompressor:
        comp = cls(**state["config"])
        comp.input_shape = tuple(state["input_shape"])
        comp.model = comp._build(comp.input_shape)
        comp.model.load_state_dict(state["state_dict"])
        comp.model.eval()
        comp.mean = None if state["mean"] is None else state["mean"].numpy()
        comp.std = None if state["std"] is None else state["std"].numpy()
        comp.history = list(state["history"])
        return comp

    # --- the Compressor interface --------------------------------------------------------

    def _fitted(self) -> ConvAutoencoder | DenseAutoencoder:
        if self.model is None:
            raise ValueError("ae: call fit() before transform()")
        return self.model

    def _check(self, x: Any, fitting: bool = False) -> np.ndarray:
        """Samples as float64: (n, d) vectors, (n, H, W) images, or (n, C, H, W) (C = 1 squeezed).

        Outside ``fit`` they must have the fitted samples' shape; a fit may change it.
        """
        x = to_array(x, "ae input")
        if x.ndim == 4 and x.shape[1] == 1:
            x = x[:, 0]  # one channel: the same model as (n, H, W)
        if x.ndim == 2:
            x = as_samples(x, "ae input")
        elif x.ndim in (3, 4):
            if x.dtype == bool:
                raise InputTypeError("ae input is boolean; cast the images to float")
            x = x.astype(np.float64)
            if not np.all(np.isfinite(x)):
                raise ValueError("ae input contains NaN or infinite values; remove or impute them")
        else:
            raise ValueError(f"ae: expected (n, d) vectors or (n, H, W) / (n, C, H, W) images, got shape "
                             f"{x.shape}")
        if not fitting and self.input_shape and x.shape[1:] != self.input_shape:
            raise ValueError(f"ae: fitted on samples of shape {self.input_shape}, got {x.shape[1:]}")
        return x

    def _to_tensor(self, x: np.ndarray) -> torch.Tensor:
        """Samples -> the model's input: standardised vectors, or (n, 1, H, W) images."""
        if len(self.input_shape) == 1:
            x = (x - self.mean) / self.std
        t = torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32)
        return t[:, None] if t.ndim == 3 else t  # (n, H, W) -> (n, 1, H, W); (n, C, H, W) as is

    def fit(self, x: np.ndarray) -> AutoencoderCompressor:
        """Train on (n, d) vectors, or (n, H, W) or (n, C, H, W) images in [0, 1]."""
        x = self._check(x, fitting=True)
        if x.ndim > 2 and (x.min() < 0.0 or x.max() > 1.0):
            # the convolutional decoder ends in a sigmoid: it would learn the mean image and
            # give codes that keep nothing, with no error to say so
            raise ValueError(f"ae: images must be intensities in [0, 1] (the decoder's output ends in a "
                             f"sigmoid), these span [{x.min():.3g}, {x.max():.3g}]; rescale them, or pass "
                             "them as (n, d) vectors for the dense autoencoder, which standardises them")
        # set only now: a refused fit leaves the compressor as it was, so a retry is not checked
        # against samples it never trained on
        self.input_shape = tuple(x.shape[1:])
        if len(self.input_shape) == 1:
            self.mean, std = x.mean(axis=0), x.std(axis=0)
            self.std = np.where(std > 0, std, 1.0)
        torch.manual_seed(self.seed)
        device = torch.device(resolve_device(self.device))
        model = self._build(self.input_shape).to(device)
        data = self._to_tensor(x).to(device)
        loss_fn = nn.L1Loss() if len(self.input_shape) == 2 else nn.MSELoss()
        optimiser = torch.optim.Adam(model.parameters(), lr=self.lr)
        order = torch.Generator().manual_seed(self.seed)
        epochs = range(self.epochs)
        if self.progress:
            from tqdm.auto import tqdm

            epochs = tqdm(epochs, desc=f"ae:{self.latent_dim}", unit="epoch")
        self.history = []
        model.train()
        for _ in epochs:
            total = 0.0
            for batch in torch.randperm(len(data), generator=order).split(self.batch_size):
                optimiser.zero_grad()
                loss = loss_fn(model(data[batch]), data[batch])
                loss.backward()
                optimiser.step()
                total += loss.item() * len(batch)
            self.history.append(total / len(data))
            if self.progress:
                epochs.set_postfix(loss=f"{self.history[-1]:.4f}")
        model.eval()
        self.model = model.cpu()
        return self

    @torch.no_grad()
    def transform(self, x: np.ndarray) -> np.ndarray:
        """(n, ...) -> (n, latent_dim) float64 codes (noise off)."""
        model = self._fitted()
        t = self._to_tensor(self._check(x))
        return torch.cat([model.encode(b) for b in t.split(4096)]).double().numpy()

    @torch.no_grad()
    def reconstruct(self, x: np.ndarray) -> np.ndarray:
        """(n, ...) -> (n, ...) reconstructions in the input's units."""
        model = self._fitted()
        t = self._to_tensor(self._check(x))
        out = torch.cat([model(b) for b in t.split(4096)]).double().numpy()
        if len(self.input_shape) == 1:
            return out * self.std + self.mean
        return out[:, 0] if len(self.input_shape) == 2 else out

    def reconstruction_error(self, x: np.ndarray) -> float:
        """Mean squared reconstruction error on ``x`` (input units squared)."""
        return float(np.mean((self.reconstruct(x) - self._check(x)) ** 2))
