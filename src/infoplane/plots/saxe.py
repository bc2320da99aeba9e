"""Saxe et al.'s teacher-student figure: what a linear student's hidden layer holds about the
task-relevant and task-irrelevant inputs, and its losses, against epoch."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from infoplane.plots.style import BITS, finish, new_figure, styled, subplots

PANELS = (("input", "I(T;X): all of the input"), ("relevant", "I(T;X_rel): task-relevant part"),
          ("irrelevant", "I(T;X_irr): task-irrelevant part"))


@styled
def plot_teacher_student(table: pd.DataFrame, outputs: Sequence[str | Path], title: str = "") -> Figure:
    """Three information panels and the losses, every seed thin, their mean thick (log epoch axis).

    Args:
        table: the teacher-student table: ``seed``, ``epoch`` (drawn at epoch + 1 on the log
            axis, so that epoch 0, before training, has a place), ``analysis`` (input, relevant,
            irrelevant), ``i_xl``, ``i_ly`` (nats), ``train_loss``, ``test_loss``.
        outputs: figure paths.
        title: figure title.
    """
    fig = new_figure(12.0, 3.0)
    axes = subplots(fig, 1, 4)[0]
    x = table.assign(epoch=table["epoch"] + 1)
    for ax, (part, label) in zip(axes, PANELS, strict=False):
        rows = x[x["analysis"] == part]
        for _, seed in rows.groupby("seed"):
            ax.plot(seed["epoch"], seed["i_xl"] * BITS, color="tab:blue", lw=0.5, alpha=0.3)
        mean = rows.groupby("epoch")["i_xl"].mean() * BITS
        ax.plot(mean.index, mean.to_numpy(), color="tab:blue", lw=1.8, label="mean over seeds")
        ax.set_title(label)
        ax.set_ylabel("bits")
    losses = x[x["analysis"] == PANELS[0][0]].groupby("epoch")[["train_loss", "test_loss"]].mean()
    axes[3].plot(losses.index, losses["train_loss"], color="k", label="training loss")
    axes[3].plot(losses.index, losses["test_loss"], color="tab:red", label="test loss")
    axes[3].set_yscale("log")
    axes[3].set_title("half the mean squared error (mean over seeds)")
    axes[3].legend()
    axes[0].legend()
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("epoch + 1")
    if title:
        fig.suptitle(title)
    return finish(fig, list(outputs))
