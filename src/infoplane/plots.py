"""Figures, made from result tables only.

Every function takes a table (pandas DataFrame) and output paths; the format follows each
path's suffix, so one call writes both the PDF and the PNG.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def save(fig: plt.Figure, outputs: list[Path]) -> None:
    """Write ``fig`` to every path in ``outputs`` (format from the suffix), then close it."""
    for out in outputs:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=150, bbox_inches="tight")
    plt.close(fig)


def plot_estimator_validation(table: pd.DataFrame, outputs: list[Path], title: str = "") -> None:
    """Estimate against true MI, one panel per dimension, one line per estimator.

    Args:
        table: validation records with columns ``estimator``, ``dim_x``, ``dim_y``,
            ``mi_true``, ``mi_estimate`` (nats) and ``seed``.
        outputs: figure paths.
        title: figure title.

    The line is the mean over seeds and the band spans the seeds' minimum to maximum; the
    dashed diagonal is the truth.
    """
    table = table.assign(dims=table["dim_x"].astype(str) + " x " + table["dim_y"].astype(str))
    panels = sorted(table["dims"].unique(), key=lambda s: tuple(int(v) for v in s.split(" x ")))
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4), squeeze=False, sharey=True)
    top = float(table["mi_true"].max())
    for ax, dims in zip(axes[0], panels, strict=True):
        rows = table[table["dims"] == dims]
        for name, est in rows.groupby("estimator"):
            stats = est.groupby("mi_true")["mi_estimate"].agg(["mean", "min", "max"]).reset_index()
            (line,) = ax.plot(stats["mi_true"], stats["mean"], marker="o", ms=3, label=name)
            ax.fill_between(stats["mi_true"], stats["min"], stats["max"], color=line.get_color(), alpha=0.2)
        ax.plot([0, top], [0, top], "k--", lw=1, label="true MI")
        ax.set_title(f"d_x x d_y = {dims}")
        ax.set_xlabel("true MI (nats)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("estimated MI (nats)")
    axes[0][-1].legend(loc="upper left", fontsize=8)
    if title:
        fig.suptitle(title)
    save(fig, outputs)
