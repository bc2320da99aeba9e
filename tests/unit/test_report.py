"""The replication report reads every number from the result files and judges it honestly."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from infoplane.claims import (
    NO_VALID_CRITERION,
    NOT_REPRODUCED,
    NOT_RUN,
    REPRODUCED,
    SMOKE_FAILS,
    SMOKE_PASSES,
    UNKNOWN,
    judge,
    load_claims,
    load_questions,
    measure,
    meets,
)
from infoplane.cli import main
from infoplane.report import git_state, render_html, write_report

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
    statuses = {v.claim["id"]: v.status for v in judge(claims, results, {"scale": "paper"})}
    assert statuses == {"ok": REPRODUCED, "fails": NOT_REPRODUCED, "no_key": UNKNOWN, "not_number": UNKNOWN,
                        "no_rows": NOT_RUN, "no_column": UNKNOWN, "absent": NOT_RUN}
    # The same numbers at the quick scale are smoke checks of the pipeline, never verdicts.
    statuses = {v.claim["id"]: v.status for v in judge(claims, results, {"scale": "quick"})}
    assert statuses["ok"] == SMOKE_PASSES and statuses["fails"] == SMOKE_FAILS


def mi_table(compression_bits: float, seeds: int = 20) -> pd.DataFrame:
    """Layer 5 of ``seeds`` seeds: I(X;T) rises to 9 bits at epoch 30, then falls by ``compression_bits``."""
    rng = np.random.default_rng(0)
    epochs = np.arange(0, 101, 10)
    curve = np.where(epochs <= 30, 6 + epochs / 10, 9 - compression_bits * (epochs - 30) / 70)
    rows = [{"seed": s, "epoch": e, "layer": "T5", "analysis": "szt", "variant": "tanh",
             "i_xl": (v + 0.2 * rng.standard_normal()) * math.log(2), "i_ly": 0.6}
            for s in range(seeds) for e, v in zip(epochs, curve, strict=True)]
    return pd.DataFrame(rows)


def test_a_seed_effect_is_judged_by_the_end_of_its_interval(results: Path) -> None:
    mi_table(2.0).to_csv(results / "results/compressing.csv", index=False)
    mi_table(0.0).to_csv(results / "results/flat.csv", index=False)
    effect = {"seed_effect": "held_out_compression", "layer": "T5", "analysis": "szt",
              "query": "variant == 'tanh'"}
    above_zero = {">": 0, "judged": "lo"}
    claims = [
        claim("compresses", {**effect, "table": "results/compressing.csv"}, above_zero, scale="paper"),
        claim("flat", {**effect, "table": "results/flat.csv"}, above_zero, scale="paper"),
        claim("flat_by_mean", {**effect, "table": "results/flat.csv"}, {">": -1}, scale="paper",
              invalid_criterion="passes on noise"),
        claim("variant_not_run", {**effect, "table": "results/flat.csv", "query": "variant == 'frozen'"},
              above_zero, scale="paper"),
        claim("analysis_not_run", {**effect, "table": "results/flat.csv", "analysis": "pooled"},
              above_zero, scale="paper"),
    ]
    verdicts = {v.claim["id"]: v for v in judge(claims, results, {"scale": "quick"})}
    assert verdicts["compresses"].status == REPRODUCED and verdicts["compresses"].seeds == 10
    assert verdicts["compresses"].lo > 1.5 and verdicts["compresses"].value == pytest.approx(2.0, abs=0.3)
    assert verdicts["flat"].status == NOT_REPRODUCED and verdicts["flat"].lo < 0 < verdicts["flat"].hi
    assert verdicts["flat_by_mean"].status == NO_VALID_CRITERION
    assert verdicts["variant_not_run"].status == NOT_RUN and "no rows" in verdicts["variant_not_run"].detail
    pooled = verdicts["analysis_not_run"]
    assert pooled.status == NOT_RUN and "'pooled'" in pooled.detail


def test_a_seed_effect_whose_every_estimate_failed_says_why(results: Path) -> None:
    table = mi_table(2.0).assign(flags="")
    refused = table.assign(analysis="dim-8", i_xl=math.nan,
                           flags="i_xl failed: wkl: dimension 12 is too high for the weighted estimator")
    pd.concat([table, refused]).to_csv(results / "results/refused.csv", index=False)
    effect = {"seed_effect": "held_out_dip", "layer": "T5", "query": "variant == 'tanh'",
              "table": "results/refused.csv"}
    claims = [claim("refused", {**effect, "analysis": "dim-8"}, {">": 0, "judged": "lo"}, scale="paper"),
              claim("measured", {**effect, "analysis": "szt"}, {">": 0, "judged": "lo"}, scale="paper")]
    verdicts = {v.claim["id"]: v for v in judge(claims, results, {"scale": "paper"})}
    assert verdicts["refused"].status == UNKNOWN and "dimension 12 is too high" in verdicts["refused"].detail
    assert verdicts["measured"].status == REPRODUCED


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
    no_flag = claim("c4", {"seed_effect": "flag_share", "table": "t.csv", "layer": "L3", "analysis": "a"},
                    {"<": 1})
    path.write_text(yaml.safe_dump({"papers": {"p": "P"}, "claims": [no_flag]}))
    with pytest.raises(ValueError, match="claim c4: .*`flag` for flag_share"):
        load_claims(path)
    dip = {"seed_effect": "held_out_dip", "table": "t.csv", "layer": "T5", "analysis": "a"}
    for cid, measured, message in (("c5", {**dip, "interval": "student"}, "interval` is bootstrap or t"),
                                   ("c6", {**dip, "seed_effect": "held_out_compression", "interval": "t"},
                                    "drop its `interval`")):
        path.write_text(yaml.safe_dump({"papers": {"p": "P"}, "claims": [claim(cid, measured, {"<": 1})]}))
        with pytest.raises(ValueError, match=f"claim {cid}: .*{message}"):
            load_claims(path)


def test_the_report_names_the_interval_each_effect_was_judged_on(results: Path) -> None:
    """A held-out dip is judged on a Student-t interval unless its claim says otherwise, and the
    report says so; a held-out compression on the bootstrap."""
    mi_table(2.0).to_csv(results / "results/compressing.csv", index=False)
    effect = {"layer": "T5", "analysis": "szt", "table": "results/compressing.csv"}
    claims_path = results / "claims.yaml"
    claims_path.write_text(yaml.safe_dump({"papers": {"p": "Paper P"}, "claims": [
        claim("dip_default", {**effect, "seed_effect": "held_out_dip"}, {">": 0, "judged": "lo"},
              scale="paper"),
        claim("dip_t", {**effect, "seed_effect": "held_out_dip", "interval": "t"}, {">": 0, "judged": "lo"},
              scale="paper"),
        claim("dip_bootstrap", {**effect, "seed_effect": "held_out_dip", "interval": "bootstrap"},
              {">": 0, "judged": "lo"}, scale="paper"),
        claim("compression", {**effect, "seed_effect": "held_out_compression"}, {">": 0, "judged": "lo"},
              scale="paper"),
    ]}))
    md = results / "paper/report.md"
    verdicts = {v.claim["id"]: v for v in write_report(claims_path, {"scale": "quick"}, results, md)}
    default, t, bootstrap = verdicts["dip_default"], verdicts["dip_t"], verdicts["dip_bootstrap"]
    assert (default.value, default.lo, default.hi) == (t.value, t.lo, t.hi)
    assert default.value == bootstrap.value and (default.lo, default.hi) != (bootstrap.lo, bootstrap.hi)
    sections = md.read_text().split("### ")
    label = {cid: next(part for part in sections if part.startswith(f'<a id="{cid}"></a>'))
             for cid in verdicts}
    assert "95 % Student-t interval" in label["dip_default"] and "95 % Student-t interval" in label["dip_t"]
    assert "95 % bootstrap interval" in label["dip_bootstrap"]
    assert "95 % bootstrap interval" in label["compression"]


def test_each_claim_shows_the_settings_of_its_own_scale(results: Path) -> None:
    """With params.yaml at the paper scale, `infoplane report` still shows a quick-scale claim the
    quick settings, not the paper scale's merged in once on reading params and again per claim."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["scale"] = "paper"
    (results / "params.yaml").write_text(yaml.safe_dump(params))
    measured = {"metric": "results/metrics/exp.json", "key": "ksg.mae"}
    claims_path = results / "claims.yaml"
    claims_path.write_text(yaml.safe_dump({"papers": {"p": "Paper P"}, "claims": [
        claim(f"{scale}_claim", measured, {"<=": 0.05}, experiment="validation_gaussian", scale=scale)
        for scale in ("quick", "paper")]}))
    md = results / "paper/report.md"
    assert main(["report", "--claims", str(claims_path), "--params", str(results / "params.yaml"),
                 "--schema", str(REPO / "workflow/schemas/params.schema.yaml"), "--root", str(results),
                 "--out", str(md)]) == 0
    sections = md.read_text().split("### ")
    quick, paper = (next(part for part in sections if part.startswith(f'<a id="{scale}_claim"></a>'))
                    for scale in ("quick", "paper"))
    assert '"dims": [1, 2, 5]' in quick and '"dims": [1, 2, 3, 5]' in paper


def test_the_project_claims_file_is_valid() -> None:
    papers, claims = load_claims(REPO / "paper/claims.yaml")
    assert set(papers) == {"butakov2024", "szt2017", "saxe2018", "goldfeld2019", "lorenzen2022", "comparison"}
    assert {c["paper"] for c in claims} == set(papers)  # every paper has claims
    assert load_questions(REPO / "paper/claims.yaml", {c["id"] for c in claims})  # names real claims


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
    assert "| [ok](#ok) | p | quick | — | 0.04 | <= 0.05 | smoke check passes |" in text
    assert "| [absent](#absent) | p | quick | — | — | < 1 | not run |" in text
    assert "verdicts at the paper scale: 0 reproduced, 0 not reproduced; smoke checks at the quick scale: " \
        "1 passes, 0 fails" in text
    assert "![fig](../figures/fig.png)" in text and "Figure `figures/missing.png`: not run." in text
    assert "scale **quick**" in text and '`{"n": 5}`' in text
    assert '<img src="../figures/fig.png" alt="fig"' in html.read_text()
    assert "<table>" in render_html(text)


def test_every_quick_claim_of_the_project_says_where_it_is_judged_at_the_paper_scale() -> None:
    _, claims = load_claims(REPO / "paper/claims.yaml")
    paper_ids = {c["id"] for c in claims if c.get("scale") == "paper"}
    for c in claims:
        if c.get("scale") != "paper":
            where = c.get("at_paper_scale", "")
            assert where in paper_ids or len(where.split()) > 5, c["id"]  # a paper claim, or a reason


def test_quick_claims_link_to_their_paper_claim_or_say_why_not(results: Path) -> None:
    mi_table(2.0).to_csv(results / "results/compressing.csv", index=False)
    effect = {"seed_effect": "held_out_dip", "layer": "T5", "analysis": "szt", "interval": "t",
              "table": "results/compressing.csv"}
    claims_path = results / "claims.yaml"
    claims_path.write_text(yaml.safe_dump({
        "papers": {"p": "Paper P"},
        "not_at_paper_scale": {"other": "It would take 9 days on two cores."},
        "claims": [
            claim("quick_ok", {"metric": "results/metrics/exp.json", "key": "ksg.mae"}, {"<=": 0.05},
                  at_paper_scale="paper_dip"),
            claim("quick_other", {"metric": "results/metrics/exp.json", "key": "ksg.mae"}, {"<=": 0.05},
                  experiment="other"),
            claim("quick_other_too", {"metric": "results/metrics/exp.json", "key": "ksg.mae"}, {"<": 1},
                  experiment="other"),
            claim("paper_dip", effect, {">": 0, "judged": "lo"}, scale="paper"),
        ]}))
    md, verdicts_json = results / "paper/report.md", results / "paper/verdicts.json"
    verdicts = write_report(claims_path, {"scale": "quick"}, results, md, verdicts_out=verdicts_json)
    text = md.read_text()
    assert "smoke check passes; paper scale: [paper_dip](#paper_dip) |" in text
    assert "smoke check passes; not run at the paper scale |" in text
    assert text.count("It would take 9 days on two cores.") == 1   # an experiment's reason, shown once
    assert "**Not run at the paper scale**: It would take 9 days on two cores." in text
    assert "**Not run at the paper scale**: for the reason given under [quick_other](#quick_other)." in text
    assert "Of the 3 quick-scale claims, 2 are not run at the paper scale" in text
    assert "95 % Student-t interval" in text
    dip = next(v for v in verdicts if v.claim["id"] == "paper_dip")
    assert dip.status == REPRODUCED and dip.seeds == 20 and dip.value == pytest.approx(2.0, abs=0.3)
    numbers = json.loads(verdicts_json.read_text())
    assert numbers["quick"] == {"quick_ok": 0.04, "quick_other": 0.04, "quick_other_too": 0.04}
    assert numbers["paper"]["paper_dip"] == pytest.approx(dip.value, rel=1e-5)
    broken = claims_path.read_text().replace("at_paper_scale: paper_dip", "at_paper_scale: nope")
    claims_path.write_text(broken)
    with pytest.raises(ValueError, match="at_paper_scale 'nope' is not the id of a paper-scale claim"):
        load_claims(claims_path)


def test_the_stamp_ignores_the_runs_own_outputs_but_not_the_code(tmp_path: Path) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures/a.png").write_bytes(b"1")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    clean = git_state(tmp_path)
    (tmp_path / "figures/a.png").write_bytes(b"2")             # the run redrew a figure
    assert git_state(tmp_path) == clean and "uncommitted" not in clean
    git("add", ".")                                              # committing the run's outputs...
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "outputs")
    assert git_state(tmp_path) == clean                          # ...leaves the stamp as it was
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_state(tmp_path) == f"{clean} + uncommitted changes"


def test_questions_gather_their_claims_verdicts_before_the_papers(results: Path) -> None:
    claims_path = results / "claims.yaml"
    ask = "Does the estimator pass?"
    doc = {"papers": {"p": "Paper P"},
           "questions": [{"ask": ask, "claims": ["passes", "absent"]}],
           "claims": [claim("passes", {"metric": "results/metrics/exp.json", "key": "ksg.mae"}, {"<=": 0.05},
                            scale="paper"),
                      claim("absent", {"metric": "results/metrics/none.json", "key": "x"}, {"<": 1},
                            scale="paper")]}
    claims_path.write_text(yaml.safe_dump(doc))
    md = results / "paper/report.md"
    write_report(claims_path, {"scale": "quick"}, results, md)
    text = md.read_text()
    assert text.index("## Questions a reviewer asks") < text.index(f"**{ask}**") < text.index("## Papers")
    assert "- [passes](#passes) (paper scale): reproduced; measured 0.04, criterion <= 0.05" in text
    assert "- [absent](#absent) (paper scale): not run" in text
    assert f"**{ask}**\n\nIn all: paper scale: 1 reproduced, 1 not run.\n" in text
    doc["questions"][0]["claims"].append("nope")
    claims_path.write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match=r"questions\[0\] names claims that do not exist: \['nope'\]"):
        write_report(claims_path, {"scale": "quick"}, results, md)


def test_every_figure_is_shown_once_under_the_first_claim_of_its_experiment(results: Path) -> None:
    for figure in ("figures/exp_plane.png", "figures/exp_epochs.png", "figures/known_x.png",
                   "figures/orphan.png", "paper/paper_scale/figures/exp_plane.png"):
        (results / figure).parent.mkdir(parents=True, exist_ok=True)
        (results / figure).write_bytes(b"\x89PNG")
    metric = {"metric": "results/metrics/exp.json", "key": "ksg.mae"}
    claims_path = results / "claims.yaml"
    claims_path.write_text(yaml.safe_dump({
        "papers": {"p": "Paper P"},
        "figures_of": {"validation": ["figures/known_*.png"]},
        "claims": [claim("first", metric, {"<": 1}),
                   claim("second", metric, {"<": 1}, figures=["figures/exp_plane.png"]),
                   claim("known", metric, {"<": 1}, experiment="validation"),
                   claim("paper", metric, {"<": 1}, scale="paper")]}))
    md = results / "paper/report.md"
    write_report(claims_path, {"scale": "quick"}, results, md)
    text = md.read_text()
    for figure in ("exp_plane", "exp_epochs", "known_x", "orphan"):
        assert text.count(f"![{figure}](../figures/{figure}.png)") == 1, figure
    assert text.count("![exp_plane](paper_scale/figures/exp_plane.png)") == 1
    first, second = text.index("### <a id=\"first\">"), text.index("### <a id=\"second\">")
    assert first < text.index("![exp_epochs]") < second
    assert "- Figure `figures/exp_plane.png`: shown under [first](#first)." in text
    assert text.index("## Other figures") < text.index("![orphan]")


def test_headlines_count_each_experiments_statuses_in_a_narrow_row(results: Path) -> None:
    from infoplane.report import HEADLINE_KEYS

    metric = {"metric": "results/metrics/exp.json", "key": "ksg.mae"}
    claims_path = results / "claims.yaml"
    claims_path.write_text(yaml.safe_dump({"papers": {"p": "Paper P"}, "claims": [
        claim("a", metric, {"<": 1}), claim("b", metric, {">": 1}),
        claim("c", metric, {"<": 1}, scale="paper", experiment="lorenzen_quantized_mnist")]}))
    out = results / "paper/headlines"
    out.mkdir(parents=True)
    (out / "gone.json").write_text("{}")      # an experiment that no longer has claims
    write_report(claims_path, {"scale": "quick"}, results, results / "paper/report.md", headlines_dir=out)
    assert sorted(p.name for p in out.iterdir()) == ["exp.json", "lorenzen_quantized_mnist.json"]
    exp = json.loads((out / "exp.json").read_text())
    assert exp == {**dict.fromkeys(HEADLINE_KEYS.values(), 0), "smoke_pass": 1, "smoke_fail": 1}
    assert json.loads((out / "lorenzen_quantized_mnist.json").read_text())["reproduced"] == 1
    # `dvc metrics show` prints the path, then each key in a column as wide as its name (counts
    # are narrower), two spaces apart: the longest experiment name must still fit in 200.
    longest = max(len(f"paper/headlines/{p.stem}.json") for p in (REPO / "experiments").glob("*.yaml"))
    assert longest + sum(len(key) + 4 for key in HEADLINE_KEYS.values()) <= 200


def test_a_claim_table_may_be_a_glob_of_one_file_per_variant(tmp_path):
    """A run kept one file per variant is read as one table: the rows of every matching file,
    in path order; a pattern that matches nothing reads as absent."""
    from infoplane.claims import read_results

    (tmp_path / "r").mkdir()
    pd.DataFrame({"variant": ["a", "a"], "x": [1.0, 2.0]}).to_csv(tmp_path / "r/t_a.csv", index=False)
    pd.DataFrame({"variant": ["b"], "x": [5.0]}).to_csv(tmp_path / "r/t_b.csv", index=False)
    rows = read_results(tmp_path, "r/t_*.csv")
    assert rows["variant"].tolist() == ["a", "a", "b"] and rows["x"].sum() == 8.0
    assert read_results(tmp_path, "r/t_a.csv")["x"].tolist() == [1.0, 2.0]
    assert read_results(tmp_path, "r/u_*.csv") is None


def test_epochs_to_accuracy_ratio_reads_a_history_of_two_variants(results: Path) -> None:
    rows = [{"variant": v, "seed": s, "epoch": e, "test_acc": min(0.96, 0.5 + e / reach)}
            for v, reach in (("deep", 20), ("shallow", 80)) for s in range(5) for e in range(0, 101, 4)]
    pd.DataFrame(rows).to_csv(results / "results/history.csv", index=False)
    effect = {"seed_effect": "epochs_to_accuracy_ratio", "history": "results/history.csv",
              "query": "variant == 'deep'", "versus": "variant == 'shallow'", "threshold": 0.95}
    above = {">": 0, "judged": "lo"}
    claims = [claim("faster", effect, above, scale="paper"),
              claim("absent", {**effect, "versus": "variant == 'other'"}, above, scale="paper")]
    verdicts = {v.claim["id"]: v for v in judge(claims, results, {"scale": "paper"})}
    # 0.95 at epoch 9 and 36, logged every 4 epochs: 12 and 36
    assert verdicts["faster"].status == REPRODUCED and verdicts["faster"].value == pytest.approx(np.log2(3))
    assert verdicts["absent"].status == NOT_RUN
    claims_path = results / "claims.yaml"
    claims_path.write_text(yaml.safe_dump({"papers": {"p": "Paper P"}, "claims": claims[:1]}))
    write_report(claims_path, {"scale": "paper"}, results, results / "paper/report.md")
    assert "`results/history.csv` where `variant == 'deep'`" in (results / "paper/report.md").read_text()


def test_a_table_measure_per_seed_is_judged_on_its_interval_over_seeds(results: Path) -> None:
    """``per: seed`` aggregates within each seed, then gives the mean over seeds with its interval:
    a gap that one seed reverses is not judged by its mean."""
    rows = [{"seed": s, "label": label, "err": err + 0.1 * s}
            for s, (a, b) in enumerate([(3.0, 0.5), (2.5, 0.4), (2.8, 0.6), (0.2, 0.9)])
            for label, err in (("pca", a), ("ae", b)) for _ in range(3)]
    pd.DataFrame(rows).to_csv(results / "results/errors.csv", index=False)
    gap = {"table": "results/errors.csv", "expr": "2 * err * ((label == 'pca') * 2 - 1)", "agg": "mean",
           "per": "seed", "interval": "t"}
    verdicts = judge([claim("gap_mean", gap, {">": 1.0}, scale="paper"),
                      claim("gap_lo", gap, {">": 1.0, "judged": "lo"}, scale="paper"),
                      claim("no_seed", {**gap, "per": "run"}, {">": 1.0}, scale="paper")],
                     results, {"scale": "paper"})
    by_id = {v.claim["id"]: v for v in verdicts}
    per_seed = np.array([2.5, 2.1, 2.2, -0.7])             # pca minus ae in each seed
    assert by_id["gap_mean"].value == pytest.approx(per_seed.mean()) and by_id["gap_mean"].seeds == 4
    assert by_id["gap_mean"].status == REPRODUCED
    assert by_id["gap_lo"].lo < 0 and by_id["gap_lo"].status == NOT_REPRODUCED
    assert by_id["no_seed"].status == UNKNOWN
    # an interval without `per` has no groups to be over
    doc = {"papers": {"p": "P"}, "claims": [claim("bad", {"table": "t.csv", "expr": "x", "agg": "mean",
                                                          "interval": "t"}, {">": 0})]}
    (results / "claims.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match="per"):
        load_claims(results / "claims.yaml")


def test_a_pivoted_measure_pairs_two_methods_on_the_same_samples(results: Path) -> None:
    """``pivot`` gives a column per method, so that ``expr`` takes each sample's difference: the
    mean |gap| of two methods that disagree in opposite directions is not their (zero) mean gap."""
    rows = [{"seed": s, "mi_true": mi, "label": label, "mi_estimate": mi + sign * (0.2 + 0.1 * s)}
            for s in range(3) for mi in (0.0, 5.0)
            for label, sign in (("wkl-ae", 1 if mi else -1), ("wkl-latent", 0))]
    pd.DataFrame(rows).to_csv(results / "results/images.csv", index=False)
    pivot = {"index": ["seed", "mi_true"], "columns": "label", "values": "mi_estimate"}
    gap = {"table": "results/images.csv", "pivot": pivot, "expr": "abs(`wkl-ae` - `wkl-latent`)",
           "agg": "mean", "per": "seed", "interval": "t"}
    signed = {**gap, "expr": "`wkl-ae` - `wkl-latent`"}
    repeated = {**gap, "pivot": {**pivot, "index": ["seed"]}}
    verdicts = {v.claim["id"]: v for v in judge(
        [claim("gap", gap, {"<=": 0.6, "judged": "hi"}, scale="paper"),
         claim("signed", signed, {"<=": 0.5}, scale="paper"),
         claim("repeated", repeated, {"<=": 0.5}, scale="paper")], results, {"scale": "paper"})}
    assert verdicts["gap"].value == pytest.approx(0.3) and verdicts["gap"].seeds == 3
    assert verdicts["gap"].hi == pytest.approx(0.3 + 4.302653 * 0.1 / np.sqrt(3), abs=1e-5)
    assert verdicts["gap"].status == REPRODUCED
    assert verdicts["signed"].value == pytest.approx(0.0, abs=1e-12)
    assert verdicts["repeated"].status == UNKNOWN   # two rows per seed and method: no silent mean
    doc = {"papers": {"p": "P"}, "claims": [claim("bad", {**gap, "pivot": {"index": ["seed"]}}, {">": 0})]}
    (results / "claims.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(ValueError, match="pivot"):
        load_claims(results / "claims.yaml")


def test_a_claim_shows_the_parameters_of_its_own_scale(results: Path) -> None:
    """A paper-scale claim of a params.yaml section shows the section with `scales.paper` over it,
    not the quick values the rest of the report runs at."""
    claims_path = results / "claims.yaml"
    mae = {"metric": "results/metrics/exp.json", "key": "ksg.mae"}
    claims_path.write_text(yaml.safe_dump({"papers": {"p": "Paper P"}, "claims": [
        claim("quick_one", mae, {"<=": 0.05}), claim("paper_one", mae, {"<=": 0.05}, scale="paper")]}))
    md = results / "paper/report.md"
    write_report(claims_path, {"scale": "quick", "exp": {"n": 5, "seeds": [0, 1]},
                               "scales": {"paper": {"exp": {"n": 41}}}}, results, md)
    quick, paper = md.read_text().split('<a id="paper_one">')
    assert '`{"n": 5, "seeds": [0, 1]}`' in quick.split('<a id="quick_one">')[1]
    assert '`{"n": 41, "seeds": [0, 1]}`' in paper
