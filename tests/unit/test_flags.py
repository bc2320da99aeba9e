"""The one flags module: impossible values flagged (never clipped), data-processing checks along
depth, counts, and the sanity summary from the table's own H(X), H(Y) columns."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from infoplane.flags import flag_counts, flag_values, sanity
from tests.unit.test_tables import runs_table

LN2 = math.log(2)


def test_flags_mark_impossible_values_without_clipping():
    rows = pd.DataFrame({
        "experiment": "e", "seed": 0, "epoch": 1, "layer": ["L1", "L2"], "estimator": "wkl",
        "i_xl": [-0.2, 1.0], "i_ly": [2.5, 0.5], "i_xl_lo": [-0.3, 0.9], "i_xl_hi": [-0.1, 1.1],
        "i_ly_lo": [2.4, 0.4], "i_ly_hi": [2.6, 0.6], "h_y": math.log(10), "flags": "",
    })
    flagged = flag_values(rows)  # no depth, no h_x: forward order = first appearance, H(X) unchecked
    assert flagged["flags"].tolist() == ["i_ly>H(Y);i_xl<0", "dpi_xl"]
    assert flagged["i_xl"].tolist() == [-0.2, 1.0]  # values untouched


def test_flags_equal_the_rules_by_hand():
    table = runs_table().sample(frac=1.0, random_state=3).reset_index(drop=True)  # rows in any order
    table["i_xl"] = table["i_xl"] * 1.7 - 1.0  # some values below 0 and above H(X) = ln 4096
    table["i_ly"] = table["i_ly"] * 1.3 - 0.1
    table["flags"] = np.where(np.arange(len(table)) % 5 == 0, "i_ly_few-samples", "")
    out = flag_values(table)
    assert out.drop(columns="flags").equals(table.drop(columns="flags"))
    expected = [set(filter(None, f.split(";"))) for f in table["flags"]]
    for i, row in table.iterrows():
        for key, bad in (("i_xl<0", row.i_xl < 0), ("i_ly<0", row.i_ly < 0),
                         ("i_xl>H(X)", row.i_xl > row.h_x), ("i_ly>H(Y)", row.i_ly > row.h_y)):
            if bad:
                expected[i].add(key)
    plain = table[~table["layer"].str.startswith("exp(")]
    for _, run in plain.groupby(["variant", "analysis", "seed", "epoch"]):
        run = run.sort_values("depth")
        for (_, prev), (i, cur) in zip(run.iterrows(), list(run.iterrows())[1:], strict=False):
            for key in ("xl", "ly"):
                if cur[f"i_{key}_lo"] > prev[f"i_{key}_hi"]:
                    expected[i].add(f"dpi_{key}")
    assert out["flags"].tolist() == [";".join(sorted(f)) for f in expected]
    assert {"i_xl<0", "i_xl>H(X)", "i_ly<0", "dpi_xl", "i_ly_few-samples"} <= set(flag_counts(out))


def test_flag_counts_count_failures_under_their_quantity():
    table = pd.DataFrame({"flags": ["i_xl<0;dpi_xl", "", "i_xl failed: too few samples", "i_xl<0"]})
    assert flag_counts(table) == {"i_xl<0": 2, "dpi_xl": 1, "i_xl failed": 1}


def test_sanity_reads_the_limits_from_the_table():
    table = runs_table()
    result = sanity(table)
    assert result["ok"] and result["violations"] == 0 and result["rows"] == len(table)
    assert result["h_x_bits"] == pytest.approx(12.0) and result["h_y_bits"] == pytest.approx(0.6925 / LN2)
    kde = table[table["analysis"] == "kde"]
    assert result["analyses"]["kde"]["max_i_xl_bits"] == pytest.approx(kde["i_xl"].max() / LN2)
    assert result["analyses"]["szt"]["min_i_ly_bits"] == pytest.approx(
        table.loc[table["analysis"] == "szt", "i_ly"].min() / LN2)
    broken = table.copy()
    broken.loc[[3, 10], "i_ly"] = broken.loc[[3, 10], "h_y"] + 1e-6  # beyond the tolerance 1e-9
    broken.loc[20, "i_xl"] = -1e-12  # within it
    result = sanity(broken)
    assert not result["ok"] and result["violations"] == 2
    assert sum(a["violations"] for a in result["analyses"].values()) == 2
    assert sanity(broken, tol=1e-5)["ok"]
