"""README's "Your own network" runs as written, on MNIST from the data root, and makes its files."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from infoplane import load_table

ROOT = Path(__file__).resolve().parents[2]
DATA = os.environ.get("INFOPLANE_DATA_ROOT") or str((ROOT / "../shared/datasets").resolve())
MAX_USER_LINES = 25


def readme_snippet() -> str:
    """The first python block under the README heading "## Your own network"."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Your own network\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert match, "README's 'Your own network' section has no python block"
    return match.group(1)


def test_snippet_is_short():
    lines = [line for line in readme_snippet().splitlines() if line.strip()]
    assert len(lines) <= MAX_USER_LINES, f"{len(lines)} lines of user code"


@pytest.mark.skipif(not (Path(DATA) / "MNIST" / "raw").is_dir(), reason="MNIST is not in the data root")
def test_snippet_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("INFOPLANE_DATA_ROOT", DATA)
    started = time.perf_counter()
    exec(compile(readme_snippet(), "README.md", "exec"), {"__name__": "__readme__"})
    seconds = time.perf_counter() - started
    print(f"README snippet: {seconds:.1f} s")
    assert (tmp_path / "plane.png").stat().st_size > 10_000
    table = load_table(tmp_path / "mi.csv")
    assert sorted(table["epoch"].unique()) == list(range(6))
    assert list(dict.fromkeys(table["layer"])) == ["0", "1", "2", "3"]
    # Training worked and the numbers are in range: the output layer ends with most of
    # H(Y) ~ ln 10 = 2.30 nats (kNN estimates of a near-deterministic split run low by a few
    # tenths), and well above where it started.
    output = table[table["layer"] == "3"].set_index("epoch")
    assert 1.5 < output.loc[5, "i_ly"] < table["h_y"].iloc[0] + 0.1
    assert output.loc[5, "i_ly"] > output.loc[0, "i_ly"] + 0.5
    assert table[["i_xl", "i_ly"]].notna().all().all()
