"""Information planes of any experiment, from its aggregated MI table.

One panel per panel spec {variant, analysis, title}; in each, every layer of the network as a
trajectory through its per-epoch means over seeds, points coloured by epoch (log scale), one
marker per layer. All panels share their axes, which run from 0 to the limits H(X) and H(Y)
(the table's ``h_x`` / ``h_y`` columns, drawn as dashed lines): a value outside them is
impossible, so it is drawn at the axis edge as a red marker and counted in the panel's title,
never allowed to stretch the axes. A table without a limit (NaN) ends that axis at the largest
mean value instead, and draws no line for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter

from infoplane.plots.data import (
    Panel,
    aggregated_view,
    information_limit,
    layers_in_order,
    panel_rows,
    panel_specs,
)
from infoplane.plots.style import BITS, Target, finish, given_axes, new_figure, styled, subplots

MARKERS = "osD^v<>ph*PX"
UNITS = {"bits": BITS, "nats": 1.0}


def epoch_norm(epochs: pd.Series) -> LogNorm:
    """Colour by epoch + 1 on a log scale (epoch 0, before training, is the first colour)."""
    return LogNorm(vmin=int(epochs.min()) + 1, vmax=max(int(epochs.max()) + 1, int(epochs.min()) + 2))


def _draw_ib(ax, ib: pd.DataFrame, scale: float, h_x: float, h_y: float) -> None:
    """The IB bound min(I(X;L), H(Y)) of deterministic labels, and the task's IB sweeps
    (``method``, ``i_xt``, ``i_ty`` in nats)."""
    xs = np.array([0.0, h_y, h_x])
    ax.plot(xs, np.minimum(xs, h_y), color="k", lw=1, ls="-.")
    for method, rows in ib.groupby("method", sort=False):
        ax.plot(rows["i_xt"] * scale, rows["i_ty"] * scale, color="grey" if method == "dual" else "k",
                lw=1, ls=":", marker=".", ms=3)


@styled
def plot_information_plane(table: pd.DataFrame, outputs: Target = None, panels: Sequence[Panel] | None = None,
                           title: str = "", ib: pd.DataFrame | None = None, units: str = "bits") -> Figure:
    """Information planes: I(L;Y) against I(X;L), one panel per panel spec.

    Args:
        table: an aggregated MI table (:func:`infoplane.tables.aggregate`, nats); a table of
            runs is aggregated here.
        outputs: a path or several (format from the suffix), one Axes per panel, or None.
        panels: {variant, analysis, title} (or (variant, analysis, title)) per panel; None:
            one per (variant, analysis) in the table.
        title: the figure's title (plain words).
        ib: optional IB-curve table (``method``, ``i_xt``, ``i_ty``, nats) drawn on every panel.
        units: "bits" (default) or "nats".

    Returns:
        the Figure (saved when ``outputs`` names paths).
    """
    if units not in UNITS:
        raise ValueError(f"units must be one of {sorted(UNITS)}, got {units!r}")
    scale = UNITS[units]
    table = aggregated_view(table)
    specs = panel_specs(table, panels)
    parts = [panel_rows(table, spec) for spec in specs]
    shown = pd.concat(parts)
    (h_x, known_x), (h_y, known_y) = (information_limit(shown, "h_x", "i_xl"),
                                      information_limit(shown, "h_y", "i_ly"))
    h_x, h_y = h_x * scale, h_y * scale
    norm = epoch_norm(shown["epoch"])
    given = given_axes(outputs, len(specs))
    if given is None:
        fig = new_figure(3.4 * len(specs) + 1.0, 3.6)
        axes = list(subplots(fig, 1, len(specs), sharex=True, sharey=True)[0])
    else:
        axes, fig = given, given[0].figure
    layers = layers_in_order(shown)
    marker = {layer: MARKERS[i % len(MARKERS)] for i, layer in enumerate(layers)}
    points = None
    for ax, spec, rows in zip(axes, specs, parts, strict=True):
        outside = 0
        for layer in layers_in_order(rows):
            g = rows[rows["layer"] == layer]
            x, y = g["i_xl"].to_numpy() * scale, g["i_ly"].to_numpy() * scale
            beyond = (x < 0) | (x > h_x) | (y < 0) | (y > h_y)
            outside += int(beyond.sum())
            x, y = np.clip(x, 0, h_x), np.clip(y, 0, h_y)  # drawn at the edge, counted in the title
            ax.plot(x, y, color="0.6", lw=0.6, zorder=1)
            points = ax.scatter(x[~beyond], y[~beyond], c=g["epoch"].to_numpy()[~beyond] + 1, cmap="viridis",
                                norm=norm, s=14, marker=marker[layer], edgecolors="none", zorder=2)
            ax.scatter(x[beyond], y[beyond], s=22, marker=marker[layer], facecolors="none", edgecolors="red",
                       lw=0.8, zorder=3, clip_on=False)
        if known_x:
            ax.axvline(h_x, color="k", ls="--", lw=0.8)
        if known_y:
            ax.axhline(h_y, color="k", ls="--", lw=0.8)
        if ib is not None:
            _draw_ib(ax, ib, scale, h_x, h_y)
        ax.set_xlim(0, h_x * 1.02)
        ax.set_ylim(0, h_y * 1.04)
        ax.set_xlabel(f"I(X;L) ({units})")
        seeds = int(rows["n_seeds"].max())
        lines = [spec["title"] or "all layers", f"mean over {seeds} seed{'s' if seeds > 1 else ''}"]
        if outside:
            lines.append(f"{outside} beyond the limits (red, at the edge)")
        ax.set_title("\n".join(lines))
    for ax in axes:
        ax.set_ylabel(f"I(L;Y) ({units})" if ax is axes[0] else "")
    handles = [Line2D([], [], color="0.3", marker=marker[layer], ls="", label=layer) for layer in layers]
    known = (("H(X)", h_x, known_x), ("H(Y)", h_y, known_y))
    limits = [f"{name} = {value:.3g}" for name, value, is_known in known if is_known]
    if limits:
        handles += [Line2D([], [], color="k", ls="--", lw=0.8, label=f"{', '.join(limits)} {units}")]
    if ib is not None:
        handles += [Line2D([], [], color="k", ls="-.", lw=1, label="IB bound min(I(X;L), H(Y))")]
        handles += [Line2D([], [], color="grey" if method == "dual" else "k", ls=":", marker=".",
                           label="IB curve" if method == "ib" else f"{method} IB curve")
                    for method in dict.fromkeys(ib["method"])]
    if given is None:
        fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 6), frameon=False)
    else:
        axes[0].legend(handles=handles, loc="lower right")
    if points is not None:
        bar = fig.colorbar(points, ax=axes, label="epoch + 1 (log scale)", shrink=0.9, pad=0.01)
        bar.ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        bar.ax.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))  # 1, 2, 5, 10, not 10^0
        bar.ax.yaxis.set_minor_formatter(NullFormatter())
    if title and given is None:
        fig.suptitle(title)
    return finish(fig, outputs)
