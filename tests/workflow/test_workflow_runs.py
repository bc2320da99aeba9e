"""The workflow as a whole: lint and the planned jobs at the default params (the tiny real run,
its table and its report: test_validation_workflow.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from infoplane.config import scaled
from infoplane.experiments.seeds import unbatchable_reason
from infoplane.experiments.spec import load_experiment, variant

from .test_rule_commands import refused_calls
from .workflow_helpers import REPO, run


def job_counts(dry_run_output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run as {rule: count}."""
    table = dry_run_output.split("Job stats:")[1].split("total")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.MULTILINE)}


def test_lint_is_clean(workflow_copy: Path) -> None:
    lint = run(["snakemake", "--lint"], workflow_copy).stdout
    assert "Congratulations, your workflow is in a good condition!" in lint


def test_dry_run_at_default_params_plans_every_job(workflow_copy: Path) -> None:
    output = run(["snakemake", "-n", "-p"], workflow_copy).stdout
    counts = job_counts(output)
    vg = scaled(yaml.safe_load((REPO / "params.yaml").read_text()))["validation_gaussian"]
    cells = len(vg["dims"]) * len(vg["mi"]) * len(vg["seeds"])
    assert counts["sample_gaussian"] == cells
    # estimates are batched: one job per dimension and estimator over the (MI, seed) grid
    assert counts["estimate_gaussian"] == len(vg["dims"]) * len(vg["estimators"])
    assert counts["report"] == 1 and counts["all"] == 1
    # every experiment params.yaml runs: one train_seeds job per variant whose seeds train at once,
    # one training and one analysis per (variant, seed) of the others, one combine
    running = [name for name, how in yaml.safe_load((REPO / "params.yaml").read_text())["experiments"].items()
               if how.get("run", True)]
    specs = [load_experiment(REPO / "experiments" / f"{name}.yaml", "quick") for name in running]
    stacked = [(spec, v) for spec in specs for v in spec["variants"]
               if unbatchable_reason(variant(spec, v)) is None]
    runs = sum(len(spec["variants"]) * len(spec["seeds"]) for spec in specs)
    assert counts["train_seeds"] == len(stacked) > 0
    one_by_one = runs - sum(len(spec["seeds"]) for spec, _ in stacked)
    assert counts["train_run"] == counts["analyse_run"] == one_by_one
    assert counts["combine_runs"] == counts["plot_experiment"] == len(running)
    # and every job's command line is one the CLI accepts (test_rule_commands.py)
    refused = refused_calls(output)
    assert not refused, "\n".join(refused)


# Rules that are entry points rather than steps: the per-experiment targets and `experiments`
# (`rule all` takes their `.input`, so they never appear as jobs of the default run), and the
# CIFAR-10 fetch: CIFAR-10 is not in the default run (`run: false`), its data are not offline.
ENTRY_RULES = {
    "fetch_cifar10", "validation_gaussian", "estimator_validation", "experiments",
    *yaml.safe_load((REPO / "params.yaml").read_text())["experiments"],
}


@pytest.mark.slow
def test_rule_all_reaches_every_rule(workflow_copy: Path) -> None:
    """Every rule but the entry points is a job of the default run: no rule is orphaned."""
    counts = job_counts(run(["snakemake", "-n"], workflow_copy).stdout)
    output = run(["snakemake", "--list-rules"], workflow_copy).stdout
    listed = [line.strip() for line in output.splitlines() if re.fullmatch(r"\w+", line.strip())]
    assert set(listed) - set(counts) <= ENTRY_RULES
