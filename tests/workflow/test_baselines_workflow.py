"""The baselines' Snakemake targets: the DAG, the schema, and a tiny end-to-end run (slow)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["szt_binning", "saxe_kde", "lorenzen_quantized", "goldfeld_sp"]
snakemake = shutil.which("snakemake")
needs_snakemake = pytest.mark.skipif(snakemake is None, reason="snakemake not installed")


def run_snakemake(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([snakemake, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@needs_snakemake
def test_targets_build_a_dag():
    result = run_snakemake(*TARGETS, "-n")
    assert result.returncode == 0, result.stderr
    for rule in ("train_szt_net", "estimate_szt_planes", "estimate_noisy_sp", "summarise_baseline",
                 "compute_ib_curve", "plot_baseline_plane", "plot_single_neuron", "plot_layer_scatter"):
        assert rule in result.stdout


@needs_snakemake
def test_unknown_key_fails_at_start(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("baselines:\n  szt_binning:\n    run: {epochs: 3, learning_rate: 0.1}\n")
    result = run_snakemake("szt_binning", "-n", "--configfile", str(bad))
    assert result.returncode != 0
    assert "learning_rate" in result.stderr + result.stdout


@pytest.mark.slow
@needs_snakemake
def test_tiny_end_to_end(tmp_path):
    """Every baseline target on 1 seed x 3 epochs in a copy of the repository."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".snakemake", "results", "logs", ".git", "figures"))
    data = (ROOT / "../shared/datasets").resolve()
    result = run_snakemake(*TARGETS, "--cores", "2", "--configfile", "tests/workflow/params.baselines-tiny.yaml",
                           "--config", f"data_root={data}", cwd=work)
    assert result.returncode == 0, result.stderr[-3000:]
    for target in TARGETS:
        flags = json.loads((work / f"results/metrics/baseline_{target}.json").read_text())
        assert flags["ok"] and flags["violations"] == 0
        assert flags["h_x_bits"] == pytest.approx(12.0)
        assert (work / f"figures/{target}_plane.png").stat().st_size > 10_000
    neuron = pd.read_csv(work / "results/baselines/goldfeld_sp/neuron.csv")
    assert ((neuron["i_sp"] - neuron["i_true"]).abs() / math.log(2)).max() < 0.05
