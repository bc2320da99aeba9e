"""The workflow itself: lint, a dry run at the default params, and a tiny real run whose table
values are checked against the closed-form MI (tests/workflow/params.tiny.yaml)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workflow_helpers import REPO, run

from infoplane.config import scaled


def job_counts(dry_run_output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run as {rule: count}."""
    table = dry_run_output.split("Job stats:")[1].split("total")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.MULTILINE)}


def test_lint_is_clean(project: Path) -> None:
    lint = run(["snakemake", "--lint"], project).stdout
    assert "Congratulations, your workflow is in a good condition!" in lint


def test_dry_run_at_default_params_plans_every_job(project: Path) -> None:
    counts = job_counts(run(["snakemake", "-n"], project).stdout)
    vg = scaled(yaml.safe_load((REPO / "params.yaml").read_text()))["validation_gaussian"]
    cells = len(vg["dims"]) * len(vg["mi"]) * len(vg["seeds"])
    assert counts["sample_gaussian"] == cells
    assert counts["estimate_gaussian"] == cells * len(vg["estimators"])
    assert counts["report"] == 1 and counts["all"] == 1


def test_tiny_run_estimates_near_the_truth_and_leaves_nothing_to_do(project: Path) -> None:
    shutil.copy(REPO / "tests/workflow/params.tiny.yaml", project / "tiny.yaml")
    run(["snakemake", "--cores", "2", "--configfile", "tiny.yaml"], project)

    table = pd.read_csv(project / "results/estimators/validation_gaussian.csv")
    assert sorted(table["estimator"]) == ["ksg", "ksg", "wkl", "wkl"]
    assert sorted(table["mi_true"]) == [0.0, 0.0, 1.0, 1.0]
    # 1-D Gaussians, n = 2000: KSG's standard deviation is about 0.02 nats and 1-NN KL's (WKL in
    # 1-D) about 0.04, with bias below 0.01; 0.15 nats (Butakov's atol 0.1 + rtol 5 % at 1 nat)
    # is over three standard deviations.
    error = (table["mi_estimate"] - table["mi_true"]).abs()
    assert error.max() < 0.15, table[["estimator", "mi_true", "mi_estimate"]]
    assert (table["ci_lo"] <= table["mi_estimate"]).all() and (table["mi_estimate"] <= table["ci_hi"]).all()

    # The report read its number from that table: the WKL claim's worst excess over the tolerance.
    wkl = table[table["estimator"] == "wkl"]
    excess = ((wkl["mi_estimate"] - wkl["mi_true"]).abs() - (0.1 + 0.05 * wkl["mi_true"])).max()
    report = (project / "paper/report.md").read_text()
    assert f"| [wkl_gaussian_tolerance](#wkl_gaussian_tolerance) | butakov2024 | {excess:.4g} |" in report
    assert "| not run |" in report  # experiments not in this workflow yet
    assert (project / "figures/estimator_validation_gaussian.png").stat().st_size > 10_000

    dry = run(["snakemake", "-n", "--configfile", "tiny.yaml"], project).stdout
    assert "Nothing to be done" in dry


@pytest.mark.slow
def test_rule_all_reaches_every_rule(project: Path) -> None:
    """Every rule but the data fetch (which no experiment consumes yet) is part of the default run."""
    counts = job_counts(run(["snakemake", "-n"], project).stdout)
    output = run(["snakemake", "--list-rules"], project).stdout
    listed = [line.strip() for line in output.splitlines() if re.fullmatch(r"\w+", line.strip())]
    assert set(listed) - set(counts) <= {"fetch_data", "validation_gaussian"}
