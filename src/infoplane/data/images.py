"""MNIST and CIFAR-10 through torchvision, from the configured data root, never downloaded.

torchvision's own dataset classes read the files (MNIST from ``ROOT/MNIST/raw``, CIFAR-10 from
``ROOT/cifar-10-batches-py``, checking the md5 of every CIFAR-10 batch file), so the data are
exactly what torchvision users get. ``download=False`` always: this machine has no internet,
and a missing dataset is an error that says how to get it.

Images come back as float32 tensors (n, channels, height, width), normalised per channel with
the usual training-set mean and standard deviation (MNIST 0.1307 / 0.3081, as Butakov et al.),
or with ``normalise=False`` as raw pixels / 255 in [0, 1] (Saxe et al. and Lorenzen et al.);
labels as int64 tensors (n,).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

#: Per-channel mean and standard deviation of each training set, and the number of classes.
NORMALISATION = {
    "mnist": ((0.1307,), (0.3081,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}
DATASETS = tuple(NORMALISATION)

_HOW_TO_GET = {
    "mnist": "put the four idx files (train-images-idx3-ubyte, ...) under {root}/MNIST/raw, or on a "
             "machine with internet run: python -c \"import torchvision; "
             "torchvision.datasets.MNIST('{root}', download=True)\"",
    "cifar10": "put cifar-10-batches-py/ (from https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz) "
               "under {root}, or on a machine with internet run: python -c \"import torchvision; "
               "torchvision.datasets.CIFAR10('{root}', download=True)\"",
}


def load_images(
    name: str, root: str | Path, train: bool, normalise: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """One split of a dataset as tensors.

    Args:
        name: ``"mnist"`` or ``"cifar10"``.
        root: the data root (see :func:`infoplane.data.data_root`).
        train: the training split (MNIST 60,000 / CIFAR-10 50,000) or the test split (10,000).
        normalise: standardise each channel (True) or keep pixels / 255 in [0, 1] (False).

    Returns:
        images (n, c, h, w) float32; labels (n,) int64.

    Raises:
        ValueError: for an unknown name, or when the files are missing or corrupted (the
            message says where they must be and how to get them).
    """
    from torchvision import datasets

    if name not in NORMALISATION:
        raise ValueError(f"unknown image dataset {name!r}; available: {', '.join(DATASETS)}")
    cls = {"mnist": datasets.MNIST, "cifar10": datasets.CIFAR10}[name]
    try:
        dataset = cls(str(root), train=train, download=False)
    except RuntimeError as err:  # torchvision: "Dataset not found or corrupted ..."
        raise ValueError(
            f"{name} not found (or corrupted) under {root}: {err}. To get it, "
            + _HOW_TO_GET[name].format(root=root)
        ) from None
    pixels = np.asarray(dataset.data)  # MNIST: (n, 28, 28) uint8; CIFAR-10: (n, 32, 32, 3) uint8
    images = torch.as_tensor(pixels, dtype=torch.float32) / 255.0
    images = images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2)
    labels = torch.as_tensor(np.asarray(dataset.targets), dtype=torch.int64)
    if not normalise:
        return images.contiguous(), labels
    mean, std = (torch.tensor(v).view(1, -1, 1, 1) for v in NORMALISATION[name])
    return ((images - mean) / std).contiguous(), labels


def eval_subset(n_total: int, size: int | None, seed: int) -> np.ndarray:
    """Rows of a fixed evaluation subset: all rows in order when ``size`` is None or covers
    them, else ``size`` rows drawn without replacement by ``seed`` (sorted ascending)."""
    if size is None or size >= n_total:
        return np.arange(n_total)
    if size < 1:
        raise ValueError(f"eval_size must be >= 1, got {size}")
    return np.sort(np.random.default_rng(seed).choice(n_total, size=size, replace=False))


def image_data(name: str, root: str | Path, eval_source: str = "test", eval_size: int | None = None,
               eval_seed: int = 0, train_size: int | None = None, normalise: bool = True):
    """Training, test and evaluation tensors of an image dataset for :func:`infoplane.train.train`.

    Args:
        name: ``"mnist"`` or ``"cifar10"``.
        root: the data root.
        eval_source: ``"test"`` (Butakov et al.'s MNIST choice) or ``"train"`` (their CIFAR-10
            choice) split from which the evaluation set is taken.
        eval_size: evaluation rows (None: the whole split), a fixed subset drawn by ``eval_seed``
            and kept in one row order by every stored file.
        eval_seed: seed of that subset (independent of the training seed, so every seed of an
            experiment is evaluated on the same images).
        train_size: use only the first ``train_size`` training images (None: all), for tests
            and quick runs.
        normalise: standardise the pixels (True) or keep them in [0, 1] (False).

    Returns:
        a :class:`infoplane.train.TensorData` whose ``eval_index`` gives the evaluation rows
        in the ``eval_source`` split.
    """
    from infoplane.train import TensorData

    if eval_source not in ("train", "test"):
        raise ValueError(f"eval_source must be 'train' or 'test', got {eval_source!r}")
    train_x, train_y = load_images(name, root, train=True, normalise=normalise)
    test_x, test_y = load_images(name, root, train=False, normalise=normalise)
    if train_size is not None:
        train_x, train_y = train_x[:train_size], train_y[:train_size]
    source_x, source_y = (test_x, test_y) if eval_source == "test" else (train_x, train_y)
    index = eval_subset(len(source_x), eval_size, eval_seed)
    rows = torch.as_tensor(index)
    return TensorData(train_x, train_y, test_x, test_y, source_x[rows], source_y[rows], eval_index=index)
