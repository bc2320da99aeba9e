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


def plot_known_mi(table: pd.DataFrame, outputs: list[Path], title: str = "") -> None:
    """Butakov et al.'s validation figure: estimate against true MI, one panel per task family.

    Args:
        table: records with ``family``, ``label`` (the method: estimator and what it saw),
            ``mi_true``, ``mi_estimate`` (nats) and ``seed``.
        outputs: figure paths.
        title: figure title.

    One line per method: the mean over seeds, with a band from the seeds' minimum to maximum;
    the dashed diagonal is the truth.
    """
    families = sorted(table["family"].unique())
    fig, axes = plt.subplots(1, len(families), figsize=(4.5 * len(families), 4.2), squeeze=False, sharey=True)
    top = float(table["mi_true"].max())
    for ax, family in zip(axes[0], families, strict=True):
        rows = table[table["family"] == family]
        for label, est in rows.groupby("label"):
            stats = est.groupby("mi_true")["mi_estimate"].agg(["mean", "min", "max"]).reset_index()
            (line,) = ax.plot(stats["mi_true"], stats["mean"], marker="o", ms=3, label=label)
            ax.fill_between(stats["mi_true"], stats["min"], stats["max"], color=line.get_color(), alpha=0.2)
        ax.plot([0, top], [0, top], "k--", lw=1, label="true MI")
        ax.set_title(family)
        ax.set_xlabel("true MI (nats)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("estimated MI (nats)")
    axes[0][-1].legend(loc="upper left", fontsize=7)
    if title:
        fig.suptitle(title)
    save(fig, outputs)


def plot_benchmark_tasks(table: pd.DataFrame, outputs: list[Path], title: str = "") -> None:
    """bmi-style overview: per task (rows), each method's estimate beside the truth.

    Args:
        table: records with ``family`` (one row of the figure per value), ``label``,
            ``mi_true`` and ``mi_estimate`` (nats).
        outputs: figure paths.
        title: figure title.

    A marker is the mean over seeds, its bar the seeds' minimum to maximum; the black bar is
    the true MI.
    """
    cases = sorted(table["family"].unique())
    labels = sorted(table["label"].unique())
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(cases) + 1.2))
    step = 0.8 / max(len(labels), 1)
    offsets = {label: (i - (len(labels) - 1) / 2) * step for i, label in enumerate(labels)}
    for row, case in enumerate(cases):
        rows = table[table["family"] == case]
        truth = float(rows["mi_true"].iloc[0])
        ax.plot([truth, truth], [row - 0.45, row + 0.45], "k-", lw=2)
        for i, label in enumerate(labels):
            est = rows.loc[rows["label"] == label, "mi_estimate"]
            if est.empty:
                continue
            mean = float(est.mean())
            ax.errorbar(mean, row + offsets[label], xerr=[[mean - est.min()], [est.max() - mean]],
                        fmt="o", ms=4, color=f"C{i}")
    # One legend entry per method, whichever rows it appears on.
    handles = [plt.Line2D([], [], color="k", lw=2)] + [
        plt.Line2D([], [], color=f"C{i}", marker="o", ls="") for i in range(len(labels))]
    ax.legend(handles, ["true MI", *labels], fontsize=7, loc="lower right")
    ax.set_yticks(range(len(cases)), cases, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("MI (nats)")
    ax.grid(alpha=0.3, axis="x")
    if title:
        ax.set_title(title)
    save(fig, outputs)
