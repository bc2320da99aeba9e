"""Workflow-test helpers: a temporary copy of the project, and Snakemake / DVC run as subprocesses.

The copies hold only what the workflow reads (Snakefile, workflow/, params.yaml, profiles/,
paper/claims.yaml, and tests/workflow for its overlays); the `infoplane` CLI that rules call is the
installed package, so a test never writes results into the checkout it runs from.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT_FILES = ["Snakefile", "params.yaml", "workflow", "profiles", "experiments", "paper/claims.yaml",
                 "environment.yml", "tests/workflow"]


def tool_env() -> dict[str, str]:
    """The environment for subprocesses: this interpreter's bin first (snakemake, dvc, infoplane),
    the repository's src/ importable, one BLAS thread per job."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = f"{REPO / 'src'}{os.pathsep}{env.get('PYTHONPATH', '')}"
    env.setdefault("OMP_NUM_THREADS", "1")
    env["INFOPLANE_DATA_ROOT"] = env.get("INFOPLANE_DATA_ROOT", str((REPO / "../shared/datasets").resolve()))
    return env


def run(args: list[str], cwd: Path, check: bool = True, timeout: float = 600,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run a command (``["snakemake", ...]`` or ``["dvc", ...]``) with :func:`tool_env` plus ``env``;
    its stdout and stderr together are the result's ``stdout`` (Snakemake logs to either)."""
    module = {"snakemake": ["-m", "snakemake"], "dvc": ["-m", "dvc"]}.get(args[0])
    command = [sys.executable, *module, *args[1:]] if module else args
    result = subprocess.run(command, cwd=cwd, env={**tool_env(), **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}")
    return result


def copy_project(dest: Path) -> Path:
    """Copy the workflow files into ``dest`` (an empty or new directory) and return it."""
    for name in PROJECT_FILES:
        source, target = REPO / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, target)
    return dest


def planned_jobs(output: str, *wildcards: str) -> Counter:
    """(rule, the value of each named wildcard, "" where a job has none) -> planned jobs, from a
    dry run's listing (`snakemake -n`)."""
    jobs: Counter = Counter()
    for block in re.split(r"\n(?=\s*(?:local)?rule \w+:)", output):
        rule = re.match(r"\s*(?:local)?rule (\w+):", block)
        if rule:
            listed = re.search(r"wildcards: (.*)", block)
            values = dict(pair.split("=", 1) for pair in listed.group(1).split(", ")) if listed else {}
            jobs[(rule.group(1), *(values.get(name, "") for name in wildcards))] += 1
    return jobs
