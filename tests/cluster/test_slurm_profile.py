"""profiles/slurm plans the paper-scale workflow with a request for every job (no scheduler needed):
each submitted job names its memory and time, and only code that runs on CUDA asks for a GPU."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.workflow.conftest import snakemake
from tests.workflow.workflow_helpers import copy_project

# The rules whose code takes `--device auto` and trains on CUDA when a GPU is there.
GPU_RULES = {"train_butakov", "train_image_autoencoder"}


def planned_resources(output: str) -> dict[str, list[dict[str, str]]]:
    """rule -> the resources of each of its planned jobs, from a dry run's listing."""
    plan: dict[str, list[dict[str, str]]] = {}
    for block in re.split(r"\n(?=\s*(?:local)?rule \w+:)", output):
        rule = re.match(r"\s*(?:local)?rule (\w+):", block)
        listed = re.search(r"resources: (.*)", block)
        if rule and listed:
            pairs = dict(item.split("=", 1) for item in listed.group(1).split(", "))
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
    assert {"train_szt_net", "train_butakov", "estimate_gaussian", "sample_gaussian"} <= set(plan)
    for rule, jobs in plan.items():
        if rule == "all":
            continue
        for job in jobs:
            assert int(job["mem_mb"]) >= 1000 and int(job["runtime"]) >= 10, (rule, job)
            assert (int(job.get("gpu", 0)) > 0) == (rule in GPU_RULES), (rule, job)
    # The baseline networks' time follows their epochs: MNIST 784-1024-... for 10,000 epochs on
    # all 60,000 images needs far longer than an SZT network.
    runtimes = sorted(int(job["runtime"]) for job in plan["train_szt_net"])
    assert runtimes[0] < 60 < 600 < runtimes[-1]
