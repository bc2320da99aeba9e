"""Known-truth checks on data that networks produce: ReLU zeros, labels, quantised levels, float16.

The truths come from :mod:`infoplane.synthetic.network` (exact posterior by Monte Carlo,
quadrature). Fast cases run at small n; the figures of docs/estimators.md (n = 10,000,
d = 1, 5, 20) are the slow tests and ``benchmarks/network_like.py``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from infoplane.estimators import build
from infoplane.synthetic import build_task


def quiet(name: str, x, y, **params) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build(name, **params).estimate(x, y)


def test_relu_posterior_truth_matches_a_direct_count_in_one_dimension() -> None:
    # With d = 1 and 2 classes, I(T;Y) is also a 1-D integral: zero mass plus density part.
    from scipy.integrate import quad
    from scipy.stats import norm

    task = build_task("relu-classes", dim=1, n_classes=2, truth_samples=400_000)
    mu = task.means[:, 0]

    def plogp_mix(masses):  # sum_y p(y) p log(p / mean)
        masses = np.asarray(masses)
        mean = masses.mean()
        return float(np.sum(0.5 * masses * np.log(masses / mean)))

    zero = plogp_mix(norm.cdf(-mu))
    positive = quad(lambda t: plogp_mix(norm.pdf(t - mu)), 0, mu.max() + 12)[0]
    assert task.mutual_information == pytest.approx(zero + positive, abs=4 * task.truth_se + 1e-3)


@pytest.mark.parametrize("name", ["ksg", "ksg2", "kl"])
def test_relu_features_against_labels(name: str) -> None:
    task = build_task("relu-classes", dim=2)
    t, y = task.sample(3000, seed=1)
    assert 0.3 < np.mean(t == 0) < 0.7
    assert quiet(name, t, y) == pytest.approx(task.mutual_information, abs=0.06)
    t0, y0 = build_task("relu-classes", dim=2, independent=True).sample(3000, seed=1)
    assert abs(quiet(name, t0, y0)) < 0.05
    # The same labels as floats: the same number, with a warning that says how they were read.
    with pytest.warns(UserWarning, match="class labels"):
        assert build(name).estimate(t, y.astype(float)) == pytest.approx(quiet(name, t, y), abs=1e-12)


@pytest.mark.parametrize("name", ["wkl", "kde"])
def test_density_estimators_refuse_relu_zeros_by_name(name: str) -> None:
    t, y = build_task("relu-classes", dim=2).sample(600, seed=1)
    with pytest.raises(ValueError, match="point mass.*ksg"):
        build(name).estimate(t, y)


def test_spreading_edge_atoms_keeps_tie_free_data_bit_identical() -> None:
    x, y = build_task("gaussian-dense", dim_x=2, dim_y=2).sample(500, seed=0)
    for name in ("ksg", "kl", "wkl"):
        a = build(name).estimate_with_interval(x, y)
        b = build(name, jitter=0, spread_edges=False).estimate_with_interval(x, y)
        assert a.mi == b.mi


def test_quantized_levels_against_a_continuous_variable() -> None:
    task = build_task("quantized-gaussian", correlation=0.8, step=0.5, levels=3)
    x, q = task.sample(4000, seed=0)
    # Floats holding whole numbers are read as labels (with a warning): Ross's estimator.
    assert quiet("ksg", x, q) == pytest.approx(task.mutual_information, abs=0.05)
    # Read as a continuous variable the ties are jittered: still I(X;Q).
    assert quiet("ksg", x, q, discrete_y=False) == pytest.approx(task.mutual_information, abs=0.05)
    with pytest.raises(ValueError, match="point mass"):
        build("kl", discrete_y=False).estimate(x, q)


def test_ksg2_on_many_jittered_levels() -> None:
    # KSG-2's marginal extents would measure the jitter itself (2.18 nats for 0.51 at n = 10,000).
    task = build_task("quantized-gaussian", correlation=0.8, step=0.25)
    x, q = task.sample(4000, seed=0)
    assert quiet("ksg2", x, q, discrete_y=False) == pytest.approx(task.mutual_information, abs=0.05)


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_rounded_dense_gaussian_matches_its_float64_estimate(dtype: str) -> None:
    base = build_task("gaussian-dense", dim_x=5, dim_y=5)
    x, y = base.sample(2000, seed=0)
    rounded = build_task("rounded", dtype=dtype, task="gaussian-dense", dim_x=5, dim_y=5)
    xr, yr = rounded.sample(2000, seed=0)
    assert rounded.mutual_information == base.mutual_information
    for name in ("ksg", "ksg2", "kl", "wkl"):
        assert quiet(name, xr, yr) == pytest.approx(quiet(name, x, y), abs=0.05), name


def test_flags_warn_on_impossible_values() -> None:
    t, y = build_task("relu-classes", dim=20).sample(400, seed=0)
    est = build("binning", scheme="saxe").estimate_with_interval(t, y)
    assert "saturated" in est.flags
    with pytest.warns(UserWarning, match="saturated"):
        build("binning", scheme="saxe").estimate(t, y)
    est = build("ksg").estimate_with_interval(t, y)
    assert "few-samples" in est.flags  # 20 dimensions, 400 samples


def test_pairwise_bounds_stay_below_log_n_at_any_scale() -> None:
    h = np.random.default_rng(0).standard_normal((600, 3))
    for scale in (1.0, 1e4, 1e8, 1e30):
        for name in ("kde-upper", "kde-lower"):
            value = build(name, noise_variance=1e-3).estimate_layer(h * scale).mi
            assert -1e-9 <= value <= math.log(600) + 1e-9, (name, scale, value)
    assert build("kde-upper", noise_variance=1e-3).estimate_layer(h * 1e8).mi == pytest.approx(
        math.log(600), abs=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize(("dim", "tolerance"), [(1, 0.05), (5, 0.1), (20, 0.3)])
def test_relu_features_at_n_10000(dim: int, tolerance: float) -> None:
    task = build_task("relu-classes", dim=dim)
    t, y = task.sample(10_000, seed=0)
    assert quiet("ksg", t, y) == pytest.approx(task.mutual_information, abs=tolerance)
    t0, y0 = build_task("relu-classes", dim=dim, independent=True).sample(10_000, seed=0)
    assert abs(quiet("ksg", t0, y0)) < 0.05
