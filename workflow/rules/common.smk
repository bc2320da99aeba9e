# Shared by every rule file: config validation, the scale overlay, and small helpers.
import copy
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
