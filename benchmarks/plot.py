"""Figure of the benchmark table: seconds against n and d, and the error against the truth.

    python benchmarks/plot.py [benchmarks/results/estimators.csv]   # -> estimators.{png,pdf}
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).parent


def label(row: pd.Series) -> str:
    return row["estimator"] if row["implementation"] == "infoplane" else f"{row['implementation']} {row['estimator']}"


def plot_benchmark(table: pd.DataFrame, d_fixed: int = 5, n_fixed: int = 10_000) -> plt.Figure:
    """Three panels: seconds vs n at d = d_fixed; seconds vs d at n = n_fixed; |error| vs d there."""
    ok = table[table["status"] == "ok"].copy()
    ok["label"] = ok.apply(label, axis=1)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    styles = {name: ("--" if not name.split()[0] in ok["estimator"].unique() else "-")
              for name in ok["label"].unique()}
    for name, group in ok.groupby("label"):
        style = dict(linestyle=styles[name], marker="o", markersize=3, label=name)
        by_n = group[group["d"] == d_fixed].sort_values("n")
        axes[0].plot(by_n["n"], by_n["seconds"], **style)
        by_d = group[group["n"] == n_fixed].sort_values("d")
        axes[1].plot(by_d["d"], by_d["seconds"], **style)
        scored = by_d[by_d["abs_error"].notna()]
        axes[2].plot(scored["d"], scored["abs_error"], **style)
    axes[0].set(xscale="log", yscale="log", xlabel="n", ylabel="wall seconds (median)",
                title=f"time against n, d_x = d_y = {d_fixed}")
    axes[1].set(xscale="log", yscale="log", xlabel="d = d_x = d_y", ylabel="wall seconds (median)",
                title=f"time against d, n = {n_fixed:,}")
    axes[2].set(xscale="log", yscale="log", xlabel="d = d_x = d_y", ylabel="|estimate - true MI| (nats)",
                title=f"error, dense Gaussian (rho 0.5), n = {n_fixed:,}")
    load = table["load_1min"]
    fig.suptitle(f"2-core CPU shared with other jobs: 1-min load average {load.min():.0f}-{load.max():.0f} "
                 "during the run (dashed: peer libraries)", fontsize=9)
    axes[2].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results" / "estimators.csv"
    fig = plot_benchmark(pd.read_csv(path))
    for suffix in (".png", ".pdf"):
        fig.savefig(path.with_suffix(suffix), dpi=110)
    print(f"wrote {path.with_suffix('.png')} and .pdf")


if __name__ == "__main__":
    main()
