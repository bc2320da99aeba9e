"""Workflow tests run Snakemake on a copy of the repository's workflow in a temporary folder."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKFLOW_FILES = ["Snakefile", "params.yaml", "workflow", "profiles", "experiments"]


@pytest.fixture
def workflow_copy(tmp_path: Path) -> Path:
    """A temporary folder holding the workflow files, with the data root pointed back here."""
    for name in WORKFLOW_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, tmp_path / name)
        elif src.exists():
            shutil.copy(src, tmp_path / name)
    shutil.copytree(REPO / "tests" / "workflow", tmp_path / "tests" / "workflow")
    return tmp_path


def snakemake(workdir: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run snakemake in ``workdir`` with this interpreter's environment on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("INFOPLANE_DATA_ROOT", str((REPO / ".." / "shared" / "datasets").resolve()))
    return subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=workdir, env=env,
        capture_output=True, text=True, timeout=timeout,
    )
