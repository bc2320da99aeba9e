"""The known-MI workflow (workflow/rules/estimators.smk) end to end on a tiny configuration:
sample -> fit compressors -> estimate -> table + metrics -> figures."""

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import snakemake
from .workflow_helpers import REPO, planned_jobs


def tiny_config() -> dict:
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    config["estimator_validation"] = {
        "n": 1500,
        "seeds": [0],
        "images": {
            "mi": [0.0, 3.0],
            "families": {"bumps16": {"task": "gaussian-bumps", "params": {"size": 16}, "latent_dim": 2}},
            "compressors": {"ae": {"n_fit": 400, "n_test": 100, "seed": 1000, "options": {"epochs": 1}},
                            "pca": {"n_fit": 400, "n_test": 100, "seed": 1000}},
            "methods": {"wkl-latent": {"estimator": "wkl", "input": "latent"},
                        "wkl-ae": {"estimator": "wkl", "input": "ae"},
                        "wkl-pca": {"estimator": "wkl", "input": "pca"},
                        "not-registered": {"estimator": "no-such-estimator", "input": "images"}},
        },
        "bmi": {
            "methods": {"ksg": {"estimator": "ksg"},
                        "ksg-ns": {"estimator": "ksg", "params": {"normal_scores": True}}},
            "cases": {"additive-uniform-0.1": {"task": "additive-uniform", "params": {"epsilon": 0.1}},
                      "sparse-3x3": {"task": "gaussian-sparse", "params": {"dim_x": 3, "dim_y": 3},
                                     "methods": ["ksg"]}},
        },
    }
    return config


@pytest.mark.slow
def test_known_mi_workflow(workflow_copy: Path) -> None:
    tmp_path = workflow_copy
    # The whole config, not an overlay: Snakemake merges overlays into the default families.
    config = tiny_config()
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(config))
    # An estimator that is not registered (a typo, or one not installed) stops the run at start,
    # naming the method, rather than silently dropping its jobs.
    refused = snakemake(tmp_path, "estimator_validation", "-n")
    assert refused.returncode != 0
    assert "estimator_validation.images.methods.not-registered.estimator" in refused.stderr
    del config["estimator_validation"]["images"]["methods"]["not-registered"]
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, "estimator_validation", "-c2")
    assert run.returncode == 0, run.stderr[-3000:]

    table = pd.read_csv(tmp_path / "results/estimator_validation.csv")
    for column in ("task", "estimator", "n", "seed", "mi_true", "mi_estimate", "ci_lo", "ci_hi", "seconds",
                   "family", "label"):
        assert column in table
    # 3 image methods x 2 MI values + 2 + 1 vector records
    assert len(table) == 9
    assert set(table["label"]) == {"wkl-latent", "wkl-ae", "wkl-pca", "ksg", "ksg-ns"}
    latent = table[table["label"] == "wkl-latent"].set_index("mi_true")["mi_estimate"]
    assert latent[0.0] == pytest.approx(0.0, abs=0.2) and latent[3.0] == pytest.approx(3.0, abs=0.4)
    uniform = table[table["family"] == "additive-uniform-0.1"]
    assert list(uniform["mi_true"]) == pytest.approx([1.7094] * 2, abs=1e-4)
    assert (uniform["mi_estimate"] - 1.7094).abs().max() < 0.15
    compressed = table[table["label"] == "wkl-ae"]
    assert (compressed["n_fit"] == 0).all() and (compressed["n_estimate"] == 1500).all()

    metrics = json.loads((tmp_path / "results/metrics/estimator_validation.json").read_text())
    rows = table[(table["family"] == "bumps16") & (table["label"] == "wkl-pca")]
    mae = (rows["mi_estimate"] - rows["mi_true"]).abs().mean()
    assert metrics["bumps16"]["wkl-pca"]["mae"] == pytest.approx(mae)
    assert metrics["bumps16"]["wkl-pca"]["records"] == 2
    report = json.loads((tmp_path / "results/compressors/bumps16.pca.json").read_text())
    assert report["n_fit"] == 400 and report["reconstruction_error_test"] > 0
    for name in ("known_mi_images", "known_mi_benchmark"):
        assert (tmp_path / f"figures/{name}.png").stat().st_size > 10_000


def test_each_paper_scale_family_plans_its_own_grid_without_mine(workflow_copy: Path) -> None:
    """What `sh workflow/scripts/paper_scale.sh known_mi_<family>` asks Snakemake for, for each
    family of its DVC stages: 41 true MI values x 5 seeds of samples, one estimate job (over the 5
    seeds) per grid point and method of the family's paper-scale list, which has no MINE (days
    of one core), and its two compressors."""
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    families = [*stages["known_mi_images_paper"]["foreach"], "anti-pca"]
    targets = [f"figures/known_mi_family_{family}.png" for family in families]
    result = snakemake(workflow_copy, *targets, "-n", "--config", "scale=paper")
    assert result.returncode == 0, result.stderr[-3000:]
    planned = planned_jobs(result.stdout, "family", "method")
    config = yaml.safe_load((REPO / "params.yaml").read_text())
    paper = config["scales"]["paper"]["estimator_validation"]["images"]
    grid = len(paper["mi"])
    assert grid == 41
    for family in families:
        listed = paper["families"].get(family) or config["estimator_validation"]["images"]["families"][family]
        methods = listed["methods"]
        assert "mine-images" not in methods
        assert planned["sample_known_mi_image", family, ""] == grid * 5, family
        assert planned["fit_compressor_images", family, ""] == 2, family
        estimated = {method: n for (rule, fam, method), n in planned.items()
                     if rule == "estimate_known_mi_image" and fam == family}
        assert estimated == dict.fromkeys(methods, grid), family
