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


# --- registry checks: every name and parameter the rules will pass to the CLI -------------------

#: Rows of each dataset's splits (train, test); SZT has 4096 inputs in all.
DATASET_SIZES = {"mnist": (60000, 10000), "cifar10": (50000, 10000), "szt": (4096, 4096)}
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


def _check_baselines(baselines: Mapping[str, Any]) -> list[str]:
    problems = []
    for exp, spec in baselines.items():
        if not isinstance(spec, Mapping) or "variants" not in spec:
            continue
        where = f"baselines.{exp}"
        analyses = spec.get("analyses") or {}
        for name, analysis in analyses.items():
            analysis = dict(analysis)
            problems += _check_estimator(f"{where}.analyses.{name}.estimator", analysis.pop("estimator"),
                                         analysis)
        allowed_analyses = sorted(analyses) or ["sp"]  # the noisy network's SP analysis has no spec
        for i, (variant, analysis, _title) in enumerate(spec.get("panels") or []):
            if variant not in spec["variants"]:
                problems.append(f"{where}.panels[{i}][0] = {variant!r}: no such variant "
                                f"(variants: {', '.join(spec['variants'])})")
            if analysis not in allowed_analyses:
                problems.append(f"{where}.panels[{i}][1] = {analysis!r}: no such analysis "
                                f"(analyses: {', '.join(allowed_analyses)})")
        runs = {"run": {}, **{f"variants.{v}": o for v, o in spec["variants"].items()}}
        for variant, overrides in runs.items():
            run = {**spec.get("run", {}), **(overrides or {})}
            dataset = run.get("dataset", "szt")
            n_train, n_test = DATASET_SIZES[dataset]
            key = "run" if variant == "run" else variant
            for size, limit in (("train_size", n_train), ("eval_size", n_test)):
                if dataset != "szt" and isinstance(run.get(size), int) and run[size] > limit:
                    problems.append(f"{where}.{key}.{size} = {run[size]}: larger than the {dataset} "
                                    f"{'training' if size == 'train_size' else 'test'} set ({limit} rows)")
    return sorted(set(problems))


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


def _check_butakov(butakov: Mapping[str, Any], scale: str) -> list[str]:
    """Each experiment file loads at this scale with its overrides, its counts are positive, its
    analysis estimator builds, its sizes fit the dataset, and its device is one we know."""
    from infoplane.experiment import load_experiment

    problems = []
    for dataset, cfg in butakov.items():
        where = f"butakov.{dataset}"
        device = cfg.get("device", "auto")
        if not isinstance(device, str) or not DEVICE.match(device):
            problems.append(f"{where}.device = {device!r}: use auto, cpu, cuda or cuda:N")
        try:
            settings = load_experiment(cfg["experiment"], scale, cfg.get("set") or {})
        except ValueError as err:
            problems.append(f"{where}.experiment ({cfg['experiment']}, set {cfg.get('set') or {}}): "
                            f"{_error_line(err)}")
            continue
        label = f"{where} ({cfg['experiment']}, scale {scale}, set {cfg.get('set') or {}})"
        problems += check_settings(settings, label)
        analysis = settings.get("analysis") or {}
        problems += [f"{label}: {p}" for p in _check_estimator(
            "analysis.estimator", analysis.get("estimator"), analysis.get("estimator_params") or {})]
        n_train, n_test = DATASET_SIZES.get(settings.get("dataset"), (None, None))
        data = settings.get("data") or {}
        source_rows = n_test if data.get("eval_source", "test") == "test" else n_train
        ae_rows = (settings.get("autoencoder") or {}).get("train_size")
        for key, value, limit in (("data.eval_size", data.get("eval_size"), source_rows),
                                  ("autoencoder.train_size", ae_rows, n_train)):
            if limit is not None and isinstance(value, int) and not isinstance(value, bool):
                if not 1 <= value <= limit:
                    problems.append(f"{label}: {key} = {value}: must be in 1..{limit} "
                                    f"(the {settings.get('dataset')} split has {limit} rows)")
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
    problems += _check_baselines(params.get("baselines", {}))
    problems += _check_estimator_validation(params.get("estimator_validation", {}), estimators)
    problems += _check_butakov(params.get("butakov", {}), params.get("scale", "quick"))
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
