"""params.yaml: checking it against its JSON schema with messages that name the bad key, and the
scale overlay (``scale: paper`` applies ``scales.paper`` over the quick values).

The workflow (workflow/rules/common.smk), the report and the tests all use these functions, so a
broken params.yaml fails the same way everywhere: one line per problem, each naming the dotted key
(``validation_gaussian.n``) and what is allowed there.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

SCHEMA = Path("workflow/schemas/params.schema.yaml")


def overlay(base: Mapping[str, Any], overrides: Mapping[str, Any],
            null_removes: bool = False) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base`` (dicts merge, everything else replaces).

    With ``null_removes``, an override ``None`` deletes the key (an experiment's quick scale drops
    an analysis this way); otherwise ``None`` is a value like any other.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if value is None and null_removes:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = overlay(merged[key], value, null_removes)
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
        prefix = f"{where}." if error.absolute_path else ""
        what = "key" if error.absolute_path else "section"
        return [f"{prefix}{key}: missing {what} (required)" for key in error.validator_value
                if key not in error.instance]
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


# --- registry checks: every name and parameter the rules will pass to the CLI -------------------

DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?|mps)$")


def _error_line(err: Exception) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def _check_estimator(where: str, name: Any, params: Mapping[str, Any]) -> list[str]:
    """Build estimator ``name`` with ``params`` through the registry (the same call the CLI makes),
    so that its constructor's own checks are the checks of params.yaml."""
    from infoplane.estimators import available, build

    if not isinstance(name, str) or name not in available():
        return [f"{where} = {name!r}: unknown estimator (registered: {', '.join(available())})"]
    try:
        build(name, **dict(params))
    except (ValueError, TypeError) as err:
        return [f"{where}: {_error_line(err)}"]
    return []


def _check_task(where: str, name: Any, params: Mapping[str, Any]) -> list[str]:
    from infoplane.synthetic import TASKS, build_task

    if name not in TASKS:
        return [f"{where} = {name!r}: unknown task (available: {', '.join(sorted(TASKS))})"]
    try:
        build_task(name, **dict(params))
    except (ValueError, TypeError) as err:
        return [f"{where}: {_error_line(err)}"]
    return []


def _check_estimator_validation(ev: Mapping[str, Any], estimators: Mapping[str, Any]) -> list[str]:
    problems = []
    images, bmi = ev.get("images", {}), ev.get("bmi", {})
    for family, spec in images.get("families", {}).items():
        problems += _check_task(f"estimator_validation.images.families.{family}.task", spec.get("task"),
                                {**spec.get("params", {}), "mi": 0.0})
    for label, method in images.get("methods", {}).items():
        name = method.get("estimator")
        params = {**estimators.get(name, {}), **method.get("params", {})} if isinstance(name, str) else {}
        problems += _check_estimator(f"estimator_validation.images.methods.{label}.estimator", name, params)
    methods = bmi.get("methods", {})
    for label, method in methods.items():
        name = method.get("estimator")
        params = {**estimators.get(name, {}), **method.get("params", {})} if isinstance(name, str) else {}
        problems += _check_estimator(f"estimator_validation.bmi.methods.{label}.estimator", name, params)
    for case, spec in bmi.get("cases", {}).items():
        where = f"estimator_validation.bmi.cases.{case}"
        problems += _check_task(f"{where}.task", spec.get("task"), spec.get("params", {}))
        for i, label in enumerate(spec.get("methods", [])):
            if label not in methods:
                problems.append(f"{where}.methods[{i}] = {label!r}: no such method "
                                f"(bmi.methods: {', '.join(methods)})")
    return problems


def _check_experiments(experiments: Mapping[str, Any], scale: str) -> list[str]:
    """Each experiment file loads at this scale with its overrides and seeds (the loader checks
    the file against its schema and every name in it against the code)."""
    from infoplane.experiments.spec import load_experiment

    problems = []
    for name, how in experiments.items():
        overrides = dict(how.get("set") or {})
        if "seeds" in how:
            overrides["seeds"] = how["seeds"]
        try:
            load_experiment(name, scale, overrides)
        except ValueError as err:
            # the loader's first line says which file; the rest name one key each
            lines = str(err).splitlines()
            detail = [line.strip() for line in lines[1:]] or [lines[0].split(" scale: ", 1)[-1]]
            problems += [f"experiments.{name} (experiments/{name}.yaml at the {scale} scale): {line}"
                         for line in detail]
    return problems


def check_registry(params: Mapping[str, Any]) -> list[str]:
    """Problems of a schema-valid config *at its scale* that the schema cannot see: every estimator,
    task, analysis, binning scheme, panel, method label, device and size checked against the code
    that will use it (the registries, the experiment files, the datasets' sizes)."""
    estimators = params.get("estimators", {})
    problems = []
    for name, est_params in estimators.items():
        problems += _check_estimator(f"estimators.{name}", name, est_params or {})
    vg = params.get("validation_gaussian", {})
    for i, name in enumerate(vg.get("estimators", [])):
        problems += _check_estimator(f"validation_gaussian.estimators[{i}]", name,
                                     estimators.get(name, {}) if isinstance(name, str) else {})
    if vg:
        problems += _check_task("validation_gaussian.task", vg.get("task"),
                                {"dim_x": min(vg["dims"]), "dim_y": min(vg["dims"]), "mi": min(vg["mi"])})
    problems += _check_estimator_validation(params.get("estimator_validation", {}), estimators)
    problems += _check_experiments(params.get("experiments", {}), params.get("scale", "quick"))
    return list(dict.fromkeys(problems))


def check_data_root(params: Mapping[str, Any], raw: str | Path = "data/raw") -> list[str]:
    """The data root (``$INFOPLANE_DATA_ROOT``, else ``data_root``) exists and holds every dataset
    file the pipeline copies into ``raw``, unless ``raw`` holds it already (after ``dvc pull``)."""
    import os

    from infoplane.data import ENV_VAR
    from infoplane.data.fetch import DEFAULT_FILES

    missing_raw = [name for name in DEFAULT_FILES if not (Path(raw) / name).is_file()]
    if not missing_raw:
        return []
    chosen = os.environ.get(ENV_VAR) or params.get("data_root")
    key = f"{ENV_VAR} (overrides data_root)" if os.environ.get(ENV_VAR) else "data_root"
    root = Path(str(chosen)).expanduser()
    if not root.is_dir():
        return [f"{key} = {str(chosen)!r}: no such directory; point it at the folder holding MNIST/raw "
                f"and SZT/var_u.mat, or `dvc pull data/raw`"]
    absent = [name for name in missing_raw if not (root / name).is_file()]
    if absent:
        return [f"{key} = {str(chosen)!r}: lacks {', '.join(absent[:3])}"
                f"{f' and {len(absent) - 3} more' if len(absent) > 3 else ''} (needed in {raw}); "
                "point it at the folder holding MNIST/raw and SZT/var_u.mat, or `dvc pull data/raw`"]
    return []


def load_schema(path: str | Path = SCHEMA) -> dict[str, Any]:
    """The schema of params.yaml (YAML or JSON)."""
    return yaml.safe_load(Path(path).read_text())


def all_problems(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Every problem of ``config``: the schema first; when the structure is sound, the registry
    checks at the config's scale and at each scale of ``scales``, then the data root."""
    problems = check_params(config, schema)
    if problems:
        return problems
    problems = check_registry(scaled(config))
    for scale in (config.get("scales") or {}):
        if scale != config.get("scale"):
            other = check_registry(scaled({**config, "scale": scale}))
            problems += [f"scales.{scale}.{p}" for p in other if p not in problems]
    return problems + check_data_root(scaled(config))


def require_valid(
    config: Mapping[str, Any], schema_path: str | Path = SCHEMA, source: str = "params.yaml"
) -> None:
    """Raise ValueError listing every problem of ``config`` (message names each bad key).

    Raises:
        ValueError: ``"params.yaml is invalid:\n  validation_gaussian.nn: unknown key ..."``.
    """
    problems = all_problems(config, load_schema(schema_path))
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise ValueError(f"{source} is invalid (fix these keys, schema {schema_path}):\n{lines}")


def read_yaml(path: str | Path) -> dict[str, Any]:
    """A YAML mapping from ``path``; a syntax error is one line with the file, line and column."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} does not exist or is not a file")
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(err, "problem", None) or _error_line(err)
        raise ValueError(f"{where}: YAML syntax error: {problem}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a mapping of sections, got {type(loaded).__name__}")
    return loaded


def load_params(path: str | Path = "params.yaml", schema_path: str | Path = SCHEMA) -> dict[str, Any]:
    """Read params.yaml, check it (ValueError naming bad keys), and return it at its scale."""
    config = read_yaml(path)
    require_valid(config, schema_path, source=str(path))
    return scaled(config)
