"""The pipeline in small through a real SLURM scheduler with profiles/slurm.

Known-MI Gaussian samples -> estimates -> table -> figure, and one SZT network -> its
MI table, run three ways: locally (the reference), then through SLURM twice.
  run 1 (no retries): the training job is cancelled by the scheduler (scancel) while it trains;
        Snakemake reports it, leaves no summary.json (the run's one declared output, written
        last; the checkpoints stay for the rerun) and finishes the rest.
  run 2 (the profile's retries): the training is cancelled again mid-run and resubmitted; it
        resumes, and the run finishes without resubmitting any job that run 1 completed.
Every non-local job must appear in the scheduler's completion records, and every output must
equal the local run's (timing fields aside).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.workflow.workflow_helpers import REPO, copy_project, run, tool_env

pytestmark = pytest.mark.cluster

CONFIG = "tests/cluster/params.cluster-tiny.yaml"
RUN = "results/runs/szt_binning/tanh/seed-0"
TARGETS = ["validation_gaussian", f"{RUN}/mi.csv"]
LOCAL_RULES = {"fetch_data", "aggregate_gaussian", "plot_validation_gaussian", "validation_gaussian"}
TIMING = {"seconds", "cpu_seconds", "train_seconds"}  # wall/CPU times differ between any two runs
COMPARED = [  # every table and record the targets make, compared value by value
    "results/estimators/validation_gaussian.csv",
    "results/metrics/estimator_validation_gaussian.json",
    "results/synthetic/gaussian/d-1_mi-2/seed-0.wkl.json",
    f"{RUN}/history.csv",
    f"{RUN}/summary.json",
    f"{RUN}/mi.csv",
]
SUBMITTED = re.compile(r"Job \S+ has been submitted with SLURM jobid (\d+) \(log: \S*/logs/slurm/(\S+?)/")


def snakemake_slurm(project: Path, log: Path, *extra: str) -> subprocess.Popen:
    """Start the workflow through SLURM with the workflow profile (status checks every few
    seconds instead of the profile's 40 s: the jobs here take seconds; bundles of at most 2 CPUs,
    the local node's)."""
    command = [sys.executable, "-m", "snakemake", *TARGETS, "--workflow-profile", "profiles/slurm",
               "--slurm-init-seconds-before-status-checks", "2", "--cores", "2", *extra,
               "--configfile", CONFIG]
    return subprocess.Popen(command, cwd=project, env=tool_env(), stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def slurm_query(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, text=True, check=True, timeout=60).stdout


def cancel_training_mid_run(project: Path, process: subprocess.Popen, timeout: float = 600) -> str:
    """Wait until the training job runs under SLURM and has captured its epoch-1 activations,
    then cancel it through the scheduler; return its SLURM job id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "snakemake ended before the training job ran"
        jobs = [line.split() for line in slurm_query("squeue", "-h", "-o", "%i %k %T").splitlines()]
        running = [job_id for job_id, comment, state in jobs
                   if comment.startswith("rule_train_run") and state == "RUNNING"]
        if running and (project / RUN / "activations" / "epoch-0001.npz").exists():
            slurm_query("scancel", running[0])
            return running[0]
        time.sleep(0.2)
    raise AssertionError("the training job never ran under SLURM")


def wait(process: subprocess.Popen, log: Path, timeout: float = 1200) -> tuple[int, str]:
    try:
        return process.wait(timeout=timeout), log.read_text()
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"snakemake did not finish:\n{log.read_text()[-3000:]}") from None


def submissions(output: str) -> list[tuple[str, str]]:
    """(SLURM job id, rule or group log folder) of every job this run submitted."""
    return SUBMITTED.findall(output)


def completion_records() -> dict[str, str]:
    """SLURM job id -> final state, from the scheduler's completion log (jobcomp/filetxt)."""
    config = slurm_query("scontrol", "show", "config")
    location = re.search(r"^JobCompLoc\s*=\s*(\S+)", config, re.M)
    assert location and "jobcomp/filetxt" in config, "the test reads SLURM's jobcomp/filetxt records"
    time.sleep(2)  # the record is written as the job ends
    text = Path(location.group(1)).read_text()
    return dict(re.findall(r"JobId=(\d+) .*?JobState=(\S+)", text))


def numbers(path: Path):
    """A file's content without its timing fields, for comparing two runs."""
    if path.suffix == ".csv":
        table = pd.read_csv(path)
        return table.drop(columns=[c for c in table if c in TIMING])
    record = json.loads(path.read_text())

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in TIMING}
        return value

    return strip(record)


def end_stray_processes(folder: Path) -> None:
    """End processes still running a job of ``folder``: a cancelled job's Snakemake can outlive its
    batch shell, and the local SLURM (proctrack/linuxproc) no longer sees an orphan."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if str(folder) in cmdline.read_bytes().decode(errors="replace"):
                os.kill(int(cmdline.parent.name), signal.SIGKILL)
        except (OSError, ValueError):
            pass  # gone meanwhile, or not ours to end


@pytest.fixture
def project_folder(tmp_path: Path):
    yield tmp_path
    end_stray_processes(tmp_path)


def test_pipeline_through_slurm_survives_cancelled_jobs(slurm_cluster, project_folder: Path) -> None:
    tmp_path = project_folder
    started = time.monotonic()
    local, cluster = (copy_project(tmp_path / name) for name in ("local", "cluster"))
    for project in (local, cluster):
        shutil.copytree(REPO / "tests" / "cluster", project / "tests" / "cluster",
                        ignore=shutil.ignore_patterns("__pycache__"))

    run(["snakemake", *TARGETS, "--cores", "2", "--configfile", CONFIG], local, timeout=1200)

    # Run 1, no retries: the cancelled training is reported and leaves no run directory behind.
    log1 = tmp_path / "run1.log"
    process = snakemake_slurm(cluster, log1, "--retries", "0")
    cancelled1 = cancel_training_mid_run(cluster, process)
    code, output1 = wait(process, log1)
    assert code != 0, output1[-3000:]
    assert f"SLURM-job '{cancelled1}' failed, SLURM status is: 'CANCELLED'" in output1, output1[-3000:]
    assert not (cluster / RUN / "summary.json").exists(), "a cancelled job's output was left behind"
    assert (cluster / "figures/estimator_validation_gaussian.png").stat().st_size > 5000  # keep-going
    jobs1 = submissions(output1)

    # Run 2, the profile as it is (one retry): cancelled again mid-run, resubmitted, finished.
    log2 = tmp_path / "run2.log"
    process = snakemake_slurm(cluster, log2)
    cancelled2 = cancel_training_mid_run(cluster, process)
    code, output2 = wait(process, log2)
    assert code == 0, output2[-3000:]
    jobs2 = submissions(output2)
    # Nothing run 1 finished is redone: only the training (twice: cancelled, resubmitted) and
    # the table made from it are submitted; no local rule runs again.
    assert sorted(folder for _, folder in jobs2) == [
        "rule_analyse_run", "rule_train_run", "rule_train_run"], output2[-3000:]
    assert re.findall(r"localrule (\w+):", output2) == []

    # Every job that was not a localrule went through SLURM, and the scheduler recorded each one.
    ran_here = set(re.findall(r"localrule (\w+):", output1))
    assert ran_here == LOCAL_RULES, ran_here
    finished = set(re.findall(r"Finished jobid: \S+ \(Rule: (\w+)\)", output1 + output2))
    remote = finished - LOCAL_RULES
    assert remote == {"sample_gaussian", "estimate_gaussian", "train_run", "analyse_run"}
    folders = " ".join(folder for _, folder in jobs1 + jobs2)
    assert all(rule in folders for rule in remote), folders
    records = completion_records()
    states = {job_id: records.get(job_id) for job_id, _ in jobs1 + jobs2}
    expected = {job_id: "CANCELLED" if job_id in (cancelled1, cancelled2) else "COMPLETED"
                for job_id, _ in jobs1 + jobs2}
    assert states == expected

    # The same numbers as the local run.
    for name in COMPARED:
        ours, theirs = numbers(cluster / name), numbers(local / name)
        if isinstance(ours, pd.DataFrame):
            pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
        else:
            assert ours == theirs, name
    assert (cluster / "figures/estimator_validation_gaussian.pdf").stat().st_size > 5000

    print(f"\n{len(jobs1) + len(jobs2)} SLURM jobs ({len(jobs1)} + {len(jobs2)}), "
          f"{time.monotonic() - started:.0f} s in all")
