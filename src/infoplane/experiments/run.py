"""Train one run (experiment, variant, seed) into its run directory; train the X autoencoder.

    run_dir = train_run(spec, "tanh", 0, "results/runs/szt_binning/tanh/seed-0")

The run directory is :func:`infoplane.train.train`'s (activations captured by the Recorder on
the evaluation set, history, checkpoint, summary), plus ``weights/epoch-NNNN.pt`` for every
captured epoch when ``capture.weights`` is true (sample propagation runs the network itself,
not one draw of its activations). config.json's ``metadata`` says which experiment, variant
and seed the run is, the variant's settings, the split, and the table name of every stored
layer (``layer_names``: ``layers.0`` -> ``T1`` for the MLPs).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from infoplane.experiments.build import (
    build_data,
    build_network,
    capture_layers,
    table_layer_names,
    train_config,
)
from infoplane.experiments.spec import variant
from infoplane.files import load_torch
from infoplane.train import train

#: What ``train`` writes in a run directory; ``restart`` removes these (and only these).
RUN_FILES = ("checkpoint.pt", "summary.json", "history.csv", "config.json", "eval_set.npz")


def weights_path(run_dir: str | os.PathLike[str], epoch: int) -> Path:
    """Where the weights of a captured epoch are kept."""
    return Path(run_dir) / "weights" / f"epoch-{epoch:04d}.pt"


def train_run(
    spec: dict[str, Any], variant_name: str, seed: int, run_dir: str | os.PathLike[str],
    data_root: str | Path | None = None, device: str | None = None, threads: int | None = None,
    progress: bool = False, restart: bool = False,
) -> Path:
    """Train seed ``seed`` of variant ``variant_name`` of the experiment ``spec`` into ``run_dir``.

    Args:
        spec: a loaded experiment (:func:`infoplane.experiments.load_experiment`).
        variant_name: one of ``spec["variants"]``.
        seed: seeds the initial weights, the SZT split, the batch order and the noise.
        run_dir: the run directory (created); an unfinished run in it resumes.
        data_root: dataset root (None: $INFOPLANE_DATA_ROOT or the default).
        device: ``cpu``, ``cuda`` or ``auto`` (None: the experiment's ``device``).
        threads: torch CPU threads (None: torch's default).
        progress: a progress bar.
        restart: remove what an earlier run left in ``run_dir`` first.

    Returns:
        ``run_dir``.
    """
    run_dir = Path(run_dir)
    settings = variant(spec, variant_name)
    data, split = build_data(settings, seed, data_root)
    model = build_network(settings, seed)
    layers = capture_layers(settings, model)
    config = train_config(settings, seed, layers, device=device, threads=threads, progress=progress)
    if restart:
        clear_run(run_dir)
    callbacks = []
    if settings["capture"].get("weights", False):
        (run_dir / "weights").mkdir(parents=True, exist_ok=True)

        def keep_weights(epoch: int, _row: dict[str, float]) -> None:
            if epoch in config.capture_epochs:
                torch.save(model.state_dict(), weights_path(run_dir, epoch))

        callbacks.append(keep_weights)
    metadata = {"experiment": spec["name"], "variant": variant_name, "seed": int(seed), "settings": settings,
                "split": split, "layer_names": table_layer_names(settings, layers)}
    train(model, data, config, run_dir, callbacks=callbacks, metadata=metadata)
    return run_dir


def clear_run(run_dir: str | os.PathLike[str]) -> None:
    """Remove the files a training run writes (only those), so that it starts afresh."""
    run_dir = Path(run_dir)
    for name in RUN_FILES:
        (run_dir / name).unlink(missing_ok=True)
    for pattern in ("activations/epoch-*.npz", "weights/epoch-*.pt"):
        for path in run_dir.glob(pattern):
            path.unlink()


def load_network(settings: dict[str, Any], seed: int, run_dir: str | os.PathLike[str],
                 epoch: int) -> nn.Module:
    """The run's network with the weights kept for ``epoch``, in eval mode."""
    path = weights_path(run_dir, epoch)
    if not path.exists():
        raise ValueError(f"no weights for epoch {epoch} in {run_dir} ({path} missing); train the run "
                         "with capture.weights: true")
    model = build_network(settings, seed)
    remedy = f"delete {run_dir} and train the run again"
    model.load_state_dict(load_torch(path, "weights", 1, "weights file", remedy))
    return model.eval()


def train_x_autoencoder(
    spec: dict[str, Any], out: str | os.PathLike[str], data_root: str | Path | None = None,
    device: str = "auto", threads: int | None = None, progress: bool = False,
) -> dict[str, Any]:
    """Train the image autoencoder that compresses X (``spec["x_autoencoder"]``) and save it.

    Trained on the first ``train_size`` training images (None: all) of the experiment's dataset.

    Returns:
        a report: the file, the number of training images, the final L1 loss, the test MSE and
        the latent standard deviations on 2000 test images.

    Raises:
        ValueError: when the latent collapsed (a code dimension with std < 1e-4 on test images
            makes every later kNN estimate degenerate); nothing is saved then.
    """
    from infoplane.compression.image_autoencoder import ImageAutoencoderCompressor
    from infoplane.data import data_root as resolve_data_root
    from infoplane.data.images import load_images

    if threads:
        torch.set_num_threads(threads)
    settings = spec["x_autoencoder"]
    dataset = spec["dataset"]["name"]
    root = resolve_data_root(None if data_root is None else str(data_root))
    images, _ = load_images(dataset, root, train=True)
    if settings.get("train_size"):
        images = images[: int(settings["train_size"])]
    compressor = ImageAutoencoderCompressor(
        dataset, epochs=int(settings["epochs"]), lr=float(settings["lr"]),
        batch_size=int(settings["batch_size"]), seed=int(settings.get("seed", 0)),
        latent_dim=int(settings["latent_dim"]), device=device, progress=progress,
    ).fit(images)
    test, _ = load_images(dataset, root, train=False)
    spread = compressor.transform(test[:2000]).std(axis=0)
    if spread.min() < 1e-4:
        raise ValueError(f"the autoencoder collapsed (latent std {spread.round(6).tolist()} on test images); "
                         "lower x_autoencoder.lr or raise x_autoencoder.epochs")
    compressor.save(out)
    return {"out": str(out), "train_images": len(images), "final_l1": compressor.history[-1],
            "test_mse": compressor.reconstruction_error(test[:2000]), "latent_std": spread.tolist(),
            **compressor.settings}
