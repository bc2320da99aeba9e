"""Many seeds in one stacked network give the numbers of separate runs of the same seeds.

Separate runs are :func:`train_szt` followed by :func:`run_planes`, the per-seed path of the
pipeline. Weights agree to float rounding (the batched products sum in another order); an MI
value can move when rounding carries one of 4096 activations across a bin edge, so MI is
compared exactly on almost every row and within the effect of a few such crossings on all.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from infoplane.baselines.commands import parse_seeds
from infoplane.baselines.planes import run_planes
from infoplane.baselines.szt_runs import SZTRun, load_model, train_szt
from infoplane.baselines.szt_seeds import seed_data, train_szt_seeds

from infoplane.estimators.discrete import plugin_mutual_information, row_codes
from infoplane.estimators.grouped import grouped_plugin_information
from infoplane.files import write_csv
from infoplane.nets.batched import SeedStack, train_seeds

ROOT = Path(__file__).resolve().parents[2]
DATA = str(ROOT / "../shared/datasets")
needs_szt = pytest.mark.skipif(not (Path(DATA) / "SZT" / "var_u.mat").is_file(),
                               reason="SZT/var_u.mat missing")

SEEDS = [3, 7]
ANALYSES = {"szt": {"estimator": "binning", "scheme": "szt"}, "exact": {"estimator": "discrete"},
            "range": {"estimator": "binning", "scheme": "uniform", "n_bins": 30}}


def test_grouped_information_equals_the_plugin_estimator_group_by_group():
    rng = np.random.default_rng(0)
    bins = rng.integers(0, 5, size=(6, 400, 3))
    labels = rng.integers(0, 3, size=400)
    grouped = grouped_plugin_information(bins, labels)
    inputs = row_codes(np.arange(400))
    for g in range(len(bins)):
        i_xl = plugin_mutual_information(row_codes(bins[g]), inputs)
        i_ly = plugin_mutual_information(row_codes(bins[g]), labels)
        assert grouped["i_xl"][g] == pytest.approx(i_xl.mi, abs=1e-12)
        assert grouped["i_xl_lo"][g] == pytest.approx(i_xl.lo, abs=1e-12)
        assert grouped["i_ly"][g] == pytest.approx(i_ly.mi, abs=1e-12)
        assert grouped["i_ly_hi"][g] == pytest.approx(i_ly.hi, abs=1e-12)


@needs_szt
@pytest.mark.parametrize("settings", [{"activation": "tanh"}, {"activation": "relu", "bits": 4}],
                         ids=["tanh", "relu-4bit"])
def test_stacked_seeds_equal_separate_runs(tmp_path, settings):
    run = SZTRun(epochs=6, log_points=3, batch_size=512, lr=1e-2, **settings)
    separate = []
    for seed in SEEDS:
        run_dir = train_szt(dataclasses.replace(run, seed=seed), tmp_path / f"seed-{seed}", DATA)
        separate.append(run_planes(run_dir, ANALYSES, "e", "v", seed))
    separate_table = pd.concat(separate).sort_values(["seed", "epoch", "layer", "estimator"], kind="stable")

    table, history = train_szt_seeds(run, SEEDS, ANALYSES, "e", "v", DATA)
    assert len(table) == len(separate_table) == 2 * 4 * 6 * 3   # seeds x captures x layers x analyses
    for column in ("seed", "epoch", "layer", "estimator"):
        assert table[column].tolist() == separate_table[column].tolist()
    for column in ("i_xl", "i_ly", "i_xl_lo", "i_ly_hi"):
        diff = np.abs(table[column].to_numpy() - separate_table[column].to_numpy())
        assert np.mean(diff < 1e-9) >= 0.9, column
        assert diff.max() < 5e-3, column
    accuracy = np.abs(table["test_acc"].to_numpy() - separate_table["test_acc"].to_numpy())
    assert accuracy.max() < 1e-6

    stack = SeedStack([dataclasses.replace(run, seed=s).build_model() for s in SEEDS])
    train_seeds(stack, seed_data(run, SEEDS, DATA), SEEDS, run.epochs, run.batch_size, run.lr)
    for s, seed in enumerate(SEEDS):
        alone = load_model(dataclasses.replace(run, seed=seed), tmp_path / f"seed-{seed}", run.epochs)
        for name, value in stack.seed_state_dict(s).items():
            torch.testing.assert_close(value, alone.state_dict()[name], rtol=1e-4, atol=1e-5)


def test_a_stack_refuses_models_that_differ_beyond_their_seed():
    first = SZTRun(activation="tanh").build_model()
    other = SZTRun(activation="relu").build_model()
    with pytest.raises(ValueError, match="only the seed may differ"):
        SeedStack([first, other])


def test_only_binning_analyses_are_measured_inline():
    with pytest.raises(ValueError, match="binning and exact \\(discrete\\) analyses only"):
        kde = {"kde": {"estimator": "kde-upper", "noise_variance": 1e-3}}
        train_szt_seeds(SZTRun(epochs=1), [0], kde, "e", "v", DATA)


@needs_szt
def test_a_seed_gives_the_same_numbers_whatever_stack_or_process_it_shares():
    run = SZTRun(epochs=3, log_points=2, lr=1e-2, noise_std=0.05)   # noisy: each seed draws its own
    analyses = {"szt": ANALYSES["szt"]}
    one_stack, _ = train_szt_seeds(run, SEEDS, analyses, "e", "v", DATA, jobs=1)
    one_process_each, _ = train_szt_seeds(run, SEEDS, analyses, "e", "v", DATA, jobs=2)
    pd.testing.assert_frame_equal(one_stack, one_process_each, check_exact=False, atol=1e-12)


def test_seed_lists_and_ranges_are_parsed_strictly():
    assert parse_seeds("0-3,10") == [0, 1, 2, 3, 10]
    for bad in ("0-x", "", "1,1", "3-1"):
        with pytest.raises(ValueError, match="--seeds"):
            parse_seeds(bad)


def test_a_gzipped_table_is_the_same_bytes_every_time(tmp_path):
    table = pd.DataFrame({"seed": [0, 1], "i_xl": [0.5, 0.25]})
    write_csv(table, tmp_path / "a.csv.gz")
    write_csv(table, tmp_path / "b.csv.gz")
    assert (tmp_path / "a.csv.gz").read_bytes() == (tmp_path / "b.csv.gz").read_bytes()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv.gz"), table)
