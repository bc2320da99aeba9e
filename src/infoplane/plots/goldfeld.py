"""Goldfeld et al.'s two extra figures: the single noisy neuron, and a 3-neuron layer's
representations of all inputs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import mpl_toolkits.mplot3d  # noqa: F401  (registers the 3-D projection)
import pandas as pd
from matplotlib.figure import Figure

from infoplane.plots.style import BITS, finish, new_figure, styled, subplots


@styled
def plot_single_neuron(table: pd.DataFrame, outputs: Sequence[str | Path], beta: float,
                       title: str = "") -> Figure:
    """A single noisy tanh neuron: I(X;T) (bits) against the weight w.

    Args:
        table: columns ``w``, ``i_true`` (numerical integration), ``i_sp``, ``i_sp_lo``,
            ``i_sp_hi`` (sample propagation), nats.
        outputs: figure paths.
        beta: the noise's standard deviation.
        title: figure title (default: the model in words).
    """
    fig = new_figure(4.6, 3.4)
    ax = subplots(fig, 1, 1)[0][0]
    ax.plot(table["w"], table["i_true"] * BITS, color="k", lw=1.5, label="numerical integration")
    ax.plot(table["w"], table["i_sp"] * BITS, "o", ms=4, color="tab:red", label="sample propagation")
    ax.fill_between(table["w"], table["i_sp_lo"] * BITS, table["i_sp_hi"] * BITS, color="tab:red", alpha=0.2)
    ax.axhline(2, color="grey", lw=0.8, ls=":")
    ax.axhline(1, color="grey", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("weight w (no unit, log scale)")
    ax.set_ylabel("I(X;T) (bits)")
    ax.set_title(title or f"T = tanh(wX) + N(0, {beta:g}²), X uniform on {{-3, -1, 1, 3}}")
    ax.legend()
    return finish(fig, list(outputs))


@styled
def plot_layer_scatter(table: pd.DataFrame, outputs: Sequence[str | Path], title: str = "") -> Figure:
    """A 3-neuron layer's (noisy) representations of all inputs at a few epochs, coloured by label.

    Args:
        table: columns ``epoch``, ``label``, ``t1``, ``t2``, ``t3``.
        outputs: figure paths.
        title: figure title.
    """
    epochs = sorted(table["epoch"].unique())
    fig = new_figure(3.2 * len(epochs), 3.6)
    for k, epoch in enumerate(epochs, start=1):
        ax = fig.add_subplot(1, len(epochs), k, projection="3d")
        rows = table[table["epoch"] == epoch]
        for label, color in ((0, "tab:blue"), (1, "tab:red")):
            g = rows[rows["label"] == label]
            # Thousands of points: rasterise them, or the PDF grows to megabytes.
            ax.scatter(g["t1"], g["t2"], g["t3"], s=1, alpha=0.4, color=color, label=f"y = {label}",
                       rasterized=True)
        ax.set_title(f"epoch {epoch}")
        ax.set_xlabel("neuron 1", labelpad=8)  # clear of the tick labels
        ax.set_ylabel("neuron 2", labelpad=8)
        ax.set_zlabel("neuron 3", labelpad=8)
        ax.locator_params(nbins=3)
        ax.tick_params(labelsize=5)
    fig.axes[0].legend(markerscale=6, loc="upper left")
    if title:
        fig.suptitle(title)
    return finish(fig, list(outputs))
