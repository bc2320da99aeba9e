"""DVC round trip on a tiny project built like ours (one DVC stage running Snakemake): push to a
local-directory remote, delete the cache and the outputs, pull, and get identical files back; then
Snakemake, after `snakemake --touch`, has nothing to redo although the pulled files carry new mtimes.
No network, a few seconds."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest

from .workflow_helpers import REPO, run

SNAKEFILE = r'''
configfile: "params.yaml"

rule all:
    input: "results/metrics/summary.json", "results/tables/table.csv"

rule sample:
    output: "results/samples/x.txt"
    params: n=config["n"]
    shell: "seq 1 {params.n} > {output}; echo sample >> runs.log"

rule tabulate:
    input: "results/samples/x.txt"
    output: "results/tables/table.csv"
    shell: "(echo n,value; awk '{{print NR\",\"$1*$1}}' {input}) > {output}; echo tabulate >> runs.log"

rule summarise:
    input: "results/tables/table.csv"
    output: "results/metrics/summary.json"
    shell:
        "tail -n +2 {input} | awk -F, '{{s+=$2}} END {{printf \"{{\\\"total\\\": %d}}\\n\", s}}' > {output};"
        " echo summarise >> runs.log"
'''

DVC_YAML = """
stages:
  reproduce:
    cmd: snakemake --cores 1
    deps: [Snakefile]
    params:
      - params.yaml:
    outs:
      - results/samples: {persist: true, push: false}
      - results/tables: {persist: true}
      - results/metrics: {persist: true}
metrics: [results/metrics]
plots:
  - results/tables/table.csv: {x: n, y: value}
"""


def digests(root: Path, folders: list[str]) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.md5(path.read_bytes()).hexdigest()
        for folder in folders
        for path in sorted((root / folder).rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A git + DVC project whose only stage runs a three-rule Snakemake workflow."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    project = tmp_path / "project"
    project.mkdir()
    (project / "Snakefile").write_text(SNAKEFILE)
    (project / "dvc.yaml").write_text(DVC_YAML)
    (project / "params.yaml").write_text("n: 1000\n")
    (project / ".gitignore").write_text(".snakemake/\nruns.log\n")
    shutil.copy(REPO / ".dvcignore", project / ".dvcignore")
    for args in (["git", "init", "-q"], ["git", "config", "user.email", "t@example.org"],
                 ["git", "config", "user.name", "test"], ["dvc", "init", "-q"],
                 ["dvc", "config", "core.analytics", "false"],
                 ["dvc", "remote", "add", "-d", "local", str(tmp_path / "remote")]):
        run(args, project)
    return project


def test_push_pull_restores_identical_outputs_and_snakemake_redoes_nothing(tiny: Path) -> None:
    run(["dvc", "repro"], tiny)
    run(["git", "add", "-A"], tiny)
    run(["git", "commit", "-q", "-m", "results"], tiny)
    assert run(["dvc", "status"], tiny).stdout.strip().endswith("Data and pipelines are up to date.")
    assert "333833500" in run(["dvc", "metrics", "show"], tiny).stdout  # sum of squares 1..1000
    before = digests(tiny, ["results/tables", "results/metrics"])
    run(["dvc", "push"], tiny)

    # A fresh clone, in effect: no cache, no outputs, no Snakemake metadata.
    for path in ["results", ".dvc/cache", ".snakemake", "runs.log"]:
        shutil.rmtree(tiny / path, ignore_errors=True) if (tiny / path).is_dir() else (tiny / path).unlink()
    run(["dvc", "pull", "--allow-missing"], tiny)  # push: false outputs are not on the remote

    assert digests(tiny, ["results/tables", "results/metrics"]) == before
    assert not (tiny / "results/samples").exists()  # push: false stays out of the remote

    # DVC gives pulled files fresh mtimes in no set order: make the summary older than the table,
    # which (without the touch step) makes Snakemake redo `summarise`.
    past = time.time() - 60
    os.utime(tiny / "results/metrics/summary.json", (past, past))
    assert "summarise" in run(["snakemake", "-n"], tiny).stdout

    run(["snakemake", "--touch", "--forceall", "--cores", "1"], tiny)  # what `make pull` runs
    assert "Nothing to be done" in run(["snakemake", "-n"], tiny).stdout
    assert not (tiny / "runs.log").exists()  # no job ran since the pull
    assert digests(tiny, ["results/tables", "results/metrics"]) == before

    # --forceall also recorded each job's params, so a later change is still seen (plain --touch
    # records nothing for jobs it need not touch, and the change would pass unnoticed).
    (tiny / "params.yaml").write_text("n: 10\n")
    plan = run(["snakemake", "-n"], tiny).stdout
    assert "Params have changed" in plan and all(rule in plan for rule in ("sample", "tabulate", "summarise"))
    (tiny / "params.yaml").write_text("n: 1000\n")
    # DVC itself sees every pulled output unchanged; only the never-pushed samples are missing.
    status = run(["dvc", "status"], tiny).stdout.split()
    assert status == ["reproduce:", "changed", "outs:", "not", "in", "cache:", "results/samples"], status
