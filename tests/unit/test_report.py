"""The replication report reads every number from the result files and judges it honestly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from infoplane.report import (
    NOT_REPRODUCED,
    NOT_RUN,
    REPRODUCED,
    UNKNOWN,
    judge,
    load_claims,
    measure,
    meets,
    render_html,
    write_report,
)

REPO = Path(__file__).resolve().parents[2]


def claim(cid: str, measure: dict, criterion: dict, **extra) -> dict:
    return {"id": cid, "paper": "p", "claim": "text", "experiment": "exp", "measure": measure,
            "criterion": criterion, **extra}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    (tmp_path / "results/metrics").mkdir(parents=True)
    (tmp_path / "results/metrics/exp.json").write_text(json.dumps({"ksg": {"mae": 0.04}, "bad": "n/a"}))
    pd.DataFrame({"estimator": ["ksg", "ksg", "kl"], "mi_true": [0.0, 2.0, 2.0],
                  "mi_estimate": [0.01, 1.9, 1.5]}).to_csv(tmp_path / "results/table.csv", index=False)
    return tmp_path


def test_metric_and_table_measures_are_read_from_the_files(results: Path) -> None:
    assert measure({"metric": "results/metrics/exp.json", "key": "ksg.mae"}, results)[0] == 0.04
    value, status, _ = measure({"table": "results/table.csv", "query": "estimator == 'ksg'",
                                "expr": "abs(mi_estimate - mi_true)", "agg": "max"}, results)
    assert value == pytest.approx(0.1) and status == ""


def test_statuses(results: Path) -> None:
    claims = [
        claim("ok", {"metric": "results/metrics/exp.json", "key": "ksg.mae"}, {"<=": 0.05}),
        claim("fails", {"metric": "results/metrics/exp.json", "key": "ksg.mae"}, {"<": 0.01}),
        claim("no_key", {"metric": "results/metrics/exp.json", "key": "wkl.mae"}, {"<": 1}),
        claim("not_number", {"metric": "results/metrics/exp.json", "key": "bad"}, {"<": 1}),
        claim("no_rows", {"table": "results/table.csv", "query": "estimator == 'x'", "expr": "mi_true",
                          "agg": "mean"}, {"<": 1}),
        claim("no_column", {"table": "results/table.csv", "expr": "i_xl", "agg": "mean"}, {"<": 1}),
        claim("absent", {"metric": "results/metrics/other.json", "key": "a"}, {"between": [0, 1]}),
    ]
    statuses = {v.claim["id"]: v.status for v in judge(claims, results)}
    assert statuses == {"ok": REPRODUCED, "fails": NOT_REPRODUCED, "no_key": UNKNOWN, "not_number": UNKNOWN,
                        "no_rows": UNKNOWN, "no_column": UNKNOWN, "absent": NOT_RUN}


def test_criteria() -> None:
    assert meets(1.0, {"between": [1.0, 2.0]}) and not meets(2.5, {"between": [1.0, 2.0]})
    assert meets(-0.1, {"<": 0, "text": "below"}) and not meets(0.0, {"<": 0})
    assert meets(0.0, {">=": 0}) and not meets(0.0, {">": 0})


def test_claims_file_errors_name_the_claim(tmp_path: Path) -> None:
    path = tmp_path / "claims.yaml"
    bad_measure = claim("c1", {"metric": "m.json"}, {"<": 1})
    path.write_text(yaml.safe_dump({"papers": {"p": "P"}, "claims": [bad_measure]}))
    with pytest.raises(ValueError, match="claim c1: a metric measure"):
        load_claims(path)
    path.write_text(yaml.safe_dump({"papers": {"p": "P"}, "claims": [
        claim("c2", {"metric": "m.json", "key": "k"}, {"~": 1})]}))
    with pytest.raises(ValueError, match="claim c2: criterion"):
        load_claims(path)
    unknown_paper = claim("c3", {"metric": "m.json", "key": "k"}, {"<": 1})
    path.write_text(yaml.safe_dump({"papers": {}, "claims": [unknown_paper]}))
    with pytest.raises(ValueError, match="claim c3: paper 'p'"):
        load_claims(path)


def test_the_project_claims_file_is_valid() -> None:
    papers, claims = load_claims(REPO / "paper/claims.yaml")
    assert set(papers) == {"butakov2024", "szt2017", "saxe2018", "goldfeld2019", "lorenzen2022"}
    assert {c["paper"] for c in claims} == set(papers)  # every paper has claims


def test_written_report_shows_numbers_statuses_and_figures(results: Path) -> None:
    (results / "figures").mkdir()
    (results / "figures/fig.png").write_bytes(b"\x89PNG")
    claims_path = results / "claims.yaml"
    claims_path.write_text(yaml.safe_dump({"papers": {"p": "Paper P"}, "claims": [
        claim("ok", {"metric": "results/metrics/exp.json", "key": "ksg.mae"}, {"<=": 0.05},
              figures=["figures/fig.png", "figures/missing.png"]),
        claim("absent", {"metric": "results/metrics/other.json", "key": "a"}, {"<": 1}),
    ]}))
    md, html = results / "paper/report.md", results / "paper/report.html"
    write_report(claims_path, {"scale": "quick", "exp": {"n": 5}}, results, md, html)
    text = md.read_text()
    assert "| [ok](#ok) | p | 0.04 | <= 0.05 | reproduced |" in text
    assert "| [absent](#absent) | p | — | < 1 | not run |" in text
    assert "![ok](../figures/fig.png)" in text and "Figure `figures/missing.png`: not run." in text
    assert "scale **quick**" in text and '`{"n": 5}`' in text
    assert '<img src="../figures/fig.png" alt="ok"' in html.read_text()
    assert "<table>" in render_html(text)
