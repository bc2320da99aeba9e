"""Figures of the baseline experiments, in the style of the original papers, from tables only.

Information planes are drawn in bits (as all four papers do), each layer a line through its
per-epoch means over seeds with points coloured by epoch (log scale); the IB bound of the task
(min(I(X;T), H(Y)) for deterministic labels, and a dual-IB sweep on smoothed labels) is drawn
where the table of the IB curve is given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from infoplane.plots import save  # noqa: E402

BITS = 1 / math.log(2)
LAYER_MARKERS = "osD^v<>ph*"


def _epoch_norm(epochs: pd.Series) -> LogNorm:
    return LogNorm(vmin=max(1, int(epochs.min()) + 1), vmax=int(epochs.max()) + 1)


def _draw_ib(ax, ib: pd.DataFrame | None, h_y_bits: float, x_max: float) -> None:
    xs = np.array([0.0, h_y_bits, x_max])
    ax.plot(xs, np.minimum(xs, h_y_bits), color="k", lw=1, ls="--", label="IB bound min(I(X;T), H(Y))")
    if ib is not None:
        for method, rows in ib.groupby("method"):
            ax.plot(rows["i_xt"] * BITS, rows["i_ty"] * BITS, color="grey" if method == "dual" else "k",
                    lw=1, ls=":", marker=".", ms=3, label=f"{method} IB sweep")


def plot_information_planes(
    table: pd.DataFrame, outputs: Sequence[Path], panels: Sequence[tuple[str, str, str]],
    h_x_bits: float, h_y_bits: float, ib: pd.DataFrame | None = None, title: str = "",
) -> None:
    """Information planes, one panel per (variant, estimator, panel title).

    Args:
        table: aggregated MI table (:func:`infoplane.baselines.summary.aggregate`; nats).
        outputs: figure paths.
        panels: (variant, estimator, title) of each panel.
        h_x_bits, h_y_bits: axis limits H(X) and H(Y) in bits.
        ib: optional IB-curve table (``method``, ``i_xt``, ``i_ty`` in nats).
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.2), squeeze=False)
    norm = _epoch_norm(table["epoch"])
    cmap = plt.get_cmap("gnuplot")
    mappable = None
    for ax, (variant, estimator, panel_title) in zip(axes[0], panels, strict=True):
        rows = table[(table["variant"] == variant) & (table["estimator"] == estimator)]
        if rows.empty:
            raise ValueError(f"no rows for variant {variant!r} and estimator {estimator!r} in the table")
        _draw_ib(ax, ib, h_y_bits, h_x_bits)
        for layer, g in rows.groupby("layer"):
            g = g.sort_values("epoch")
            x, y = g["i_xl_mean"] * BITS, g["i_ly_mean"] * BITS
            ax.plot(x, y, color="0.6", lw=0.6, zorder=1)
            mappable = ax.scatter(x, y, c=g["epoch"] + 1, cmap=cmap, norm=norm, s=14, zorder=2,
                                  marker=LAYER_MARKERS[(layer - 1) % len(LAYER_MARKERS)], edgecolors="none")
            ax.annotate(f"T{layer}", (x.iloc[-1], y.iloc[-1]), textcoords="offset points", xytext=(3, -9),
                        fontsize=7)
        seeds = int(rows["seeds"].max())
        ax.set_title(f"{panel_title}\n(mean over {seeds} seed{'s' if seeds > 1 else ''})", fontsize=9)
        ax.set_xlim(0, h_x_bits * 1.03)
        ax.set_ylim(0, h_y_bits * 1.06)
        ax.set_xlabel("I(X;T) (bits)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("I(T;Y) (bits)")
    axes[0][0].legend(loc="lower right", fontsize=7)
    if mappable is not None:
        fig.colorbar(mappable, ax=axes[0].tolist(), label="epoch + 1", pad=0.01)
    if title:
        fig.suptitle(title, fontsize=10, y=1.06)
    save(fig, outputs)


def plot_mi_over_epochs(
    table: pd.DataFrame, outputs: Sequence[Path], panels: Sequence[tuple[str, str, str]], title: str = "",
) -> None:
    """I(X;T_l) and I(T_l;Y) (bits) against epoch, mean over seeds with a min-max band.

    Two rows of panels (I(X;T) on top, I(T;Y) below), one column per (variant, estimator, title).
    """
    fig, axes = plt.subplots(2, len(panels), figsize=(4.4 * len(panels), 6), squeeze=False, sharex=True)
    colors = plt.get_cmap("viridis")
    for col, (variant, estimator, panel_title) in enumerate(panels):
        rows = table[(table["variant"] == variant) & (table["estimator"] == estimator)]
        layers = sorted(rows["layer"].unique())
        for layer in layers:
            g = rows[rows["layer"] == layer].sort_values("epoch")
            color = colors(layer / (max(layers) + 0.5))
            for row, key in enumerate(("i_xl", "i_ly")):
                ax = axes[row][col]
                ax.plot(g["epoch"] + 1, g[f"{key}_mean"] * BITS, color=color, lw=1.2, label=f"T{layer}")
                ax.fill_between(g["epoch"] + 1, g[f"{key}_min"] * BITS, g[f"{key}_max"] * BITS,
                                color=color, alpha=0.2)
        axes[0][col].set_title(panel_title, fontsize=9)
        axes[1][col].set_xlabel("epoch + 1")
        for row in range(2):
            axes[row][col].set_xscale("log")
            axes[row][col].grid(alpha=0.3)
    axes[0][0].set_ylabel("I(X;T) (bits)")
    axes[1][0].set_ylabel("I(T;Y) (bits)")
    axes[0][-1].legend(fontsize=7, loc="lower left")
    note = "line: mean over seeds; band: min-max over seeds"
    fig.suptitle((title + "\n" if title else "") + note, fontsize=9)
    save(fig, outputs)


def plot_single_neuron(table: pd.DataFrame, outputs: Sequence[Path], beta: float, title: str = "") -> None:
    """Goldfeld et al.'s single noisy tanh neuron: I(X;T) (bits) against the weight w."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    ax.plot(table["w"], table["i_true"] * BITS, color="k", lw=1.5, label="numerical integration")
    ax.plot(table["w"], table["i_sp"] * BITS, "o", ms=4, color="tab:red", label="sample propagation")
    ax.fill_between(table["w"], table["i_sp_lo"] * BITS, table["i_sp_hi"] * BITS, color="tab:red", alpha=0.2)
    ax.axhline(2, color="grey", lw=0.8, ls=":")
    ax.axhline(1, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("weight w")
    ax.set_ylabel("I(X;T) (bits)")
    ax.set_title(title or f"T = tanh(wX) + N(0, {beta:g}^2), X uniform on {{-3, -1, 1, 3}}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, outputs)


def plot_layer_scatter(table: pd.DataFrame, outputs: Sequence[Path], title: str = "") -> None:
    """A 3-neuron layer's (noisy) representations of all inputs at a few epochs, coloured by label.

    Args:
        table: columns ``epoch``, ``label``, ``t1``, ``t2``, ``t3``.
    """
    epochs = sorted(table["epoch"].unique())
    fig = plt.figure(figsize=(3.6 * len(epochs), 3.6))
    for k, epoch in enumerate(epochs, start=1):
        ax = fig.add_subplot(1, len(epochs), k, projection="3d")
        rows = table[table["epoch"] == epoch]
        for label, color in ((0, "tab:blue"), (1, "tab:red")):
            g = rows[rows["label"] == label]
            # Thousands of points: rasterise them, or the PDF grows to megabytes.
            ax.scatter(g["t1"], g["t2"], g["t3"], s=1, alpha=0.4, color=color, label=f"y = {label}",
                       rasterized=True)
        ax.set_title(f"epoch {epoch}", fontsize=9)
        ax.tick_params(labelsize=6)
    fig.axes[0].legend(fontsize=7, markerscale=6, loc="upper left")
    if title:
        fig.suptitle(title, fontsize=10)
    save(fig, outputs)
