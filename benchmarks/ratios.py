"""Peer seconds / infoplane ``ksg`` seconds on the same samples, with each one's error, as Markdown.

python benchmarks/ratios.py [benchmarks/results/estimators.csv ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from plot import combine

HERE = Path(__file__).parent


def ratio_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (n, d, peer): seconds of both, wall and CPU ratios, and |error| of both (nats)."""
    ok = table[table["status"] == "ok"]
    ours = ok[(ok["implementation"] == "infoplane") & (ok["estimator"] == "ksg")]
    peers = ok[ok["implementation"] != "infoplane"]
    merged = peers.merge(ours, on=["n", "d"], suffixes=("", "_ksg"))
    return pd.DataFrame(
        {
            "n": merged["n"],
            "d_x = d_y": merged["d"],
            "peer": merged["implementation"] + " " + merged["estimator"],
            "peer s": merged["seconds"],
            "ksg s": merged["seconds_ksg"],
            "wall ratio": (merged["seconds"] / merged["seconds_ksg"]).round(1),
            "CPU ratio": (merged["cpu_seconds"] / merged["cpu_seconds_ksg"]).round(1),
            "peer |err|": merged["abs_error"],
            "ksg |err|": merged["abs_error_ksg"],
            "load": merged[["load_1min", "load_1min_ksg"]].max(axis=1),
        }
    ).sort_values(["d_x = d_y", "n", "peer"])


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted((HERE / "results").glob("estimators*.csv"))
    table = combine(paths)
    print(ratio_table(table).to_markdown(index=False))


if __name__ == "__main__":
    main()
