"""`infoplane plot` on several tables (the paper-scale runs write one per variant): their rows
drawn together, and `--present-panels` keeping only the experiment's panels that were run."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from infoplane.cli import main
from infoplane.cli.figures import _joined, _present_panels
from infoplane.tables import MI_COLUMNS, save_table

SZT = str(Path(__file__).resolve().parents[2] / "experiments" / "szt_binning.yaml")


def variant_table(variant: str, seeds: int = 2) -> pd.DataFrame:
    """An MI table of szt_binning's ``variant``, analysis ``szt``, two layers, three epochs (nats)."""
    rng = np.random.default_rng(len(variant))
    rows = [{"experiment": "szt_binning", "variant": variant, "seed": seed, "analysis": "szt",
             "estimator": "binning", "epoch": epoch, "layer": layer, "depth": depth,
             "i_xl": (xl := rng.uniform(0, 8)), "i_ly": (ly := rng.uniform(0, 0.69)),
             "i_xl_lo": xl, "i_xl_hi": xl, "i_ly_lo": ly, "i_ly_hi": ly,
             "h_x": math.log(4096), "h_y": 0.6925, "test_acc": 0.9, "train_acc": 0.9, "flags": ""}
            for seed in range(seeds) for epoch in (0, 10, 100) for depth, layer in ((1, "T1"), (2, "T2"))]
    return pd.DataFrame(rows, columns=MI_COLUMNS)


def test_several_tables_are_one_and_absent_panels_are_dropped(tmp_path: Path, capsys) -> None:
    tanh, relu = variant_table("tanh"), variant_table("relu", seeds=3)
    joined = _joined([tanh, relu])
    assert len(joined) == len(tanh) + len(relu)
    assert joined.groupby("variant")["seed"].nunique().to_dict() == {"relu": 3, "tanh": 2}

    panels = [{"variant": "tanh", "analysis": "szt"}, {"variant": "relu", "analysis": "range"},
              {"variant": "relu", "analysis": "szt"}]
    assert _present_panels(panels, joined) == [panels[0], panels[2]]
    assert "relu/range" in capsys.readouterr().err
    with pytest.raises(ValueError, match="none of the experiment's panels"):
        _present_panels([panels[1]], joined)


def test_plot_draws_the_run_variants_of_two_tables(tmp_path: Path, capsys) -> None:
    paths = [save_table(variant_table(v), tmp_path / f"szt_binning_{v}.csv.gz") for v in ("tanh", "relu")]
    tables = [arg for path in paths for arg in ("--table", str(path))]
    out = tmp_path / "plane.png"
    # szt_binning's panels include relu/range and tanh/bins-256, which these tables lack
    assert main(["plot", "plane", "--experiment", SZT, *tables, "--out", str(out)]) == 2
    assert "no rows for variant" in capsys.readouterr().err
    assert main(["plot", "plane", "--experiment", SZT, "--present-panels", *tables, "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    err = capsys.readouterr().err
    assert "relu/range" in err and "tanh/bins-256" in err and "tanh/szt" not in err
