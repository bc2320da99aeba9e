"""Adding an experiment is one new file: experiments/<name>.yaml, named in params.yaml's
`experiments` section (here through --configfile), and its target runs train -> analyse ->
combine -> plot with no rule or code written for it.

The MI table it makes is checked against numbers recomputed here from the stored activations:
the first layer's I(X;T) is the plug-in entropy of its binned rows (X is uniform over the 4096
distinct SZT inputs and the layer is a function of X), its I(T;Y) the plug-in MI of those rows
with the labels.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from infoplane.runstore import load_activations, load_eval_set
from infoplane.tables import load_table
from infoplane.train import capture_schedule

from .conftest import snakemake

NAME = "szt_tiny_relu6"
EXPERIMENT = f"""\
# A new experiment written for this test: the SZT network with two activations, binned.
name: {NAME}
paper: a test of the experiment model
title: SZT 12-bit task, tanh against ReLU, binning (tiny)
dataset: {{name: szt, split: stratified, test_fraction: 0.2}}
network: {{name: szt-mlp, activation: tanh, init: trunc-fan-in}}
train: {{optimizer: adam, lr: 4.0e-4, batch_size: 512, epochs: 3, loss: nll}}
capture:
  schedule: {{log_points: 1}}
  dtype: float32
device: cpu
seeds: 1
variants:
  tanh: {{network: {{activation: tanh}}}}
  relu: {{network: {{activation: relu}}}}
analyses:
  szt: {{kind: layer, estimator: binning, params: {{scheme: szt}}}}
panels:
  - {{variant: tanh, analysis: szt, title: "tanh, 30 bins on [-1, 1]"}}
  - {{variant: relu, analysis: szt, title: "ReLU, 30 bins on [-1, 1] (clipped)"}}
"""
SZT_EDGES = np.linspace(-1.0, 1.0, 30)  # Shwartz-Ziv & Tishby's 30 edges; the top bin takes v >= 1
SZT_LAYERS = 6  # 12-10-7-5-4-3-2: T1..T6
H_Y_BITS = 0.99916  # the SZT task's labels


def plugin_entropy(codes: np.ndarray) -> float:
    """Plug-in entropy (nats) of the rows of ``codes`` (n, d)."""
    _, counts = np.unique(codes, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def binned(values: np.ndarray) -> np.ndarray:
    return np.clip(np.digitize(values, SZT_EDGES) - 1, 0, len(SZT_EDGES) - 1)


@pytest.mark.slow
def test_a_new_experiment_file_runs_end_to_end(workflow_copy: Path) -> None:
    (workflow_copy / "experiments" / f"{NAME}.yaml").write_text(EXPERIMENT)
    # seed by seed, so that the stored activations can be checked against the table
    (workflow_copy / "add.yaml").write_text(f"experiments:\n  {NAME}: {{batch_seeds: false}}\n")
    done = snakemake(workflow_copy, NAME, "--cores", "2", "--configfile", "add.yaml", timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for rule in ("train_run", "analyse_run", "combine_runs", "plot_experiment"):
        assert f"rule {rule}:" in done.stdout + done.stderr

    table = load_table(workflow_copy / "results" / "mi" / NAME / "table.csv")
    epochs = capture_schedule(3, log_points=1)
    layers = [f"T{i}" for i in range(1, SZT_LAYERS + 1)]
    assert set(table["experiment"]) == {NAME} and set(table["analysis"]) == {"szt"}
    assert set(table["estimator"]) == {"binning"} and set(table["seed"]) == {0}
    # one row per variant x epoch x layer, no more
    keys = set(zip(table["variant"], table["epoch"], table["layer"], strict=True))
    assert keys == {(v, e, t) for v in ("tanh", "relu") for e in epochs for t in layers}
    assert len(table) == len(keys)
    assert np.allclose(table["h_x"], math.log(4096), rtol=0, atol=1e-12)  # 12 bits
    assert np.allclose(table["h_y"] / math.log(2), H_Y_BITS, rtol=0, atol=1e-5)
    assert (table["i_xl"] >= -1e-12).all() and (table["i_xl"] <= table["h_x"] + 1e-9).all()
    assert (table["i_ly"] >= -1e-12).all() and (table["i_ly"] <= table["h_y"] + 1e-9).all()

    # T1 recomputed from the stored activations of every run and epoch
    for variant in ("tanh", "relu"):
        run_dir = workflow_copy / "results" / "runs" / NAME / variant / "seed-0"
        _, eval_labels, _ = load_eval_set(run_dir)
        assert len(np.unique(load_eval_set(run_dir)[0], axis=0)) == 4096  # X: the distinct inputs
        for epoch in epochs:
            acts, labels = load_activations(run_dir, epoch)
            assert np.array_equal(labels, eval_labels)
            first = binned(next(iter(acts.values())))  # the first stored layer is T1
            assert first.shape == (4096, 10)
            h_t = plugin_entropy(first)
            i_ty = h_t + plugin_entropy(labels[:, None]) - plugin_entropy(np.column_stack([first, labels]))
            row = table[(table["variant"] == variant) & (table["epoch"] == epoch) & (table["layer"] == "T1")]
            assert row["i_xl"].item() == pytest.approx(h_t, abs=1e-9), (variant, epoch)
            assert row["i_ly"].item() == pytest.approx(i_ty, abs=1e-9), (variant, epoch)

    aggregated = load_table(workflow_copy / "results" / "mi" / NAME / "aggregated.csv")
    assert len(aggregated) == len(keys)  # one seed: one aggregated row per table row
    assert (workflow_copy / "results" / "metrics" / f"{NAME}.json").stat().st_size > 0
    for kind in ("plane", "epochs"):
        assert (workflow_copy / "figures" / f"{NAME}_{kind}.png").stat().st_size > 10_000
        assert (workflow_copy / "figures" / f"{NAME}_{kind}.pdf").stat().st_size > 5_000


@pytest.mark.parametrize("batch_seeds", [True, False])
def test_the_new_file_is_valid_and_plans_its_jobs(workflow_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                  batch_seeds: bool) -> None:
    """The quick half: the file loads (one seed, both variants) and its target plans, per variant,
    one train_seeds job (an MLP with binning MI: its seeds train at once) or, with `batch_seeds:
    false`, one training and one analysis per seed; one combine and one plot, and nothing of the
    other experiments."""
    from infoplane.experiments.spec import load_experiment

    (workflow_copy / "experiments" / f"{NAME}.yaml").write_text(EXPERIMENT)
    flag = "true" if batch_seeds else "false"
    (workflow_copy / "add.yaml").write_text(f"experiments:\n  {NAME}: {{batch_seeds: {flag}}}\n")
    monkeypatch.chdir(workflow_copy)
    spec = load_experiment(NAME, "quick")
    assert spec["seeds"] == [0] and list(spec["variants"]) == ["tanh", "relu"]
    planned = snakemake(workflow_copy, NAME, "-n", "--quiet", "rules", "--configfile", "add.yaml")
    assert planned.returncode == 0, planned.stderr[-3000:]
    counts = {line.split()[0]: int(line.split()[1]) for line in planned.stdout.splitlines()
              if len(line.split()) == 2 and line.split()[1].isdigit() and line.split()[0] != "total"}
    steps = {"train_seeds": 2} if batch_seeds else {"train_run": 2, "analyse_run": 2}
    assert counts == {"fetch_data": 1, **steps, "combine_runs": 1, "plot_experiment": 1, NAME: 1}
