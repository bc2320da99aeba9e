"""Gaussian tasks: their closed-form MI, and samples that follow the stated covariance."""

import numpy as np
import pytest

from infoplane.synthetic import build_task, gaussian_mi


@pytest.mark.parametrize(("dim_x", "dim_y", "mi"), [(1, 1, 0.0), (2, 3, 1.5), (5, 5, 4.0), (3, 1, 10.0)])
def test_pairs_empirical_mi_matches_request(dim_x: int, dim_y: int, mi: float) -> None:
    task = build_task("gaussian-pairs", dim_x=dim_x, dim_y=dim_y, mi=mi)
    x, y = task.sample(200_000, 0)
    cov = np.cov(np.hstack([x, y]), rowvar=False)
    # The Gaussian plug-in on 2e5 samples has sampling error of order 1e-2 nats here.
    assert gaussian_mi(cov, dim_x) == pytest.approx(mi, abs=0.02)
    assert task.mutual_information == mi


def test_pairs_rotation_mixes_coordinates_and_is_part_of_the_task() -> None:
    task = build_task("gaussian-pairs", dim_x=3, dim_y=3, mi=2.0)
    x1, _ = task.sample(1000, 0)
    x2, _ = task.sample(1000, 0)
    np.testing.assert_array_equal(x1, x2)
    corr = np.corrcoef(np.hstack(task.sample(50_000, 1)), rowvar=False)[:3, 3:]
    assert np.sum(np.abs(corr) > 0.1) > 3  # not just a diagonal of pairs


@pytest.mark.parametrize(("dim", "expected"), [(2, 0.294), (3, 0.413), (5, 0.593), (25, 1.292), (50, 1.624)])
def test_dense_matches_bmi_values(dim: int, expected: float) -> None:
    task = build_task("gaussian-dense", dim_x=dim, dim_y=dim)
    assert task.mutual_information == pytest.approx(expected, abs=1e-3)
    assert task.mutual_information == pytest.approx(0.5 * np.log((dim + 1) ** 2 / (2 * dim + 1)), abs=1e-10)


@pytest.mark.parametrize("dim", [2, 3, 5, 25])
def test_sparse_two_pairs(dim: int) -> None:
    task = build_task("gaussian-sparse", dim_x=dim, dim_y=dim)
    assert task.mutual_information == pytest.approx(-np.log(1 - 0.64), abs=1e-10)
    x, y = task.sample(100_000, 0)
    assert np.corrcoef(x[:, 0], y[:, 0])[0, 1] == pytest.approx(0.8, abs=0.01)
    assert abs(np.corrcoef(x[:, 2 % dim], y[:, 3 % dim])[0, 1]) < 0.02


def test_bad_task_requests() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        build_task("nope")
    with pytest.raises(ValueError, match="bad parameters"):
        build_task("gaussian-pairs", dim_x=1, dim_y=1, mi=1.0, colour="red")
    with pytest.raises(ValueError, match=">= 0 nats"):
        build_task("gaussian-pairs", dim_x=1, dim_y=1, mi=-1.0)
