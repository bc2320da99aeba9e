"""The baselines' Snakemake targets: the DAG, the schema, and a tiny end-to-end run (slow)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from tests.workflow.conftest import snakemake

TARGETS = ["szt_binning", "saxe_kde", "lorenzen_quantized", "goldfeld_sp"]


def test_targets_build_a_dag(workflow_copy):
    result = snakemake(workflow_copy, *TARGETS, "-n")
    assert result.returncode == 0, result.stderr
    for rule in ("train_szt_net", "estimate_szt_planes", "estimate_noisy_sp", "summarise_baseline",
                 "compute_ib_curve", "plot_baseline_plane", "plot_single_neuron", "plot_layer_scatter"):
        assert rule in result.stdout


def test_unknown_key_fails_at_start(workflow_copy):
    bad = workflow_copy / "bad.yaml"
    bad.write_text("baselines:\n  szt_binning:\n    run: {epochs: 3, learning_rate: 0.1}\n")
    result = snakemake(workflow_copy, "szt_binning", "-n", "--configfile", str(bad))
    assert result.returncode != 0
    assert "learning_rate" in result.stderr + result.stdout


@pytest.mark.slow
def test_tiny_end_to_end(workflow_copy):
    """Every baseline target on 1 seed x 3 epochs: sanity flags pass, figures and tables exist."""
    result = snakemake(workflow_copy, *TARGETS, "--cores", "2", "--configfile",
                       "tests/workflow/params.baselines-tiny.yaml", timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    for target in TARGETS:
        flags = json.loads((workflow_copy / f"results/metrics/baseline_{target}.json").read_text())
        assert flags["ok"] and flags["violations"] == 0
        assert flags["h_x_bits"] == pytest.approx(12.0)
        assert flags["h_y_bits"] == pytest.approx(0.99916, abs=1e-5)
        assert (workflow_copy / f"figures/{target}_plane.png").stat().st_size > 10_000
    for experiment in ("saxe_kde_mnist", "lorenzen_quantized_mnist"):  # made by saxe_kde, lorenzen_quantized
        flags = json.loads((workflow_copy / f"results/metrics/baseline_{experiment}.json").read_text())
        assert flags["ok"] and flags["h_x_bits"] == pytest.approx(math.log2(200))  # eval_size: 200
        assert 3.0 < flags["h_y_bits"] <= math.log2(10)
        assert (workflow_copy / f"figures/{experiment}_plane.png").stat().st_size > 10_000
    # the tiny config propagates only 100 samples (SP accuracy is tested in tests/unit); the
    # quadrature truth must still rise to ~2 bits at w = 0.5 and fall to 1 bit at w = 50
    neuron = pd.read_csv(workflow_copy / "results/baselines/goldfeld_sp/neuron.csv")
    truth = neuron["i_true"] / math.log(2)
    assert truth.max() > 1.9 and truth.iloc[-1] == pytest.approx(1.0, abs=0.01)
