"""The papers' claims judged against the result files: each claim's number and its status.

The claims live in ``paper/claims.yaml`` (see its header for the format). For each claim
:func:`judge` reads its measurement from a result file (a JSON metric by dotted key, or a CSV
table reduced by a pandas query, an expression and an aggregate) and compares it with the
claim's criterion; :mod:`infoplane.report` renders the verdicts. Nothing is typed in: a claim
whose result file is absent is "not run", one whose file lacks the value "unknown".

Scale. A claim is measured at the scale params.yaml names (``quick`` by default) unless it
says ``scale: paper`` and reads a committed paper-scale result. Only the paper scale gives a
verdict on a paper; a quick-scale number is a smoke check of the pipeline and is labelled so.

Statuses:
    reproduced           paper scale: the measured value meets the criterion
    not reproduced       paper scale: it does not
    smoke check passes   quick scale: the value meets the criterion (not a verdict)
    smoke check fails    quick scale: it does not (not a verdict)
    no valid criterion   the claim's criterion is known to pass on noise alone (``invalid_criterion``
                         says why); its number is shown, never judged
    unknown              the result file exists but the value cannot be read from it (or is NaN)
    not run              the result file does not exist yet, or a table has no rows for the
                         claim's query (the variant it reads was not run into the table)

Effects over seeds. A ``seed_effect`` measure (see claims.yaml's header) reads an MI table and
computes an effect per seed with a 95 % interval over seeds (bootstrap, or Student-t with
``interval: t`` for a handful of seeds, the default of a held-out dip: :func:`interval_method`;
:mod:`infoplane.seed_stats`); its criterion may apply to
the interval's lower or upper end (``judged: lo``), so that an effect smaller than the spread
between seeds does not pass.

Provenance. Each verdict carries the commit that last changed its criterion's line in
claims.yaml (``git blame``), which the report shows beside the criterion.
"""


from __future__ import annotations

import json
import math
import operator
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from infoplane.experiments.spec import experiment_path, load_experiment

REPRODUCED, NOT_REPRODUCED, UNKNOWN, NOT_RUN = "reproduced", "not reproduced", "unknown", "not run"
SMOKE_PASSES, SMOKE_FAILS = "smoke check passes", "smoke check fails"
NO_VALID_CRITERION = "no valid criterion"
STATUSES = (REPRODUCED, NOT_REPRODUCED, SMOKE_PASSES, SMOKE_FAILS, NO_VALID_CRITERION, UNKNOWN, NOT_RUN)
EFFECTS = ("held_out_compression", "held_out_dip", "change_between", "range", "value_at", "flag_share",
           "layer_gap", "paired_gap", "drift_to_diffusion_lag", "error_at_held_out_peak",
           "epochs_to_accuracy_ratio")

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
AGGREGATES = ("mean", "median", "min", "max", "sum", "count", "std")
CLAIM_KEYS = {"id", "paper", "claim", "experiment", "target", "measure", "criterion", "figures", "note",
              "scale", "invalid_criterion", "criterion_changed_after_data", "at_paper_scale",
              "not_run_because"}
EFFECT_KEYS = {"seed_effect", "table", "query", "layer", "analysis", "column", "start", "end", "epoch",
               "interval", "flag", "other", "versus", "history", "threshold", "versus_analysis"}
#: The keys an effect needs beyond table, layer and analysis.
EFFECT_NEEDS = {"flag_share": {"flag"}, "layer_gap": {"other"}, "paired_gap": {"query", "versus"},
                "drift_to_diffusion_lag": {"history"}, "error_at_held_out_peak": {"history"},
                "epochs_to_accuracy_ratio": {"history", "query", "versus", "threshold"}}
#: Effects read from training histories alone (no MI table, layer or analysis).
HISTORY_EFFECTS = ("epochs_to_accuracy_ratio",)
#: A table measure's ``pivot``: one row per ``index`` with a column per value of ``columns``
#: holding ``values``, so that ``expr`` compares two methods on the same samples.
PIVOT_KEYS = {"index", "columns", "values"}
REQUIRED = ("id", "paper", "claim", "experiment", "measure", "criterion")


@dataclass
class Verdict:
    """One claim checked against the results: the measured value (None when absent) and status.

    ``lo``/``hi``: the 95 % interval over seeds of a seed effect; ``seeds``: how many seeds the
    number rests on (None when the measure does not say); ``scale``: quick or paper;
    ``criterion_commit``: the commit that last changed the criterion's line.
    """

    claim: dict[str, Any]
    value: float | None
    status: str
    detail: str = ""
    lo: float | None = None
    hi: float | None = None
    seeds: int | None = None
    scale: str = "quick"
    criterion_commit: str = ""


# --- reading the claims --------------------------------------------------------------------


def load_claims(path: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """``(papers, claims)`` from claims.yaml, checked (ValueError naming the claim and the key).

    A quick-scale claim's ``at_paper_scale`` says where its statement is judged at the paper
    scale: the id of a paper-scale claim, or why it is not (the text of the file's
    ``not_at_paper_scale`` entry for its experiment when the claim gives none).
    """
    if not path.exists():
        raise ValueError(f"claims file {path} does not exist")
    doc = yaml.safe_load(path.read_text()) or {}
    papers, claims = doc.get("papers") or {}, doc.get("claims") or []
    not_at_paper_scale = doc.get("not_at_paper_scale") or {}
    seen: set[str] = set()
    for i, claim in enumerate(claims):
        name = claim.get("id", f"#{i}")
        missing = [k for k in REQUIRED if k not in claim]
        unknown = sorted(set(claim) - CLAIM_KEYS)
        if missing or unknown:
            raise ValueError(f"{path}: claim {name}: missing keys {missing}, unknown keys {unknown}")
        if name in seen:
            raise ValueError(f"{path}: claim id {name} appears twice")
        seen.add(name)
        if claim["paper"] not in papers:
            raise ValueError(f"{path}: claim {name}: paper {claim['paper']!r} is not under `papers:`")
        _check_measure(claim["measure"], f"{path}: claim {name}")
        _check_criterion(claim["criterion"], f"{path}: claim {name}")
        if claim.get("scale") != "paper" and claim["experiment"] in not_at_paper_scale:
            claim.setdefault("at_paper_scale", " ".join(str(not_at_paper_scale[claim["experiment"]]).split()))
    paper_ids = {c["id"] for c in claims if c.get("scale") == "paper"}
    for claim in claims:
        link = paper_scale_link(claim)
        if link and link not in paper_ids:
            raise ValueError(f"{path}: claim {claim['id']}: at_paper_scale {link!r} is not the id of a "
                             "paper-scale claim (give the id, or a sentence saying why it is not run)")
    return papers, claims


def load_questions(path: Path, claim_ids: set[str]) -> list[dict[str, Any]]:
    """claims.yaml's ``questions``: what a skeptical reader asks (``ask``) and the claims that
    answer it (``claims``, ids), checked; the report shows each question with their verdicts."""
    questions = (yaml.safe_load(path.read_text()) or {}).get("questions") or []
    for i, question in enumerate(questions):
        if set(question) != {"ask", "claims"} or not question["claims"]:
            raise ValueError(f"{path}: questions[{i}] has exactly `ask` (a sentence) and `claims` (ids)")
        unknown = [c for c in question["claims"] if c not in claim_ids]
        if unknown:
            raise ValueError(f"{path}: questions[{i}] names claims that do not exist: {unknown}")
    return questions


def paper_scale_link(claim: Mapping[str, Any]) -> str | None:
    """The id of the paper-scale claim that judges a quick-scale claim's statement, if one does
    (``at_paper_scale`` is one word); None when it gives a reason instead, or nothing."""
    where = str(claim.get("at_paper_scale", ""))
    return where if where and " " not in where else None


def _check_measure(measure: Mapping[str, Any], where: str) -> None:
    if "interval" in measure and measure["interval"] not in ("bootstrap", "t"):
        raise ValueError(f"{where}: measure `interval` is bootstrap or t (Student-t), "
                         f"got {measure['interval']!r}")
    if measure.get("seed_effect") == "held_out_compression" and "interval" in measure:
        raise ValueError(f"{where}: a held_out_compression is judged on halves of the seeds with the "
                         "bootstrap; drop its `interval`")
    if "seed_effect" in measure:
        unknown = set(measure) - EFFECT_KEYS
        table_keys = set() if measure["seed_effect"] in HISTORY_EFFECTS else {"table", "layer", "analysis"}
        required = table_keys | EFFECT_NEEDS.get(measure["seed_effect"], set())
        if unknown or measure["seed_effect"] not in EFFECTS or not required <= set(measure):
            needs = ", ".join(f"{' and '.join(f'`{key}`' for key in sorted(keys))} for {effect}"
                              for effect, keys in EFFECT_NEEDS.items())
            raise ValueError(f"{where}: a seed_effect measure names one of {EFFECTS}, a `table`, `layer` and "
                             f"`analysis` ({needs}; optional: `query`, `column`, `start`, `end`, `epoch`, "
                             f"`interval`); got {sorted(measure)}")
    elif "metric" in measure:
        if set(measure) != {"metric", "key"}:
            raise ValueError(f"{where}: a metric measure has exactly `metric` (file) and `key` (dotted path)")
    elif "table" in measure:
        unknown = set(measure) - {"table", "query", "pivot", "expr", "agg", "per", "interval"}
        if unknown or "expr" not in measure or measure.get("agg") not in AGGREGATES or (
                "interval" in measure and "per" not in measure) or (
                "pivot" in measure and set(measure["pivot"]) != PIVOT_KEYS):
            raise ValueError(
                f"{where}: a table measure has `table`, `expr`, `agg` (one of {AGGREGATES}) and an "
                f"optional `query`, `pivot` (exactly {sorted(PIVOT_KEYS)}), and `per` (a column, e.g. "
                f"seed) with an optional `interval`; got {sorted(measure)}"
            )
    else:
        raise ValueError(f"{where}: measure needs `metric` or `table`")


def _check_criterion(criterion: Mapping[str, Any], where: str) -> None:
    if criterion.get("judged", "mean") not in ("mean", "lo", "hi"):
        raise ValueError(f"{where}: criterion `judged` is mean, lo or hi (an end of the interval over seeds)")
    keys = set(criterion) - {"text", "judged"}
    if keys == {"between"}:
        low, high = criterion["between"]
        if not low <= high:
            raise ValueError(f"{where}: criterion `between` needs [low, high] with low <= high")
    elif len(keys) != 1 or not keys <= set(OPS):
        raise ValueError(f"{where}: criterion is one of {sorted(OPS)}: number, or between: [low, high]")


# --- measuring -----------------------------------------------------------------------------


def read_results(root: Path, pattern: str) -> pd.DataFrame | None:
    """The rows of every table under ``root`` that ``pattern`` names (a path, or a glob such as
    ``paper/paper_scale/szt_training_size_*.csv.gz`` for a run kept one file per variant), in
    sorted path order; None when none exists."""
    paths = sorted(root.glob(pattern))
    if not paths:
        return None
    # low_memory=False: one dtype per column (flags are mostly empty)
    return pd.concat([pd.read_csv(path, low_memory=False) for path in paths], ignore_index=True)


def measure(spec: Mapping[str, Any], root: Path) -> tuple[float | None, str, str]:
    """Read one measured number: ``(value, status, detail)``; status is "" when it was read."""
    if "metric" in spec:
        path = root / spec["metric"]
        if not path.exists():
            return None, NOT_RUN, f"{spec['metric']} absent"
        node: Any = json.loads(path.read_text())
        for part in str(spec["key"]).split("."):
            if not isinstance(node, Mapping) or part not in node:
                return None, UNKNOWN, f"{spec['metric']} has no key {spec['key']}"
            node = node[part]
        return _number(node, f"{spec['metric']}:{spec['key']}")
    values, status, detail = _row_values(spec, root)
    if values is None:
        return None, status, detail
    return _number(getattr(values, spec["agg"])(), spec["table"])


def _row_values(spec: Mapping[str, Any], root: Path) -> tuple[pd.Series | None, str, str]:
    """A table measure's ``expr`` on each row its ``query`` selects, with the rows' ``per``
    column as the index when it names one; or None, the status and why."""
    table = read_results(root, spec["table"])
    if table is None:
        return None, NOT_RUN, f"{spec['table']} absent"
    try:
        if spec.get("query"):
            table = table.query(spec["query"])
        if "pivot" in spec:   # pivot, not pivot_table: a repeated index raises instead of averaging
            table = table.pivot(**spec["pivot"]).reset_index()
        index = table[spec["per"]].to_numpy() if "per" in spec else None
        values = pd.Series(pd.Series(table.eval(spec["expr"])).to_numpy(), index=index, dtype=float)
    except Exception as err:  # a column that this table lacks: the claim cannot be read from it
        return None, UNKNOWN, f"{spec['table']}: {type(err).__name__}: {err}"
    if values.empty:   # the table is there but what the query selects was not run into it
        return None, NOT_RUN, f"{spec['table']} has no rows where {spec.get('query')}"
    return values, "", ""


def interval_method(spec: Mapping[str, Any]) -> str:
    """The 95 % interval over seeds (or groups) of a seed-effect or per-group measure: its
    ``interval``, else Student-t for a held-out dip (each seed's effect is judged against the other
    seeds, which leaves a handful of values) and the bootstrap for every other measure."""
    return str(spec.get("interval", "t" if spec.get("seed_effect") == "held_out_dip" else "bootstrap"))


def measure_per_group(spec: Mapping[str, Any], root: Path) -> tuple[Any, str, str]:
    """A table measure aggregated within each group of the column ``per`` (a seed), as a
    :class:`~infoplane.seed_stats.SeedEffect`: the mean over groups with its 95 % interval, or
    why not."""
    from infoplane import seed_stats

    values, status, detail = _row_values(spec, root)
    if values is None:
        return None, status, detail
    per_group = values.groupby(level=0).agg(spec["agg"])
    try:
        mean, lo, hi = seed_stats.interval_of(per_group.to_numpy(), interval_method(spec))
    except ValueError as err:
        return None, UNKNOWN, f"{spec['table']}: {err}"
    detail = {f"{spec['per']} {key}": float(value) for key, value in per_group.items()}
    return seed_stats.SeedEffect(mean, lo, hi, len(per_group), detail), "", ""


def measure_effect(spec: Mapping[str, Any], root: Path) -> tuple[Any, str, str]:
    """A seed effect (:class:`infoplane.seed_stats.SeedEffect`) from an MI table, or why not."""
    from infoplane import seed_stats

    if spec["seed_effect"] in HISTORY_EFFECTS:
        return _epochs_to_accuracy_ratio(spec, root)
    table = read_results(root, spec["table"])
    if table is None:
        return None, NOT_RUN, f"{spec['table']} absent"
    selected = {}
    for key in ("query", "versus"):   # `versus`: the rows a paired_gap compares the query's with
        selected[key] = table.query(spec[key]) if spec.get(key) else table
        if selected[key].empty:  # the table is there but this variant was not run into it
            return None, NOT_RUN, f"{spec['table']} has no rows where {spec[key]}"
    table, versus = selected["query"], selected["versus"]
    if spec["analysis"] not in set(table["analysis"]):   # an analysis not run on these runs yet
        return None, NOT_RUN, f"{spec['table']} has no rows of analysis {spec['analysis']!r}"
    kind, layer, analysis = spec["seed_effect"], str(spec["layer"]), spec["analysis"]
    column = spec.get("column", "i_xl")
    args = (table, column, layer, analysis)
    failed = _every_estimate_failed(table, column, layer, analysis)
    if failed:
        return None, UNKNOWN, f"{spec['table']}: every {column} of {layer} ({analysis}) failed: {failed}"
    interval = {"interval": interval_method(spec)}
    try:
        if kind == "held_out_compression":   # its halves of the seeds: always the bootstrap
            versus = {"versus_analysis": spec["versus_analysis"]} if "versus_analysis" in spec else {}
            return seed_stats.held_out_compression(table, layer, analysis, **versus), "", ""
        if kind == "held_out_dip":
            return seed_stats.held_out_dip(table, layer, analysis, **interval), "", ""
        if kind == "change_between":
            ends = {"start": spec.get("start"), "end": spec.get("end")}
            return seed_stats.change_between(*args, **ends, **interval), "", ""
        if kind == "range":
            return seed_stats.value_range(*args, **interval), "", ""
        if kind == "flag_share":
            return seed_stats.flag_share(table, str(spec["flag"]), layer, analysis, **interval), "", ""
        if kind == "layer_gap":
            gap = (spec.get("column", "i_xl"), layer, str(spec["other"]), analysis)
            return seed_stats.layer_gap(table, *gap, **interval), "", ""
        if kind in ("drift_to_diffusion_lag", "error_at_held_out_peak"):
            history = _history(root / spec["history"], spec.get("query"))
            if history is None:
                return None, NOT_RUN, f"{spec['history']} absent or without rows where {spec.get('query')}"
            effect = getattr(seed_stats, kind)
            return effect(table, history, layer, analysis, **interval), "", ""
        if kind == "paired_gap":
            gap = seed_stats.paired_gap(table, versus, *args[1:], epoch=spec.get("epoch"), **interval)
            return gap, "", ""
        return seed_stats.value_at(*args, epoch=spec.get("epoch"), **interval), "", ""
    except ValueError as err:
        return None, UNKNOWN, f"{spec['table']}: {err}"


def _epochs_to_accuracy_ratio(spec: Mapping[str, Any], root: Path) -> tuple[Any, str, str]:
    """:func:`infoplane.seed_stats.epochs_to_accuracy_ratio` of the histories of ``query``
    against ``versus`` (``history``: a path or a glob of one file per variant), or why not."""
    from infoplane import seed_stats

    history = read_results(root, spec["history"])
    if history is None:
        return None, NOT_RUN, f"{spec['history']} absent"
    parts = {}
    for key in ("query", "versus"):
        parts[key] = history.query(spec[key])
        if parts[key].empty:
            return None, NOT_RUN, f"{spec['history']} has no rows where {spec[key]}"
    interval = {"interval": interval_method(spec)}
    try:
        effect = seed_stats.epochs_to_accuracy_ratio(parts["query"], parts["versus"],
                                                     float(spec["threshold"]), spec.get("column", "test_acc"),
                                                     **interval)
    except ValueError as err:
        return None, UNKNOWN, f"{spec['history']}: {err}"
    return effect, "", ""


def _every_estimate_failed(table: pd.DataFrame, column: str, layer: str, analysis: str) -> str:
    """The first flag of the rows of ``layer`` and ``analysis`` when their ``column`` is NaN in
    every one (the estimator refused them all), else "": the reason, not a missing seed count."""
    if column not in table or "flags" not in table:
        return ""
    rows = table[(table["layer"].astype(str) == layer) & (table["analysis"] == analysis)]
    if rows.empty or rows[column].notna().any():
        return ""
    flags = rows["flags"].dropna()
    return str(flags.iloc[0]) if len(flags) else "no value in any row"


def _history(path: Path, query: str | None) -> pd.DataFrame | None:
    """A training history (one row per seed and epoch), the rows of ``query`` where it names a
    variant; None when the file or those rows are absent."""
    if not path.exists():
        return None
    history = pd.read_csv(path)
    if query and "variant" in history:
        history = history.query(query)
    return None if history.empty else history


def _number(value: Any, where: str) -> tuple[float | None, str, str]:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, UNKNOWN, f"{where} is not a number: {value!r}"
    if math.isnan(number):
        return None, UNKNOWN, f"{where} is NaN"
    return number, "", ""


def meets(value: float, criterion: Mapping[str, Any]) -> bool:
    """Whether ``value`` satisfies ``criterion`` (``{"<=": 0.1}`` or ``{"between": [a, b]}``)."""
    if "between" in criterion:
        low, high = criterion["between"]
        return low <= value <= high
    ((op, bound),) = ((k, v) for k, v in criterion.items() if k not in ("text", "judged"))
    return OPS[op](value, bound)



def judge(claims: list[dict[str, Any]], root: Path, params: Mapping[str, Any] | None = None,
          claims_path: Path | None = None) -> list[Verdict]:
    """Measure every claim under ``root`` and decide its status (see the module doc).

    ``params``: the params.yaml of the results (its ``scale`` is every claim's default scale);
    ``claims_path``: claims.yaml, for the commit of each criterion (``git blame``).
    """
    params = params or {}
    commits = criterion_commits(claims_path, root) if claims_path else {}
    verdicts = []
    for claim in claims:
        spec, criterion = claim["measure"], claim["criterion"]
        scale = str(claim.get("scale", params.get("scale", "quick")))
        # The seeds params.yaml names are those of its own scale's results, not of a committed one.
        seeds = _seed_count(params, claim["experiment"]) if scale == params.get("scale", "quick") else None
        verdict = Verdict(claim, None, NOT_RUN, scale=scale, seeds=seeds,
                          criterion_commit=commits.get(claim["id"], ""))
        if "seed_effect" in spec or "per" in spec:
            measured = measure_effect if "seed_effect" in spec else measure_per_group
            effect, verdict.status, verdict.detail = measured(spec, root)
            if effect is not None:
                verdict.value, verdict.lo, verdict.hi = effect.mean, effect.lo, effect.hi
                verdict.seeds = effect.seeds
        else:
            verdict.value, verdict.status, verdict.detail = measure(spec, root)
        if verdict.value is not None:
            ends = {"mean": verdict.value, "lo": verdict.lo, "hi": verdict.hi}
            judged = ends[criterion.get("judged", "mean")]
            passes = judged is not None and meets(judged, criterion)
            if claim.get("invalid_criterion"):
                verdict.status = NO_VALID_CRITERION
            elif scale == "paper":
                verdict.status = REPRODUCED if passes else NOT_REPRODUCED
            else:
                verdict.status = SMOKE_PASSES if passes else SMOKE_FAILS
        verdicts.append(verdict)
    return verdicts


def _seed_count(params: Mapping[str, Any], experiment: str) -> int | None:
    """Seeds of ``experiment`` at params' scale: params.yaml's ``experiments.<name>.seeds``, else
    the experiment file's; a section of params itself (the estimator validations) says its own.
    None when neither says."""
    how = (params.get("experiments") or {}).get(experiment)
    if how is not None and experiment_path(experiment).is_file():
        overrides = {**(how.get("set") or {}), **({"seeds": how["seeds"]} if "seeds" in how else {})}
        return len(load_experiment(experiment, params.get("scale", "quick"), overrides)["seeds"])
    section = params.get(experiment)
    if isinstance(section, Mapping) and isinstance(section.get("seeds"), list):
        return len(section["seeds"])
    return None


def criterion_commits(claims_path: Path, root: Path) -> dict[str, str]:
    """Claim id -> ``"<commit> <date>"`` of the last change to its ``criterion:`` line (git blame).

    Empty where git or the history is not available (a copy outside a checkout).
    """
    try:
        blame = subprocess.run(["git", "blame", "--line-porcelain", "--", str(claims_path.resolve())],
                               cwd=claims_path.resolve().parent, check=True, capture_output=True,
                               text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    commits, claim, info = {}, None, {}
    for line in blame.splitlines():
        if not line.startswith("\t"):
            key, _, value = line.partition(" ")
            if len(key) == 40:
                info = {"commit": key[:8]}
            elif key == "author-time":
                info["date"] = datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%d")
            continue
        text = line[1:].strip()
        if text.startswith("- id:"):
            claim = text.split(":", 1)[1].strip()
        elif text.startswith("criterion:") and claim is not None:
            uncommitted = info.get("commit", "").strip("0") == ""
            commits[claim] = "not committed" if uncommitted else f"{info['commit']} ({info.get('date', '?')})"
    return commits
