"""Workflow tests run Snakemake on a copy of the repository's workflow in a temporary folder
(helpers for running Snakemake and DVC: workflow_helpers.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from .workflow_helpers import copy_project, tool_env


@pytest.fixture
def workflow_copy(tmp_path: Path) -> Path:
    """A temporary folder holding the workflow files (and tests/workflow), data root pointed back here."""
    return copy_project(tmp_path)


def snakemake(workdir: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run snakemake in ``workdir`` with this interpreter's environment on PATH."""
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=workdir, env=tool_env(),
        capture_output=True, text=True, timeout=timeout,
    )
