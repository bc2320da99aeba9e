"""Figures, made from result tables only.

Every function takes a table (pandas DataFrame) and output paths; the format follows each
path's suffix, so one call writes both the PDF and the PNG. The information-plane plots also
draw into a caller's matplotlib Axes and return the Figure, so it can be adjusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def save(fig: plt.Figure, outputs: list[Path]) -> None:
    """Write ``fig`` to every path in ``outputs`` (format from the suffix), then close it."""
    for out in outputs:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=150, bbox_inches="tight")
    plt.close(fig)


def draw_estimates_against_truth(ax: plt.Axes, rows: pd.DataFrame, by: str, top: float) -> None:
    """One line per value of column ``by``: the mean estimate over seeds against the true MI,
    with a band from the seeds' minimum to maximum, and the dashed diagonal of the truth."""
    for name, est in rows.groupby(by):
        stats = est.groupby("mi_true")["mi_estimate"].agg(["mean", "min", "max"]).reset_index()
        (line,) = ax.plot(stats["mi_true"], stats["mean"], marker="o", ms=3, label=name)
        ax.fill_between(stats["mi_true"], stats["min"], stats["max"], color=line.get_color(), alpha=0.2)
    ax.plot([0, top], [0, top], "k--", lw=1, label="true MI")


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
        draw_estimates_against_truth(ax, rows, "estimator", top)
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
        draw_estimates_against_truth(ax, rows, "label", top)
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


# --- information planes (Butakov et al. and the experiments it answers) ------------------------

_PROJECTION_NOTE = "MI of compressed variables (X: {x}; L: PCA to {p} dims), nats"

#: Where a figure goes: None (only returned), a path, several paths, an Axes, or several Axes.
Target = str | Path | Sequence[str | Path] | Axes | Sequence[Axes] | np.ndarray | None


def _panels(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Layers in their stored order, and the PCA modes present."""
    layers = list(dict.fromkeys(table["layer"]))
    fits = list(dict.fromkeys(table["pca_fit"])) if "pca_fit" in table else [""]
    return layers, fits


def _per_point(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (pca_fit, layer, epoch): a table of several seeds is averaged over them
    (:func:`infoplane.analysis.aggregate_seeds`); an aggregated or one-seed table is kept."""
    keys = [k for k in ("pca_fit", "layer", "epoch") if k in table]
    if not table.duplicated(keys).any():
        return table
    if all(c in table for c in ("i_xl_lo", "i_xl_hi", "i_ly_lo", "i_ly_hi", "seed")):
        from infoplane.analysis import aggregate_seeds

        return aggregate_seeds(table.assign(flags=table["flags"].fillna("") if "flags" in table else ""))
    return table.groupby(keys, sort=False)[["i_xl", "i_ly"]].mean().reset_index()


def _check_columns(table: pd.DataFrame, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in table]
    if missing:
        raise ValueError(f"the MI table has no column(s) {missing}; it has {list(table.columns)}")


def _flagged(rows: pd.DataFrame) -> pd.Series:
    """True where a row carries sanity flags (empty, NaN or 'nan' mean none)."""
    if "flags" not in rows:
        return pd.Series(False, index=rows.index)
    flags = rows["flags"].fillna("").astype(str)
    return (flags.str.len() > 0) & (flags != "nan")


def _axes_of(target, panels: int) -> list[Axes] | None:
    """The Axes a caller gave (one, or one per panel), or None when a new figure is needed."""
    if isinstance(target, Axes):
        return [target]
    if isinstance(target, np.ndarray):
        target = list(target.ravel())
    if isinstance(target, list | tuple) and target and all(isinstance(a, Axes) for a in target):
        if len(target) != panels:
            raise ValueError(f"give one Axes, or {panels} (one per panel), got {len(target)}")
        return list(target)
    return None


def _finish(fig: Figure, target) -> Figure:
    """Write ``fig`` when ``target`` names one or more paths; return it either way."""
    if isinstance(target, str | Path):
        target = [target]
    if isinstance(target, list | tuple) and target and all(isinstance(t, str | Path) for t in target):
        for out in target:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(out, dpi=150, bbox_inches="tight")
    elif target is not None and not isinstance(target, Axes | np.ndarray | list | tuple):
        raise ValueError(f"plot target must be a path, a list of paths, an Axes or Axes, got {target!r}")
    return fig


def _plane(ax: Axes, rows: pd.DataFrame, norm, marker: str = "o", label: str | None = None):
    """One layer's trajectory in the information plane; returns the scatter (for a colour bar)."""
    rows = rows.sort_values("epoch")
    if all(c in rows for c in ("i_xl_lo", "i_xl_hi", "i_ly_lo", "i_ly_hi")):
        ax.errorbar(rows["i_xl"], rows["i_ly"],
                    xerr=[rows["i_xl"] - rows["i_xl_lo"], rows["i_xl_hi"] - rows["i_xl"]],
                    yerr=[rows["i_ly"] - rows["i_ly_lo"], rows["i_ly_hi"] - rows["i_ly"]],
                    fmt="none", ecolor="0.8", lw=0.6, zorder=1)
    ax.plot(rows["i_xl"], rows["i_ly"], color="0.5", lw=0.6, zorder=2)
    points = ax.scatter(rows["i_xl"], rows["i_ly"], c=rows["epoch"], cmap="viridis", norm=norm, s=14,
                        marker=marker, zorder=3, label=label)
    bad = rows[_flagged(rows)]  # impossible values stay visible, ringed in red
    ax.scatter(bad["i_xl"], bad["i_ly"], s=40, facecolors="none", edgecolors="red", lw=0.8, zorder=4)
    return points


def plot_information_plane(table: pd.DataFrame, outputs: Target = None, title: str = "") -> Figure:
    """The information plane of every layer: I(L;Y) against I(X;L), trajectory over epochs.

    Args:
        table: an MI table (``layer``, ``epoch``, ``i_xl``, ``i_ly``; optional ``_lo`` /
            ``_hi`` intervals, ``pca_fit`` (one row of panels per mode), ``h_y``, ``flags``,
            ``seed``): of one run, of several seeds (averaged here), or aggregated
            (``infoplane combine --aggregated``).
        outputs: a path or several (format from the suffix), a matplotlib Axes (every layer
            in it, one marker per layer), one Axes per layer, or None.
        title: figure title.

    Returns:
        the Figure (drawn on, and saved when ``outputs`` names paths).

    Points are coloured by epoch (colour bar); grey bars span the intervals; red rings mark
    points with sanity flags; the dotted line is H(Y) when the table has ``h_y``.
    """
    _check_columns(table, ("layer", "epoch", "i_xl", "i_ly"))
    table = _per_point(table)
    layers, fits = _panels(table)
    norm = Normalize(table["epoch"].min(), table["epoch"].max())
    given = _axes_of(outputs, len(layers) * len(fits))
    if given is not None and len(given) == 1 and len(layers) * len(fits) > 1:  # all layers in one Axes
        ax, markers = given[0], "osD^vP*Xph"
        for i, (key, rows) in enumerate(table.groupby(["layer", "pca_fit"] if fits != [""] else ["layer"],
                                                      sort=False)):
            label = " ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
            points = _plane(ax, rows, norm, markers[i % len(markers)], label)
        ax.legend(fontsize=8)
        axes = np.array([[ax]])
    else:
        if given is None:
            fig = Figure(figsize=(3.2 * len(layers), 3.3 * len(fits)), layout="constrained")
            axes = fig.subplots(len(fits), len(layers), squeeze=False)
        else:
            axes = np.array(given).reshape(len(fits), len(layers))
        for r, fit in enumerate(fits):
            for c, layer in enumerate(layers):
                ax = axes[r][c]
                rows = table[(table["layer"] == layer) & ((table["pca_fit"] == fit) if fit else True)]
                points = _plane(ax, rows, norm)
                ax.set_title(f"{layer}" + (f" ({fit} PCA)" if fit and len(fits) > 1 else ""), fontsize=10)
    fig = axes[0][0].figure
    for ax in axes.ravel():
        if "h_y" in table:
            ax.axhline(float(table["h_y"].max()), color="k", ls=":", lw=0.8)
        ax.set_xlabel("I(X;L) (nats)")
        ax.set_ylabel("I(L;Y) (nats)")
        ax.grid(alpha=0.3)
    fig.colorbar(points, ax=axes.ravel().tolist(), label="epoch", shrink=0.8)
    flagged = int(_flagged(table).sum())
    note = _PROJECTION_NOTE.format(x=table["x_compression"].iloc[0] if "x_compression" in table else "?",
                                   p=int(table["pca_dim"].max()) if "pca_dim" in table else "?")
    if flagged:
        note += f"; red rings: {flagged} points with sanity flags (the table's flags column)"
    if given is None:
        fig.suptitle((title + "\n" if title else "") + note, fontsize=10)
    elif title:
        axes[0][0].set_title(title, fontsize=10)
    return _finish(fig, outputs)


def plot_mi_epoch(table: pd.DataFrame, history: pd.DataFrame | None = None, outputs: Target = None,
                  title: str = "") -> Figure:
    """I(X;L) and I(L;Y) of every layer against epoch, beside the training and test loss.

    Args:
        table: an MI table (as :func:`plot_information_plane`); the first PCA mode present is
            drawn (per-epoch when both are).
        history: training histories (``epoch``, ``train_loss``, ``test_loss``, ``test_acc``,
            optional ``seed``; means over seeds are drawn), or None: no loss panel.
        outputs: a path or several, one Axes (both MI values in it: I(X;L) solid, I(L;Y)
            dashed), one Axes per panel (2, or 3 with ``history``), or None.
        title: figure title.

    Returns:
        the Figure. The epoch is the x axis here, so colour tells the layers apart (the
        information plane is the figure coloured by epoch).
    """
    _check_columns(table, ("layer", "epoch", "i_xl", "i_ly"))
    table = _per_point(table)
    _, fits = _panels(table)
    if fits != [""]:
        table = table[table["pca_fit"] == ("per-epoch" if "per-epoch" in fits else fits[0])]
    panels = 2 + (history is not None)
    given = _axes_of(outputs, panels)
    if given is None:
        fig = Figure(figsize=(5 * panels, 4.3), layout="constrained")
        axes = list(fig.subplots(1, panels))
    else:
        axes = given if len(given) == panels else [given[0], given[0]]
        fig = axes[0].figure
    quantities = (("i_xl", axes[0], "I(X;L) (nats)", "-"), ("i_ly", axes[1], "I(L;Y) (nats)", "--"))
    for key, ax, label, style in quantities:
        for i, (layer, rows) in enumerate(table.groupby("layer", sort=False)):
            rows = rows.sort_values("epoch")
            color = f"C{i}"
            ax.plot(rows["epoch"], rows[key], ls=style, color=color, marker="o", ms=3,
                    label=f"{layer}" if axes[0] is not axes[1] else f"{key[2:].upper()} {layer}")
            if f"{key}_lo" in rows and f"{key}_hi" in rows:
                ax.fill_between(rows["epoch"], rows[f"{key}_lo"], rows[f"{key}_hi"], color=color, alpha=0.2)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label if axes[0] is not axes[1] else "MI (nats): I(X;L) solid, I(L;Y) dashed")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8)
    note = ""
    if history is not None:
        _check_columns(history, ("epoch", "train_loss", "test_loss", "test_acc"))
        loss = axes[2]
        mean = history.groupby("epoch")[["train_loss", "test_loss", "test_acc"]].mean().reset_index()
        loss.plot(mean["epoch"], mean["train_loss"], label="train loss (noise, dropout on)")
        loss.plot(mean["epoch"], mean["test_loss"], label="test loss")
        loss.set_xlabel("epoch")
        loss.set_ylabel("loss (nats per sample)")
        loss.grid(alpha=0.3)
        acc = loss.twinx()
        acc.plot(mean["epoch"], mean["test_acc"], color="k", ls="--", lw=1, label="test accuracy")
        acc.set_ylabel("test accuracy")
        lines, more = loss.get_legend_handles_labels(), acc.get_legend_handles_labels()
        loss.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8)
        n_seeds = history["seed"].nunique() if "seed" in history else 1
        note = f"mean over {n_seeds} seed(s); bands: every seed's interval"
    if given is None and (title or note):
        fig.suptitle((title + "\n" if title and note else title) + note, fontsize=10)
    elif title:
        axes[0].set_title(title, fontsize=10)
    return _finish(fig, outputs)
