"""A broken params.yaml stops the workflow at start, with a message that names the bad key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infoplane.config import check_params, load_schema, scaled

from .workflow_helpers import REPO, run

SCHEMA = REPO / "workflow/schemas/params.schema.yaml"


def test_broken_params_fail_at_start_naming_each_key(workflow_copy: Path) -> None:
    """params.yaml with a misspelt section, a misspelt key and a negative count: one run, all named."""
    config = yaml.safe_load((workflow_copy / "params.yaml").read_text())
    section = config["validation_gaussian"]
    section["seed"] = section.pop("seeds")  # misspelt key
    section["n"] = -5  # a negative count
    config["estimator"] = config.pop("estimators")  # misspelt section
    (workflow_copy / "params.yaml").write_text(yaml.safe_dump(config))

    result = run(["snakemake", "-n"], workflow_copy, check=False)
    output = result.stdout
    assert result.returncode != 0
    for named in [
        "validation_gaussian.seed: unknown key",
        "validation_gaussian.n = -5",
        "estimator: unknown key",
        "estimators: missing section (required)",
    ]:
        assert named in output, output
    assert "Job stats" not in output  # stopped before scheduling any job


def _count_keys(node: Any, path: str = "") -> list[str]:
    """Dotted paths of every integer key named like an epoch count (``epochs``, ``*_epochs``)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            dotted = f"{path}.{key}" if path else key
            if isinstance(value, int) and not isinstance(value, bool) and str(key).endswith("epochs"):
                found.append(dotted)
            found += _count_keys(value, dotted)
    return found


EPOCH_KEYS = _count_keys(yaml.safe_load((REPO / "params.yaml").read_text()))


NO_EPOCHS = pytest.param(None, marks=pytest.mark.skip("no epoch counts in params.yaml yet"))


@pytest.mark.parametrize("key", EPOCH_KEYS or [NO_EPOCHS])
def test_negative_epoch_count_is_named(key: str) -> None:
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    node = config
    *parents, last = key.split(".")
    for part in parents:
        node = node[part]
    node[last] = -1
    problems = check_params(config, load_schema(SCHEMA))
    assert any(p.startswith(f"{key} = -1") for p in problems), problems


def test_scale_overlay_is_checked_too() -> None:
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    config.setdefault("scales", {}).setdefault("paper", {})["validation_gaussian"] = {"seed": [1]}
    problems = check_params(config, load_schema(SCHEMA))
    assert problems == ["scales.paper.validation_gaussian.seed: unknown key "
                        "(allowed here: dims, estimators, mi, n, seeds, task)"]


@pytest.mark.parametrize("scale", ["quick", "paper"])
def test_the_shipped_params_are_valid_at_both_scales(scale: str) -> None:
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    config["scale"] = scale
    assert check_params(config, load_schema(SCHEMA)) == []
    assert scaled(config)["scale"] == scale


def test_negative_epoch_count_of_an_experiment_fails_at_start(workflow_copy: Path) -> None:
    """Training settings live in experiments/*.yaml, overridden from params.yaml's `set`: a negative
    epoch count there also stops the run before any job, naming the key."""
    config = yaml.safe_load((workflow_copy / "params.yaml").read_text())
    config["experiments"]["butakov_mnist"]["set"] = {"train.epochs": -3}
    (workflow_copy / "params.yaml").write_text(yaml.safe_dump(config))
    result = run(["snakemake", "-n"], workflow_copy, check=False)
    assert result.returncode != 0
    named = [line for line in result.stdout.splitlines()
             if "experiments.butakov_mnist (experiments/butakov_mnist.yaml" in line]
    assert any("train.epochs = -3: -3 is less than the minimum of 1" in line for line in named), result.stdout
    assert "Job stats" not in result.stdout
