"""Experiment files: one paper experiment per file, ``experiments/<name>.yaml``, read one way.

A file's top level holds the paper's settings; its ``scales.quick`` section is merged over them at
the quick scale (a ``null`` there removes a key, e.g. an analysis the quick scale skips); dotted
overrides (``{"train.lr": 1e-4}``, from params.yaml's ``experiments.<name>.set`` or ``--set``)
come last. The result is checked against one schema (``schema.yaml`` beside this module), then
every name in it against the code that will use it, and returned as a plain dict:

    spec = load_experiment("szt_binning", scale="quick")
    spec["seeds"]                        # [0, 1, 2]: a count n in the file means seeds 0..n-1
    run = variant(spec, "relu")          # the experiment with the variant's overlay applied
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from infoplane.config import overlay, read_yaml

SCALES = ("quick", "paper")
#: Where experiment files are looked up by name (relative to the working directory: the repository).
EXPERIMENTS_DIR = Path("experiments")

#: Rows of each dataset's splits (train, test); SZT has 4096 inputs in all.
DATASET_SIZES = {"mnist": (60000, 10000), "cifar10": (50000, 10000), "szt": (4096, 4096)}

#: Every network (built by :mod:`infoplane.experiments.build`) and the dataset it reads; here, so
#: that checking an experiment file does not load torch.
DATASET_OF = {"szt-mlp": "szt", "saxe-mnist": "mnist", "bottleneck2": "mnist", "lorenzen-4x10": "mnist",
              "bottleneck4": "mnist", "hourglass": "mnist",
              "butakov-mnist-cnn": "mnist", "butakov-cifar10-cnn": "cifar10", "lorenzen-conv": "mnist"}


def experiment_path(experiment: str | Path) -> Path:
    """``"szt_binning"`` -> experiments/szt_binning.yaml; a path to a .yaml file is kept as it is."""
    text = str(experiment)
    if text.endswith((".yaml", ".yml")) or "/" in text:
        return Path(text)
    return EXPERIMENTS_DIR / f"{text}.yaml"


def available(directory: str | Path = EXPERIMENTS_DIR) -> list[str]:
    """The names of the experiment files in ``directory``, sorted."""
    return sorted(p.stem for p in Path(directory).glob("*.yaml"))


def dotted(assignments: Mapping[str, Any]) -> dict[str, Any]:
    """``{"train.lr": 1e-3}`` -> ``{"train": {"lr": 1e-3}}``."""
    nested: dict[str, Any] = {}
    for path, value in assignments.items():
        node = nested
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return nested


def load_experiment(
    experiment: str | Path, scale: str = "quick", overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The settings of an experiment at ``scale``, with dotted ``overrides`` applied, checked.

    Args:
        experiment: a name (``experiments/<name>.yaml``) or a path to an experiment file.
        scale: ``quick`` (the file's ``scales.quick`` over its values) or ``paper`` (its values).
        overrides: dotted keys -> values, applied last; each key must exist after the scale
            overlay (a typo must not pass silently), except ``seeds``.

    Returns:
        a dict with the schema's keys, ``seeds`` as a list of ints and ``scale`` set.

    Raises:
        ValueError: a missing file, an unknown scale, a bad override, or every problem of the
            file at this scale, one line each naming the dotted key.
    """
    path = experiment_path(experiment)
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    if not path.is_file():
        names = ", ".join(available(path.parent)) or "none"
        raise ValueError(f"experiment file {path} does not exist (experiments in {path.parent}: {names})")
    raw = read_yaml(path)
    scales = raw.pop("scales", None) or {}
    unknown = sorted(set(scales) - {"quick"})
    if unknown:
        raise ValueError(f"{path}: scales.{unknown[0]}: only scales.quick is allowed "
                         "(the file's own values are the paper scale)")
    spec = overlay(raw, scales.get("quick") or {}, null_removes=True) if scale == "quick" else raw
    overrides = dict(overrides or {})
    for key in overrides:
        if key != "seeds" and not _has_key(spec, key):
            raise ValueError(f"override {key!r}: {path} has no such setting at the {scale} scale")
    spec = overlay(spec, dotted(overrides))
    spec["scale"] = scale
    problems = check_experiment(spec, path)
    if len(problems) == 1:
        raise ValueError(f"{path} is invalid at the {scale} scale: {problems[0]}")
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise ValueError(f"{path} is invalid at the {scale} scale (fix these keys):\n{lines}")
    spec["seeds"] = seed_list(spec["seeds"])
    return spec


def seed_list(seeds: int | list[int]) -> list[int]:
    """A count n -> [0, .., n-1]; a list is kept."""
    return list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]


def variant(spec: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The experiment with variant ``name``'s overlay applied (``variant`` set to the name); a
    null in the overlay removes the key (a variant drops an analysis that does not apply to it)."""
    if name not in spec["variants"]:
        raise ValueError(f"experiment {spec['name']} has no variant {name!r} "
                         f"(variants: {', '.join(spec['variants'])})")
    settings = overlay({k: v for k, v in spec.items() if k != "variants"}, spec["variants"][name],
                       null_removes=True)
    settings["variant"] = name
    return settings


def uses_autoencoder(spec: Mapping[str, Any]) -> bool:
    """Whether an analysis compresses X with the experiment's autoencoder."""
    return any(str(a.get("x", "")).startswith("autoencoder") for a in spec["analyses"].values())


def autoencoder_latents(spec: Mapping[str, Any]) -> list[int]:
    """The code sizes of the X autoencoders the analyses name, sorted: ``x: autoencoder`` the
    experiment's own (``x_autoencoder.latent_dim``), ``x: autoencoder:K`` the same trained
    with a K-dimensional code (an ablation of the code size)."""
    sizes = set()
    for analysis in spec["analyses"].values():
        x = str(analysis.get("x", ""))
        if x == "autoencoder":
            sizes.add(int(spec["x_autoencoder"]["latent_dim"]))
        elif x.startswith("autoencoder:"):
            sizes.add(int(x.split(":")[1]))
    return sorted(sizes)


def _has_key(spec: Mapping[str, Any], dotted_key: str) -> bool:
    node: Any = spec
    for part in dotted_key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


@cache
def _schema() -> dict[str, Any]:
    return yaml.safe_load(resources.files("infoplane.experiments").joinpath("schema.yaml").read_text())


def check_experiment(spec: Mapping[str, Any], path: str | Path = "<experiment>") -> list[str]:
    """Every problem of an experiment's settings (after its scale overlay), one line each.

    First the schema; when the structure is sound, the names against the code: the file's name,
    the network and its dataset, each variant (it must keep the schema), each analysis's
    estimator and parameters (built through the registry, as the analysis step will), the panels'
    variants and analyses, the autoencoder an analysis needs, and sizes against the dataset.
    """
    from jsonschema import Draft202012Validator

    from infoplane.config import _describe

    validator = Draft202012Validator(_schema())
    problems = [m for e in validator.iter_errors(dict(spec)) for m in _describe(e)]
    if problems:
        return sorted(set(problems))
    if Path(path).suffix in (".yaml", ".yml") and spec["name"] != Path(path).stem:
        problems.append(f"name = {spec['name']!r}: must be the file's stem {Path(path).stem!r}")
    for name in spec["variants"]:
        settings = variant(spec, name)
        where = f"variants.{name}"
        problems += [f"{where}: {m}" for e in validator.iter_errors(
            {k: v for k, v in settings.items() if k != "variant"} | {"variants": spec["variants"]})
            for m in _describe(e)]
        problems += _check_network(settings, where)
        problems += _check_sizes(settings, where)
        for name, analysis in (settings.get("analyses") or {}).items():   # the file's and the variant's own
            place = f"analyses.{name}" if name in spec["analyses"] else f"{where}.analyses.{name}"
            problems += _check_analysis(analysis, place)
    for i, panel in enumerate(spec["panels"]):
        if panel["variant"] not in spec["variants"]:
            problems.append(f"panels[{i}].variant = {panel['variant']!r}: no such variant "
                            f"(variants: {', '.join(spec['variants'])})")
            continue
        analyses = variant(spec, panel["variant"]).get("analyses") or {}
        if panel["analysis"] not in analyses:
            problems.append(f"panels[{i}].analysis = {panel['analysis']!r}: no such analysis of variant "
                            f"{panel['variant']!r} (analyses: {', '.join(analyses)})")
    if uses_autoencoder(spec) and "x_autoencoder" not in spec:
        problems.append("x_autoencoder: missing; an analysis compresses X with `x: autoencoder`")
    return list(dict.fromkeys(problems))


def _check_network(settings: Mapping[str, Any], where: str) -> list[str]:
    name, dataset = settings["network"]["name"], settings["dataset"]["name"]
    if name not in DATASET_OF:
        return [f"{where}: network.name = {name!r}: unknown network "
                f"(known: {', '.join(DATASET_OF)})"]
    if DATASET_OF[name] != dataset:
        return [f"{where}: network {name!r} reads {DATASET_OF[name]} inputs, not dataset "
                f"{dataset!r}; set dataset.name: {DATASET_OF[name]}"]
    return []


def _check_sizes(settings: Mapping[str, Any], where: str) -> list[str]:
    data = settings["dataset"]
    n_train, n_test = DATASET_SIZES[data["name"]]
    problems = []
    if data["name"] == "szt":
        images_only = [k for k in ("train_size", "eval_size", "eval_source", "eval_seed", "normalise")
                       if k in data]
        if images_only:
            problems.append(f"{where}: dataset.{images_only[0]}: only image datasets take it "
                            "(SZT trains on its split and evaluates all 4096 inputs)")
        return problems
    source_rows = n_test if data.get("eval_source", "test") == "test" else n_train
    ae_rows = (settings.get("x_autoencoder") or {}).get("train_size")
    for key, value, limit in (("dataset.train_size", data.get("train_size"), n_train),
                              ("dataset.eval_size", data.get("eval_size"), source_rows),
                              ("x_autoencoder.train_size", ae_rows, n_train)):
        if isinstance(value, int) and not 1 <= value <= limit:
            problems.append(f"{where}: {key} = {value}: must be in 1..{limit} "
                            f"(the {data['name']} split has {limit} rows)")
    return problems


def _check_analysis(analysis: Mapping[str, Any], where: str) -> list[str]:
    """The analysis's estimator builds with its parameters (the call the analysis step makes)."""
    if analysis["kind"] == "sample-propagation":
        return []
    from infoplane.estimators import available as estimators
    from infoplane.estimators import build

    name, params = analysis["estimator"], dict(analysis.get("params") or {})
    if name not in estimators():
        return [f"{where}.estimator = {name!r}: unknown estimator (registered: {', '.join(estimators())})"]
    try:
        build(name, **params)
    except (ValueError, TypeError) as err:
        return [f"{where}: {str(err).splitlines()[0]}"]
    return []

