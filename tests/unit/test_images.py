"""Image loaders through torchvision, and row alignment of inputs, labels and layer outputs.

CIFAR-10 is not on this machine, so the tests write a small stand-in in torchvision's on-disk
format (cifar-10-batches-py: pickled dicts with ``data`` (n, 3072) uint8 and ``labels``) and
read it with the real ``torchvision.datasets.CIFAR10``. torchvision checks every file against
the md5 of the official release; the stand-in has other bytes, so the tests replace the
class's md5 table by the md5s of the files they wrote (``monkeypatch``). The integrity check
itself still runs on every file, which ``test_cifar10_integrity_check_still_runs`` shows.
"""

from __future__ import annotations

import hashlib
import pickle

import numpy as np
import pytest
import torch
from torchvision.datasets import CIFAR10

from infoplane.data.images import NORMALISATION, eval_subset, image_data, load_images
from infoplane.nets.cnn import cifar10_cnn
from infoplane.runstore import load_activations, load_eval_set
from infoplane.train import TrainConfig, seeded, train

N_PER_BATCH, N_TEST = 12, 10


def _images(n: int, offset: int, rng: np.random.Generator) -> tuple[np.ndarray, list[int]]:
    """Images whose pixels encode their own label and row: channel 0 is label * 25 everywhere,
    pixel (1, 0, 0) is the row mod 256 and (2, 0, 0) the row // 256; the rest is noise."""
    labels = rng.integers(0, 10, n)
    img = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    img[:, 0] = (labels * 25)[:, None, None]
    rows = np.arange(offset, offset + n)
    img[:, 1, 0, 0], img[:, 2, 0, 0] = rows % 256, rows // 256
    return img.reshape(n, 3072), labels.tolist()


@pytest.fixture
def cifar_root(tmp_path, monkeypatch):
    folder = tmp_path / CIFAR10.base_folder
    folder.mkdir()
    rng = np.random.default_rng(0)
    md5 = {}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for b, name in enumerate(names):
        n = N_TEST if name == "test_batch" else N_PER_BATCH
        data, labels = _images(n, offset=1000 if name == "test_batch" else b * N_PER_BATCH, rng=rng)
        (folder / name).write_bytes(pickle.dumps({"data": data, "labels": labels, "batch_label": name}))
        md5[name] = hashlib.md5((folder / name).read_bytes()).hexdigest()
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"class{i}" for i in range(10)]}))
    monkeypatch.setattr(CIFAR10, "train_list", [[n, md5[n]] for n in names[:5]])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    meta_md5 = hashlib.md5((folder / "batches.meta").read_bytes()).hexdigest()
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": meta_md5})
    return tmp_path


def decode(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels, rows) written into normalised CIFAR images by ``_images``."""
    mean, std = (np.array(v)[None, :] for v in NORMALISATION["cifar10"])
    corner = np.rint((images[:, :, 0, 0] * std + mean) * 255).astype(int)
    return corner[:, 0] // 25, corner[:, 1] + 256 * corner[:, 2]


def test_cifar10_loads_through_torchvision(cifar_root):
    x, y = load_images("cifar10", cifar_root, train=True)
    assert x.shape == (5 * N_PER_BATCH, 3, 32, 32) and x.dtype == torch.float32 and y.dtype == torch.int64
    labels, rows = decode(x.numpy())
    np.testing.assert_array_equal(labels, y.numpy())
    np.testing.assert_array_equal(rows, np.arange(5 * N_PER_BATCH))
    xt, _ = load_images("cifar10", cifar_root, train=False)
    assert xt.shape == (N_TEST, 3, 32, 32)


def test_cifar10_integrity_check_still_runs(cifar_root):
    batch = cifar_root / CIFAR10.base_folder / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ValueError, match="cifar10 not found \\(or corrupted\\)"):
        load_images("cifar10", cifar_root, train=True)


def test_missing_datasets_say_how_to_get_them(tmp_path):
    with pytest.raises(ValueError, match="MNIST/raw.*download=True"):
        load_images("mnist", tmp_path, train=True)
    with pytest.raises(ValueError, match="cifar-10-batches-py.*download=True"):
        load_images("cifar10", tmp_path, train=False)
    with pytest.raises(ValueError, match="unknown image dataset"):
        load_images("svhn", tmp_path, train=True)


def test_inputs_labels_and_layer_outputs_stay_aligned(cifar_root, tmp_path):
    """The bug of the original CIFAR-10 notebook was X from a shuffled loader paired with L from
    an unshuffled one. Here the evaluation set is a random subset of the training images,
    training shuffles them every epoch, and stored inputs, labels and layer outputs still agree
    row by row, each row carrying its source index in its own pixels."""
    data = image_data("cifar10", cifar_root, eval_source="train", eval_size=25, eval_seed=7)
    labels, rows = decode(data.eval_x.numpy())
    np.testing.assert_array_equal(rows, data.eval_index)  # eval row i is source row index[i]
    np.testing.assert_array_equal(labels, data.eval_y.numpy())
    # sigma = 0: the first noise layer is the identity, so its output is the input image itself.
    config = TrainConfig(epochs=2, batch_size=16, lr=1e-3, seed=0, layers=("L1.0", "L5"),
                         capture_epochs=(0, 2), progress=False)
    train(seeded(cifar10_cnn, 0, sigma=0.0), data, config, tmp_path / "run")
    inputs, stored_labels, index = load_eval_set(tmp_path / "run")
    for epoch in (0, 2):
        acts, epoch_labels = load_activations(tmp_path / "run", epoch)
        first = acts["L1.0"].reshape(inputs.shape)
        np.testing.assert_allclose(first, inputs, rtol=2**-10, atol=1e-3)  # float16 storage
        decoded_labels, decoded_rows = decode(first)
        np.testing.assert_array_equal(decoded_labels, epoch_labels)
        np.testing.assert_array_equal(decoded_rows, index)
    np.testing.assert_array_equal(stored_labels, data.eval_y.numpy())


def test_mnist_loader_when_present():
    from infoplane.data import data_root

    try:
        root = data_root("../shared/datasets")
    except ValueError:
        pytest.skip("MNIST is not available here")
    x, y = load_images("mnist", root, train=False)
    assert x.shape == (10000, 1, 28, 28) and len(y) == 10000
    # Normalised with the training-set statistics: the test set lands near mean 0, std 1.
    assert abs(float(x.mean())) < 0.02 and abs(float(x.std()) - 1) < 0.02
    assert np.bincount(y.numpy()).tolist()[:2] == [980, 1135]


def test_eval_subset_is_fixed_and_sorted():
    a, b = eval_subset(1000, 100, seed=3), eval_subset(1000, 100, seed=3)
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a)) == 100 and np.all(np.diff(a) > 0)
    np.testing.assert_array_equal(eval_subset(50, None, 0), np.arange(50))
