"""Figure of the benchmark tables: seconds against n and d, and the error against the truth.

    python benchmarks/plot.py [TABLE.csv ...]
        # default: results/estimators*.csv -> results/estimators.{png,pdf}

Several tables (the grid and cells rerun alone) are combined; for a cell measured in one and
skipped in another, the measurement wins.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).parent


def label(row: pd.Series) -> str:
    return (
        row["estimator"]
        if row["implementation"] == "infoplane"
        else f"{row['implementation']} {row['estimator']}"
    )


def plot_benchmark(table: pd.DataFrame, d_fixed: int = 5, n_fixed: int = 10_000) -> plt.Figure:
    """Three panels: seconds vs n at d = d_fixed; seconds vs d at n = n_fixed; |error| vs d there."""
    ok = table[table["status"] == "ok"].copy()
    ok["label"] = ok.apply(label, axis=1)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    names = sorted(ok["label"].unique())
    colours = dict(zip(names, plt.get_cmap("tab20").colors, strict=False))
    for name, group in ok.groupby("label"):
        peer = group["implementation"].iloc[0] != "infoplane"
        style = dict(
            linestyle="--" if peer else "-", marker="o", markersize=3, label=name, color=colours[name]
        )
        by_n = group[group["d"] == d_fixed].sort_values("n")
        axes[0].plot(by_n["n"], by_n["seconds"], **style)
        by_d = group[group["n"] == n_fixed].sort_values("d")
        axes[1].plot(by_d["d"], by_d["seconds"], **style)
        scored = by_d[by_d["abs_error"].notna()]
        axes[2].plot(scored["d"], scored["abs_error"], **style)
    axes[0].set(
        xscale="log",
        yscale="log",
        xlabel="n",
        ylabel="wall seconds (median)",
        title=f"time against n, d_x = d_y = {d_fixed}",
    )
    axes[1].set(
        xscale="log",
        yscale="log",
        xlabel="d = d_x = d_y",
        ylabel="wall seconds (median)",
        title=f"time against d, n = {n_fixed:,}",
    )
    axes[2].set(
        xscale="log",
        yscale="log",
        xlabel="d = d_x = d_y",
        ylabel="|estimate - true MI| (nats)",
        title=f"error, dense Gaussian (rho 0.5), n = {n_fixed:,}",
    )
    load = table["load_1min"]
    fig.suptitle(
        f"{os.cpu_count()}-core CPU; 1-min load average {load.min():.1f}-{load.max():.1f} during the run, "
        "the benchmark's own threads included (dashed: peer libraries)",
        fontsize=9,
    )
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8)
    fig.tight_layout(rect=(0, 0, 0.83, 1))
    return fig


def combine(paths: list[Path]) -> pd.DataFrame:
    """All rows of the tables; per (n, d, implementation, estimator) a measured row beats others."""
    table = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    table["measured"] = table["status"] == "ok"
    table = table.sort_values("measured", ascending=False)
    return table.drop_duplicates(["n", "d", "implementation", "estimator"]).drop(columns="measured")


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or sorted((HERE / "results").glob("estimators*.csv"))
    fig = plot_benchmark(combine(paths))
    out = HERE / "results" / "estimators"
    for suffix in (".png", ".pdf"):
        fig.savefig(out.with_suffix(suffix), dpi=110)
    print(f"wrote {out}.png and .pdf from {len(paths)} tables")


if __name__ == "__main__":
    main()
