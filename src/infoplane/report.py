"""The replication report: every claim of the papers beside the number we measured for it.

:mod:`infoplane.claims` reads ``paper/claims.yaml`` and judges every claim against the result
files (statuses, scale, seed effects: see there); this module renders the verdicts as Markdown
and HTML: the claim, the number, the criterion with the commit that last changed it, the
verdict and the figure. A ``criterion_changed_after_data`` note is shown as a flag.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from infoplane.claims import (
    NO_VALID_CRITERION,
    NOT_REPRODUCED,
    NOT_RUN,
    REPRODUCED,
    SMOKE_FAILS,
    SMOKE_PASSES,
    STATUSES,
    UNKNOWN,
    Verdict,
    interval_method,
    judge,
    load_claims,
    load_questions,
    paper_scale_link,
)
from infoplane.config import scaled
from infoplane.files import write_text


def criterion_text(criterion: Mapping[str, Any]) -> str:
    """The criterion in words: its ``text``, or the bound (and which end of the interval it judges)."""
    on = {"lo": " (lower end of the 95 % interval over seeds)",
          "hi": " (upper end of the 95 % interval over seeds)"}.get(criterion.get("judged", "mean"), "")
    if "text" in criterion:
        return str(criterion["text"])
    if "between" in criterion:
        low, high = criterion["between"]
        return f"between {low:g} and {high:g}{on}"
    ((op, bound),) = ((k, v) for k, v in criterion.items() if k != "judged")
    return f"{op} {bound:g}{on}"


# --- provenance ----------------------------------------------------------------------------


#: What the pipeline itself rewrites: a change there says nothing about the code the numbers came from.
RUN_OUTPUTS = ("figures", "paper/report.md", "paper/report.html", "paper/verdicts.json", "paper/headlines",
               "dvc.lock")


def git_state(root: Path) -> str:
    """``"<commit>"``, ``"<commit> + uncommitted changes"``, or ``"not a git checkout"``: the
    last commit that changed anything but the run's own outputs (:data:`RUN_OUTPUTS`), so that
    committing a run's outputs leaves the stamp, and so the report, as they were; changes to
    those outputs do not count as uncommitted changes either.
    """
    outputs = [f":(exclude){path}" for path in RUN_OUTPUTS]
    try:
        commit = subprocess.run(["git", "log", "-1", "--format=%H", "--", ".", *outputs], cwd=root,
                                check=True, capture_output=True, text=True).stdout.strip()[:12]
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *outputs],
                               cwd=root, check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"{commit} + uncommitted changes" if dirty else commit


# --- rendering -----------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _fmt_measured(v: Verdict) -> str:
    """The value, with its interval over seeds when it has one."""
    if v.value is not None and v.lo is not None and v.hi is not None:
        return f"{v.value:.4g} [{v.lo:.4g}, {v.hi:.4g}]"
    return _fmt(v.value)


def _fmt_seeds(seeds: int | None) -> str:
    return "—" if seeds is None else str(seeds)


def _fmt_status(v: Verdict) -> str:
    """The status; for a quick-scale claim, where its statement is judged at the paper scale."""
    if v.scale == "paper":
        return v.status
    link = paper_scale_link(v.claim)
    if link:
        return f"{v.status}; paper scale: [{link}](#{link})"
    return f"{v.status}; not run at the paper scale" if v.claim.get("at_paper_scale") else v.status


def summary_line(verdicts: list[Verdict]) -> str:
    """One line: the verdicts at the paper scale, then the quick-scale smoke checks."""
    counts = {s: sum(v.status == s for v in verdicts) for s in STATUSES}
    paper = [REPRODUCED, NOT_REPRODUCED]
    smoke = [SMOKE_PASSES, SMOKE_FAILS]
    rest = [NO_VALID_CRITERION, UNKNOWN, NOT_RUN]
    smoke_counts = ", ".join(f"{counts[s]} {s.removeprefix('smoke check ')}" for s in smoke)
    quick = [v for v in verdicts if v.scale != "paper"]
    unjudged = sum(bool(v.claim.get("at_paper_scale")) and not paper_scale_link(v.claim) for v in quick)
    return ("Summary: verdicts at the paper scale: " + ", ".join(f"{counts[s]} {s}" for s in paper)
            + f"; smoke checks at the quick scale: {smoke_counts}; "
            + ", ".join(f"{counts[s]} {s}" for s in rest)
            + f". Of the {len(quick)} quick-scale claims, {unjudged} are not run at the paper scale"
            " (each says why).")


def status_tally(verdicts: list[Verdict]) -> str:
    """How a question's claims came out, counted per scale: the answer before its evidence,
    e.g. "In all: paper scale: 11 not reproduced, 1 unknown."."""
    parts = []
    for scale, label in (("paper", "paper scale"), ("quick", "quick-scale smoke checks")):
        counts = [f"{n} {status.removeprefix('smoke check ')}" for status in STATUSES
                  if (n := sum(v.scale == scale and v.status == status for v in verdicts))]
        if counts:
            parts.append(f"{label}: {', '.join(counts)}")
    return "In all: " + "; ".join(parts) + "."


def question_lines(questions: list[dict[str, Any]], verdicts: list[Verdict]) -> list[str]:
    """The questions a skeptical reader asks, each with the status and number of its claims."""
    if not questions:
        return []
    by_id = {v.claim["id"]: v for v in verdicts}
    lines = ["", "## Questions a reviewer asks", ""]
    for question in questions:
        tally = status_tally([by_id[c] for c in question["claims"]])
        lines += [f"**{question['ask'].strip()}**", "", tally, ""]
        for claim_id in question["claims"]:
            v = by_id[claim_id]
            lines.append(f"- [{claim_id}](#{claim_id}) ({v.scale} scale): {_fmt_status(v)}; measured "
                         f"{_fmt_measured(v)}, criterion {criterion_text(v.claim['criterion'])}")
        lines.append("")
    return lines


def render_markdown(papers: Mapping[str, str], verdicts: list[Verdict], params: Mapping[str, Any],
                    root: Path, out_dir: Path, commit: str,
                    questions: list[dict[str, Any]] | None = None,
                    figures_of: Mapping[str, list[str]] | None = None) -> str:
    """The report as Markdown; figure links are relative to ``out_dir`` (where the report lives).
    ``params``: params.yaml as read (not scaled; each claim's section scales it to the claim's own);
    ``questions``: claims.yaml's (:func:`infoplane.claims.load_questions`), shown after the table;
    ``figures_of``: claims.yaml's figure patterns of experiments whose figures are not named
    ``figures/<experiment>_*`` (:func:`claim_figures`). Every figure under ``FIGURE_DIRS`` is
    shown once: under the first claim it belongs to, or at the end."""
    figures_of = figures_of or {}
    lines = [
        "# Replication report",
        "",
        f"Rendered from the code at commit `{commit}`, "
        f"scale **{params.get('scale', '?')}**. Every number below is read from the result files "
        "when the report is rendered (`infoplane report`); MI in nats unless a line says bits. "
        "Only claims measured at the papers' own scale get a verdict; a quick-scale number is a smoke "
        "check of the pipeline, not a verdict on a paper.",
        "",
        summary_line(verdicts),
        "",
        "| claim | paper | scale | seeds | measured | criterion | status |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        c = v.claim
        lines.append(f"| [{c['id']}](#{c['id']}) | {c['paper']} | {v.scale} | {_fmt_seeds(v.seeds)} | "
                     f"{_fmt_measured(v)} | {criterion_text(c['criterion'])} | {_fmt_status(v)} |")
    lines += question_lines(questions or [], verdicts)
    lines += ["", "## Papers", ""] + [f"- **{key}**: {title}" for key, title in papers.items()]
    first_with_reason: dict[str, str] = {}   # a reason shared by an experiment's claims is shown once
    shown: dict[str, str] = {}               # figure -> the claim it is shown under (each once)
    for paper in papers:
        mine = [v for v in verdicts if v.claim["paper"] == paper]
        if not mine:
            continue
        lines += ["", f"## {paper}: {papers[paper]}"]
        for v in mine:
            lines += _claim_section(v, params, root, out_dir, first_with_reason, shown, figures_of)
    others = [f for f in figure_files(root) if f not in shown]
    if others:
        lines += ["", "## Other figures", "", "Made by the pipeline, tied to no claim."]
        lines += [line for f in others for line in ("", f"![{Path(f).stem}]({_link(root / f, out_dir)})")]
    return "\n".join(lines) + "\n"


#: Where the pipeline writes its figures (quick scale) and the paper-scale runs theirs.
FIGURE_DIRS = ("figures", "paper/paper_scale/figures")


def figure_files(root: Path) -> list[str]:
    """Every figure the pipeline has made under ``root`` (PNG; the PDFs are the same figures)."""
    return sorted(p.relative_to(root).as_posix() for d in FIGURE_DIRS for p in (root / d).glob("*.png"))


def claim_figures(claim: Mapping[str, Any], scale: str, figures_of: Mapping[str, list[str]],
                  root: Path) -> list[str]:
    """A claim's figures: those it names, then its experiment's (``figures_of[experiment]``
    patterns, by default ``figures/<experiment>_*.png``; ``paper/paper_scale/figures/`` for a
    paper-scale claim)."""
    experiment = claim["experiment"]
    if scale == "paper":
        patterns = [f"paper/paper_scale/figures/{experiment}_*.png"]
    else:
        patterns = list(figures_of.get(experiment, [f"figures/{experiment}_*.png"]))
    found = [p.relative_to(root).as_posix() for pattern in patterns for p in sorted(root.glob(pattern))]
    return list(dict.fromkeys([*claim.get("figures", []), *found]))


def _claim_section(v: Verdict, params: Mapping[str, Any], root: Path, out_dir: Path,
                   first_with_reason: dict[str, str], shown: dict[str, str],
                   figures_of: Mapping[str, list[str]]) -> list[str]:
    """One claim's section. ``first_with_reason``: reason for no paper-scale run -> the claim
    that showed it first (filled here), so that later claims link to it instead of repeating it;
    ``shown``: the same for figures, each embedded once (:func:`claim_figures`)."""
    c = v.claim
    spec = c["measure"]
    where = f" where `{spec['query']}`" if spec.get("query") else ""
    if "pivot" in spec:
        where += f", a column per {spec['pivot']['columns']} (rows: {', '.join(spec['pivot']['index'])})"
    interval = "Student-t" if interval_method(spec) == "t" else "bootstrap"   # of an effect over seeds
    if "metric" in spec:
        source = f"`{spec['metric']}` key `{spec['key']}`"
    elif "seed_effect" in spec:
        effect = spec["seed_effect"].replace("_", " ")
        if "table" in spec:
            source = (f"`{spec['table']}`{where}, {effect} of layer {spec['layer']} ({spec['analysis']}), "
                      f"mean over seeds [95 % {interval} interval]")
        else:   # an effect read from training histories alone
            source = (f"`{spec['history']}`{where} against `{spec['versus']}`, {effect} "
                      f"(threshold {spec.get('threshold')}), mean over seeds [95 % {interval} interval]")
    elif "per" in spec:
        source = (f"`{spec['table']}`{where}, {spec['agg']} of `{spec['expr']}` per {spec['per']}, "
                  f"mean over the {spec['per']}s [95 % {interval} interval]")
    else:
        source = f"`{spec['table']}`{where}, {spec['agg']} of `{spec['expr']}`"
    section = scaled({**params, "scale": v.scale}).get(c["experiment"])   # params.yaml at the claim's scale
    lines = [
        "",
        f'### <a id="{c["id"]}"></a>{c["id"]}: {v.status}',
        "",
        f"**Claim.** {c['claim'].strip()}",
        "",
        f"- Experiment `{c['experiment']}`, target `snakemake {c.get('target', c['experiment'])}`.",
        f"- Scale: {v.scale}; seeds: {_fmt_seeds(v.seeds)}.",
        f"- Measured: **{_fmt_measured(v)}** ({source}); criterion: {criterion_text(c['criterion'])}"
        + (f" (last changed at {v.criterion_commit})." if v.criterion_commit else "."),
    ]
    if c.get("invalid_criterion"):
        lines.append(f"- **No valid criterion**: {c['invalid_criterion'].strip()}")
    if c.get("criterion_changed_after_data"):
        changed = c["criterion_changed_after_data"].strip()
        lines.append(f"- **Criterion changed after its data were seen**: {changed}")
    if v.detail:
        lines.append(f"- Why no number: {v.detail}.")
    if v.status == NOT_RUN and c.get("not_run_because"):
        lines.append(f"- Not run because: {c['not_run_because'].strip()}")
    if v.scale != "paper" and c.get("at_paper_scale"):
        link, reason = paper_scale_link(c), c["at_paper_scale"]
        if link:
            lines.append(f"- At the paper scale: judged in [{link}](#{link}).")
        elif reason in first_with_reason:
            first = first_with_reason[reason]
            lines.append(f"- **Not run at the paper scale**: for the reason given under [{first}](#{first}).")
        else:
            first_with_reason[reason] = c["id"]
            lines.append(f"- **Not run at the paper scale**: {reason}")
    if c.get("note"):
        lines.append(f"- Note: {c['note'].strip()}")
    if section is not None:
        settings = json.dumps(section, sort_keys=True)
        lines.append(f"- Parameters (`{c['experiment']}` at this scale): `{settings}`")
    for figure in claim_figures(c, v.scale, figures_of, root):
        if figure in shown:
            if figure in c.get("figures", []):
                lines.append(f"- Figure `{figure}`: shown under [{shown[figure]}](#{shown[figure]}).")
        elif (root / figure).exists():
            shown[figure] = c["id"]
            lines += ["", f"![{Path(figure).stem}]({_link(root / figure, out_dir)})"]
        else:
            lines.append(f"- Figure `{figure}`: not run.")
    return lines


def _link(path: Path, out_dir: Path) -> str:
    return Path(_relative(path, out_dir)).as_posix()


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


def verdict_numbers(verdicts: list[Verdict]) -> dict[str, dict[str, float | None]]:
    """``{scale: {claim id: measured value}}``, the report's numbers for ``dvc metrics show``."""
    numbers: dict[str, dict[str, float | None]] = {}
    for v in verdicts:
        numbers.setdefault(v.scale, {})[v.claim["id"]] = None if v.value is None else float(f"{v.value:.6g}")
    return numbers


#: The columns of an experiment's headline file: how many of its claims got each status.
HEADLINE_KEYS = {REPRODUCED: "reproduced", NOT_REPRODUCED: "not_reproduced", SMOKE_PASSES: "smoke_pass",
                 SMOKE_FAILS: "smoke_fail", NO_VALID_CRITERION: "no_criterion", UNKNOWN: "unknown",
                 NOT_RUN: "not_run"}


def headlines(verdicts: list[Verdict]) -> dict[str, dict[str, int]]:
    """``{experiment: {status key: count}}``: one narrow row per experiment for `dvc metrics
    show` (every claim's own number stays in the verdicts file)."""
    counts: dict[str, dict[str, int]] = {}
    for v in verdicts:
        row = counts.setdefault(v.claim["experiment"], dict.fromkeys(HEADLINE_KEYS.values(), 0))
        row[HEADLINE_KEYS[v.status]] += 1
    return counts


def write_report(claims_path: Path, params: Mapping[str, Any], root: Path, markdown_out: Path,
                 html_out: Path | None = None, verdicts_out: Path | None = None,
                 headlines_dir: Path | None = None) -> list[Verdict]:
    """Judge every claim under ``root`` and write the Markdown (and HTML, the numbers as JSON:
    :func:`verdict_numbers`, and one ``<experiment>.json`` of :func:`headlines` per experiment in
    ``headlines_dir``, emptied first) report atomically.

    ``params``: params.yaml as read, not yet :func:`~infoplane.config.scaled`: each claim's section
    shows the settings of the claim's own scale, which an already scaled copy no longer gives.
    """
    papers, claims = load_claims(claims_path)
    questions = load_questions(claims_path, {c["id"] for c in claims})
    figures_of = (yaml.safe_load(claims_path.read_text()) or {}).get("figures_of") or {}
    verdicts = judge(claims, root, scaled(params), claims_path)
    text = render_markdown(papers, verdicts, params, root, markdown_out.parent, git_state(root), questions,
                           figures_of)
    outputs = [(markdown_out, text)] + ([(html_out, render_html(text))] if html_out else [])
    if verdicts_out:
        outputs.append((verdicts_out, json.dumps(verdict_numbers(verdicts), indent=1, sort_keys=True) + "\n"))
    if headlines_dir:
        headlines_dir.mkdir(parents=True, exist_ok=True)
        for stale in headlines_dir.glob("*.json"):   # an experiment without claims any more
            stale.unlink()
        outputs += [(headlines_dir / f"{experiment}.json", json.dumps(row, indent=1) + "\n")
                    for experiment, row in headlines(verdicts).items()]
    for path, content in outputs:
        write_text(path, content)
    return verdicts
