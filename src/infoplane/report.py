"""The replication report: every claim of the papers beside the number we measured for it.

The claims live in ``paper/claims.yaml`` (see its header for the format). For each claim the
report reads its measurement from a result file at render time (a JSON metric by dotted key, or a
CSV table reduced by a pandas query, an expression and an aggregate), compares it with the
claim's criterion, and shows the claim, the number, the verdict and the figure. Nothing is typed
in: a claim whose result file is absent is "not run", one whose file lacks the value "unknown".

Statuses:
    reproduced       the measured value meets the criterion
    not reproduced   it does not
    unknown          the result file exists but the value cannot be read from it (or is NaN)
    not run          the result file does not exist yet
"""

from __future__ import annotations

import json
import math
import operator
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from infoplane.files import write_text

REPRODUCED, NOT_REPRODUCED, UNKNOWN, NOT_RUN = "reproduced", "not reproduced", "unknown", "not run"

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
AGGREGATES = ("mean", "median", "min", "max", "sum", "count", "std")
CLAIM_KEYS = {"id", "paper", "claim", "experiment", "target", "measure", "criterion", "figures", "note"}
REQUIRED = ("id", "paper", "claim", "experiment", "measure", "criterion")


@dataclass
class Verdict:
    """One claim checked against the results: the measured value (None when absent) and status."""

    claim: dict[str, Any]
    value: float | None
    status: str
    detail: str = ""


# --- reading the claims --------------------------------------------------------------------


def load_claims(path: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """``(papers, claims)`` from claims.yaml, checked (ValueError naming the claim and the key)."""
    if not path.exists():
        raise ValueError(f"claims file {path} does not exist")
    doc = yaml.safe_load(path.read_text()) or {}
    papers, claims = doc.get("papers") or {}, doc.get("claims") or []
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
    return papers, claims


def _check_measure(measure: Mapping[str, Any], where: str) -> None:
    if "metric" in measure:
        if set(measure) != {"metric", "key"}:
            raise ValueError(f"{where}: a metric measure has exactly `metric` (file) and `key` (dotted path)")
    elif "table" in measure:
        unknown = set(measure) - {"table", "query", "expr", "agg"}
        if unknown or "expr" not in measure or measure.get("agg") not in AGGREGATES:
            raise ValueError(
                f"{where}: a table measure has `table`, `expr`, `agg` (one of {AGGREGATES}) and an "
                f"optional `query`; got {sorted(measure)}"
            )
    else:
        raise ValueError(f"{where}: measure needs `metric` or `table`")


def _check_criterion(criterion: Mapping[str, Any], where: str) -> None:
    keys = set(criterion) - {"text"}
    if keys == {"between"}:
        low, high = criterion["between"]
        if not low <= high:
            raise ValueError(f"{where}: criterion `between` needs [low, high] with low <= high")
    elif len(keys) != 1 or not keys <= set(OPS):
        raise ValueError(f"{where}: criterion is one of {sorted(OPS)}: number, or between: [low, high]")


# --- measuring -----------------------------------------------------------------------------


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
    path = root / spec["table"]
    if not path.exists():
        return None, NOT_RUN, f"{spec['table']} absent"
    table = pd.read_csv(path)
    try:
        if spec.get("query"):
            table = table.query(spec["query"])
        values = pd.Series(table.eval(spec["expr"]), dtype=float)
    except Exception as err:  # a column that this table lacks: the claim cannot be read from it
        return None, UNKNOWN, f"{spec['table']}: {type(err).__name__}: {err}"
    if values.empty:
        return None, UNKNOWN, f"{spec['table']}: no rows match {spec.get('query')!r}"
    return _number(getattr(values, spec["agg"])(), spec["table"])


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
    ((op, bound),) = ((k, v) for k, v in criterion.items() if k != "text")
    return OPS[op](value, bound)


def criterion_text(criterion: Mapping[str, Any]) -> str:
    if "text" in criterion:
        return str(criterion["text"])
    if "between" in criterion:
        low, high = criterion["between"]
        return f"between {low:g} and {high:g}"
    ((op, bound),) = criterion.items()
    return f"{op} {bound:g}"


def judge(claims: list[dict[str, Any]], root: Path) -> list[Verdict]:
    """Measure every claim under ``root`` and decide its status."""
    verdicts = []
    for claim in claims:
        value, status, detail = measure(claim["measure"], root)
        if value is not None:
            status = REPRODUCED if meets(value, claim["criterion"]) else NOT_REPRODUCED
        verdicts.append(Verdict(claim, value, status, detail))
    return verdicts


# --- provenance ----------------------------------------------------------------------------


def git_state(root: Path) -> str:
    """``"<commit>"``, ``"<commit> + uncommitted changes"``, or ``"not a git checkout"``."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, check=True,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"{commit} + uncommitted changes" if dirty else commit


# --- rendering -----------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def render_markdown(papers: Mapping[str, str], verdicts: list[Verdict], params: Mapping[str, Any],
                    root: Path, out_dir: Path, commit: str) -> str:
    """The report as Markdown; figure links are relative to ``out_dir`` (where the report lives)."""
    counts = {s: sum(v.status == s for v in verdicts) for s in (REPRODUCED, NOT_REPRODUCED, UNKNOWN, NOT_RUN)}
    lines = [
        "# Replication report",
        "",
        f"Rendered {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} at commit `{commit}`, "
        f"scale **{params.get('scale', '?')}**. Every number below is read from the result files "
        "when the report is rendered (`infoplane report`); MI in nats unless a line says bits.",
        "",
        "Summary: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".",
        "",
        "| claim | paper | measured | criterion | status |",
        "|---|---|---|---|---|",
    ]
    for v in verdicts:
        c = v.claim
        lines.append(f"| [{c['id']}](#{c['id']}) | {c['paper']} | {_fmt(v.value)} | "
                     f"{criterion_text(c['criterion'])} | {v.status} |")
    lines += ["", "## Papers", ""] + [f"- **{key}**: {title}" for key, title in papers.items()]
    for paper in papers:
        mine = [v for v in verdicts if v.claim["paper"] == paper]
        if not mine:
            continue
        lines += ["", f"## {paper}: {papers[paper]}"]
        for v in mine:
            lines += _claim_section(v, params, root, out_dir)
    return "\n".join(lines) + "\n"


def _claim_section(v: Verdict, params: Mapping[str, Any], root: Path, out_dir: Path) -> list[str]:
    c = v.claim
    spec = c["measure"]
    source = (f"`{spec['metric']}` key `{spec['key']}`" if "metric" in spec else
              f"`{spec['table']}`" + (f" where `{spec['query']}`" if spec.get("query") else "")
              + f", {spec['agg']} of `{spec['expr']}`")
    section = params.get(c["experiment"])
    lines = [
        "",
        f'### <a id="{c["id"]}"></a>{c["id"]}: {v.status}',
        "",
        f"**Claim.** {c['claim'].strip()}",
        "",
        f"- Experiment `{c['experiment']}`, target `snakemake {c.get('target', c['experiment'])}`.",
        f"- Measured: **{_fmt(v.value)}** ({source}); criterion: {criterion_text(c['criterion'])}.",
    ]
    if v.detail:
        lines.append(f"- Why no number: {v.detail}.")
    if c.get("note"):
        lines.append(f"- Note: {c['note'].strip()}")
    if section is not None:
        settings = json.dumps(section, sort_keys=True)
        lines.append(f"- Parameters (`{c['experiment']}` at this scale): `{settings}`")
    for figure in c.get("figures", []):
        path = root / figure
        if path.exists():
            lines += ["", f"![{c['id']}]({Path(_relative(path, out_dir)).as_posix()})"]
        else:
            lines.append(f"- Figure `{figure}`: not run.")
    return lines


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path.resolve(), start.resolve())


HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>infoplane replication report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem;
        line-height: 1.45; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .25rem .5rem; }}
img {{ max-width: 100%; }} code {{ background: #f4f4f4; padding: 0 .2rem; }}
</style></head><body>
{body}
</body></html>
"""


def render_html(markdown: str) -> str:
    """The Markdown report as one HTML page (markdown-it-py, CommonMark plus tables)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    return HTML_PAGE.format(body=body)


def write_report(claims_path: Path, params: Mapping[str, Any], root: Path, markdown_out: Path,
                 html_out: Path | None = None) -> list[Verdict]:
    """Judge every claim under ``root`` and write the Markdown (and HTML) report atomically."""
    papers, claims = load_claims(claims_path)
    verdicts = judge(claims, root)
    text = render_markdown(papers, verdicts, params, root, markdown_out.parent, git_state(root))
    outputs = [(markdown_out, text)] + ([(html_out, render_html(text))] if html_out else [])
    for path, content in outputs:
        write_text(path, content)
    return verdicts
