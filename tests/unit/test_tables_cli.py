"""`infoplane combine` / `plot` and `infoplane baseline summarise` / `plot` on today's per-run
tables: they write the aggregated table, the metrics keys the claims read, and the figures."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from infoplane.cli import main
from infoplane.tables import AGGREGATED_COLUMNS, load_table
from tests.unit.test_baselines import DATA, needs_szt


def butakov_run(seed: int) -> pd.DataFrame:
    """A run's table as `infoplane analyse` writes it today (no variant, analysis or depth)."""
    rng = np.random.default_rng(seed)
    rows = []
    for epoch in range(4):
        for layer in ("L1", "L2", "L3", "exp(L3)"):
            xl, ly = 3 + rng.random() - 0.5 * (epoch == 3), 0.5 * epoch + rng.random() * 0.1
            rows.append({"experiment": "butakov_mnist", "seed": seed, "epoch": epoch, "layer": layer,
                         "estimator": "wkl", "i_xl": xl, "i_ly": ly, "i_xl_lo": xl - 0.2, "i_xl_hi": xl + 0.2,
                         "i_ly_lo": ly - 0.1, "i_ly_hi": ly + 0.1, "layer_dim": 32, "pca_dim": 4,
                         "pca_explained": 0.9, "pca_fit": "per-epoch", "x_compression": "ae:4",
                         "h_y": math.log(10), "flags": ""})
    return pd.DataFrame(rows)


def test_combine_and_plot_butakov(tmp_path):
    tables, histories = [], []
    for seed in (0, 1):
        run = tmp_path / f"seed-{seed}"
        run.mkdir()
        butakov_run(seed).to_csv(run / "mi.csv", index=False)
        (run / "config.json").write_text(json.dumps({"train": {"seed": seed}}))
        history = {"epoch": range(4), "train_loss": [2.3, 1.0, 0.5, 0.4],
                   "train_acc": [np.nan, 0.7, 0.9, 0.95],
                   "test_loss": [2.3, 0.9, 0.6, 0.5], "test_acc": [0.1, 0.8, 0.9, 0.93 + seed / 100]}
        pd.DataFrame(history).to_csv(run / "history.csv", index=False)
        tables.append(str(run / "mi.csv"))
        histories.append(str(run / "history.csv"))
    out = tmp_path / "out"
    assert main(["combine", *tables, "--out", str(out / "table.csv"), "--aggregated", str(out / "agg.csv"),
                 "--history", *histories, "--history-out", str(out / "history.csv"),
                 "--metrics", str(out / "metrics.json")]) == 0
    aggregated = load_table(out / "agg.csv")
    assert list(aggregated.columns)[:len(AGGREGATED_COLUMNS)] == AGGREGATED_COLUMNS
    assert set(aggregated["n_seeds"]) == {2} and set(aggregated["analysis"]) == {"per-epoch"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["final"]["seed-1"]["test_acc"] == pytest.approx(0.94)  # the keys paper/claims.yaml reads
    assert metrics["i_xl_peak_and_drop"]["L3 (per-epoch)"]["drop"] > 0
    assert metrics["fastest_loss_drop_epoch"] == 1 and metrics["sanity"]["ok"]
    for kind in ("infoplane", "mi-epoch"):
        fig = out / f"{kind}.png"
        assert main(["plot", kind, "--table", str(out / "agg.csv"), "--history", str(out / "history.csv"),
                     "--out", str(fig), "--title", "CNN on MNIST"]) == 0
        assert fig.stat().st_size > 1000


@needs_szt  # H(Y) of the SZT labels
def test_baseline_summarise_and_plot(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for seed in (0, 1):
        rows = [{"experiment": "szt_binning", "variant": "tanh", "seed": seed, "epoch": e, "layer": layer,
                 "estimator": "szt", "i_xl": x, "i_ly": y, "i_xl_lo": x, "i_xl_hi": x, "i_ly_lo": y,
                 "i_ly_hi": y, "test_acc": 0.9, "train_acc": 0.9}
                for e in (0, 10, 100) for layer in (1, 2)
                for x, y in [(rng.uniform(1, 8), rng.uniform(0, 0.6))]]
        paths.append(tmp_path / f"mi_{seed}.csv")
        pd.DataFrame(rows).to_csv(paths[-1], index=False)
    out = tmp_path / "out"
    assert main(["baseline", "summarise", *map(str, paths), "--out", str(out / "summary.csv"),
                 "--flags", str(out / "flags.json"), "--finals", str(out / "finals.csv"),
                 "--data-root", str(DATA)]) == 0
    finals = pd.read_csv(out / "finals.csv")
    assert len(finals.query("variant == 'tanh' and estimator == 'szt' and layer == 2")) == 1  # as the claims
    assert json.loads((out / "flags.json").read_text())["h_x_bits"] == 12.0
    panels = json.dumps([["tanh", "szt", "tanh, 30 bins"]])
    for kind in ("plane", "epochs"):
        fig = out / f"{kind}.pdf"
        assert main(["baseline", "plot", kind, "--table", str(out / "summary.csv"), "--panels", panels,
                     "--out", str(fig)]) == 0
        assert fig.stat().st_size > 1000
