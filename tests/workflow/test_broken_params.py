"""Every bad value of params.yaml stops the run at start, naming its key: at `infoplane
check-params` and at the first lines of `snakemake -n`, never after hours of compute.

The broken files are derived from the shipped params.yaml, one defect each. The check-params half
runs in-process (fast); the snakemake half runs `snakemake -n` once per file (a few seconds each),
so all of it is marked slow and a small subset runs in the quick suite.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infoplane.config import load_params
from infoplane.data.fetch import DEFAULT_FILES
from infoplane.estimators import build

from .workflow_helpers import REPO, copy_project, run

SHIPPED = yaml.safe_load((REPO / "params.yaml").read_text())


def _rejects(name: str, **params: Any) -> bool:
    try:
        build(name, **params)
    except (ValueError, TypeError):
        return True
    return False


# Cases marked with this depend on estimator constructors that check their own parameters'
# types and ranges (k an int >= 1, booleans bools); they run once build() rejects them.
STRICT = pytest.mark.skipif(
    not (_rejects("ksg", k=0) and _rejects("ksg", k=2.7) and _rejects("ksg", normal_scores="maybe")),
    reason="needs estimator constructors that check their parameters strictly",
)


def _set(path: str, value: Any) -> Callable[[dict], None]:
    """A mutation setting dotted ``path`` (``a.b[0][1]``-style indices as ``a.b.0.1``) to ``value``."""
    def mutate(config: dict) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return mutate


def _rename(path: str, new: str) -> Callable[[dict], None]:
    def mutate(config: dict) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[part]
        node[new] = node.pop(last)
    return mutate


def _delete(path: str) -> Callable[[dict], None]:
    def mutate(config: dict) -> None:
        *parents, last = path.split(".")
        node = config
        for part in parents:
            node = node[part]
        del node[last]
    return mutate


def _override(experiment: str, overrides: dict[str, Any]) -> Callable[[dict], None]:
    """A mutation setting params.yaml's dotted overrides of one experiment (`experiments.E.set`)."""
    def mutate(config: dict) -> None:
        config["experiments"][experiment]["set"] = overrides
    return mutate


def _append(path: str, value: Any) -> Callable[[dict], None]:
    def mutate(config: dict) -> None:
        node = config
        for part in path.split("."):
            node = node[part]
        node.append(value)
    return mutate


# name -> (mutation of the parsed params.yaml, or raw text; text the error line must contain, or a
# tuple of texts one line must contain together: the experiment and the key)
CASES: dict[str, tuple[Any, str]] = {
    "unknown estimator section": (_rename("estimators.ksg2", "ksgg"), "estimators.ksgg"),
    "unknown estimator in a list": (_append("validation_gaussian.estimators", "ksgg"),
                                    "validation_gaussian.estimators[4]"),
    "k is text": (_set("estimators.ksg.k", "five"), "estimators.ksg"),
    "unknown estimator parameter": (_set("estimators.ksg.kk", 3), "estimators.ksg"),
    "bad weight scheme": (_set("estimators.wkl.weights", "minvarr"), "estimators.wkl"),
    "misspelt analysis estimator": (_override("szt_binning", {"analyses.szt.estimator": "binnning"}),
                                    ("experiments.szt_binning", "analyses.szt.estimator")),
    "bad binning scheme": (_override("szt_binning", {"analyses.szt.params.scheme": "sztt"}),
                           ("experiments.szt_binning", "analyses.szt")),
    "negative noise_variance": (_override("saxe_kde", {"analyses.kde-upper.params.noise_variance": -1e-3}),
                                ("experiments.saxe_kde", "analyses.kde-upper")),
    "panel names a missing variant": (
        _override("saxe_kde", {"panels": [{"variant": "tanhh", "analysis": "kde-upper", "title": "t"}]}),
        ("experiments.saxe_kde", "panels[0].variant = 'tanhh'")),
    "panel names a missing analysis": (
        _override("saxe_kde", {"panels": [{"variant": "tanh", "analysis": "kde-upperr", "title": "t"}]}),
        ("experiments.saxe_kde", "panels[0].analysis = 'kde-upperr'")),
    "goldfeld panel names a missing variant": (
        _override("goldfeld_sp", {"panels": [{"variant": "relu", "analysis": "sp", "title": "t"}]}),
        ("experiments.goldfeld_sp", "panels[0].variant = 'relu'")),
    "unknown device": (_set("experiments.butakov_mnist.device", "tpu"), "experiments.butakov_mnist.device"),
    "eval size above the MNIST test set": (_override("saxe_kde_mnist", {"dataset.eval_size": 20000}),
                                           ("experiments.saxe_kde_mnist", "dataset.eval_size = 20000")),
    "train size above the MNIST training set": (
        _override("lorenzen_quantized_mnist", {"dataset.train_size": 70000}),
        ("experiments.lorenzen_quantized_mnist", "dataset.train_size = 70000")),
    "experiment eval size above its dataset": (_override("butakov_mnist", {"dataset.eval_size": 20000}),
                                               ("experiments.butakov_mnist", "dataset.eval_size = 20000")),
    "misspelt image method estimator": (
        _set("estimator_validation.images.methods.wkl-latent.estimator", "wkll"),
        "estimator_validation.images.methods.wkl-latent.estimator"),
    "misspelt vector method estimator": (_set("estimator_validation.bmi.methods.ksg.estimator", "ksgg"),
                                         "estimator_validation.bmi.methods.ksg.estimator"),
    "case names a missing method": (_append("estimator_validation.bmi.cases.normal-1x1.methods", "ksgg"),
                                    "estimator_validation.bmi.cases.normal-1x1.methods[3]"),
    "unknown task of a case": (_set("estimator_validation.bmi.cases.normal-1x1.task", "gaussian-dens"),
                               "estimator_validation.bmi.cases.normal-1x1.task"),
    "unknown task parameter": (
        _set("estimator_validation.bmi.cases.normal-1x1.params.dim_xx", 1),
        "estimator_validation.bmi.cases.normal-1x1.task",
    ),
    "unknown validation task": (_set("validation_gaussian.task", "gaussian-pair"),
                                "validation_gaussian.task"),
    "unknown image family task": (_set("estimator_validation.images.families.bumps16.task", "gaussian-bump"),
                                  "estimator_validation.images.families.bumps16.task"),
    "unknown image method input": (_set("estimator_validation.images.methods.wkl-ae.input", "pcaa"),
                                   "estimator_validation.images.methods.wkl-ae.input"),
    "missing experiments section": (_delete("experiments"), "experiments: missing section"),
    "missing estimator_validation section": (_delete("estimator_validation"),
                                             "estimator_validation: missing section"),
    "unknown scale": (_set("scale", "fast"), "scale = 'fast'"),
    "negative sample count": (_set("validation_gaussian.n", -5), "validation_gaussian.n = -5"),
    "no seeds": (_set("validation_gaussian.seeds", []), "validation_gaussian.seeds"),
    "zero epochs": (_override("szt_binning", {"train.epochs": 0}),
                    ("experiments.szt_binning", "train.epochs = 0")),
    "epsilon above 1": (_set("ib_curve.epsilon", 2), "ib_curve.epsilon = 2"),
    "estimator params not a mapping": (_set("estimators.ksg", "five"), "estimators.ksg"),
    "missing experiment file": (_set("experiments.nope", {}), ("experiments.nope", "experiments/nope.yaml")),
    "negative epochs in an experiment override": (_override("butakov_mnist", {"train.epochs": -3}),
                                                  ("experiments.butakov_mnist", "train.epochs = -3")),
    "misspelt experiment override": (_override("butakov_mnist", {"train.learnig_rate": 1}),
                                     ("experiments.butakov_mnist", "train.learnig_rate")),
    "seeds of an experiment not a count": (_set("experiments.szt_binning.seeds", "three"),
                                           "experiments.szt_binning.seeds"),
    "misspelt key inside scales.paper": (_set("scales.paper.validation_gaussian.seed", [1]),
                                         "scales.paper.validation_gaussian.seed"),
    "unknown estimator only at paper scale": (
        _set("scales.paper.validation_gaussian.estimators", ["ksgg"]),
        "scales.paper.validation_gaussian.estimators[0]",
    ),
    "YAML syntax error": ("scale: quick\nestimators: {ksg: {k: 5}\nvalidation_gaussian: 1\n",
                          "params.yaml:3"),
    "YAML tab indentation": ("scale: quick\nestimators:\n\tksg: {k: 5}\n", "params.yaml:3"),
    "missing data root": ({"INFOPLANE_DATA_ROOT": "/nonexistent/datasets"}, "INFOPLANE_DATA_ROOT"),
    "data root without the datasets": ({"INFOPLANE_DATA_ROOT": "EMPTY"}, "lacks MNIST/raw"),
    # These need estimators that check their own parameters (see STRICT).
    "k = 0": (_set("estimators.ksg.k", 0), "estimators.ksg"),
    "k = 2.7": (_set("estimators.kl.k", 2.7), "estimators.kl"),
    "k = true": (_set("estimators.ksg2.k", True), "estimators.ksg2"),
    "standardize is shell text": (_set("estimators.ksg.standardize", "$(touch MARKER)"),
                                  "estimators.ksg"),
    "normal_scores = maybe": (
        _set("estimator_validation.images.methods.wkl-ae.params.normal_scores", "maybe"),
        "estimator_validation.images.methods.wkl-ae.estimator"),
}
NEEDS_STRICT = {"k = 0", "k = 2.7", "k = true", "standardize is shell text", "normal_scores = maybe"}
QUICK = ["YAML syntax error"]  # the snakemake half in the quick suite (a few seconds)


def _names(line: str, expected: str | tuple[str, ...]) -> bool:
    """Whether ``line`` holds the expected text (every part of a tuple)."""
    return all(part in line for part in ((expected,) if isinstance(expected, str) else expected))


def _fake_data_root(path: Path) -> Path:
    """A data root holding (empty) files under every name the pipeline needs: the check looks for
    the files, fetch_data checks their content later."""
    for name in DEFAULT_FILES:
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).touch()
    return path


def _write_case(name: str, dest: Path, data_root: Path) -> dict[str, str]:
    """Write the broken params.yaml of case ``name`` to ``dest``; return the environment it needs."""
    change, _ = CASES[name]
    env = {"INFOPLANE_DATA_ROOT": str(data_root)}
    if isinstance(change, str):
        dest.write_text(change)
        return env
    config = copy.deepcopy(SHIPPED)
    if isinstance(change, dict):
        empty = dest.parent / "empty-root"
        empty.mkdir(exist_ok=True)
        env = {k: str(empty) if v == "EMPTY" else v for k, v in change.items()}
    else:
        change(config)
    dest.write_text(yaml.safe_dump(config, sort_keys=False))
    return env


def _params(names: list[str]) -> list:
    return [pytest.param(n, marks=STRICT) if n in NEEDS_STRICT else n for n in names]


@pytest.fixture
def fake_root(tmp_path: Path) -> Path:
    return _fake_data_root(tmp_path / "datasets")


def test_there_are_at_least_30_defects() -> None:
    assert len(CASES) - len(NEEDS_STRICT) >= 30


def test_the_shipped_params_pass(fake_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("INFOPLANE_DATA_ROOT", str(fake_root))
    assert load_params("params.yaml")["scale"] == "quick"


@pytest.mark.parametrize("name", _params(list(CASES)))
def test_check_params_names_the_key(name: str, tmp_path: Path, fake_root: Path, project: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "params.yaml"
    env = _write_case(name, path, fake_root)
    # Experiment files are relative to the project; a copy, because a data/raw fetched into the
    # repository (`make data`) would stand in for a missing data root.
    monkeypatch.chdir(project)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValueError) as err:
        load_params(path)
    assert any(_names(line, CASES[name][1]) for line in str(err.value).splitlines()), str(err.value)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("broken")
    _fake_data_root(root / "datasets")
    return copy_project(root / "project")


def _snakemake_stops(name: str, project: Path) -> None:
    env = _write_case(name, project / "params.yaml", project.parent / "datasets")
    result = run(["snakemake", "-n"], project, check=False, env=env, timeout=300)
    lines = result.stdout.splitlines()
    assert result.returncode != 0, result.stdout
    assert "Job stats" not in result.stdout and "Traceback" not in result.stdout, result.stdout
    named = [i for i, line in enumerate(lines) if _names(line, CASES[name][1])]
    assert named and named[0] < 25, result.stdout  # among the first lines, before any job


@pytest.mark.parametrize("name", QUICK)
def test_snakemake_dry_run_stops_at_start_naming_the_key(name: str, project: Path) -> None:
    _snakemake_stops(name, project)


@pytest.mark.slow
def test_snakemake_dry_run_stops_at_start_for_every_defect(project: Path) -> None:
    """All cases (minus those waiting for strict estimators, when they are not there yet)."""
    skip = set() if STRICT.args[0] is False else NEEDS_STRICT
    failures = []
    for name in CASES:
        if name in skip or name in QUICK:
            continue
        try:
            _snakemake_stops(name, project)
        except AssertionError as err:
            failures.append(f"{name}: {str(err)[-600:]}")
    assert not failures, "\n\n".join(failures)
    assert os.listdir(project / "tests" / "workflow")  # the copy is intact
