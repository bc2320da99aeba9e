"""Sample propagation (Goldfeld et al.) against numerically integrated Gaussian-mixture entropies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infoplane.estimators import build
from infoplane.estimators.sp import entropy_and_label_information, gaussian_mixture_entropy, mixture_entropies
from infoplane.synthetic.mixture import mixture_entropy_quadrature, noisy_constellation_mi

CUBE = np.array(np.meshgrid([-1, 1], [-1, 1], [-1, 1])).reshape(3, -1).T.astype(float)
LINE = np.array([[-3.0], [-1.0], [1.0], [3.0]])
PLANE = np.random.default_rng(0).uniform(-1, 1, (6, 2))


def gaussian_entropy(d: int, beta: float) -> float:
    return 0.5 * d * math.log(2 * math.pi * math.e * beta**2)


def test_quadrature_truth_is_exact_where_the_answer_is_known():
    # One component: the Gaussian entropy. Components 60 beta apart: log n more.
    single = mixture_entropy_quadrature(np.zeros((1, 2)), 0.3)
    assert single == pytest.approx(gaussian_entropy(2, 0.3), abs=1e-12)
    far = mixture_entropy_quadrature(np.array([[0.0], [6.0], [12.0]]), 0.1)
    assert far == pytest.approx(math.log(3) + gaussian_entropy(1, 0.1), abs=1e-12)
    # Converged: doubling the grid density changes nothing that matters (< 1e-6 nats).
    coarse, fine = (mixture_entropy_quadrature(PLANE, 0.3, points_per_beta=p) for p in (4, 8))
    assert coarse == pytest.approx(fine, abs=1e-6)


@pytest.mark.parametrize(
    ("centres", "beta", "points_per_beta"),
    [(LINE, 0.5, 8), (LINE, 1.5, 8), (PLANE, 0.3, 8), (CUBE, 0.5, 4), (CUBE, 0.8, 4)],
    ids=["1d-separated", "1d-overlapping", "2d-random", "3d-cube", "3d-cube-overlapping"],
)
def test_sp_entropy_within_002_nats_of_the_integrated_truth(centres, beta, points_per_beta):
    truth = mixture_entropy_quadrature(centres, beta, points_per_beta)
    est = gaussian_mixture_entropy(centres, beta, n_mc=10_000, seed=0)
    # The Monte Carlo sd is sqrt(Var[-log g(T)] / (n n_mc)); Var[-log g(T)] is about d/2 plus
    # the between-component spread (< 2 nats^2 here), so with n n_mc >= 40,000 draws the sd is
    # below 0.007 and 0.02 nats is about 3 sd. (Measured errors: 0.0007 to 0.0026.)
    assert abs(est.mi - truth) <= 0.02


def test_monte_carlo_error_falls_like_one_over_sqrt_n_mc():
    # Quadrupling n_mc should halve the sd over seeds. With 100 seeds each sd is known to
    # about 1/sqrt(2 * 99) = 7 %, so the log of the ratio to about 0.10; [1.5, 2.7] spans
    # about 3 of those on each side of 2.
    sd = [np.std([gaussian_mixture_entropy(LINE, 0.5, n_mc=n_mc, seed=s).mi for s in range(100)], ddof=1)
          for n_mc in (50, 200)]
    assert 1.5 <= sd[0] / sd[1] <= 2.7


def test_sp_mi_of_a_noisy_constellation():
    # X uniform on 8 cube corners, T = X + N(0, beta^2 I): exact I(X;T) by quadrature.
    beta = 0.6
    truth = noisy_constellation_mi(CUBE, beta, points_per_beta=4)  # converged in 3-D
    est = build("sp", beta=beta, n_mc=5000, seed=1).estimate_layer(CUBE)
    assert 0 < truth < math.log(8)
    assert abs(est.mi - truth) <= 0.02  # same Monte Carlo argument as above, 40,000 draws


def test_sp_i_t_y_with_one_class_per_input_is_i_x_t():
    # Every row its own class: h(T | Y = y) is one Gaussian, so I(T;Y) must equal I(X;T) up to
    # the Monte Carlo error of those single-Gaussian entropies (sd ~ sqrt(d/2 / (n n_mc))).
    s = LINE
    by_inputs = build("sp", beta=1.0, n_mc=20_000).estimate_layer(s).mi
    by_labels = build("sp", beta=1.0, n_mc=20_000).estimate(s, np.arange(4))
    assert by_labels == pytest.approx(by_inputs, abs=0.02)
    # Two classes, each a pair of points: I(T;Y) <= H(Y) = log 2.
    two = build("sp", beta=0.3, n_mc=5000).estimate(s, np.array([0, 0, 1, 1]))
    assert 0.6 < two <= math.log(2) + 0.01


def test_sp_is_seeded_and_validates():
    a = gaussian_mixture_entropy(PLANE, 0.3, n_mc=10, seed=4).mi
    assert a == gaussian_mixture_entropy(PLANE, 0.3, n_mc=10, seed=4).mi
    with pytest.raises(ValueError, match="beta"):
        build("sp", beta=0.0)
    with pytest.raises(ValueError, match="n_mc"):
        build("sp", beta=1.0, n_mc=0)


def test_batched_mixture_entropies_equal_one_call_each_and_the_truth():
    # The conditional entropies of sample propagation, one small mixture per input: the batched
    # pass gives each mixture's own call, and both stay on the integrated truth. The third mixture
    # sits 1e3 beta from the origin: centring keeps its distances exact.
    rng = np.random.default_rng(1)
    centres = np.stack([PLANE, rng.uniform(-1, 1, (6, 2)), 50.0 + 0.3 * PLANE])
    seeds = np.array([3, 11, 17])
    batched = mixture_entropies(centres, 0.05, n_mc=500, seeds=seeds, block_elements=5000)
    one_each = [gaussian_mixture_entropy(c, 0.05, n_mc=500, seed=int(s)).mi
                for c, s in zip(centres, seeds, strict=True)]
    np.testing.assert_allclose(batched, one_each, rtol=0, atol=1e-12)
    truth = [mixture_entropy_quadrature(c, 0.05, 8) for c in centres]
    np.testing.assert_allclose(batched, truth, atol=0.05)
    with pytest.raises(ValueError, match="one seed per mixture"):
        mixture_entropies(centres, 0.05, n_mc=4, seeds=seeds[:2])


def test_entropy_and_label_information_share_the_draws_of_the_estimator():
    labels = np.array([0, 0, 1, 1, 2, 2])
    h_t, i_ty = entropy_and_label_information(PLANE, labels, 0.3, n_mc=10, seed=4)
    assert h_t.mi == pytest.approx(gaussian_mixture_entropy(PLANE, 0.3, n_mc=10, seed=4).mi, abs=1e-12)
    alone = build("sp", beta=0.3, n_mc=10, seed=4).estimate_layer(PLANE, labels=labels)
    assert i_ty == alone
    # I(T;Y) is an information between 0 and H(Y) = log 3 here.
    assert 0.0 < i_ty.mi < math.log(3)


@pytest.mark.parametrize("beta", [0.0, -0.3, math.inf])
def test_the_mixture_functions_name_beta_when_it_is_not_a_positive_noise_scale(beta):
    labels = np.array([0, 0, 1, 1, 2, 2])
    with pytest.raises(ValueError, match="beta"):
        entropy_and_label_information(PLANE, labels, beta, n_mc=10)
    with pytest.raises(ValueError, match="beta"):
        gaussian_mixture_entropy(PLANE, beta, n_mc=10)


def test_the_unlabelled_estimate_is_the_mixture_entropy_less_the_noise_entropy():
    # h(T | X) = d/2 log(2 pi e beta^2) for T = S(X) + N(0, beta^2 I); PLANE is (6, 2).
    beta = 0.3
    noise_entropy = math.log(2 * math.pi * math.e * beta**2)
    h_t = gaussian_mixture_entropy(PLANE, beta, n_mc=10, seed=4)
    i_xt = build("sp", beta=beta, n_mc=10, seed=4).estimate_layer(PLANE)
    assert i_xt.mi == pytest.approx(h_t.mi - noise_entropy, abs=1e-12)
    # Six inputs: 0 <= I(X;T) <= log 6, up to Monte Carlo error.
    assert 0.0 < i_xt.mi < math.log(6) + 0.1
