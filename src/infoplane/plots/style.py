"""One style for every figure, and how figures are written: byte-identical on every rerun.

A figure goes where its ``target`` says: None (only returned), a path or several (format from
each suffix, so one call writes the PDF and the PNG), or matplotlib Axes to draw into. PDFs are
written without a creation date and PNGs with fixed metadata, so the same table gives the same
bytes (a rerun of the pipeline changes no figure it did not have to).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: nats -> bits
BITS = 1 / math.log(2)
#: Where a figure goes: None (only returned), a path, several paths, an Axes, or several Axes.
Target = str | Path | Sequence[str | Path] | Axes | Sequence[Axes] | np.ndarray | None
#: The one style: small fonts that fit several panels side by side.
STYLE = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7,
         "ytick.labelsize": 7, "legend.fontsize": 7, "figure.titlesize": 10, "axes.grid": True,
         "grid.alpha": 0.3, "svg.hashsalt": "infoplane"}
#: Metadata that makes the files reproducible (no dates, no version strings).
METADATA = {".pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
            ".png": {"Software": None}}
DPI = 150


def styled(plot: Callable[..., Figure]) -> Callable[..., Figure]:
    """Draw (and save) inside the project's style, whatever the caller's rcParams."""

    @functools.wraps(plot)
    def wrapper(*args, **kwargs) -> Figure:
        with matplotlib.rc_context(STYLE):
            return plot(*args, **kwargs)

    return wrapper


def new_figure(width: float, height: float) -> Figure:
    """An empty Figure in the project's style (constrained layout; an Agg canvas, no pyplot state)."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def subplots(fig: Figure, rows: int, cols: int, **kwargs) -> np.ndarray:
    """``fig.subplots`` in the project's style: a (rows, cols) array of Axes."""
    with matplotlib.rc_context(STYLE):
        return fig.subplots(rows, cols, squeeze=False, **kwargs)


def save(fig: Figure, outputs: Sequence[str | Path]) -> None:
    """Write ``fig`` to every path in ``outputs`` (format from the suffix), reproducibly."""
    for out in outputs:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with matplotlib.rc_context(STYLE):
            fig.savefig(out, dpi=DPI, bbox_inches="tight", metadata=METADATA.get(out.suffix.lower()))


def given_axes(target: Target, panels: int) -> list[Axes] | None:
    """The Axes a caller gave (one per panel), or None when a new figure is needed."""
    if isinstance(target, Axes):
        target = [target]
    if isinstance(target, np.ndarray):
        target = list(target.ravel())
    if isinstance(target, list | tuple) and target and all(isinstance(a, Axes) for a in target):
        if len(target) != panels:
            raise ValueError(f"give {panels} Axes (one per panel), got {len(target)}")
        return list(target)
    return None


def finish(fig: Figure, target: Target) -> Figure:
    """Write ``fig`` when ``target`` names one or more paths; return it either way."""
    if isinstance(target, str | Path):
        target = [target]
    if isinstance(target, list | tuple) and target and all(isinstance(t, str | Path) for t in target):
        save(fig, target)
    elif target is not None and not isinstance(target, Axes | np.ndarray | list | tuple):
        raise ValueError(f"plot target must be a path, a list of paths, an Axes or Axes, got {target!r}")
    return fig
