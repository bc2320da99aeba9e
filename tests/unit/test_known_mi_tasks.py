"""Closed forms and samplers of the bmi-style tasks: Student-t, additive uniform, transforms,
the LMI-style embedded task."""

import numpy as np
import pytest
from scipy import stats

from infoplane.synthetic import TASKS, build_task, gaussian_mi
from infoplane.synthetic.gaussian import _random_rotation
from infoplane.synthetic.transforms import spiral

# bmi v1's published true MI of its Student-t tasks with identity dispersion (nats, 3 decimals).
BMI_STUDENT = {(2, 1): 0.432, (2, 2): 0.193, (3, 2): 0.291, (3, 3): 0.179, (5, 2): 0.448, (5, 3): 0.299}


@pytest.mark.parametrize(("dim", "df"), sorted(BMI_STUDENT))
def test_student_t_matches_bmi(dim, df):
    task = build_task("student-t", dim_x=dim, dim_y=dim, df=df)
    assert task.mutual_information == pytest.approx(BMI_STUDENT[dim, df], abs=5e-4)


def test_student_t_1x1_df1_matches_bmi():
    task = build_task("student-t", dim_x=1, dim_y=1, df=1)
    assert task.mutual_information == pytest.approx(0.224, abs=5e-4)


def test_student_t_tends_to_gaussian_for_large_df():
    gauss = build_task("gaussian-sparse", dim_x=3, dim_y=3).mutual_information
    t = build_task("student-t", dim_x=3, dim_y=3, df=1e6, n_pairs=2, correlation=0.8)
    assert t.mutual_information == pytest.approx(gauss, abs=1e-5)


def test_student_t_sampler_has_t_margins_and_the_dispersion_correlation():
    x, y = build_task("student-t", dim_x=2, dim_y=2, df=5, n_pairs=1, correlation=0.8).sample(20000, 0)
    # Each coordinate is t with 5 d.o.f.; the correlation of a t with df > 2 is the dispersion's.
    assert stats.kstest(x[:, 1], stats.t(df=5).cdf).pvalue > 1e-3
    assert np.corrcoef(x[:, 0], y[:, 0])[0, 1] == pytest.approx(0.8, abs=0.02)
    assert abs(np.corrcoef(x[:, 1], y[:, 1])[0, 1]) < 0.03


@pytest.mark.parametrize(("eps", "truth"), [(0.1, 1.709), (0.75, 0.333), (0.5, 0.5)])
def test_additive_uniform_closed_form(eps, truth):
    assert build_task("additive-uniform", epsilon=eps).mutual_information == pytest.approx(truth, abs=5e-4)


def test_additive_uniform_sampler():
    x, y = build_task("additive-uniform", epsilon=0.1).sample(5000, 3)
    assert x.shape == y.shape == (5000, 1)
    assert 0 <= x.min() and x.max() <= 1
    assert np.abs(y - x).max() <= 0.1
    assert stats.kstest((y - x)[:, 0], stats.uniform(-0.1, 0.2).cdf).pvalue > 1e-3


@pytest.mark.parametrize("transform", ["half-cube", "asinh", "normal-cdf", "spiral"])
def test_transformed_keeps_the_truth_and_is_the_base_sample_mapped(transform):
    base_params = {"dim_x": 3, "dim_y": 4}
    base = build_task("gaussian-sparse", **base_params)
    task = build_task("transformed", base="gaussian-sparse", transform=transform, base_params=base_params)
    assert task.mutual_information == base.mutual_information
    bx, by = base.sample(500, 7)
    tx, ty = task.sample(500, 7)
    assert tx.shape == bx.shape and ty.shape == by.shape
    np.testing.assert_allclose(tx, task.apply(bx, "x"))
    np.testing.assert_allclose(ty, task.apply(by, "y"))
    assert not np.allclose(tx, bx)


def test_spiral_is_norm_preserving_and_invertible():
    z = np.random.default_rng(0).standard_normal((1000, 4))
    out = spiral(z, speed=0.25, plane=(1, 2))
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), np.linalg.norm(z, axis=1))
    np.testing.assert_allclose(spiral(out, speed=-0.25, plane=(1, 2)), z, atol=1e-12)  # rotate back
    np.testing.assert_array_equal(out[:, [0, 3]], z[:, [0, 3]])


def test_unknown_transform_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown transform"):
        build_task("transformed", base="gaussian-sparse", transform="cube",
                   base_params={"dim_x": 2, "dim_y": 2})


def test_embedded_truth_equals_the_full_gaussian_closed_form():
    """The sufficient-statistic shortcut agrees with 1/2 log det on the whole (2d x 2d) covariance."""
    dim, k, noise, mi = 12, 3, 0.8, 0.8
    task = build_task("embedded", dim=dim, latent_dim=k, mi=mi, noise=noise, rotation_seed=4)
    latent = task._latent
    rx, ry = _random_rotation(k, 4), _random_rotation(k, 5)
    cross = latent.correlation * rx @ ry.T  # cov(xi, eta) after the rotations
    embed = np.zeros((dim, k))
    embed[np.arange(dim), np.arange(dim) % k] = 1.0
    cov_x = embed @ embed.T + noise**2 * np.eye(dim)
    joint = np.block([[cov_x, embed @ cross @ embed.T], [embed @ cross.T @ embed.T, cov_x]])
    assert gaussian_mi(joint, dim) == pytest.approx(mi, abs=1e-9)
    # and the sampler draws from that covariance
    x, y = task.sample(40000, 0)
    np.testing.assert_allclose(np.cov(np.hstack([x, y]), rowvar=False), joint, atol=0.08)


def test_embedded_high_dimensional_shapes_and_reach():
    x, y = build_task("embedded", dim=1000, latent_dim=1, mi=1.0).sample(50, 0)
    assert x.shape == y.shape == (50, 1000)
    with pytest.raises(ValueError, match="out of reach"):
        build_task("embedded", dim=10, latent_dim=5, mi=20.0, noise=3.0)


def test_every_task_is_registered_and_seeded():
    new = {"student-t", "additive-uniform", "transformed", "embedded", "gaussian-bumps", "rectangles"}
    assert new <= set(TASKS)
    task = build_task("student-t", dim_x=2, dim_y=2, df=3)
    a, b = task.sample(100, 5), task.sample(100, 5)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], task.sample(100, 6)[0])
