"""Information-plane plots take any MI table and any target, and the table round-trips on disk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from infoplane import load_table, plot_information_plane, plot_mi_epoch, save_table


def mi_table(seeds: int = 1, intervals: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(seeds):
        for epoch in (0, 1, 5, 10):
            for i, layer in enumerate(["0", "1", "exp(1)"]):
                xl, ly = 3.0 - i - 0.1 * epoch + 0.1 * rng.random(), 0.1 * epoch + 0.1 * rng.random()
                rows.append({"experiment": "mine", "seed": seed, "epoch": epoch, "layer": layer,
                             "estimator": "wkl", "i_xl": xl, "i_ly": ly, "i_xl_lo": xl - 0.1,
                             "i_xl_hi": xl + 0.1, "i_ly_lo": ly - 0.05, "i_ly_hi": ly + 0.05,
                             "h_y": np.log(10), "flags": "i_ly<0" if ly < 0.05 else ""})
    table = pd.DataFrame(rows)
    return table if intervals else table.drop(columns=[c for c in table if c.endswith(("_lo", "_hi"))])


def test_table_round_trips_exactly_flags_included(tmp_path):
    table = mi_table()
    table.loc[3, "i_ly"] = np.nan  # a failed estimate stays NaN, its empty flag stays ""
    path = save_table(table, tmp_path / "sub" / "mi.csv")
    back = load_table(path)
    pd.testing.assert_frame_equal(back, table)
    assert (back["flags"] == "").sum() == (table["flags"] == "").sum() > 0
    assert back["layer"].tolist()[:2] == ["0", "1"]  # layer names stay text
    with pytest.raises(ValueError, match="does not exist"):
        load_table(tmp_path / "missing.csv")


TABLES = [mi_table(), mi_table(seeds=3), mi_table(intervals=False).drop(columns="seed")]


@pytest.mark.parametrize("table", TABLES,
                         ids=["one-seed", "three-seeds", "no-intervals-no-seed"])
def test_plots_write_paths_and_return_the_figure(tmp_path, table):
    outputs = [tmp_path / "plane.png"] + ([tmp_path / "plane.pdf"] if "seed" not in table else [])
    fig = plot_information_plane(table, outputs, title="mine")
    assert isinstance(fig, Figure) and all(p.stat().st_size > 1000 for p in outputs)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 1  # one network, one analysis: every layer on the same axes
    assert panels[0].get_xlabel() == "I(X;L) (bits)" and panels[0].get_ylabel() == "I(L;Y) (bits)"
    assert [t.get_text() for t in fig.legends[0].get_texts()][:3] == ["0", "1", "exp(1)"]
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert [ax.get_ylabel() for ax in bars] == ["epoch + 1 (log scale)"]
    fig = plot_mi_epoch(table, None, str(tmp_path / "mi.png"))  # a str path, no history
    assert (tmp_path / "mi.png").stat().st_size > 1000 and isinstance(fig, Figure)
    assert not list(tmp_path.glob("?.png"))  # the path is one path, not its characters


def test_plots_draw_into_given_axes(tmp_path):
    fig = Figure()
    ax = fig.subplots()
    assert plot_information_plane(mi_table(), ax) is fig  # every layer in the given Axes, a legend
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == ["0", "1", "exp(1)"]
    history = pd.DataFrame({"epoch": [0, 1, 5, 10], "train_loss": [2.3, 1.0, 0.5, 0.3],
                            "test_loss": [2.3, 1.1, 0.6, 0.4], "test_acc": [0.1, 0.6, 0.8, 0.9],
                            "train_acc": [np.nan, 0.5, 0.8, 0.95]})
    four = Figure().subplots(4, 1)   # with a test loss in the history, a fourth row: its fall
    plot_mi_epoch(mi_table(), history, list(four))
    assert four[2].get_ylabel() == "accuracy (fraction)" and four[0].get_ylabel() == "I(X;L) (bits)"
    falls = four[3].get_lines()[0].get_ydata()     # minus the change of the test loss per epoch
    np.testing.assert_allclose(falls, [1.2, 0.5 / 4, 0.2 / 5])
    marked = {float(line.get_xdata()[0]) for ax in four for line in ax.get_lines()
              if line.get_linestyle() == ":"}
    assert marked == {1.0}                          # the fastest fall: epoch 0 -> 1
    with pytest.raises(ValueError, match="one per panel"):
        plot_information_plane(mi_table(), list(Figure().subplots(1, 2)))
    with pytest.raises(ValueError, match="no column"):
        plot_information_plane(mi_table().drop(columns="i_ly"), None)


def test_an_aggregated_table_without_variant_or_analysis_is_drawn(tmp_path):
    aggregated = mi_table(seeds=2).groupby(["layer", "epoch"], as_index=False)[["i_xl", "i_ly"]].mean()
    fig = plot_information_plane(aggregated.assign(n_seeds=2), tmp_path / "p.png")
    assert "mean over 2 seeds" in fig.axes[0].get_title()


def test_impossible_values_sit_at_the_edge_of_the_epoch_axes_and_are_counted():
    table = mi_table()
    table.loc[table["layer"] == "exp(1)", "i_xl"] = -20.0     # four impossible values, far below 0
    table.loc[0, "i_ly"] = np.nan                             # a failed estimate is not "beyond"
    fig = plot_mi_epoch(table, None, None)
    top, middle = fig.axes[0], fig.axes[1]
    assert top.get_title().endswith("4 beyond the limits (red, at the edge)")
    assert top.get_ylim()[0] == 0 and middle.get_ylim()[0] == 0 and top.get_ylim()[1] < 10
    markers = [c.get_offsets() for c in top.collections if type(c).__name__ == "PathCollection"]
    drawn = np.concatenate([m for m in markers if len(m)])
    assert drawn.shape == (4, 2) and np.allclose(drawn[:, 1], 0.0)   # the four, at the bottom edge
