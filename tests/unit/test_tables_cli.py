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
