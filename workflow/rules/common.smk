# Shared by every rule file: config validation, the scale overlay, and small helpers.
import copy
import os
import json

from snakemake.utils import validate

validate(config, "../schemas/params.schema.yaml")


def _overlay(base, overrides):
    """Deep-merge ``overrides`` into a copy of ``base`` (dicts merge, everything else replaces)."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


# The scale switch: `scale: paper` applies the `scales.paper` section over the quick values.
P = _overlay(config, config.get("scales", {}).get(config["scale"], {}))


def estimator_params(name):
    """The CLI's --param flags for estimator ``name`` (from the `estimators` section)."""
    params = P["estimators"].get(name, {})
    return " ".join(f"--param {key}={json.dumps(value)}" for key, value in params.items())


def fmt(value):
    """A number as it appears in file names: 2.0 -> '2', 0.5 -> '0.5'."""
    return f"{value:g}"


# --- Butakov information-plane experiments (workflow/rules/butakov.smk) ---------------------


def bk_common(dataset):
    """The CLI flags every Butakov step shares: experiment file, scale, overrides, data root, device."""
    cfg = P["butakov"][dataset]
    sets = " ".join(f"--set {key}={json.dumps(value)}" for key, value in (cfg.get("set") or {}).items())
    return (f"--experiment {cfg['experiment']} --scale {P['scale']} {sets} --data-root {P['data_root']}"
            f" --device {cfg.get('device', 'auto')} --no-progress")


def bk_seed_files(pattern):
    return lambda wildcards: expand(pattern, dataset=wildcards.dataset, seed=P["butakov"][wildcards.dataset]["seeds"])


def bk_histories(wildcards, input):
    """The history.csv beside each run's summary.json."""
    return [os.path.join(os.path.dirname(p), "history.csv") for p in input.runs]
