"""A run killed in the middle of a job, then restarted, redoes only the unfinished job and leaves
no corrupt output (Snakemake marks the running job's outputs incomplete; the workflow profile's
`rerun-incomplete: true` redoes them instead of trusting them)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .workflow_helpers import REPO, run, tool_env

# first -> slow -> last. Each job appends its name to runs.log, so a redone job shows up twice.
# `slow` writes half its output, then waits for the test to kill the run.
SNAKEFILE = r'''
rule all:
    input: "last.txt"

rule first:
    output: "first.txt"
    shell: "echo first >> runs.log; seq 1 100 > {output}"

rule slow:
    input: "first.txt"
    output: "slow.txt"
    shell:
        "echo slow >> runs.log; head -n 50 {input} > {output}; touch started;"
        " sleep $SLOW_SECONDS; tail -n 50 {input} >> {output}"

rule last:
    input: "slow.txt"
    output: "last.txt"
    shell: "echo last >> runs.log; wc -l < {input} > {output}"
'''


def start_run(project: Path, slow_seconds: int) -> subprocess.Popen:
    env = {**tool_env(), "SLOW_SECONDS": str(slow_seconds)}
    return subprocess.Popen([sys.executable, "-m", "snakemake", "--cores", "1"], cwd=project, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.mark.parametrize(
    "how",
    [
        "SIGKILL",  # a node failure or OOM kill: no clean-up, the lock stays
        pytest.param("SIGINT", marks=pytest.mark.slow),  # Ctrl-C: Snakemake stops its jobs and unlocks
    ],
)
def test_killed_run_restarts_without_redoing_finished_jobs(tmp_path: Path, how: str) -> None:
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    shutil.copytree(REPO / "profiles" / "default", tmp_path / "profiles" / "default")  # rerun-incomplete

    process = start_run(tmp_path, slow_seconds=600)
    deadline = time.monotonic() + 120
    while not (tmp_path / "started").exists():
        assert process.poll() is None, "snakemake ended before the slow job started"
        assert time.monotonic() < deadline, "the slow job never started"
        time.sleep(0.2)
    os.killpg(process.pid, getattr(signal, how))
    process.wait(timeout=60)
    assert not (tmp_path / "last.txt").exists()

    if how == "SIGKILL":
        # The half-written output is still there, marked incomplete; the stale lock is removed
        # with --unlock (what Snakemake's own error message tells the user to do).
        assert (tmp_path / "slow.txt").read_text().count("\n") == 50
        run(["snakemake", "--unlock"], tmp_path)
    # After Ctrl-C Snakemake releases the lock itself; whatever it left of slow.txt is redone.
    run(["snakemake", "--cores", "1"], tmp_path, env={"SLOW_SECONDS": "0"})

    assert (tmp_path / "runs.log").read_text().split() == ["first", "slow", "slow", "last"]
    assert (tmp_path / "slow.txt").read_text().split() == [str(i) for i in range(1, 101)]
    assert (tmp_path / "last.txt").read_text().strip() == "100"
    assert "Nothing to be done" in run(["snakemake", "-n"], tmp_path).stdout
