"""Every experiment end to end at a tiny size (slow): `snakemake <experiment>` in a temporary copy
with tests/workflow/params.experiments-tiny.yaml (1 seed, 2-3 epochs; Butakov et al.'s CNN 2 seeds
x 2 epochs), then the values: the information limits, sanity, accuracy, figures, and the single
neuron's closed-form truth (the DAGs and the bad-key checks: test_experiments_dag.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infoplane.tables import load_table

from .conftest import snakemake

TINY = "tests/workflow/params.experiments-tiny.yaml"
SZT = ["szt_binning", "saxe_kde", "lorenzen_quantized", "goldfeld_sp"]
MNIST = ["saxe_kde_mnist", "lorenzen_quantized_mnist"]
TOL = 1e-9  # nats: the limits are exact for plug-in estimates (and the SP tolerance of today)


def within_limits(table) -> np.ndarray:
    """Rows with 0 <= I(X;T) <= H(X) and 0 <= I(T;Y) <= H(Y) (nats, tolerance TOL)."""
    return ((table["i_xl"] >= -TOL) & (table["i_xl"] <= table["h_x"] + TOL)
            & (table["i_ly"] >= -TOL) & (table["i_ly"] <= table["h_y"] + TOL)).to_numpy()


def check_experiment(project: Path, name: str, h_x: float) -> tuple[Any, dict[str, Any]]:
    """The checks every non-Butakov experiment passes; returns its MI table and sanity metrics."""
    table = load_table(project / "results" / "mi" / name / "table.csv")
    assert set(table["experiment"]) == {name} and set(table["seed"]) == {0}
    assert np.allclose(table["h_x"], h_x, rtol=0, atol=1e-12), name
    assert within_limits(table).all(), table[~within_limits(table)]
    flags = json.loads((project / "results" / "metrics" / f"{name}.json").read_text())["sanity"]
    assert flags["ok"] and flags["violations"] == 0, (name, flags)
    assert flags["h_x_bits"] == pytest.approx(h_x / math.log(2)), name
    assert (project / "figures" / f"{name}_plane.png").stat().st_size > 10_000
    assert (project / "figures" / f"{name}_epochs.png").stat().st_size > 10_000
    return table, flags


@pytest.mark.slow
def test_tiny_end_to_end(workflow_copy: Path) -> None:
    """The SZT and MNIST experiments on 1 seed x 3 (MNIST 2) epochs: limits, sanity, figures."""
    result = snakemake(workflow_copy, *SZT, *MNIST, "--cores", "2", "--configfile", TINY, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name in SZT:
        table, flags = check_experiment(workflow_copy, name, math.log(4096))
        assert flags["h_x_bits"] == pytest.approx(12.0)
        assert flags["h_y_bits"] == pytest.approx(0.99916, abs=1e-5)
        assert np.allclose(table["h_y"] / math.log(2), 0.99916, rtol=0, atol=1e-5)
    for name in MNIST:
        table, flags = check_experiment(workflow_copy, name, math.log(200))  # eval_size: 200
        assert 3.0 < flags["h_y_bits"] <= math.log2(10)
        h_y_bits = table["h_y"] / math.log(2)
        assert ((h_y_bits > 3.0) & (h_y_bits <= math.log2(10))).all()
    for kind in ("neuron", "scatter"):
        assert (workflow_copy / "figures" / f"goldfeld_sp_{kind}.png").stat().st_size > 10_000
    # the teacher-student task: two students fitted in 30 epochs; X_rel and X_irr independent, so
    # I(T;X) >= I(T;X_rel) + I(T;X_irr) in every row
    assert (workflow_copy / "figures" / "saxe_kde_teacher.png").stat().st_size > 10_000
    teacher = load_table(workflow_copy / "results" / "mi" / "saxe_kde" / "teacher.csv")
    assert sorted(teacher["seed"].unique()) == [0, 1]
    by_part = teacher.pivot_table(index=["seed", "epoch"], columns="analysis", values="i_xl")
    assert (by_part["input"] >= by_part["relevant"] + by_part["irrelevant"] - 1e-9).all()
    losses = teacher.groupby("epoch")["test_loss"].mean()
    assert losses.iloc[-1] < 0.5 * losses.iloc[0]
    # the tiny config propagates only 100 samples (SP accuracy is tested in tests/unit); the
    # quadrature truth must still rise to ~2 bits at w = 0.5 and fall to 1 bit at w = 50
    neuron = load_table(workflow_copy / "results" / "mi" / "goldfeld_sp" / "neuron.csv")
    truth = neuron["i_true"] / math.log(2)
    assert truth.max() > 1.9 and truth.iloc[-1] == pytest.approx(1.0, abs=0.01)


@pytest.mark.slow
def test_butakov_mnist_tiny(workflow_copy: Path) -> None:
    """Butakov et al.'s CNN, 2 seeds x 2 epochs on 300 test images, compressed kNN analysis."""
    done = snakemake(workflow_copy, "-c2", "butakov_mnist", "--configfile", TINY, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = load_table(workflow_copy / "results" / "mi" / "butakov_mnist" / "table.csv")
    assert set(table["seed"]) == {0, 1} and set(table["epoch"]) == {0, 1, 2}
    assert set(table["analysis"]) == {"per-epoch"}  # the quick scale drops `fixed`
    assert set(table["variant"]) == {"base", "shuffled_labels", "frozen"}
    assert len(table) == 3 * 2 * 3 * 6  # variants x seeds x epochs x (L1..L5, exp(L5))
    # The controls are controls: frozen weights keep the test accuracy of initialisation (only
    # the evaluation noise differs), shuffled labels teach nothing about the test set.
    accuracy = table[table["layer"] == "L1"].set_index(["variant", "seed", "epoch"])["test_acc"]
    for seed in (0, 1):
        assert abs(accuracy["frozen", seed, 2] - accuracy["frozen", seed, 0]) < 0.02
        assert accuracy["shuffled_labels", seed, 2] < 0.3 < accuracy["base", seed, 2]
    assert set(table["layer"]) == {"L1", "L2", "L3", "L4", "L5", "exp(L5)"}
    assert np.allclose(table["h_x"], math.log(300), rtol=0, atol=1e-12)  # eval_size: 300
    plain = table[table["layer"] != "exp(L5)"]
    assert plain[["i_xl", "i_ly"]].notna().all().all()
    assert (plain["i_ly_lo"] <= plain["i_ly"]).all() and (plain["i_ly"] <= plain["i_ly_hi"]).all()
    # A flagged value may leave [0, ln 10]; an unflagged one may not.
    clean = plain[plain["flags"] == ""]
    assert ((clean["i_ly"] >= 0) & (clean["i_ly"] <= math.log(10))).all()
    last = table[(table["variant"] == "base") & (table["seed"] == 0) & (table["epoch"] == 2)]
    assert (last["test_acc"] > 0.5).all()  # two epochs at lr 1e-3 learn MNIST
    metrics = json.loads((workflow_copy / "results" / "metrics" / "butakov_mnist.json").read_text())
    assert metrics["final"]["base/seed-0"]["test_acc"] > 0.5
    for kind in ("plane", "epochs"):
        assert (workflow_copy / "figures" / f"butakov_mnist_{kind}.pdf").stat().st_size > 10_000
    # A second call finds everything done and trains nothing.
    again = snakemake(workflow_copy, "-c2", "butakov_mnist", "--configfile", TINY, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
