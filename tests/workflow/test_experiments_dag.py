"""The experiments' Snakemake targets: each one plans the jobs its experiment file asks for, and a
bad key, in an experiment file or in params.yaml's `experiments` section, stops the run at start
naming the key (the tiny end-to-end run: test_experiments_workflow.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from infoplane.experiments.seeds import unbatchable_reason
from infoplane.experiments.spec import load_experiment, uses_autoencoder, variant

from .conftest import snakemake
from .workflow_helpers import REPO, planned_jobs

EXPERIMENTS = sorted(yaml.safe_load((REPO / "params.yaml").read_text())["experiments"])
TINY = "tests/workflow/params.experiments-tiny.yaml"
# Each bad-key case is one `snakemake -n` (5-20 s on the loaded machine): one of each kind runs quick.
SLOW = pytest.mark.slow


def expected_jobs(name: str, spec: dict) -> Counter:
    """The jobs experiment ``name``'s target needs, read off its file (quick scale): a variant
    whose seeds train at once is one train_seeds job, any other one train and one analysis per
    seed."""
    stacked = [v for v in spec["variants"] if unbatchable_reason(variant(spec, v)) is None]
    runs = (len(spec["variants"]) - len(stacked)) * len(spec["seeds"])
    jobs = Counter({("train_run", name): runs, ("analyse_run", name): runs,
                    ("train_seeds", name): len(stacked),
                    ("combine_runs", name): 1, ("plot_experiment", name): 1})
    if uses_autoencoder(spec):
        jobs["train_x_autoencoder", name] = 1
    if "neuron" in spec:
        jobs["single_neuron", name] = 1
    if "scatter" in spec:
        jobs["layer_scatter", name] = 1
    if "teacher" in spec:
        jobs["teacher_student", name] = 1
    jobs["plot_extra", name] = ("neuron" in spec) + ("scatter" in spec) + ("teacher" in spec)
    return +jobs


def test_params_runs_every_experiment_file() -> None:
    assert EXPERIMENTS == sorted(p.stem for p in (REPO / "experiments").glob("*.yaml"))
    assert len(EXPERIMENTS) == 11


def test_every_target_plans_its_experiments_jobs(workflow_copy: Path) -> None:
    """One dry run of every experiment's target: per experiment, one training and one analysis
    per (variant, seed) or one train_seeds job per stacked variant, one combine and one plot, the
    autoencoder, neuron, scatter and teacher-student steps where the file asks for them; the IB curve once
    (experiments with `ib_curve: true`)."""
    result = snakemake(workflow_copy, *EXPERIMENTS, "-n")
    assert result.returncode == 0, result.stderr[-3000:]
    planned = planned_jobs(result.stdout, "experiment")
    specs = {name: load_experiment(REPO / "experiments" / f"{name}.yaml", "quick") for name in EXPERIMENTS}
    for name, spec in specs.items():
        ours = Counter({key: n for key, n in planned.items() if key[1] == name and key[0] != name})
        assert ours == expected_jobs(name, spec), name
        assert planned[name, ""] == 1  # the target itself
    assert planned["compute_ib_curve", ""] == (1 if any(s.get("ib_curve") for s in specs.values()) else 0)
    assert planned["fetch_data", ""] == 1
    assert sum(planned.values()) == result.stdout.count("\nrule ") + result.stdout.count("\nlocalrule ")


def test_overlay_shrinks_several_experiments_at_once(workflow_copy: Path) -> None:
    """`--configfile` merges key by key into params.yaml's `experiments`: one file sets the seeds
    and overrides of several experiments, and every step gets the overrides as --set flags."""
    result = snakemake(workflow_copy, "szt_binning", "butakov_mnist", "-n", "-p", "--configfile", TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    planned = planned_jobs(result.stdout, "experiment")
    assert planned["train_seeds", "szt_binning"] == 2  # tanh, relu, each trained for its seeds at once
    assert planned["train_run", "butakov_mnist"] == 6  # base and the two controls x seeds 0, 1
    commands = [line for line in result.stdout.splitlines()
                if line.startswith("Shell command: infoplane train ")]
    szt = [line for line in result.stdout.splitlines()
           if line.startswith("Shell command: infoplane train-seeds --experiment szt_binning")]
    assert szt and all("--set train.epochs=3 --set capture.schedule.log_points=1" in c for c in szt)
    assert all("--set dataset.eval_size=300" in c and "--device cpu" in c
               for c in commands if "--experiment butakov_mnist" in c)


def test_a_variant_waits_only_for_the_autoencoders_of_its_own_analyses(workflow_copy: Path) -> None:
    """At the paper scale the base variant's `x-latent-2` ablation needs a second X autoencoder
    (2-D code); the sigma-0.01 variant drops that analysis, so its run must not train it."""
    dry = {variant: planned_jobs(snakemake(workflow_copy, "-n", "--config", "scale=paper", "--",
                                           f"results/runs/butakov_mnist/{variant}/seed-0/mi.csv").stdout,
                                 "experiment")
           for variant in ("base", "sigma-0.01")}
    for jobs in dry.values():
        assert jobs["train_x_autoencoder", "butakov_mnist"] == 1
        assert jobs["analyse_run", "butakov_mnist"] == 1
    assert dry["base"]["train_x_autoencoder_latent", "butakov_mnist"] == 1
    assert dry["sigma-0.01"]["train_x_autoencoder_latent", "butakov_mnist"] == 0


@pytest.mark.parametrize(("edit", "named"), [
    # a key the experiment schema does not know (train.learning_rate for train.lr)
    (lambda text: text.replace("  lr: 4.0e-4\n", "  learning_rate: 4.0e-4\n"), "train.learning_rate"),
    # a panel naming a variant the file lacks
    pytest.param(lambda text: text.replace("- {variant: relu, analysis: range",
                                           "- {variant: relu6, analysis: range"),
                 "panels[2].variant", marks=SLOW),
    # an analysis with an unknown estimator
    pytest.param(lambda text: text.replace("estimator: binning, params: {scheme: szt}",
                                           "estimator: binnning, params: {}"),
                 "analyses.szt.estimator", marks=SLOW),
])
def test_bad_key_in_an_experiment_file_fails_at_start(workflow_copy: Path, edit, named: str) -> None:
    path = workflow_copy / "experiments" / "szt_binning.yaml"
    text = path.read_text()
    assert edit(text) != text, "the edit must change the file"
    path.write_text(edit(text))
    result = snakemake(workflow_copy, "szt_binning", "-n")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert named in output and "experiments.szt_binning" in output, output[-3000:]
    assert "Job stats" not in output  # stopped before planning any job


@pytest.mark.parametrize(("section", "named"), [
    ("szt_binning:\n    sed: [1]\n", "experiments.szt_binning.sed"),
    pytest.param("szt_binning:\n    set: {train.learnig_rate: 0.1}\n", "train.learnig_rate", marks=SLOW),
    pytest.param("szt_binning:\n    set: {train.epochs: 0}\n", "train.epochs", marks=SLOW),
    pytest.param("butakov_mnist:\n    device: tpu\n", "experiments.butakov_mnist.device", marks=SLOW),
    pytest.param("szt_nope: {}\n", "experiments.szt_nope", marks=SLOW),
])
def test_bad_key_in_params_experiments_fails_at_start(workflow_copy: Path, section: str, named: str) -> None:
    (workflow_copy / "bad.yaml").write_text("experiments:\n  " + section)
    result = snakemake(workflow_copy, "szt_binning", "-n", "--configfile", "bad.yaml")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert named in output, output[-3000:]
    assert "Job stats" not in output
