"""Kolchinsky-Tracey bounds bracket the exact MI of a Gaussian-noise channel."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infoplane.estimators import build
from infoplane.estimators.kde_bounds import mixture_entropy_bounds
from infoplane.synthetic.mixture import mixture_entropy_quadrature, noisy_constellation_mi

LINE = np.array([[-3.0], [-1.0], [1.0], [3.0]])
PLANE = np.random.default_rng(0).uniform(-1, 1, (6, 2))
CUBE = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).reshape(3, -1).T.astype(float)


@pytest.mark.parametrize(
    ("h", "noise_variance"),
    [(LINE, 0.05), (LINE, 1.0), (LINE, 4.0), (PLANE, 0.01), (PLANE, 0.09), (PLANE, 1.0), (CUBE, 0.36)],
)
def test_bounds_bracket_the_exact_channel_mi(h, noise_variance):
    # X uniform on the rows of h, T = h(X) + N(0, s2 I): the exact I(X;T) is the quadrature
    # entropy of the mixture minus d/2 log(2 pi e s2), accurate to ~1e-9 (see synthetic.mixture),
    # so the inequalities are checked with a 1e-8 slack for the quadrature only.
    points = 4 if h.shape[1] == 3 else 8
    exact = noisy_constellation_mi(h, math.sqrt(noise_variance), points)
    lower = build("kde-lower", noise_variance=noise_variance).estimate_layer(h).mi
    upper = build("kde-upper", noise_variance=noise_variance).estimate_layer(h).mi
    assert 0 <= lower <= exact + 1e-8
    assert exact - 1e-8 <= upper <= math.log(len(h)) + 1e-12


def test_entropy_bounds_and_the_limits():
    lower, upper = mixture_entropy_bounds(PLANE, 0.09)
    assert lower <= mixture_entropy_quadrature(PLANE, 0.3) <= upper
    # Vanishing noise separates every point: both bounds reach log n; huge noise merges them: 0.
    separated = build("kde-lower", noise_variance=1e-6).estimate_layer(PLANE).mi
    assert separated == pytest.approx(math.log(6), abs=1e-9)
    assert build("kde-upper", noise_variance=1e6).estimate_layer(PLANE).mi == pytest.approx(0.0, abs=1e-5)


def test_upper_bound_by_hand_for_two_points():
    # Two points at distance 1, s2 = 0.5: each term is -log[(1 + exp(-1)) / 2].
    h = np.array([[0.0], [1.0]])
    expected = -math.log((1 + math.exp(-1.0)) / 2)
    assert build("kde-upper", noise_variance=0.5).estimate_layer(h).mi == pytest.approx(expected, abs=1e-12)
    # Lower: 8 s2 = 4 in the exponent's denominator.
    expected_lower = -math.log((1 + math.exp(-0.25)) / 2)
    lower = build("kde-lower", noise_variance=0.5).estimate_layer(h).mi
    assert lower == pytest.approx(expected_lower, abs=1e-12)


def test_labels_give_the_class_conditional_difference():
    est = build("kde-upper", noise_variance=1.0)
    # One class per row: the conditional terms are exact Gaussians, so I(T;Y) is the I(X;T) bound.
    assert est.estimate(LINE, np.arange(4)) == pytest.approx(est.estimate_layer(LINE).mi, abs=1e-12)
    # Two classes {-3, -1} and {1, 3}: H_u(T) - mean of the two class bounds, by hand.
    d2 = (LINE - LINE.T) ** 2
    h_all = -np.mean(np.log(np.mean(np.exp(-d2 / 2), axis=1)))
    h_class = -np.mean(np.log(np.mean(np.exp(-d2[:2, :2] / 2), axis=1)))
    assert est.estimate(LINE, np.array([0, 0, 1, 1])) == pytest.approx(h_all - h_class, abs=1e-12)


def test_the_shared_all_rows_pass_is_never_stale():
    # I(X;T) then I(T;Y) of one layer share one O(n^2) pass; a changed layer (same shape, even
    # the same array edited in place) gets its own.
    est = build("kde-upper", noise_variance=1.0)
    h = LINE.copy()
    fresh = build("kde-upper", noise_variance=1.0)
    assert est.estimate_layer(h).mi == pytest.approx(fresh.estimate_layer(LINE).mi, abs=0)
    h *= 0.5
    assert est.estimate_layer(h).mi == pytest.approx(build("kde-upper", noise_variance=1.0)
                                                     .estimate_layer(LINE * 0.5).mi, abs=0)
    labels = np.array([0, 0, 1, 1])
    assert est.estimate(h, labels) == pytest.approx(build("kde-upper", noise_variance=1.0)
                                                    .estimate(LINE * 0.5, labels), abs=0)


def test_noise_variance_is_required_and_checked():
    with pytest.raises(ValueError, match="noise_variance"):
        build("kde-upper")
    with pytest.raises(ValueError, match="noise_variance"):
        build("kde-lower", noise_variance=-1.0)


def test_exact_channel_mi_matches_helper():
    assert noisy_constellation_mi(LINE, 1.0) == pytest.approx(
        mixture_entropy_quadrature(LINE, 1.0) - 0.5 * math.log(2 * math.pi * math.e), abs=1e-12)


def test_bounds_bracket_random_constellations_at_every_noise_level():
    # 12 random constellations of 3 to 9 points in 1-D and 2-D, noise from well separated to
    # fully merged; the exact MI by quadrature (converged to ~1e-9) must lie between the bounds.
    rng = np.random.default_rng(7)
    for case in range(12):
        h = rng.uniform(-1, 1, (int(rng.integers(3, 10)), 1 + case % 2))
        for noise_variance in (0.003, 0.03, 0.3, 3.0):
            exact = noisy_constellation_mi(h, math.sqrt(noise_variance), points_per_beta=8)
            lower = build("kde-lower", noise_variance=noise_variance).estimate_layer(h).mi
            upper = build("kde-upper", noise_variance=noise_variance).estimate_layer(h).mi
            assert lower <= exact + 1e-8 and exact <= upper + 1e-8, (case, noise_variance)


@pytest.mark.parametrize(("weights", "noise_variance"), [(np.eye(1), 0.1), (np.eye(1), 1.0),
                                                        (np.array([[1.0, 0.5], [0.0, 2.0]]), 0.3)])
def test_bounds_bracket_a_gaussian_input_through_a_linear_gaussian_channel(weights, noise_variance):
    # X ~ N(0, I) (3000 draws, each one equally likely input), T = W X + N(0, s2 I):
    # I = 1/2 log det(I + W W^T / s2). The draws' own channel MI differs from that by ~0.01
    # (1-D quadrature: 1.1926 vs 1.1989 at s2 = 0.1), while the bounds stand 0.1 to 0.7 nats
    # away from it, so the bracket is no accident of sampling.
    x = np.random.default_rng(0).standard_normal((3000, weights.shape[1]))
    h = x @ weights.T
    truth = 0.5 * np.linalg.slogdet(np.eye(len(weights)) + weights @ weights.T / noise_variance)[1]
    lower = build("kde-lower", noise_variance=noise_variance).estimate_layer(h).mi
    upper = build("kde-upper", noise_variance=noise_variance).estimate_layer(h).mi
    assert lower + 0.05 <= truth <= upper - 0.05
