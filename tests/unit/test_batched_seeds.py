"""Many seeds in one stacked network give the numbers of separate runs of the same seeds.

Separate runs are :func:`train_run` followed by :func:`analyse_run`, the per-seed path of the
experiment model; the stack is :func:`train_seeds_at_once`. Weights agree to float rounding (the
batched products sum in another order); an MI value can move when rounding carries one of 4096
activations across a bin edge, so MI is compared exactly on almost every row and within the
effect of a few such crossings on all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from infoplane.cli.common import parse_seeds
from infoplane.estimators.discrete import plugin_mutual_information, row_codes
from infoplane.estimators.grouped import grouped_plugin_information
from infoplane.experiments import analyse_run, load_experiment, train_run, variant
from infoplane.experiments.build import build_network
from infoplane.experiments.run import load_network
from infoplane.experiments.seeds import remove_checkpoints, seed_data, train_seeds_at_once
from infoplane.files import write_csv
from infoplane.nets.batched import SeedStack, StackCheckpoint, noise_seed, train_seeds
from infoplane.nets.mlp import MLP, SZT_WIDTHS
from infoplane.runstore import load_history

ROOT = Path(__file__).resolve().parents[2]
DATA = str(ROOT / "../shared/datasets")
needs_szt = pytest.mark.skipif(not (Path(DATA) / "SZT" / "var_u.mat").is_file(),
                               reason="SZT/var_u.mat missing")

SEEDS = [3, 7]
ANALYSES = {"szt": {"kind": "layer", "estimator": "binning", "params": {"scheme": "szt"}},
            "exact": {"kind": "layer", "estimator": "discrete"},
            "range": {"kind": "layer", "estimator": "binning", "params": {"scheme": "uniform", "n_bins": 30}},
            # one range per run: its smallest to largest activation over layers and captured epochs
            "global": {"kind": "layer", "estimator": "binning", "params": {"scheme": "uniform", "n_bins": 30},
                       "global_range": True},
            "kde": {"kind": "layer", "estimator": "kde-upper", "params": {"noise_variance": 1e-3}}}
BINNED = ["szt", "exact", "range", "global"]
VARIANTS = {"tanh": {"network": {"activation": "tanh"}},
            "relu-4bit": {"network": {"activation": "relu", "bits": 4}},
            "noisy": {"network": {"activation": "tanh", "noise_std": 0.05}}}


def tiny_spec(epochs: int, log_points: int, analyses: dict = ANALYSES, weights: bool = False) -> dict:
    """szt_binning with tiny training (lr 1e-2, batch 512) and this test's variants and analyses."""
    overrides = {"train.epochs": epochs, "train.lr": 1e-2, "train.batch_size": 512,
                 "capture.schedule.log_points": log_points, "seeds": SEEDS}
    spec = load_experiment(ROOT / "experiments" / "szt_binning.yaml", "quick", overrides)
    spec["capture"]["weights"] = weights
    return {**spec, "variants": VARIANTS, "analyses": analyses}


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
@pytest.mark.parametrize("variant_name", ["tanh", pytest.param("relu-4bit", marks=pytest.mark.slow)])
def test_stacked_seeds_equal_separate_runs(tmp_path, variant_name):
    spec = tiny_spec(epochs=6, log_points=3, weights=True)   # weights: the separate runs' final networks
    separate = []
    for seed in SEEDS:
        run_dir = train_run(spec, variant_name, seed, tmp_path / f"seed-{seed}", data_root=DATA, threads=1)
        separate.append(analyse_run(spec, variant_name, seed, run_dir))
    order = {name: i for i, name in enumerate(ANALYSES)}
    separate_table = pd.concat(separate).sort_values(
        ["seed", "analysis", "epoch", "depth"], key=lambda s: s.map(order) if s.name == "analysis" else s,
        kind="stable").reset_index(drop=True)

    table, history = train_seeds_at_once(spec, variant_name, SEEDS, DATA)
    assert list(table.columns) == list(separate_table.columns)
    assert len(table) == len(separate_table) == 2 * 4 * 6 * 5   # seeds x captures x layers x analyses
    for column in ("seed", "epoch", "layer", "depth", "analysis", "estimator"):
        assert table[column].tolist() == separate_table[column].tolist()
    binned = table["analysis"].isin(BINNED).to_numpy()
    for column in ("i_xl", "i_ly", "i_xl_lo", "i_ly_hi"):
        diff = np.abs(table[column].to_numpy() - separate_table[column].to_numpy())
        assert np.mean(diff[binned] < 1e-9) >= 0.9, column
        assert diff.max() < 5e-3, column
        # the KDE bound is smooth in the activations: float rounding moves it by rounding only
        np.testing.assert_allclose(table[column][~binned], separate_table[column][~binned],
                                   rtol=1e-4, atol=1e-6)
    for column in ("h_x", "h_y"):
        np.testing.assert_allclose(table[column], separate_table[column], rtol=1e-12)
    # the same flags as the estimator and the flags module give each run alone (where the values
    # agree: a row across a bin edge may differ)
    assert np.mean(table["flags"].to_numpy() == separate_table["flags"].to_numpy()) >= 0.9
    assert (table["flags"] != "").any()
    accuracy = np.abs(table["test_acc"].to_numpy() - separate_table["test_acc"].to_numpy())
    assert accuracy.max() < 1e-6
    assert set(history["seed"]) == set(SEEDS)
    # the drift and diffusion of every layer, as each separate run recorded them
    separate_history = pd.concat([load_history(tmp_path / f"seed-{seed}").assign(seed=seed)
                                  for seed in SEEDS])
    merged = history.merge(separate_history, on=["seed", "epoch"], suffixes=("", "_alone"))
    assert len(merged) == 2 * 7
    for depth in range(1, 7):
        for moment in ("mean", "std"):
            column = f"grad_{moment}_{depth}"
            assert merged[column].isna().tolist() == (merged["epoch"] == 0).tolist()
            np.testing.assert_allclose(merged[column], merged[f"{column}_alone"], rtol=1e-3, atol=1e-7)

    settings = variant(spec, variant_name)
    stack = SeedStack([build_network(settings, s) for s in SEEDS])
    train_seeds(stack, seed_data(settings, SEEDS, DATA), SEEDS, 6, 512, 1e-2)
    for s, seed in enumerate(SEEDS):
        alone = load_network(settings, seed, tmp_path / f"seed-{seed}", 6)
        for name, value in stack.seed_state_dict(s).items():
            torch.testing.assert_close(value, alone.state_dict()[name], rtol=1e-4, atol=1e-5)


def test_a_stack_refuses_models_that_differ_beyond_their_seed():
    first = MLP(SZT_WIDTHS, "tanh", seed=0)
    other = MLP(SZT_WIDTHS, "relu", seed=0)
    with pytest.raises(ValueError, match="only the seed may differ"):
        SeedStack([first, other])


def test_only_layer_analyses_are_measured_inline():
    sp = {"sp": {"kind": "sample-propagation", "params": {"n_cond": 2}}}
    with pytest.raises(ValueError, match="measure layer analyses only"):
        train_seeds_at_once(tiny_spec(epochs=1, log_points=2, analyses=sp), "tanh", [0], DATA)


@pytest.mark.slow  # starts two worker processes: ~30 s on a loaded two-core machine
@needs_szt
def test_a_seed_gives_the_same_numbers_whatever_stack_or_process_it_shares():
    # the noisy variant: each seed draws its own noise, whichever stack or process trains it
    spec = tiny_spec(epochs=3, log_points=2, analyses={"szt": ANALYSES["szt"]})
    one_stack, _ = train_seeds_at_once(spec, "noisy", SEEDS, DATA, jobs=1)
    one_process_each, _ = train_seeds_at_once(spec, "noisy", SEEDS, DATA, jobs=2)
    assert len(one_stack) == 2 * 3 * 6
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


def test_an_archived_table_keeps_the_digits_asked_for(tmp_path):
    table = pd.DataFrame({"seed": [0], "i_xl": [8.317766166719343]})
    write_csv(table, tmp_path / "a.csv.gz", float_format="%.7g")
    assert pd.read_csv(tmp_path / "a.csv.gz")["i_xl"].iloc[0] == 8.317766


@needs_szt
def test_a_killed_stack_resumes_to_the_numbers_of_an_uninterrupted_run(tmp_path):
    """Killed after epoch 3 and run again, a checkpointed stack ends with the weights, history
    and captures of a run that was never stopped; a checkpoint of other settings is refused."""
    settings = variant(tiny_spec(epochs=6, log_points=4), "noisy")
    data = seed_data(settings, SEEDS, DATA)

    def run(checkpoint: StackCheckpoint | None, killed_at: int | None = None):
        captured = checkpoint.carry if checkpoint is not None else []

        def on_capture(epoch: int, layers: list[torch.Tensor]) -> None:
            if epoch == killed_at:
                raise InterruptedError(epoch)
            captured.append((epoch, torch.stack([t.sum(dim=(1, 2)) for t in layers])))

        stack = SeedStack([build_network(settings, s) for s in SEEDS],
                          noise_seeds=[noise_seed(s) for s in SEEDS])
        history = train_seeds(stack, data, SEEDS, 6, 512, 1e-2, capture_epochs=range(7),
                              on_capture=on_capture, checkpoint=checkpoint)
        return stack.flat.detach().clone(), history.drop(columns="seconds"), captured

    weights, history, captured = run(None)
    path = tmp_path / "stack.pt"
    with pytest.raises(InterruptedError):
        run(StackCheckpoint(path, "these settings", seconds=0.0), killed_at=4)
    resumed = StackCheckpoint(path, "these settings", seconds=0.0)
    weights_after, history_after, captured_after = run(resumed)
    torch.testing.assert_close(weights_after, weights, rtol=0, atol=0)
    pd.testing.assert_frame_equal(history_after, history)
    assert [e for e, _ in captured_after] == list(range(7))
    for (_, a), (_, b) in zip(captured_after, captured, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    with pytest.raises(ValueError, match="another training"):
        StackCheckpoint(path, "other settings").load()


@needs_szt
def test_a_killed_variant_resumes_to_the_table_of_an_uninterrupted_run(tmp_path, monkeypatch):
    """The measured values travel with the checkpoint: killed after its second capture and run
    again, a variant gives the table of a run never stopped, and leaves no checkpoint behind."""
    import infoplane.experiments.seeds as seeds_module

    spec = tiny_spec(epochs=4, log_points=5, analyses={"exact": ANALYSES["exact"], "kde": ANALYSES["kde"]})
    uninterrupted, history = train_seeds_at_once(spec, "relu-4bit", SEEDS, DATA)

    def killed_at_epoch_2(*args, on_capture, checkpoint, **kwargs):
        checkpoint.seconds = 0.0   # save after every epoch

        def capture(epoch, layers):
            if epoch == 2:
                raise InterruptedError(epoch)
            on_capture(epoch, layers)

        return train_seeds(*args, on_capture=capture, checkpoint=checkpoint, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(seeds_module, "train_seeds", killed_at_epoch_2)
        with pytest.raises(InterruptedError):
            train_seeds_at_once(spec, "relu-4bit", SEEDS, DATA, checkpoints=tmp_path)
    assert len(list(tmp_path.glob("*.pt"))) == 1
    resumed, history_resumed = train_seeds_at_once(spec, "relu-4bit", SEEDS, DATA, checkpoints=tmp_path)
    pd.testing.assert_frame_equal(resumed, uninterrupted)
    pd.testing.assert_frame_equal(history_resumed.drop(columns="seconds"), history.drop(columns="seconds"))
    assert len(list(tmp_path.glob("*.pt"))) == 1   # kept until the caller has written the tables
    assert len(remove_checkpoints(tmp_path, spec, "relu-4bit", SEEDS)) == 1
    assert not list(tmp_path.glob("*.pt"))


def test_checkpoints_are_removed_for_the_run_s_seeds_only(tmp_path):
    """Every stack file of the variant's seeds goes, whatever split made it, with the half-written
    files of a killed save; other seeds' and other variants' files stay."""
    spec = tiny_spec(epochs=4, log_points=2)
    names = ["szt_binning_tanh_seeds-0-9_aaaa.pt", "szt_binning_tanh_seeds-10-19_bbbb.pt",
             "szt_binning_tanh_seeds-0-19_cccc.pt", ".szt_binning_tanh_seeds-0-9_aaaa.tmp-123.pt",
             "szt_binning_tanh_seeds-20-29_dddd.pt", "szt_binning_noisy_seeds-0-9_eeee.pt",
             "szt_binning_tanh_seeds-notes.pt"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    removed = remove_checkpoints(tmp_path, spec, "tanh", range(20))
    assert sorted(p.name for p in removed) == sorted(names[:4])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[4:])


def test_a_checkpoint_written_by_other_code_is_not_resumed(tmp_path, monkeypatch):
    """The file's name carries the code of the modules that decide the numbers: after a change
    to one of them a rerun starts afresh instead of mixing two codes' epochs."""
    import infoplane.experiments.seeds as seeds_module
    from infoplane.experiments.seeds import _checkpoint_file

    spec = tiny_spec(epochs=4, log_points=2)
    settings = variant(spec, "tanh")
    before = _checkpoint_file(tmp_path, spec, settings, [3, 7])[0]
    monkeypatch.setattr(seeds_module, "NUMERIC_MODULES", seeds_module.NUMERIC_MODULES[:-1])
    assert _checkpoint_file(tmp_path, spec, settings, [3, 7])[0] != before


def test_measured_flags_survive_a_weights_only_checkpoint(tmp_path):
    """Flags may come as numpy strings or with numpy numbers beside None; stored, they load back."""
    from infoplane.experiments.seeds import _storable
    from infoplane.files import load_torch, save_torch

    values = {"i_xl": np.array([0.5, 1.5]), "flags": np.array(["", "saturated"]),
              "mixed": [np.float64(0.25), None]}
    save_torch({"values": _storable(values)}, tmp_path / "c.pt", "test", 1)
    loaded = load_torch(tmp_path / "c.pt", "test", 1, "checkpoint", "remove it")["values"]
    assert loaded["flags"] == ["", "saturated"] and loaded["mixed"] == [0.25, None]
    assert loaded["i_xl"].tolist() == [0.5, 1.5]


def test_a_stack_checkpoint_is_named_by_its_settings_and_seeds(tmp_path):
    """The same settings and seeds name the same file (a rerun finds it), other seeds or
    settings another."""
    from infoplane.experiments.seeds import _checkpoint_file

    spec = tiny_spec(epochs=4, log_points=2)
    settings = variant(spec, "tanh")
    path, identity = _checkpoint_file(tmp_path, spec, settings, [3, 7])
    assert path == _checkpoint_file(tmp_path, spec, settings, [3, 7])[0]
    assert path.name.startswith("szt_binning_tanh_seeds-3-7_") and '"seeds": [3, 7]' in identity
    assert path != _checkpoint_file(tmp_path, spec, settings, [3, 8])[0]
    assert path != _checkpoint_file(tmp_path, spec, variant(spec, "noisy"), [3, 7])[0]
