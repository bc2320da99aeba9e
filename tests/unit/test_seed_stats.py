"""Effects over seeds: noise alone does not pass, a real compression does."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from infoplane.seed_stats import (
    bootstrap_mean,
    change_between,
    drift_to_diffusion_lag,
    epochs_to_accuracy,
    epochs_to_accuracy_ratio,
    error_at_held_out_peak,
    flag_share,
    held_out_compression,
    held_out_dip,
    largest_fall,
    layer_gap,
    paired_gap,
    t_mean,
    value_at,
    value_range,
)

EPOCHS = np.arange(0, 101, 5)


def table(curve_bits: np.ndarray, seeds: int, noise_bits: float, seed: int) -> pd.DataFrame:
    """An MI table of one layer: every seed follows ``curve_bits`` (per epoch) plus noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(seeds):
        values = (curve_bits + noise_bits * rng.standard_normal(len(EPOCHS))) * math.log(2)
        rows += [{"seed": s, "epoch": e, "layer": "T5", "analysis": "szt", "i_xl": v, "i_ly": v}
                 for e, v in zip(EPOCHS, values, strict=True)]
    return pd.DataFrame(rows)


def test_bootstrap_interval_of_a_mean_has_the_normal_width():
    values = np.random.default_rng(1).normal(2.0, 1.0, size=400)
    mean, lo, hi = bootstrap_mean(values)
    assert lo < 2.0 < hi
    assert hi - lo == pytest.approx(2 * 1.96 / math.sqrt(400), rel=0.15)


def test_noise_alone_rarely_passes_held_out_compression_although_peak_minus_last_always_does():
    flat = np.full(len(EPOCHS), 8.0)
    passed, peak_minus_last = 0, []
    for trial in range(40):
        noisy = table(flat, seeds=20, noise_bits=0.3, seed=trial)
        effect = held_out_compression(noisy, "T5", "szt", split_seed=trial, n_boot=2000)
        passed += effect.excludes_zero_above()
        mean_curve = noisy.groupby("epoch")["i_xl"].mean()
        peak_minus_last.append(mean_curve.max() - mean_curve.iloc[-1])
    assert passed <= 5                      # about 2.5 % of trials expected
    assert min(peak_minus_last) >= 0 and np.mean(np.array(peak_minus_last) > 0) > 0.9


def test_a_real_compression_is_found_at_its_peak():
    rise_then_fall = np.where(EPOCHS <= 30, 6 + EPOCHS / 10, 9 - (EPOCHS - 30) / 35)   # 9 bits -> 7 bits
    effect = held_out_compression(table(rise_then_fall, seeds=20, noise_bits=0.3, seed=0), "T5", "szt")
    assert effect.excludes_zero_above()
    assert effect.mean == pytest.approx(2.0, abs=0.3)
    assert effect.detail["peak_epoch"] == pytest.approx(30, abs=10)


def test_two_readings_of_the_same_networks_are_compared_seed_by_seed():
    rise_then_fall = np.where(EPOCHS <= 30, 6 + EPOCHS / 10, 9 - (EPOCHS - 30) / 35)   # compresses 2 bits
    falls_less = np.where(EPOCHS <= 30, 6 + EPOCHS / 10, 9 - (EPOCHS - 30) / 140)     # 0.5 bits
    coarse = table(rise_then_fall, seeds=20, noise_bits=0.1, seed=0)
    fine = table(falls_less, seeds=20, noise_bits=0.1, seed=1).assign(analysis="fine")
    both = pd.concat([coarse, fine])
    gap = held_out_compression(both, "T5", "szt", versus_analysis="fine")
    assert gap.mean == pytest.approx(1.5, abs=0.15) and gap.lo > 1.2 and gap.seeds == 10
    same = held_out_compression(pd.concat([coarse, coarse.assign(analysis="fine")]), "T5", "szt",
                                versus_analysis="fine")
    assert same.mean == 0.0 and same.lo == same.hi == 0.0
    with pytest.raises(ValueError, match="same seeds and epochs"):
        held_out_compression(pd.concat([coarse, fine[fine["seed"] < 10]]), "T5", "szt",
                             versus_analysis="fine")


def test_change_between_and_value_at_are_in_bits():
    rising = 6 + EPOCHS / 50
    noisy = table(rising, seeds=10, noise_bits=0.01, seed=0)
    assert change_between(noisy, "i_ly", "T5", "szt").mean == pytest.approx(2.0, abs=0.02)
    assert value_at(noisy, "i_xl", "T5", "szt").mean == pytest.approx(8.0, abs=0.02)


def test_t_interval_of_three_values_uses_two_degrees_of_freedom():
    mean, lo, hi = t_mean(np.array([1.0, 2.0, 3.0]))
    assert mean == 2.0
    assert hi - mean == pytest.approx(4.302653 * 1.0 / math.sqrt(3), rel=1e-6)   # t(0.975, 2) sd / sqrt(3)
    assert mean - lo == pytest.approx(hi - mean)


def test_largest_fall_takes_the_peak_before_the_trough():
    assert largest_fall(np.array([1.0, 5.0, 2.0, 6.0, 0.5, 3.0])) == (3, 4)
    assert largest_fall(np.array([3.0, 1.0, 4.0, 5.0])) == (0, 1)


def test_noise_alone_rarely_passes_the_held_out_dip_with_three_seeds():
    rising = 4 + EPOCHS / 50                                  # fits, never compresses
    effects = [held_out_dip(table(rising, seeds=3, noise_bits=0.3, seed=trial), "T5", "szt")
               for trial in range(200)]
    passed = sum(effect.excludes_zero_above() for effect in effects)
    assert passed <= 15                     # about 2.5 % of 200 expected; own-seed selection would pass most


def test_a_dip_followed_by_regrowth_is_found_by_the_held_out_dip():
    fall_and_regrow = np.where(EPOCHS <= 60, 7 - (EPOCHS - 30) / 15, 5 + (EPOCHS - 60) / 10)
    dip = np.where(EPOCHS <= 30, 4 + EPOCHS / 10, fall_and_regrow)
    effect = held_out_dip(table(dip, seeds=3, noise_bits=0.1, seed=0), "T5", "szt")
    assert effect.excludes_zero_above()
    assert effect.mean == pytest.approx(2.0, abs=0.3)         # 7 bits at epoch 30, 5 bits at epoch 60
    assert (effect.detail["dip_start"], effect.detail["dip_end"]) == pytest.approx((30, 60), abs=5)
    # held_out_compression reads only peak minus last: the regrowth to 9 bits hides the dip
    peak_minus_last = held_out_compression(table(dip, seeds=20, noise_bits=0.1, seed=0), "T5", "szt")
    assert not peak_minus_last.excludes_zero_above()


def test_range_of_a_flat_layer_is_its_noise_and_of_a_rising_one_its_rise():
    flat = table(np.full(len(EPOCHS), 5.0), seeds=3, noise_bits=0.01, seed=0)
    rising = table(4 + EPOCHS / 50, seeds=3, noise_bits=0.01, seed=0)
    flat, rising = (value_range(t, "i_xl", "T5", "szt", interval="t") for t in (flat, rising))
    assert flat.hi < 0.1
    assert rising.mean == pytest.approx(2.0, abs=0.05)


def test_value_at_keeps_an_accuracy_as_a_share():
    accuracy = table(np.full(len(EPOCHS), 0.9), seeds=3, noise_bits=0.0, seed=0)
    accuracy["test_acc"] = 0.9
    assert value_at(accuracy, "test_acc", "T5", "szt", interval="t").mean == pytest.approx(0.9)


def test_flag_share_counts_the_epochs_of_each_seed_that_carry_the_flag():
    rows = []
    for seed, flagged_epochs in ((0, {0, 5}), (1, {5, 10, 15, 20}), (2, set())):
        for epoch in range(0, 25, 5):    # 5 epochs per seed
            flags = "i_ly<0;dpi_ly" if epoch in flagged_epochs else "dpi_lyx"   # a longer name is not it
            rows.append({"seed": seed, "epoch": epoch, "layer": "L3", "analysis": "per-epoch",
                         "flags": flags})
        rows.append({"seed": seed, "epoch": 0, "layer": "L2", "analysis": "per-epoch", "flags": "dpi_ly"})
    effect = flag_share(pd.DataFrame(rows), "dpi_ly", "L3", "per-epoch", interval="t")
    assert effect.mean == pytest.approx((2 / 5 + 4 / 5 + 0) / 3)
    assert effect.seeds == 3 and effect.detail["epochs"] == 5 and effect.lo < effect.mean < effect.hi


def test_layer_gap_is_the_mean_absolute_distance_in_bits():
    rows = []
    for seed in range(3):
        for epoch, (a, b) in enumerate(((1.0, 1.5), (2.0, 1.0), (3.0, 3.0))):   # |gaps| 0.5, 1, 0 nats
            rows += [{"seed": seed, "epoch": epoch, "layer": "exp(L5)", "analysis": "a", "i_xl": a + seed},
                     {"seed": seed, "epoch": epoch, "layer": "L5", "analysis": "a", "i_xl": b + seed}]
    effect = layer_gap(pd.DataFrame(rows), "i_xl", "exp(L5)", "L5", "a", interval="t")
    assert effect.mean == pytest.approx(0.5 / math.log(2))
    assert effect.lo == pytest.approx(effect.mean) and effect.hi == pytest.approx(effect.mean)   # equal seeds


def test_paired_gap_finds_a_real_difference_between_variants_and_not_noise():
    base = np.full(len(EPOCHS), 0.6)
    small = table(base, seeds=10, noise_bits=0.05, seed=0)
    large = table(base + 0.3, seeds=10, noise_bits=0.05, seed=1)
    effect = paired_gap(large, small, "i_ly", "T5", "szt")
    assert effect.lo > 0 and effect.mean == pytest.approx(0.3, abs=0.05)
    assert effect.detail == {"epoch": 100.0, "unpaired": 0.0}
    passed = sum(paired_gap(table(base, 10, 0.05, 2 * t), table(base, 10, 0.05, 2 * t + 1), "i_ly", "T5",
                            "szt", n_boot=2000).lo > 0 for t in range(40))
    assert passed <= 5                      # about 2.5 % of trials expected


def test_paired_gap_compares_a_seed_only_with_itself():
    ours = table(np.full(len(EPOCHS), 1.0), seeds=4, noise_bits=0.0, seed=0)
    theirs = table(np.full(len(EPOCHS), 0.5), seeds=3, noise_bits=0.0, seed=0)
    ours.loc[ours["seed"] == 0, "i_ly"] += 10 * math.log(2)   # a seed the other table lacks...
    theirs["seed"] += 1                                        # ...once the seeds are shifted
    effect = paired_gap(ours, theirs, "i_ly", "T5", "szt")
    assert effect.seeds == 3 and effect.mean == pytest.approx(0.5) and effect.detail["unpaired"] == 1


def gradient_history(seeds: int, transition: int) -> pd.DataFrame:
    """Gradient moments of T5 whose signal-to-noise ratio falls below 1 at ``transition``."""
    return pd.DataFrame([{"seed": s, "epoch": e, "grad_mean_5": 2.0 if e < transition else 0.5,
                          "grad_std_5": 1.0} for s in range(seeds) for e in range(0, 101)])


def test_drift_to_diffusion_lag_is_zero_where_compression_starts_at_the_transition():
    rise_then_fall = np.where(EPOCHS <= 40, 6 + EPOCHS / 10, 10 - (EPOCHS - 40) / 20)   # peak at 40
    mi = table(rise_then_fall, seeds=6, noise_bits=0.05, seed=0).assign(depth=5)
    together = drift_to_diffusion_lag(mi, gradient_history(6, transition=40), "T5", "szt")
    assert together.detail["compression_start"] == 40 and together.detail["diffusion_start"] == 40
    assert together.hi < 0.5
    apart = drift_to_diffusion_lag(mi, gradient_history(6, transition=3), "T5", "szt")
    assert apart.mean == pytest.approx(math.log10(41 / 4)) and apart.detail["signed_lag"] > 0
    with pytest.raises(ValueError, match="never falls below 1"):
        drift_to_diffusion_lag(mi, gradient_history(6, transition=1000), "T5", "szt")
    with pytest.raises(ValueError, match="no grad_mean_5"):
        drift_to_diffusion_lag(mi, gradient_history(6, 40).drop(columns="grad_std_5"), "T5", "szt")


def test_error_at_held_out_peak_reads_each_seeds_error_where_the_others_peak():
    rise_then_fall = np.where(EPOCHS <= 40, 6 + EPOCHS / 10, 10 - (EPOCHS - 40) / 20)   # peak at 40
    mi = table(rise_then_fall, seeds=6, noise_bits=0.05, seed=0)
    # seed s's training accuracy is 1 - (s + 1) / 100 at epoch 40 and 0.5 elsewhere
    history = pd.DataFrame([{"seed": s, "epoch": e, "train_acc": 1 - (s + 1) / 100 if e == 40 else 0.5}
                            for s in range(6) for e in EPOCHS])
    effect = error_at_held_out_peak(mi, history, "T5", "szt")
    assert effect.detail["peak_epoch"] == 40
    assert effect.mean == pytest.approx(np.mean([(s + 1) / 100 for s in range(6)]))
    assert effect.hi < 0.1 and effect.lo > 0.0
    with pytest.raises(ValueError, match="no train_acc of seed 5"):
        error_at_held_out_peak(mi, history[history["seed"] < 5], "T5", "szt")


def accuracy_history(epochs_to_095: list[float], last: int = 100) -> pd.DataFrame:
    """A history per seed whose test accuracy rises linearly from 0.5 to 0.95 at the given epoch
    (never, for an epoch beyond ``last``)."""
    rows = []
    for seed, reach in enumerate(epochs_to_095):
        for epoch in range(0, last + 1, 5):
            rows.append({"seed": seed, "epoch": epoch, "test_acc": 0.5 + 0.45 * min(epoch / reach, 1.0)})
    return pd.DataFrame(rows)


def test_epochs_to_accuracy_is_the_first_logged_epoch_and_never_counts_as_the_last_plus_one():
    reached = epochs_to_accuracy(accuracy_history([20, 37, 500]), 0.95)
    assert reached.tolist() == [20.0, 40.0, 101.0]   # 37 is not logged: the next logged epoch, 40


def test_epochs_to_accuracy_ratio_finds_a_faster_network_and_not_noise():
    rng = np.random.default_rng(0)
    deep = accuracy_history(list(rng.uniform(20, 30, 20)))
    shallow = accuracy_history(list(rng.uniform(60, 80, 20)))
    faster = epochs_to_accuracy_ratio(deep, shallow, 0.95, interval="t")
    assert faster.lo > 1.0 and faster.mean == pytest.approx(np.log2(70 / 25), abs=0.2)
    alike = epochs_to_accuracy_ratio(accuracy_history(list(rng.uniform(20, 80, 20))),
                                     accuracy_history(list(rng.uniform(20, 80, 20))), 0.95, interval="t")
    assert alike.lo < 0 < alike.hi
    never = epochs_to_accuracy_ratio(deep, accuracy_history([1000] * 20), 0.95)
    assert never.detail["never_versus"] == 20 and never.detail["never"] == 0
