"""The `infoplane` command: JSON output, files, and one-line errors with a non-zero exit."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from infoplane.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "infoplane", *args], capture_output=True, text=True)


def test_estimate_from_npy_prints_one_json_line(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3000, 1))
    y = x + 0.5 * rng.standard_normal((3000, 1))  # I = 1/2 log(1 + 1/0.25) = 0.8047 nats
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    result = run_cli("estimate", "--x", str(tmp_path / "x.npy"), "--y", str(tmp_path / "y.npy"),
                     "--estimator", "ksg", "--param", "k=5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["estimator"] == "ksg" and record["n"] == 3000 and record["seconds"] > 0
    assert record["estimator_params"]["k"] == 5
    assert record["mi_estimate"] == pytest.approx(0.5 * np.log(5.0), abs=0.05)
    assert record["ci_lo"] < record["mi_estimate"] < record["ci_hi"]


def test_sample_estimate_aggregate_plot(tmp_path: Path) -> None:
    samples, records = [], []
    for seed in (0, 1):
        samples.append(str(tmp_path / f"s{seed}.npz"))
        assert main(["sample", "--task", "gaussian-pairs", "--param", "dim_x=2", "--param", "dim_y=2",
                     "--param", "mi=1.5", "--n", "2000", "--seed", str(seed), "--out", samples[-1]]) == 0
        records.append(str(tmp_path / f"r{seed}.json"))
    # one process, two files, one record each (the pipeline batches estimates this way)
    assert main(["estimate", "--samples", *samples, "--estimator", "wkl", "--out", *records]) == 0
    assert [json.loads(Path(r).read_text())["seed"] for r in records] == [0, 1]
    table_path, metrics_path = tmp_path / "t.csv", tmp_path / "m.json"
    assert main(["aggregate", *records, "--out", str(table_path), "--metrics", str(metrics_path)]) == 0
    table = pd.read_csv(table_path)
    assert list(table["mi_true"]) == [1.5, 1.5]
    assert np.all(np.abs(table["mi_estimate"] - 1.5) < 0.15)
    metrics = json.loads(metrics_path.read_text())
    assert metrics["wkl"]["mae"] == pytest.approx(np.mean(np.abs(table["mi_estimate"] - 1.5)))
    fig = tmp_path / "f.png"
    assert main(["plot", "validation", "--table", str(table_path), "--out", str(fig)]) == 0
    assert fig.stat().st_size > 10_000


def test_labels_from_csv(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 2000)
    np.savetxt(tmp_path / "x.csv", labels[:, None] * 3.0 + 0.5 * rng.random((2000, 1)), delimiter=",")
    np.savetxt(tmp_path / "y.csv", labels, delimiter=",", fmt="%d")
    result = run_cli("estimate", "--x", str(tmp_path / "x.csv"), "--y", str(tmp_path / "y.csv"),
                     "--discrete-y", "--estimator", "kl")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["mi_estimate"] == pytest.approx(np.log(2), abs=0.05)


@pytest.mark.parametrize(("args", "message"), [
    (["estimate", "--x", "X", "--y", "Y", "--estimator", "ksg"], "does not exist"),
    (["estimate", "--samples", "S", "--estimator", "nope"], "unknown estimator 'nope'"),
    (["sample", "--task", "nope", "--n", "10", "--out", "o.npz"], "unknown task 'nope'"),
    (["estimate", "--samples", "S", "--estimator", "ksg", "--param", "k"], "KEY=VALUE"),
    (["estimate", "--samples", "S", "T", "--estimator", "ksg", "--out", "o.json"], "as many --out"),
])
def test_errors_are_one_line_without_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "infoplane", *args], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_nan_input_via_cli(tmp_path: Path) -> None:
    x = np.random.default_rng(0).standard_normal((100, 2))
    x[3, 1] = np.nan
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.ones((100, 1)))
    result = run_cli("estimate", "--x", str(tmp_path / "x.npy"), "--y", str(tmp_path / "y.npy"),
                     "--estimator", "ksg")
    assert result.returncode == 2 and "x contains 1 NaN or infinite values" in result.stderr
