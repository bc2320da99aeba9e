"""The information-plane subcommands fail cleanly on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from infoplane.cli import main
from infoplane.runstore import write_eval_set

MNIST = "butakov_mnist"
ROOT = Path(__file__).resolve().parents[2]
RUN = ["--experiment", MNIST, "--variant", "base", "--seed", "0"]


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch):
    """Experiment names are looked up in experiments/ of the working directory."""
    monkeypatch.chdir(ROOT)


def test_train_without_the_dataset_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("INFOPLANE_DATA_ROOT", raising=False)
    code = main(["train", *RUN, "--run-dir", str(tmp_path / "run"),
                 "--data-root", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "mnist not found" in err and "download=True" in err
    assert not (tmp_path / "run" / "summary.json").exists()


def test_unknown_setting_is_refused(tmp_path, capsys):
    code = main(["train", *RUN, "--run-dir", str(tmp_path),
                 "--set", "train.learnig_rate=1"])
    assert code == 2 and "no such setting" in capsys.readouterr().err


def stub_run(run_dir: Path) -> Path:
    """The files a CNN run directory starts with (config, history, evaluation set), no activations:
    enough for ``analyse`` to reach the point where it opens the autoencoder."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps({"train": {"layers": ["L1", "L2", "L3", "L4", "L5"]}}))
    (run_dir / "history.csv").write_text("epoch,test_acc,train_acc\n0,0.1,0.1\n")
    write_eval_set(run_dir, np.zeros((4, 1, 28, 28)), np.arange(4), np.arange(4))
    return run_dir


def test_analyse_without_a_run(tmp_path, capsys):
    code = main(["analyse", *RUN,
                 "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path / "mi.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "not a run directory" in err and "train it first" in err


def test_analyse_without_the_autoencoder_says_how_to_make_it(tmp_path, capsys):
    run_dir = stub_run(tmp_path / "run")
    code = main(["analyse", *RUN, "--run-dir", str(run_dir), "--out", str(tmp_path / "mi.csv")])
    assert code == 2 and "train-autoencoder" in capsys.readouterr().err
    assert not (tmp_path / "mi.csv").exists()


def test_analyse_with_a_missing_autoencoder_file_says_how_to_make_it(tmp_path, capsys):
    run_dir = stub_run(tmp_path / "run")
    code = main(["analyse", *RUN, "--run-dir", str(run_dir), "--autoencoder", str(tmp_path / "ae.pt"),
                 "--out", str(tmp_path / "mi.csv")])
    err = capsys.readouterr().err
    assert code == 2 and str(tmp_path / "ae.pt") in err and "train-autoencoder" in err
    assert not (tmp_path / "mi.csv").exists()
