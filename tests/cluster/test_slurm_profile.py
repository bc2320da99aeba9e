"""profiles/slurm plans the paper-scale workflow with a request for every job (no scheduler needed):
each submitted job names its memory and time, and only code that runs on CUDA asks for a GPU."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from infoplane.experiments.spec import load_experiment
from tests.workflow.conftest import snakemake
from tests.workflow.workflow_helpers import REPO, copy_project

# The rules that train a network; they ask for a GPU when their experiment runs where CUDA is
# (`device: auto`, the Butakov CNNs and their autoencoder), never for the CPU-only MLPs.
TRAIN_RULES = {"train_run", "train_x_autoencoder"}
PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())


def on_cuda(experiment: str) -> bool:
    """Whether an experiment's networks run where CUDA is (params.yaml's device, else the file's)."""
    device = PARAMS["experiments"][experiment].get("device") or load_experiment(
        REPO / "experiments" / f"{experiment}.yaml", "paper")["device"]
    return device != "cpu"


def planned_resources(output: str) -> dict[str, list[dict[str, str]]]:
    """rule -> the resources of each of its planned jobs (plus its experiment wildcard, if any,
    under "experiment"), from a dry run's listing."""
    plan: dict[str, list[dict[str, str]]] = {}
    for block in re.split(r"\n(?=\s*(?:local)?rule \w+:)", output):
        rule = re.match(r"\s*(?:local)?rule (\w+):", block)
        listed = re.search(r"resources: (.*)", block)
        if rule and listed:
            pairs = dict(item.split("=", 1) for item in listed.group(1).split(", "))
            experiment = re.search(r"wildcards: .*?experiment=([\w.-]+)", block)
            if experiment:
                pairs["experiment"] = experiment.group(1)
            plan.setdefault(rule.group(1), []).append(pairs)
    return plan


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("snakemake_executor_plugin_slurm") is None,
                    reason="snakemake-executor-plugin-slurm is not installed")
def test_paper_scale_plan_requests_what_each_job_uses(tmp_path: Path) -> None:
    result = snakemake(copy_project(tmp_path), "--workflow-profile", "profiles/slurm", "-n",
                       "--config", "scale=paper")
    assert result.returncode == 0, result.stderr[-3000:]
    plan = planned_resources(result.stdout + result.stderr)
    assert {"train_run", "train_x_autoencoder", "analyse_run", "estimate_gaussian",
            "sample_gaussian"} <= set(plan)
    for rule, jobs in plan.items():
        if rule == "all":
            continue
        for job in jobs:
            assert int(job["mem_mb"]) >= 1000 and int(job["runtime"]) >= 10, (rule, job)
            wants_gpu = rule in TRAIN_RULES and on_cuda(job["experiment"])
            assert (int(job.get("gpu", 0)) > 0) == wants_gpu, (rule, job)
    assert any(int(job.get("gpu", 0)) > 0 for job in plan["train_run"])  # the Butakov CNNs
    # The CPU networks' time follows their epochs: MNIST 784-1024-... for 10,000 epochs on all
    # 60,000 images needs far longer than an SZT network.
    runtimes = sorted(int(job["runtime"]) for job in plan["train_run"] if not on_cuda(job["experiment"]))
    assert runtimes[0] < 60 < 600 < runtimes[-1]
