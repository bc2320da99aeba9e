"""The noise-injected CNN classifiers of Butakov et al. (2024), layer by layer.

Each analysed layer is a named block ``L1`` .. ``L5`` of an ``nn.Sequential``, so
``model.get_submodule("L3")`` is the block whose output is the layer L3 of the paper and a
forward hook on it records that output. Noise is injected at the input of every block, the
image included; dropout precedes the three convolutions in training only.

MNIST (input 1 x 28 x 28; flattened outputs 1352 / 400 / 32 / 32 / 10):

    L1  noise, dropout, conv 3x3 1->8 (no padding), max-pool 2, LeakyReLU      8 x 13 x 13
    L2  noise, dropout, conv 3x3 8->16,            max-pool 2, LeakyReLU      16 x 5 x 5
    L3  noise, dropout, conv 3x3 16->32,           max-pool 2, LeakyReLU, flatten    32
    L4  noise, dense 32->32, LeakyReLU                                               32
    L5  noise, dense 32->10, LogSoftmax (log-probabilities; train with NLL)           10

CIFAR-10 (input 3 x 32 x 32): the same with 'same' padding, so L1 = 8 x 16 x 16 = 2048,
L2 = 16 x 8 x 8 = 1024, L3 = 32 x 4 x 4 = 512 (flattened), L4 = dense 512->32, L5 = 10.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from infoplane.nets.noise import NoiseInjection, NoiseKind

#: The names of the analysed layers, in forward order.
LAYERS = ("L1", "L2", "L3", "L4", "L5")


def _conv_block(
    noise: NoiseInjection, dropout: float, c_in: int, c_out: int, padding: int
) -> list[nn.Module]:
    conv = nn.Conv2d(c_in, c_out, 3, padding=padding)
    return [noise, nn.Dropout(dropout), conv, nn.MaxPool2d(2), nn.LeakyReLU()]


def noisy_cnn(
    in_channels: int,
    image_size: int,
    padding: int,
    sigma: float = 1e-3,
    noise: NoiseKind = "relative",
    detach_scale: bool = False,
    noise_in_eval: bool = True,
    dropout: float = 0.1,
    n_classes: int = 10,
) -> nn.Sequential:
    """The paper's CNN for square images; returns log-probabilities of shape (n, n_classes).

    Args:
        in_channels, image_size: input shape (n, in_channels, image_size, image_size).
        padding: 0 (MNIST network) or 1 ('same', CIFAR-10 network) for every 3x3 conv.
        sigma: noise scale of every :class:`NoiseInjection` (relative: noise-to-signal ratio).
        noise, detach_scale, noise_in_eval: see :class:`NoiseInjection`.
        dropout: dropout probability before each convolution (training only).
        n_classes: outputs of L5.
    """
    def inject() -> NoiseInjection:
        return NoiseInjection(sigma, noise, detach_scale, noise_in_eval)

    size = image_size
    for _ in range(3):  # conv (shrinks by 2 without padding), then pool halves (floor)
        size = (size - 2 + 2 * padding) // 2
    flat = 32 * size * size
    blocks = OrderedDict(
        L1=nn.Sequential(*_conv_block(inject(), dropout, in_channels, 8, padding)),
        L2=nn.Sequential(*_conv_block(inject(), dropout, 8, 16, padding)),
        L3=nn.Sequential(*_conv_block(inject(), dropout, 16, 32, padding), nn.Flatten()),
        L4=nn.Sequential(inject(), nn.Linear(flat, 32), nn.LeakyReLU()),
        L5=nn.Sequential(inject(), nn.Linear(32, n_classes), nn.LogSoftmax(dim=1)),
    )
    return nn.Sequential(blocks)


def mnist_cnn(**noise_params) -> nn.Sequential:
    """The MNIST classifier (layer outputs 1352 / 400 / 32 / 32 / 10); see :func:`noisy_cnn`."""
    return noisy_cnn(in_channels=1, image_size=28, padding=0, **noise_params)


def cifar10_cnn(**noise_params) -> nn.Sequential:
    """The CIFAR-10 classifier (layer outputs 2048 / 1024 / 512 / 32 / 10); see :func:`noisy_cnn`."""
    return noisy_cnn(in_channels=3, image_size=32, padding=1, **noise_params)


def lorenzen_conv(**params) -> nn.Module:
    """Lorenzen et al.'s quantised Conv network (:mod:`infoplane.nets.quantized_cnn`)."""
    from infoplane.nets.quantized_cnn import LorenzenConv

    return LorenzenConv(**params)


#: Model builders by the name experiment files use.
MODELS = {"butakov_mnist_cnn": mnist_cnn, "butakov_cifar10_cnn": cifar10_cnn, "lorenzen_conv": lorenzen_conv}


def build_model(name: str, **params) -> nn.Module:
    """Build a network by name (``MODELS``) with keyword parameters."""
    try:
        builder = MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(sorted(MODELS))}") from None
    try:
        return builder(**params)
    except TypeError as err:
        raise ValueError(f"bad parameters for model {name!r}: {err}") from None
