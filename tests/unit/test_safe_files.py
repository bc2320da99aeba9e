"""No code runs from a file: checkpoints, autoencoders and compressors are loaded with
``weights_only=True``; a crafted or damaged file is refused with one line that names the file and
says what to do."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from infoplane.cli import main
from infoplane.compression import make_compressor, save_compressor
from infoplane.compression.image_autoencoder import ImageAutoencoderCompressor
from infoplane.compression.specs import load_compressor
from infoplane.files import atomic_path, load_torch, save_torch
from infoplane.train import load_checkpoint, train

from .test_cli_butakov import stub_run
from .test_train import CONFIG, tiny_data, tiny_mlp

MNIST = str(Path(__file__).resolve().parents[2] / "experiments" / "butakov_mnist.yaml")
RUN = ["--experiment", MNIST, "--variant", "base", "--seed", "0"]


class Payload:
    """Unpickling this creates ``marker`` (a harmless stand-in for arbitrary code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _payload_torch(path: Path, marker: Path) -> None:
    """A torch file (zip format) whose pickle runs the payload: the shape of a real attack."""
    torch.save({"state": {}, "format": {"kind": "checkpoint", "version": 1}, "x": Payload(marker)}, path)


def _payload_pickle(path: Path, marker: Path) -> None:
    """A bare pickle (torch's legacy format) with the payload."""
    path.write_bytes(pickle.dumps({"model": Payload(marker)}))


def _damaged(kind: str, path: Path, good: bytes) -> None:
    if kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(4096))


def _one_clear_line(message: str, path: Path) -> None:
    assert "\n" not in message and str(path) in message, message


# --- the three loaders -------------------------------------------------------------------


def _good_checkpoint(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    train(tiny_mlp(), tiny_data(), CONFIG, run)
    return run / "checkpoint.pt"


def _good_autoencoder(tmp_path: Path) -> Path:
    ae = ImageAutoencoderCompressor(dataset="mnist", epochs=1, batch_size=8, progress=False)
    path = tmp_path / "ae.pt"
    ae.save(path)
    return path


def _good_compressor(tmp_path: Path) -> Path:
    path = tmp_path / "pca.pt"
    save_compressor(make_compressor("pca:2").fit(np.random.default_rng(0).normal(size=(50, 4))), path)
    return path


LOADERS = {
    "checkpoint": (_good_checkpoint, load_checkpoint, "--restart"),
    "autoencoder": (_good_autoencoder, ImageAutoencoderCompressor.load, "train-autoencoder"),
    "compressor": (_good_compressor, load_compressor, "fit-compressor"),
}


@pytest.mark.parametrize("which", sorted(LOADERS))
@pytest.mark.parametrize("writer", [_payload_torch, _payload_pickle])
def test_a_pickle_payload_does_not_run(tmp_path: Path, which: str, writer) -> None:
    _, load, remedy = LOADERS[which]
    path, marker = tmp_path / "bad.pt", tmp_path / "MARKER"
    writer(path, marker)
    assert not marker.exists()
    with pytest.raises(ValueError) as err:
        load(path)
    assert not marker.exists(), "the payload ran"
    _one_clear_line(str(err.value), path)
    assert "not loaded" in str(err.value) and remedy in str(err.value)


@pytest.mark.parametrize("which", sorted(LOADERS))
@pytest.mark.parametrize("damage", ["truncated", "empty", "random"])
def test_a_damaged_file_is_one_line_saying_what_to_do(tmp_path: Path, which: str, damage: str) -> None:
    make, load, remedy = LOADERS[which]
    good = make(tmp_path)
    load(good)  # the intact file loads
    bad = tmp_path / f"{damage}.pt"
    _damaged(damage, bad, good.read_bytes())
    with pytest.raises(ValueError) as err:
        load(bad)
    _one_clear_line(str(err.value), bad)
    assert remedy in str(err.value)


def test_a_file_of_another_kind_or_a_newer_version_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.pt"
    save_torch({"a": 1}, path, "compressor", 1)
    with pytest.raises(ValueError, match="is a 'compressor' file, not a 'checkpoint' file"):
        load_checkpoint(path)
    save_torch({"a": 1}, path, "checkpoint", 99)
    with pytest.raises(ValueError, match="format version 99"):
        load_torch(path, "checkpoint", 1, "checkpoint", "delete it")


def test_resuming_from_a_payload_checkpoint_refuses_and_runs_nothing(tmp_path: Path) -> None:
    run, marker = tmp_path / "run", tmp_path / "MARKER"
    run.mkdir()
    _payload_torch(run / "checkpoint.pt", marker)
    with pytest.raises(ValueError, match="--restart"):
        train(tiny_mlp(), tiny_data(), CONFIG, run)
    assert not marker.exists()


def test_cli_analyse_with_a_payload_autoencoder_is_exit_2_and_one_line(tmp_path: Path, capsys) -> None:
    ae, marker = tmp_path / "ae.pt", tmp_path / "MARKER"
    _payload_torch(ae, marker)
    run_dir = stub_run(tmp_path / "run")   # a run directory, so that analyse gets as far as the autoencoder
    code = main(["analyse", *RUN, "--run-dir", str(run_dir),
                 "--autoencoder", str(ae), "--out", str(tmp_path / "mi.csv")])
    err = capsys.readouterr().err
    assert code == 2 and not marker.exists()
    assert len(err.strip().splitlines()) == 1 and str(ae) in err and "Traceback" not in err


def test_atomic_path_leaves_nothing_behind_when_the_write_fails(tmp_path: Path) -> None:
    out = tmp_path / "table.csv"
    out.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert out.read_text() == "old\n" and os.listdir(tmp_path) == ["table.csv"]
