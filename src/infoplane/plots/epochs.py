"""I(X;L) and I(L;Y) against epoch, one column of panels per panel spec, from the aggregated table.

Row 1: I(X;L); row 2: I(L;Y), each from 0 to at most its limit H(X) or H(Y) (a value outside
is impossible: it is drawn at the edge as a red marker and counted in the column's title); row
3 (with a history table): the test and training accuracy; row 4 (with ``test_loss`` in the
history): how fast the mean test loss falls, per epoch (Butakov et al.'s "loss delta"), its
fastest fall marked by a dotted line on every row, so that a compression phase can be set
against it; last row (with the gradient moments ``grad_mean_<l>``, ``grad_std_<l>`` in the
history): Shwartz-Ziv & Tishby's drift and diffusion, the seed means of each layer's gradient
mean (solid) and standard deviation (dashed) on a log scale, with a dash-dot line where the
largest fall of a layer's seed-mean I(X;L) starts. Each layer is one line (its mean over seeds) with a
band from the lowest lower to the highest upper interval bound of the seeds. Rows share their y
axis, columns their x axis.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from infoplane.plots.data import (
    Panel,
    aggregated_view,
    check_columns,
    information_limit,
    layers_in_order,
    panel_rows,
    panel_specs,
)
from infoplane.plots.planes import UNITS
from infoplane.plots.style import Target, finish, given_axes, new_figure, styled, subplots
from infoplane.seed_stats import largest_fall
from infoplane.summaries import fastest_loss_drop_epoch, loss_fall

QUANTITIES = (("i_xl", "I(X;L)"), ("i_ly", "I(L;Y)"))


def _epoch_axis(epochs: pd.Series) -> tuple[bool, str]:
    """Log scale of epoch + 1 when the epochs span more than two decades, else plain epochs."""
    log = int(epochs.max()) + 1 > 100 * (int(epochs.min()) + 1)
    return log, "epoch + 1 (log scale)" if log else "epoch"


@styled
def plot_mi_epoch(table: pd.DataFrame, history: pd.DataFrame | None = None, outputs: Target = None,
                  panels: Sequence[Panel] | None = None, title: str = "", units: str = "bits") -> Figure:
    """MI of every layer against epoch, one column per panel spec.

    Args:
        table: an aggregated MI table (:func:`infoplane.tables.aggregate`, nats); a table of
            runs is aggregated here.
        history: the runs' histories (``epoch``, ``test_acc``, ``train_acc``; ``variant`` and
            ``seed`` when there are several; means over seeds are drawn), or None.
        outputs: a path or several, one Axes per panel cell (rows x columns, row by row), or None.
        panels: {variant, analysis, title} per column; None: one per (variant, analysis).
        title: the figure's title.
        units: "bits" (default) or "nats".

    Returns:
        the Figure (saved when ``outputs`` names paths).
    """
    scale = UNITS[units]
    table = aggregated_view(table)
    specs = panel_specs(table, panels)
    parts = [panel_rows(table, spec) for spec in specs]
    if history is not None:
        check_columns(history, ("epoch", "test_acc", "train_acc"))
    with_loss = history is not None and "test_loss" in history
    with_gradients = history is not None and any(str(c).startswith("grad_mean_") for c in history)
    n_rows = 2 + (history is not None) + with_loss + with_gradients
    given = given_axes(outputs, n_rows * len(specs))
    if given is None:
        fig = new_figure(3.2 * len(specs) + 0.6, 2.2 * n_rows + 0.8)
        axes = subplots(fig, n_rows, len(specs), sharex="col", sharey="row")
        fig.get_layout_engine().set(h_pad=0.12)  # edge tick labels of stacked panels stay apart
    else:
        axes = np.array(given).reshape(n_rows, len(specs))
        fig = axes[0][0].figure
    log, xlabel = _epoch_axis(pd.concat(parts)["epoch"])
    layers = layers_in_order(pd.concat(parts))
    color = {layer: f"C{i % 10}" for i, layer in enumerate(layers)}
    shown = pd.concat(parts)
    tops = {key: information_limit(shown, f"h_{key[2]}", key)[0] * scale for key, _ in QUANTITIES}
    for col, (spec, rows) in enumerate(zip(specs, parts, strict=True)):
        outside = 0
        for layer in layers_in_order(rows):
            g = rows[rows["layer"] == layer]
            x = (g["epoch"] + 1 if log else g["epoch"]).to_numpy()
            for row, (key, _) in enumerate(QUANTITIES):
                ax, top = axes[row][col], tops[key]
                value, lo, hi = (np.clip(g[c].to_numpy(dtype=float) * scale, 0, top)
                                 for c in (key, f"{key}_lo", f"{key}_hi"))
                raw = g[key].to_numpy(dtype=float) * scale
                beyond = (raw < 0) | (raw > top)                  # impossible: drawn at the edge
                outside += int(beyond.sum())
                ax.plot(x, value, color=color[layer], lw=1.2)
                ax.fill_between(x, lo, hi, color=color[layer], alpha=0.2, lw=0)
                ax.scatter(x[beyond], value[beyond], s=18, facecolors="none", edgecolors="red", lw=0.8,
                           zorder=3, clip_on=False)
        if history is not None:
            runs = history[history["variant"] == spec["variant"]] if "variant" in history else history
            mean = runs.groupby("epoch")[["test_acc", "train_acc"]].mean().reset_index()
            x = mean["epoch"] + 1 if log else mean["epoch"]
            axes[2][col].plot(x, mean["test_acc"], color="k", lw=1.2)
            axes[2][col].plot(x, mean["train_acc"], color="k", lw=1, ls="--")
        if with_loss:
            _loss_fall(axes[:(n_rows - with_gradients), col], runs, log)
        if with_gradients:
            _gradients(axes[-1][col], runs, rows, color, log)
        beyond_note = f"\n{outside} beyond the limits (red, at the edge)" if outside else ""
        axes[0][col].set_title((spec["title"] or "all layers") + beyond_note)
        for row in range(n_rows):
            if log:
                axes[row][col].set_xscale("log")
        axes[-1][col].set_xlabel(xlabel)
    for row, (_, name) in enumerate(QUANTITIES):
        axes[row][0].set_ylabel(f"{name} ({units})")
        axes[row][0].set_ylim(bottom=0)
    if history is not None:
        axes[2][0].set_ylabel("accuracy (fraction)")
    if with_loss:
        axes[3][0].set_ylabel("test-loss fall\n(nats per epoch)")
    if with_gradients:
        axes[-1][0].set_ylabel("gradient norm\n(nats per unit weight)")
    handles = [Line2D([], [], color=color[layer], lw=1.2, label=layer) for layer in layers]
    if history is not None:
        handles += [Line2D([], [], color="k", lw=1.2, label="test accuracy"),
                    Line2D([], [], color="k", lw=1, ls="--", label="training accuracy")]
    if with_loss:
        handles.append(Line2D([], [], color="0.4", lw=1, ls=":", label="fastest test-loss fall"))
    if with_gradients:
        handles += [Line2D([], [], color="0.3", lw=1.2, label="gradient mean (drift)"),
                    Line2D([], [], color="0.3", lw=1, ls="--", label="gradient std (diffusion)"),
                    Line2D([], [], color="0.4", lw=1, ls="-.", label="start of the largest I(X;L) fall")]
    seeds = int(table["n_seeds"].max())
    note = f"line: mean over {seeds} seed{'s' if seeds > 1 else ''}; band: every seed's interval"
    if given is None:
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 7), frameon=False)
        fig.suptitle(f"{title}\n{note}" if title else note)
    else:
        axes[0][-1].legend(handles=handles, loc="best")
    return finish(fig, outputs)


#: A seed-mean test loss whose range is below this share of its mean is flat: its largest "fall"
#: is float noise (a frozen MNIST network's loss moves by about 1e-6 of 2.31 nats).
FLAT_LOSS = 1e-3


def _loss_fall(column: Sequence, runs: pd.DataFrame, log: bool) -> None:
    """Draw minus the change of the seed-mean test loss per epoch into the last Axes of
    ``column`` and mark its largest value (the fastest fall) with a dotted line on every Axes."""
    fall = loss_fall(runs)
    if fall.empty:
        return
    x = fall.index + 1 if log else fall.index
    column[-1].plot(x, fall.to_numpy(), color="k", lw=1.2)
    column[-1].axhline(0.0, color="0.6", lw=0.6)
    mean = runs.groupby("epoch")["test_loss"].mean()
    if mean.max() - mean.min() < FLAT_LOSS * abs(mean.mean()):
        return   # a loss that does not move (a frozen network) has no fastest fall to mark
    fastest = fastest_loss_drop_epoch(runs)   # the epoch the claims time compression against
    for ax in column:
        ax.axvline(fastest + 1 if log else fastest, color="0.4", lw=1, ls=":")


def _gradients(ax, runs: pd.DataFrame, rows: pd.DataFrame, color: dict[str, str], log: bool) -> None:
    """Each layer's seed-mean gradient mean (solid) and standard deviation (dashed) over the
    trained epochs, log y, and a dash-dot line where the largest fall of a layer's seed-mean
    I(X;L) starts (the layer with the largest fall)."""
    trained = runs[runs["epoch"] > 0]
    largest, drawn = (0.0, None), set()
    for layer in layers_in_order(rows):
        g = rows[rows["layer"] == layer].sort_values("epoch")
        depth = int(g["depth"].iloc[0])
        if depth in drawn:   # a layer derived from another (exp(L5)): the same weights, no fall of its own
            continue
        drawn.add(depth)
        if f"grad_mean_{depth}" in trained:
            mean = trained.groupby("epoch")[[f"grad_mean_{depth}", f"grad_std_{depth}"]].mean()
            x = mean.index + 1 if log else mean.index
            ax.plot(x, mean[f"grad_mean_{depth}"], color=color[layer], lw=1.2)
            ax.plot(x, mean[f"grad_std_{depth}"], color=color[layer], lw=1, ls="--")
        curve = g["i_xl"].to_numpy(dtype=float)
        if len(curve) > 1:
            i, j = largest_fall(curve)
            if curve[i] - curve[j] > largest[0]:
                largest = (curve[i] - curve[j], int(g["epoch"].iloc[i]))
    ax.set_yscale("log")
    if largest[1] is not None:
        ax.axvline(largest[1] + 1 if log else largest[1], color="0.4", lw=1, ls="-.")
