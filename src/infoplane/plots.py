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


def _panels(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Layers in their stored order, and the PCA modes present."""
    layers = list(dict.fromkeys(table["layer"]))
    fits = list(dict.fromkeys(table["pca_fit"])) if "pca_fit" in table else [""]
    return layers, fits


def plot_information_plane(table: pd.DataFrame, outputs: list[Path], title: str = "") -> None:
    """The information plane of every layer: I(L;Y) against I(X;L), trajectory over epochs.

    Args:
        table: the MI table aggregated over seeds (``infoplane combine --aggregated``):
            ``layer``, ``epoch``, ``i_xl``, ``i_ly`` and their ``_lo`` / ``_hi`` band, optional
            ``pca_fit`` (one row of panels per mode) and ``h_y``.
        outputs: figure paths.
        title: figure title.

    Points are the mean over seeds, coloured by epoch; grey bars span the band (every seed's
    interval); red rings mark points with sanity flags. The dotted line is ln 10 = H(Y) for ten
    balanced classes.
    """
    import numpy as np

    layers, fits = _panels(table)
    fig, axes = plt.subplots(len(fits), len(layers), figsize=(3.2 * len(layers), 3.3 * len(fits)),
                             squeeze=False, layout="constrained")
    norm = plt.Normalize(table["epoch"].min(), table["epoch"].max())
    for r, fit in enumerate(fits):
        for c, layer in enumerate(layers):
            ax = axes[r][c]
            rows = table[(table["layer"] == layer) & ((table["pca_fit"] == fit) if fit else True)]
            rows = rows.sort_values("epoch")
            ax.errorbar(rows["i_xl"], rows["i_ly"],
                        xerr=[rows["i_xl"] - rows["i_xl_lo"], rows["i_xl_hi"] - rows["i_xl"]],
                        yerr=[rows["i_ly"] - rows["i_ly_lo"], rows["i_ly_hi"] - rows["i_ly"]],
                        fmt="none", ecolor="0.8", lw=0.6, zorder=1)
            ax.plot(rows["i_xl"], rows["i_ly"], color="0.5", lw=0.6, zorder=2)
            points = ax.scatter(rows["i_xl"], rows["i_ly"], c=rows["epoch"], cmap="viridis", norm=norm,
                                s=12, zorder=3)
            if "flags" in rows:  # impossible values stay visible, ringed in red
                bad = rows[rows["flags"].fillna("").astype(str).str.len() > 0]
                ax.scatter(bad["i_xl"], bad["i_ly"], s=40, facecolors="none", edgecolors="red", lw=0.8,
                           zorder=4)
            ax.axhline(np.log(10), color="k", ls=":", lw=0.8)
            ax.set_title(f"{layer}" + (f" ({fit} PCA)" if fit and len(fits) > 1 else ""), fontsize=10)
            ax.set_xlabel("I(X;L) (nats)")
            ax.grid(alpha=0.3)
        axes[r][0].set_ylabel("I(L;Y) (nats)")
    fig.colorbar(points, ax=axes.ravel().tolist(), label="epoch", shrink=0.8)
    flagged = table["flags"].fillna("").astype(str).str.len().gt(0).sum() if "flags" in table else 0
    note = _PROJECTION_NOTE.format(x=table["x_compression"].iloc[0] if "x_compression" in table else "?",
                                   p=int(table["pca_dim"].max()) if "pca_dim" in table else 4)
    if flagged:
        note += f"; red rings: {flagged} points with sanity flags (the table's flags column)"
    fig.suptitle((title + "\n" if title else "") + note, fontsize=10)
    save(fig, outputs)


def plot_mi_epoch(table: pd.DataFrame, history: pd.DataFrame, outputs: list[Path], title: str = "") -> None:
    """I(X;L) and I(L;Y) of every layer against epoch, beside the training and test loss.

    Args:
        table: the aggregated MI table (as :func:`plot_information_plane`); the first PCA
            mode present is drawn (per-epoch when both are).
        history: joined training histories: ``seed``, ``epoch``, ``train_loss``,
            ``test_loss``, ``test_acc``.
        outputs: figure paths.
        title: figure title.

    Lines are means over seeds, bands the aggregated band; the loss panel shows the mean over
    seeds and test accuracy on a second axis.
    """
    _, fits = _panels(table)
    if fits != [""]:
        table = table[table["pca_fit"] == ("per-epoch" if "per-epoch" in fits else fits[0])]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), layout="constrained")
    for key, ax, label in (("i_xl", axes[0], "I(X;L) (nats)"), ("i_ly", axes[1], "I(L;Y) (nats)")):
        for layer, rows in table.groupby("layer", sort=False):
            rows = rows.sort_values("epoch")
            (line,) = ax.plot(rows["epoch"], rows[key], marker="o", ms=2, label=layer)
            ax.fill_between(rows["epoch"], rows[f"{key}_lo"], rows[f"{key}_hi"], color=line.get_color(),
                            alpha=0.2)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8)
    mean = history.groupby("epoch")[["train_loss", "test_loss", "test_acc"]].mean().reset_index()
    axes[2].plot(mean["epoch"], mean["train_loss"], label="train loss (noise, dropout on)")
    axes[2].plot(mean["epoch"], mean["test_loss"], label="test loss")
    axes[2].set_xlabel("epoch")
    axes[2].set_ylabel("loss (nats per sample)")
    axes[2].grid(alpha=0.3)
    acc = axes[2].twinx()
    acc.plot(mean["epoch"], mean["test_acc"], color="k", ls="--", lw=1, label="test accuracy")
    acc.set_ylabel("test accuracy")
    lines = axes[2].get_legend_handles_labels()
    more = acc.get_legend_handles_labels()
    axes[2].legend(lines[0] + more[0], lines[1] + more[1], fontsize=8)
    n_seeds = history["seed"].nunique()
    note = f"mean over {n_seeds} seed(s); bands: every seed's interval"
    fig.suptitle((title + "\n" if title else "") + note,
                 fontsize=10)
    save(fig, outputs)
