"""Every figure renders from small synthetic tables with units on its axes, no two texts on top
of each other, and the same bytes when saved twice."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from infoplane import plots
from infoplane.tables import aggregate
from tests.unit.test_tables import runs_table

UNITS = ("bits", "nats", "epoch")
PANELS = [{"variant": "tanh", "analysis": "szt", "title": "tanh, 30 bins"},
          {"variant": "relu", "analysis": "kde", "title": "ReLU, KDE upper bound"}]


def aggregated() -> pd.DataFrame:
    out = aggregate(runs_table())
    tanh = out.index[(out["variant"] == "tanh") & (out["analysis"] == "szt")]
    out.loc[tanh[1], "i_xl"] = -0.4  # impossible values: drawn at the edge, counted, not stretching the axes
    out.loc[tanh[5], "i_ly"] = 2.0
    return out


def validation_table() -> pd.DataFrame:
    rows = [{"estimator": e, "label": e, "family": f, "dim_x": d, "dim_y": d, "mi_true": t, "seed": s,
             "mi_estimate": t * (0.9 + 0.05 * s)}
            for e, f, d, t, s in itertools.product(["ksg", "wkl"], ["gaussian", "bumps"], [1, 4], [0.5, 2.0],
                                                   [0, 1])]
    return pd.DataFrame(rows)


def neuron_table() -> pd.DataFrame:
    w = np.geomspace(0.05, 50, 9)
    i = np.log(4) * (1 - np.exp(-w))
    return pd.DataFrame({"w": w, "i_true": i, "i_sp": i + 0.01, "i_sp_lo": i - 0.02, "i_sp_hi": i + 0.03})


def scatter_table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"epoch": np.repeat([0, 100, 1000], 50), "label": np.tile([0, 1], 75),
                         "t1": rng.normal(size=150), "t2": rng.normal(size=150), "t3": rng.normal(size=150)})


def history() -> pd.DataFrame:
    def gradients(e: int) -> dict[str, float]:
        return {f"grad_{m}_{d}": math.nan if e == 0 else 10.0 ** (-d - (e if m == "mean" else 0) / 4)
                for d in (1, 2) for m in ("mean", "std")}
    return pd.DataFrame([{"variant": v, "seed": s, "epoch": e, "test_acc": 0.5 + 0.05 * e,
                          "train_acc": math.nan if e == 0 else 0.6 + 0.04 * e, "test_loss": 1.0 / (1 + e),
                          **gradients(e)}
                         for v in ("tanh", "relu") for s in range(3) for e in (0, 1, 3, 7)])


IB = pd.DataFrame({"method": ["ib"] * 3, "i_xt": [0, 1, 5], "i_ty": [0, 0.4, 0.69]})
FIGURES = {
    "plane": lambda out: plots.plot_information_plane(aggregated(), out, PANELS, title="Two networks", ib=IB),
    "plane-nats": lambda out: plots.plot_information_plane(aggregated(), out, units="nats"),
    "epochs": lambda out: plots.plot_mi_epoch(aggregated(), history(), out, PANELS, title="Two networks"),
    "validation": lambda out: plots.plot_estimator_validation(validation_table(), out, title="Validation"),
    "known-mi": lambda out: plots.plot_known_mi(validation_table(), out, title="Known MI"),
    "benchmark": lambda out: plots.plot_benchmark_tasks(validation_table(), out, title="Benchmark"),
    "neuron": lambda out: plots.plot_single_neuron(neuron_table(), out, beta=0.1),
    "scatter": lambda out: plots.plot_layer_scatter(scatter_table(), out, title="A 3-neuron layer"),
}


def texts(fig: Figure):
    """Every visible text of the figure: titles, axis labels, tick labels, legends, annotations."""
    found = [t for t in fig.texts if t.get_text()]
    for legend in fig.legends:
        found += legend.get_texts()
    for ax in fig.axes:
        found += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        axes_ = [ax.xaxis, ax.yaxis] + ([ax.zaxis] if hasattr(ax, "zaxis") else [])
        for axis in axes_:
            found.append(axis.label)
            drawn = axis._update_ticks()  # the ticks inside the view, which are the ones drawn
            found += [t.label1 for t in drawn if t.label1.get_visible()]
            found += [t.label2 for t in drawn if t.label2.get_visible()]
        if ax.get_legend() is not None:
            found += ax.get_legend().get_texts()
    return [t for t in dict.fromkeys(found) if t.get_visible() and t.get_text().strip()]


def overlapping(a, b, tolerance: float = 0.5) -> bool:
    """Whether two window boxes share more than ``tolerance`` pixels in both directions."""
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance and min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_has_units_and_no_overlapping_texts(name):
    fig = FIGURES[name]([])
    assert isinstance(fig, Figure)
    # (a) units on the axes: every MI axis in bits or nats, every epoch axis says so
    labels = [lab for ax in fig.axes for lab in (ax.get_xlabel(), ax.get_ylabel()) if lab]
    assert labels
    if name != "scatter":  # the scatter's axes are neuron outputs, which have no unit
        mi = [lab for lab in labels if "I(" in lab or "MI" in lab]
        assert mi and all(any(u in lab for u in UNITS) for lab in mi), labels
    if name in ("plane", "plane-nats", "epochs"):
        assert any("epoch" in lab for lab in labels), labels  # colour bar or x axis
    # (b) no two text boxes overlap
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts(fig)]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert not overlapping(box_a, box_b), f"{name}: {a!r} overlaps {b!r}"


# Saving costs seconds per file on a loaded machine: the plane in the quick suite, the rest slow.
@pytest.mark.parametrize("name", [n if n == "plane" else pytest.param(n, marks=pytest.mark.slow)
                                  for n in FIGURES])
def test_the_same_figure_made_twice_has_the_same_bytes(name, tmp_path):
    FIGURES[name]([tmp_path / "a.pdf", tmp_path / "a.png"])
    FIGURES[name]([tmp_path / "b.pdf", tmp_path / "b.png"])
    for suffix in ("pdf", "png"):
        assert (tmp_path / f"a.{suffix}").read_bytes() == (tmp_path / f"b.{suffix}").read_bytes(), suffix
    assert b"CreationDate" not in (tmp_path / "a.pdf").read_bytes()


def test_impossible_values_are_counted_and_do_not_stretch_the_axes():
    fig = plots.plot_information_plane(aggregated(), None, PANELS)
    first = fig.axes[0]
    assert first.get_xlim()[0] == 0 and first.get_xlim()[1] == pytest.approx(12 * 1.02)
    assert first.get_ylim()[1] == pytest.approx(0.6925 / math.log(2) * 1.04)
    titles = [ax.get_title() for ax in fig.axes[:2]]
    assert "beyond the limits" in titles[0] and "beyond the limits" not in titles[1]
    assert "szt" not in " ".join(titles)  # panel titles are the plain words given
    with pytest.raises(ValueError, match="no rows for variant"):
        plots.plot_information_plane(aggregated(), None, [("sigmoid", "szt", "x")])


def test_the_overlap_check_sees_an_overlap():
    fig = plots.plot_single_neuron(neuron_table(), [], beta=0.1)
    ax = fig.axes[0]
    ax.annotate("on top of the title", (0.5, 1.0), xycoords="axes fraction", va="bottom", ha="center")
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    boxes = [t.get_window_extent(renderer) for t in texts(fig)]
    assert any(overlapping(a, b) for a, b in itertools.combinations(boxes, 2))


def test_the_fastest_loss_fall_is_marked_only_where_the_loss_falls(tmp_path):
    """A network that learns (the test loss falls from 1 to 1/8) gets the dotted line at its
    fastest fall; a frozen one, whose loss moves by float noise alone, gets none."""
    def dotted_lines(fig: Figure) -> int:
        return sum(line.get_linestyle() == ":" for ax in fig.axes for line in ax.get_lines())

    runs = history()
    learning = plots.plot_mi_epoch(aggregated(), runs, tmp_path / "a.png", PANELS, title="Two networks")
    frozen_runs = runs.assign(test_loss=2.31 + 1e-7 * np.sin(runs["epoch"]))
    frozen = plots.plot_mi_epoch(aggregated(), frozen_runs, tmp_path / "b.png", PANELS, title="Two networks")
    assert dotted_lines(learning) > 0 and dotted_lines(frozen) == 0


def test_a_method_keeps_its_colour_across_panels_that_hold_different_methods(tmp_path):
    """The anti-PCA panel has no MINE line: its methods must not take MINE's colour, and the one
    legend must still name every method."""
    table = validation_table()
    table = table[~((table["family"] == "gaussian") & (table["label"] == "ksg"))]   # ksg only on bumps
    fig = plots.plot_known_mi(table, [tmp_path / "k.png"])
    colours = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if not line.get_label().startswith("_") and line.get_label() != "true MI":
                colours.setdefault(line.get_label(), set()).add(line.get_color())
    assert colours.keys() == {"ksg", "wkl"}
    assert all(len(seen) == 1 for seen in colours.values()) and colours["ksg"] != colours["wkl"]
    legend = [text.get_text() for ax in fig.axes if ax.get_legend() for text in ax.get_legend().get_texts()]
    assert {"ksg", "wkl", "true MI"} <= set(legend)
