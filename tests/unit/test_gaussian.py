"""Gaussian (CCA) estimator against closed-form MI on bmi's dense and sparse tasks."""

from __future__ import annotations

import numpy as np
import pytest

from infoplane.estimators import build
from infoplane.estimators.gaussian import canonical_correlations
from infoplane.synthetic import build_task

N = 10_000


@pytest.mark.parametrize(
    ("task", "truth", "tolerance"),
    [
        # Dense 5x5 at 0.5: one canonical correlation, rho^2 = 1 - exp(-2 I) = 0.694, so the
        # delta-method sd is sqrt(0.694 / 1e4) = 0.0083; upward bias d_x d_y / 2n = 0.0013.
        # 0.035 is about 4 sd plus the bias.
        ("gaussian-dense", 0.5928, 0.035),
        # Two pairs at 0.8: sd = sqrt(2 * 0.64 / 1e4) = 0.0113; 0.05 is about 4 sd plus the bias.
        ("gaussian-sparse", 1.0217, 0.05),
    ],
)
def test_matches_closed_form(task, truth, tolerance):
    t = build_task(task, dim_x=5, dim_y=5)
    assert t.mutual_information == pytest.approx(truth, abs=1e-4)
    x, y = t.sample(N, seed=0)
    est = build("gaussian").estimate_with_interval(x, y)
    assert abs(est.mi - truth) <= tolerance
    assert est.method == "bootstrap" and est.lo < est.mi < est.hi


@pytest.mark.parametrize("interval", ["bootstrap", "asymptotic"])
def test_intervals_cover_the_truth_most_of_the_time(interval):
    # Nominal 95 %: over 20 seeds at least 16 should cover (P[<= 15 of 20] ~ 0.3 % if exact).
    t = build_task("gaussian-sparse", dim_x=3, dim_y=3)
    covered = 0
    for seed in range(20):
        x, y = t.sample(2000, seed=seed)
        est = build("gaussian", interval=interval, n_boot=100, seed=seed).estimate_with_interval(x, y)
        covered += est.lo <= t.mutual_information <= est.hi
    assert covered >= 16


def test_canonical_correlations_of_the_sparse_task():
    cov = build_task("gaussian-sparse", dim_x=4, dim_y=3).covariance
    np.testing.assert_allclose(canonical_correlations(cov, 4), [0.8, 0.8, 0.0], atol=1e-12)


def test_refuses_labels_and_singular_data():
    x = np.random.default_rng(0).standard_normal((100, 2))
    with pytest.raises(ValueError, match="labels"):
        build("gaussian").estimate(x, np.zeros(100, dtype=int))
    with pytest.raises(ValueError, match="singular"):
        build("gaussian").estimate(np.column_stack([x[:, 0], x[:, 0]]), x)


def test_bootstrap_interval_covers_truth_despite_upward_bias() -> None:
    """On the sparse 25x25 task the plug-in is biased up by about d_x d_y / (2n) = 0.06 nats;
    the reflected bootstrap interval corrects for it and covers the true 1.0217 nats."""
    from infoplane.estimators import build
    from infoplane.synthetic import build_task

    task = build_task("gaussian-sparse", dim_x=25, dim_y=25)
    for seed in range(3):
        est = build("gaussian", seed=seed).estimate_with_interval(*task.sample(5000, seed))
        assert est.lo < task.mutual_information < est.hi
