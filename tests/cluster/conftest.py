"""Tests that submit jobs to a real SLURM scheduler: the single-node cluster of
scripts/local-slurm.sh, started here when it is not running and stopped again afterwards."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "local-slurm.sh"


def local_slurm(command: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), command], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[None]:
    """A running SLURM scheduler on this machine (the local one, started if needed)."""
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip("snakemake-executor-plugin-slurm is not installed: pip install -e '.[workflow]'")
    if local_slurm("status").returncode == 0:
        yield  # someone else started it: leave it running
        return
    if shutil.which("slurmctld", path=f"{os.environ.get('PATH', '')}:/usr/sbin") is None:
        pytest.skip("SLURM is not installed: run `sudo scripts/local-slurm.sh install`")
    if os.geteuid() != 0:
        pytest.skip("starting the local SLURM needs root: run `sudo scripts/local-slurm.sh start` first")
    started = local_slurm("start")
    if started.returncode != 0:
        local_slurm("stop")
        pytest.fail(f"the local SLURM did not start:\n{started.stdout}{started.stderr}")
    try:
        yield
    finally:
        local_slurm("stop")
