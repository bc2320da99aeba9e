"""`infoplane combine` and `infoplane plot` on per-run MI tables: they write the aggregated table,
the metrics keys the claims read, and the figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from infoplane.cli import main
from infoplane.tables import AGGREGATED_COLUMNS, MI_COLUMNS, load_table

VARIANTS = ("base", "shuffled_labels", "frozen")  # experiments/butakov_mnist.yaml's


def butakov_run(seed: int, variant: str = "base") -> pd.DataFrame:
    """A run's table as `infoplane analyse` writes it for Butakov et al.'s network."""
    rng = np.random.default_rng(seed)
    rows = []
    for epoch in range(4):
        for depth, layer in enumerate(("L1", "L2", "L3", "exp(L3)"), start=1):
            xl, ly = 3 + rng.random() - 0.5 * (epoch == 3), 0.5 * epoch + rng.random() * 0.1
            rows.append({"experiment": "butakov_mnist", "variant": variant, "seed": seed,
                         "analysis": "per-epoch", "estimator": "wkl", "epoch": epoch, "layer": layer,
                         "depth": min(depth, 3), "i_xl": xl, "i_ly": ly, "i_xl_lo": xl - 0.2,
                         "i_xl_hi": xl + 0.2, "i_ly_lo": ly - 0.1, "i_ly_hi": ly + 0.1,
                         "h_x": math.log(2000), "h_y": math.log(10), "test_acc": 0.9, "train_acc": 0.9,
                         "flags": ""})
    return pd.DataFrame(rows, columns=MI_COLUMNS)


def test_combine_and_plot_an_experiment(tmp_path):
    tables, runs = [], []
    for variant, seed in ((v, s) for v in VARIANTS for s in (0, 1)):
        run = tmp_path / variant / f"seed-{seed}"
        run.mkdir(parents=True)
        butakov_run(seed, variant).to_csv(run / "mi.csv", index=False)
        (run / "config.json").write_text(json.dumps({"train": {"seed": seed},
                                                     "metadata": {"variant": variant, "seed": seed}}))
        history = {"epoch": range(4), "train_loss": [2.3, 1.0, 0.5, 0.4],
                   "train_acc": [np.nan, 0.7, 0.9, 0.95],
                   "test_loss": [2.3, 0.9, 0.6, 0.5], "test_acc": [0.1, 0.8, 0.9, 0.93 + seed / 100]}
        pd.DataFrame(history).to_csv(run / "history.csv", index=False)
        tables.append(str(run / "mi.csv"))
        runs.append(str(run))
    out = tmp_path / "out"
    assert main(["combine", "--experiment", "butakov_mnist", "--tables", *tables, "--runs", *runs,
                 "--out-dir", str(out), "--metrics", str(out / "metrics.json")]) == 0
    aggregated = load_table(out / "aggregated.csv")
    assert list(aggregated.columns)[:len(AGGREGATED_COLUMNS)] == AGGREGATED_COLUMNS
    assert set(aggregated["n_seeds"]) == {2} and set(aggregated["analysis"]) == {"per-epoch"}
    both = pd.concat([butakov_run(0), butakov_run(1)])
    expected = both.groupby(["epoch", "layer"])["i_xl"].mean()
    got = aggregated[aggregated["variant"] == "base"].set_index(["epoch", "layer"])["i_xl"]
    assert np.allclose(got.loc[expected.index].to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)
    metrics = json.loads((out / "metrics.json").read_text())
    # the keys paper/claims.yaml reads: with several variants, each prefixed by its variant
    assert metrics["final"]["base/seed-1"]["test_acc"] == pytest.approx(0.94)
    assert metrics["i_xl_peak_and_drop"]["base/L3 (per-epoch)"]["drop"] > 0
    assert metrics["fastest_loss_drop_epoch"]["base"] == 1 and metrics["sanity"]["ok"]
    assert set(load_table(out / "history.csv")["seed"]) == {0, 1}
    for kind in ("plane", "epochs"):
        fig = out / f"{kind}.png"
        assert main(["plot", kind, "--experiment", "butakov_mnist", "--table", str(out / "aggregated.csv"),
                     "--history", str(out / "history.csv"), "--out", str(fig)]) == 0
        assert fig.stat().st_size > 1000


def test_stacked_histories_combine_as_the_runs_would(tmp_path):
    """A variant trained with `train-seeds` brings one history file for all its seeds: combined
    beside one-by-one runs of the other variants, the tables and metrics are those of runs alone."""
    def history(seed: int) -> pd.DataFrame:
        return pd.DataFrame({"epoch": range(4), "train_loss": [2.3, 1.0, 0.5, 0.4],
                             "train_acc": [np.nan, 0.7, 0.9, 0.95], "test_loss": [2.3, 0.9, 0.6, 0.5],
                             "test_acc": [0.1, 0.8, 0.9, 0.93 + seed / 100]})

    tables, runs = [], []
    for variant, seed in ((v, s) for v in VARIANTS for s in (0, 1)):
        run = tmp_path / variant / f"seed-{seed}"
        run.mkdir(parents=True)
        butakov_run(seed, variant).to_csv(run / "mi.csv", index=False)
        (run / "config.json").write_text(json.dumps({"metadata": {"variant": variant, "seed": seed}}))
        history(seed).to_csv(run / "history.csv", index=False)
        tables.append(str(run / "mi.csv"))
        runs.append(str(run))
    alone = tmp_path / "alone"
    assert main(["combine", "--experiment", "butakov_mnist", "--tables", *tables, "--runs", *runs,
                 "--out-dir", str(alone), "--metrics", str(alone / "metrics.json")]) == 0
    # the base variant as train-seeds writes it: one table and one history (seed, variant columns)
    stacked_dir = tmp_path / "stacked"
    stacked_dir.mkdir()
    pd.concat([butakov_run(0), butakov_run(1)]).to_csv(stacked_dir / "mi.csv", index=False)
    pd.concat([history(s).assign(seed=s, variant="base") for s in (0, 1)]).to_csv(
        stacked_dir / "history.csv", index=False)
    others = [r for r in runs if "/base/" not in r]
    mixed = tmp_path / "mixed"
    assert main(["combine", "--experiment", "butakov_mnist",
                 "--tables", *[t for t in tables if "/base/" not in t], str(stacked_dir / "mi.csv"),
                 "--runs", *others, "--histories", str(stacked_dir / "history.csv"),
                 "--out-dir", str(mixed), "--metrics", str(mixed / "metrics.json")]) == 0
    for name in ("aggregated.csv", "finals.csv"):
        a, b = load_table(alone / name), load_table(mixed / name)
        keys = [k for k in ("variant", "analysis", "epoch", "layer") if k in a]
        pd.testing.assert_frame_equal(a.sort_values(keys).reset_index(drop=True),
                                      b.sort_values(keys).reset_index(drop=True))
    metrics = [json.loads((out / "metrics.json").read_text()) for out in (alone, mixed)]
    assert metrics[0] == metrics[1]
    assert main(["combine", "--experiment", "butakov_mnist", "--tables", *tables,
                 "--out-dir", str(tmp_path / "none"), "--metrics", str(tmp_path / "none.json")]) == 2
