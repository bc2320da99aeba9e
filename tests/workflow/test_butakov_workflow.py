"""End to end on the real MNIST: `snakemake butakov_mnist` at a tiny size in a temporary copy."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from tests.workflow.conftest import snakemake

TINY = """
butakov:
  mnist:
    experiment: experiments/butakov_mnist.yaml
    seeds: [0, 1]
    device: cpu
    set:
      train.epochs: 2
      data.eval_size: 300
      autoencoder.epochs: 1
      autoencoder.train_size: 2000
"""


@pytest.mark.slow
def test_butakov_mnist_tiny(workflow_copy):
    (workflow_copy / "tiny.yaml").write_text(TINY)
    done = snakemake(workflow_copy, "-c2", "butakov_mnist", "--configfile", "tiny.yaml", timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = pd.read_csv(workflow_copy / "results" / "mi" / "butakov_mnist.csv")
    assert set(table["seed"]) == {0, 1} and set(table["epoch"]) == {0, 1, 2}
    assert len(table) == 2 * 3 * 6  # seeds x epochs x (L1..L5, exp(L5))
    plain = table[table["layer"] != "exp(L5)"]
    assert plain[["i_xl", "i_ly"]].notna().all().all()
    assert (plain["i_ly_lo"] <= plain["i_ly"]).all() and (plain["i_ly"] <= plain["i_ly_hi"]).all()
    # A flagged value may leave [0, ln 10]; an unflagged one may not.
    clean = plain[plain["flags"].fillna("") == ""]
    assert ((clean["i_ly"] >= 0) & (clean["i_ly"] <= math.log(10))).all()
    metrics = json.loads((workflow_copy / "results" / "metrics" / "butakov_mnist.json").read_text())
    assert metrics["final"]["seed-0"]["test_acc"] > 0.5  # two epochs at lr 1e-3 learn MNIST
    for name in ("infoplane", "mi_epoch"):
        assert (workflow_copy / "figures" / f"butakov_mnist_{name}.pdf").stat().st_size > 10_000
    # A second call finds everything done and trains nothing.
    again = snakemake(workflow_copy, "-c2", "butakov_mnist", "--configfile", "tiny.yaml", "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
