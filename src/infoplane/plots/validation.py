"""The estimator-validation figures: estimates against the true MI of tasks where it is known."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from infoplane.plots.style import finish, new_figure, styled, subplots


def draw_estimates_against_truth(ax: Axes, rows: pd.DataFrame, by: str, top: float,
                                 colors: dict[str, str] | None = None) -> None:
    """One line per value of column ``by``: the mean estimate over seeds against the true MI,
    with a band from the seeds' minimum to maximum, and the dashed diagonal of the truth.
    ``colors`` (value -> colour) keeps a method's colour when panels hold different methods."""
    for name, est in rows.groupby(by):
        stats = est.groupby("mi_true")["mi_estimate"].agg(["mean", "min", "max"]).reset_index()
        color = colors.get(name) if colors else None
        (line,) = ax.plot(stats["mi_true"], stats["mean"], marker="o", ms=3, label=name, color=color)
        ax.fill_between(stats["mi_true"], stats["min"], stats["max"], color=line.get_color(), alpha=0.2)
    ax.plot([0, top], [0, top], "k--", lw=1, label="true MI")


@styled
def plot_estimator_validation(table: pd.DataFrame, outputs: Sequence[str | Path], title: str = "") -> Figure:
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
    fig = _against_truth(table, "dims", panels, "estimator", (3.2, 3.4), lambda dims: f"d_x x d_y = {dims}")
    if title:
        fig.suptitle(title)
    return finish(fig, list(outputs))


@styled
def plot_known_mi(table: pd.DataFrame, outputs: Sequence[str | Path], title: str = "") -> Figure:
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
    fig = _against_truth(table, "family", families, "label", (3.6, 3.6), str)
    if title:
        fig.suptitle(title)
    return finish(fig, list(outputs))


def _against_truth(table: pd.DataFrame, column: str, panels: list, by: str, size: tuple[float, float],
                   panel_title) -> Figure:
    """One panel per value of ``column`` (in ``panels``' order), the estimates of each ``by``
    against the true MI, shared y axis; ``size``: (width, height) of one panel in inches."""
    fig = new_figure(size[0] * len(panels), size[1])
    axes = subplots(fig, 1, len(panels), sharey=True)
    top = float(table["mi_true"].max())
    colors = {name: f"C{i % 10}" for i, name in enumerate(sorted(table[by].unique()))}
    for ax, value in zip(axes[0], panels, strict=True):
        draw_estimates_against_truth(ax, table[table[column] == value], by, top, colors)
        ax.set_title(panel_title(value))
        ax.set_xlabel("true MI (nats)")
    axes[0][0].set_ylabel("estimated MI (nats)")
    # One legend for every panel: a method missing from the last panel is still named.
    handles = {label: handle for ax in axes[0]
               for handle, label in zip(*ax.get_legend_handles_labels(), strict=True)}
    order = [*colors, "true MI"]
    axes[0][-1].legend([handles[label] for label in order], order, loc="upper left")
    return fig


@styled
def plot_benchmark_tasks(table: pd.DataFrame, outputs: Sequence[str | Path], title: str = "") -> Figure:
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
    fig = new_figure(7, 0.45 * len(cases) + 1.2)
    ax = subplots(fig, 1, 1)[0][0]
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
    handles = [Line2D([], [], color="k", lw=2)] + [
        Line2D([], [], color=f"C{i}", marker="o", ls="") for i in range(len(labels))]
    ax.legend(handles, ["true MI", *labels], loc="lower right")
    ax.set_yticks(range(len(cases)), cases)
    ax.invert_yaxis()
    ax.set_xlabel("MI (nats)")
    ax.grid(alpha=0.3, axis="x")
    ax.grid(False, axis="y")
    if title:
        ax.set_title(title)
    return finish(fig, list(outputs))
