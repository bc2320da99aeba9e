"""No shell from values: shell metacharacters in any string value of params.yaml, in the data
root's directory name, in an experiment's name or in an experiment override never run.

Every string value gets a payload that would create marker files if a shell read it as code.
A value the start-up check refuses never reaches a shell (the broken-params tests show that each
refusal names its key); every value it accepts goes into one config whose shell commands
(`snakemake -n -p`, every rule of the workflow) are then run by bash with a stand-in `infoplane`
that records its arguments: no marker appears, and the payload arrives as literal text.
An experiment name with the payload is refused at start (names are file stems of [a-z0-9_]); a
free-text override (`experiments.E.set`, e.g. the title) reaches every step of E as a quoted
--set flag. Finally one real job (fetch_data, from the data root with the payload in its name) runs.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infoplane.config import all_problems, load_schema
from infoplane.data.fetch import DEFAULT_FILES

from .workflow_helpers import REPO, copy_project, run

PAYLOAD = "$(touch MARKER_subst)`touch MARKER_backtick`;touch MARKER_semicolon 'q\"|touch MARKER_pipe"
SHARED = (REPO / "../shared/datasets").resolve()
#: Parameters whose value the rules pass as a ready-made string of quoted flags (each word built
#: with shlex.quote in workflow/rules/common.smk); every other {...} in a shell line uses `:q`.
PREQUOTED = {"params.flags", "params.common", "params.options", "params.config", "params.analyses",
             "params.run", "params.panels", "params.ib", "params.files", "params.autoencoder"}


def _string_leaves(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _string_leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _string_leaves(v, (*path, i))]
    return [path] if isinstance(node, str) else []


def _inject(config: dict, path: tuple) -> None:
    node = config
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] += PAYLOAD


def test_every_shell_field_is_quoted() -> None:
    """A static check of the rule files: each {field} in a shell line is quoted with `:q`, or is a
    flags string built word by word with shlex.quote."""
    unquoted = []
    for path in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        in_shell = False
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if stripped == "shell:":
                in_shell = True
                continue
            if in_shell and not stripped.startswith(('"', "#")):
                in_shell = False
            if in_shell:
                for field in re.findall(r"(?<!\{)\{([^{}]+)\}(?!\})", stripped):
                    name, _, spec = field.partition(":")
                    if spec != "q" and name not in PREQUOTED:
                        unquoted.append(f"{path.name}:{number}: {{{field}}}")
    assert not unquoted, unquoted


@pytest.mark.slow
def test_metacharacters_in_every_value_never_run(tmp_path: Path) -> None:
    if not all((SHARED / name).is_file() for name in DEFAULT_FILES):
        pytest.skip("the datasets are not at ../shared/datasets")
    root = tmp_path / f"datasets {PAYLOAD.replace('/', '_')}"
    for part in ("MNIST", "SZT"):
        (root / part).parent.mkdir(parents=True, exist_ok=True)
        (root / part).symlink_to(SHARED / part)
    project = copy_project(tmp_path / "project")
    shutil.copy(project / "experiments" / "szt_binning.yaml",
                project / "experiments" / f"szt_binning{PAYLOAD.replace('/', '_')}.yaml")
    env = {k: v for k, v in os.environ.items() if k != "INFOPLANE_DATA_ROOT"}

    # Each string value alone: refused at start, or kept for the run below.
    shipped = yaml.safe_load((REPO / "params.yaml").read_text())
    schema = load_schema(REPO / "workflow/schemas/params.schema.yaml")
    accepted, refused = [], []
    cwd = os.getcwd()
    os.chdir(project)
    try:
        os.environ.pop("INFOPLANE_DATA_ROOT", None)
        for path in _string_leaves(shipped):
            config = copy.deepcopy(shipped)
            config["data_root"] = str(root)
            if path == ("data_root",):
                accepted.append(path)
                continue
            _inject(config, path)
            (refused if all_problems(config, schema) else accepted).append(path)
        # an experiment named with the payload (its file exists) is refused, naming the section
        named = copy.deepcopy(shipped)
        named["data_root"] = str(root)
        named["experiments"][f"szt_binning{PAYLOAD.replace('/', '_')}"] = {}
        problems = all_problems(named, schema)
        assert problems and all(p.startswith("experiments") for p in problems), problems
    finally:
        os.chdir(cwd)
    assert len(accepted) + len(refused) == len(_string_leaves(shipped))
    config = copy.deepcopy(shipped)
    for path in accepted:
        if path != ("data_root",):
            _inject(config, path)
    config["data_root"] = str(root)
    # free-text overrides: the same payload in the title of an SZT and of an image experiment
    for name in ("szt_binning", "butakov_mnist"):
        config["experiments"][name]["set"] = {"title": f"{name}{PAYLOAD}", "paper": PAYLOAD}
    (project / "params.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    result = run(["snakemake", "-n", "-p", "--forceall"], project, env={"INFOPLANE_DATA_ROOT": ""})
    commands = [line.removeprefix("Shell command: ") for line in result.stdout.splitlines()
                if line.startswith("Shell command: ") and line != "Shell command: None"]
    assert len(commands) > 50, result.stdout[-3000:]
    record = tmp_path / "args.txt"
    stub = f'infoplane() {{ printf "%s\\n" "$@" >> {shlex.quote(str(record))}; }}; '
    for command in commands:
        for word in shlex.split(command.replace("(", " ").replace(")", " ")):
            if word.endswith(".log"):
                (project / word).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["bash", "-c", stub + "mkdir -p logs; " + command], cwd=project, env=env,
                       capture_output=True, text=True, timeout=60)
    markers = [p for p in tmp_path.rglob("MARKER*")]
    assert not markers, markers
    recorded = record.read_text()
    assert "$(touch MARKER_subst)`touch MARKER_backtick`;touch MARKER_semicolon" in recorded
    assert str(root) in recorded
    for name in ("szt_binning", "butakov_mnist"):  # the override arrived as one word, unchanged
        assert f"title={json.dumps(name + PAYLOAD)}" in recorded.splitlines(), name

    # One real job: copy and check the raw data from the data root with the payload in its name.
    real = run(["snakemake", "--cores", "1", "data/raw/SZT/var_u.mat"], project, check=False,
               env={"INFOPLANE_DATA_ROOT": ""})
    assert real.returncode == 0, real.stdout[-3000:]
    assert (project / "data/raw/SZT/var_u.mat").is_file()
    assert not list(tmp_path.rglob("MARKER*"))
    print(f"{len(refused)} string values refused at start, {len(accepted)} accepted and quoted; "
          f"{len(commands)} shell commands run")
