"""params.yaml: checking it against its JSON schema with messages that name the bad key, and the
scale overlay (``scale: paper`` applies ``scales.paper`` over the quick values).

The workflow (workflow/rules/common.smk), the report and the tests all use these functions, so a
broken params.yaml fails the same way everywhere: one line per problem, each naming the dotted key
(``validation_gaussian.n``) and what is allowed there.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

SCHEMA = Path("workflow/schemas/params.schema.yaml")


def overlay(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base`` (dicts merge, everything else replaces)."""
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = overlay(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def scaled(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config at its scale: ``scales[config["scale"]]`` merged over the top-level values."""
    return overlay(config, (config.get("scales") or {}).get(config.get("scale"), {}) or {})


def _key(path: Any) -> str:
    """A jsonschema error path as a dotted key: ``deque(['a', 'b', 0])`` -> ``a.b[0]``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(error: Any) -> list[str]:
    """One message per problem in a jsonschema ValidationError, naming the dotted key."""
    where = _key(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extra = sorted(set(error.instance) - set(allowed))
        prefix = f"{where}." if error.absolute_path else ""
        hint = f" (allowed here: {', '.join(allowed)})" if allowed else ""
        return [f"{prefix}{key}: unknown key{hint}" for key in extra]
    if error.validator == "required":
        return [f"{where}: {error.message}"]
    return [f"{where} = {error.instance!r}: {error.message}"]


def check_params(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Every problem of ``config`` against ``schema``, one line each (sorted by key); [] when valid.

    Both the config as written and the config at its scale (after the ``scales`` overlay) are
    checked, so a misspelt key inside ``scales.paper`` is caught too; its message then starts with
    ``scales.<scale>.`` so the user knows where to look.
    """
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    problems = [m for e in validator.iter_errors(dict(config)) for m in _describe(e)]
    if not problems and isinstance(config.get("scales"), Mapping):
        for scale, section in config["scales"].items():
            if not isinstance(section, Mapping):
                continue
            merged = overlay(config, section)
            for error in validator.iter_errors(merged):
                problems += [f"scales.{scale}.{m}" for m in _describe(error)]
    return sorted(set(problems))  # by key path, so related problems sit together


# Settings that must be positive wherever they appear in an experiment file (name -> minimum).
POSITIVE_SETTINGS = {"epochs": 1, "batch_size": 1}


def check_settings(settings: Mapping[str, Any], where: str) -> list[str]:
    """Problems of an experiment's settings (nested dicts): every ``epochs`` / ``batch_size``
    below 1 and every ``lr`` not above 0, named by dotted key and prefixed by ``where``."""
    problems = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
            return
        leaf = path.rsplit(".", 1)[-1]
        if isinstance(node, bool) or not isinstance(node, int | float):
            return
        if leaf in POSITIVE_SETTINGS and node < POSITIVE_SETTINGS[leaf]:
            problems.append(f"{where}: {path} = {node!r}: must be >= {POSITIVE_SETTINGS[leaf]}")
        elif leaf == "lr" and node <= 0:
            problems.append(f"{where}: {path} = {node!r}: must be > 0")

    walk(settings, "")
    return problems


def load_schema(path: str | Path = SCHEMA) -> dict[str, Any]:
    """The schema of params.yaml (YAML or JSON)."""
    return yaml.safe_load(Path(path).read_text())


def require_valid(
    config: Mapping[str, Any], schema_path: str | Path = SCHEMA, source: str = "params.yaml"
) -> None:
    """Raise ValueError listing every problem of ``config`` (message names each bad key).

    Raises:
        ValueError: ``"params.yaml is invalid:\\n  validation_gaussian.nn: unknown key ..."``.
    """
    problems = check_params(config, load_schema(schema_path))
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise ValueError(f"{source} is invalid (fix these keys, schema {schema_path}):\n{lines}")


def load_params(path: str | Path = "params.yaml", schema_path: str | Path = SCHEMA) -> dict[str, Any]:
    """Read params.yaml, check it (ValueError naming bad keys), and return it at its scale."""
    config = yaml.safe_load(Path(path).read_text()) or {}
    require_valid(config, schema_path, source=str(path))
    return scaled(config)
