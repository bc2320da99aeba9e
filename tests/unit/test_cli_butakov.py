"""The information-plane subcommands fail cleanly on bad input."""

from __future__ import annotations

from pathlib import Path

from infoplane.cli import main

MNIST = str(Path(__file__).resolve().parents[2] / "experiments" / "butakov_mnist.yaml")


def test_train_without_the_dataset_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("INFOPLANE_DATA_ROOT", raising=False)
    code = main(["train", "--experiment", MNIST, "--seed", "0", "--run-dir", str(tmp_path / "run"),
                 "--data-root", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "mnist not found" in err and "download=True" in err
    assert not (tmp_path / "run" / "summary.json").exists()


def test_unknown_setting_is_refused(tmp_path, capsys):
    code = main(["train", "--experiment", MNIST, "--seed", "0", "--run-dir", str(tmp_path),
                 "--set", "train.learnig_rate=1"])
    assert code == 2 and "no such setting" in capsys.readouterr().err


def test_analyse_without_a_run(tmp_path, capsys):
    ae = tmp_path / "ae.pt"
    code = main(["analyse", "--experiment", MNIST, "--seed", "0", "--run-dir", str(tmp_path),
                 "--autoencoder", str(ae), "--out", str(tmp_path / "mi.csv")])
    assert code == 2 and "train-autoencoder" in capsys.readouterr().err
