"""README's table of verdicts is the report's: the paper-scale claims judged from the committed
paper-scale results, and the quick-scale claims that say why they have no paper-scale run."""

from __future__ import annotations

from pathlib import Path

import yaml

from infoplane.claims import NOT_REPRODUCED, REPRODUCED, judge, load_claims, paper_scale_link

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- verdicts: paper, reproduced, not reproduced, no paper-scale run, not run yet -->"


def readme_rows() -> dict[str, tuple[int, ...]]:
    text = (ROOT / "README.md").read_text()
    assert MARKER in text, "README lost its table of verdicts"
    rows = {}
    for line in text.split(MARKER, 1)[1].strip().splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = tuple(int(c) for c in cells[1:])
    return rows


def test_readme_verdicts_equal_the_reports() -> None:
    papers, claims = load_claims(ROOT / "paper/claims.yaml")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    paper_scale = [c for c in claims if c.get("scale") == "paper"]
    verdicts = judge(paper_scale, ROOT, params)
    expected = {}
    for key, title in papers.items():
        mine = [v for v in verdicts if v.claim["paper"] == key]
        unjudged = [c for c in claims if c["paper"] == key and c.get("scale") != "paper"
                    and c.get("at_paper_scale") and not paper_scale_link(c)]
        authors = title.split('"')[0].strip().rstrip(",")        # 'Saxe et al.'
        expected[authors] = (
            sum(v.status == REPRODUCED for v in mine), sum(v.status == NOT_REPRODUCED for v in mine),
            len(unjudged), sum(v.status not in (REPRODUCED, NOT_REPRODUCED) for v in mine))
    assert readme_rows() == expected
