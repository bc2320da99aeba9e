"""Effects over seeds: noise alone does not pass, a real compression does."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from infoplane.seed_stats import bootstrap_mean, change_between, held_out_compression, value_at

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


def test_change_between_and_value_at_are_in_bits():
    rising = 6 + EPOCHS / 50
    noisy = table(rising, seeds=10, noise_bits=0.01, seed=0)
    assert change_between(noisy, "i_ly", "T5", "szt").mean == pytest.approx(2.0, abs=0.02)
    assert value_at(noisy, "i_xl", "T5", "szt").mean == pytest.approx(8.0, abs=0.02)
