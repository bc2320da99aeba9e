"""The IB curve: closed form for deterministic labels, the IB inequalities otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infoplane.ib_curve import (
    deterministic_ib_bound,
    ib_sweep,
    joint_from_labels,
    mutual_information,
    smoothed,
)

BETAS = np.geomspace(0.1, 50, 30)


def test_deterministic_labels_give_min_of_ixt_and_hy():
    y = np.random.default_rng(0).integers(0, 3, size=64)
    joint = joint_from_labels(y)
    h_y = mutual_information(joint)  # = H(Y) for deterministic labels
    curve = ib_sweep(joint, BETAS, n_clusters=6)
    bound = deterministic_ib_bound(curve.i_xt, h_y)
    np.testing.assert_allclose(curve.i_ty, bound, atol=1e-6)
    # the Lagrangian reaches the corners only: (0, 0) for beta < 1, (H(Y), H(Y)) for beta > 1
    assert np.all(curve.i_xt[curve.beta < 0.9] < 1e-6)
    np.testing.assert_allclose(curve.i_xt[curve.beta > 1.5], h_y, atol=1e-6)


@pytest.mark.parametrize("method", ["ib", "dual"])
def test_noisy_labels_respect_the_ib_inequalities(method):
    rng = np.random.default_rng(1)
    joint = smoothed(joint_from_labels(rng.integers(0, 2, size=32)), 0.2)
    i_xy = mutual_information(joint)
    curve = ib_sweep(joint, BETAS, n_clusters=4, method=method)
    assert np.all(curve.i_ty <= curve.i_xt + 1e-9)
    assert np.all(curve.i_ty <= i_xy + 1e-9)
    assert np.all(np.diff(curve.i_ty) > -1e-6), "I(T;Y) must grow with beta"
    # beta -> infinity: T keeps all of the relevant information (T = Y's sufficient statistic)
    assert curve.i_ty[-1] == pytest.approx(i_xy, rel=1e-3)
    assert curve.i_xt[0] < 1e-6


def test_binary_symmetric_point_matches_closed_form():
    """|T| = 2 on a binary symmetric channel Y = X xor noise(0.1), X uniform: at beta -> inf, T = X."""
    p = 0.1
    joint = np.array([[0.5 * (1 - p), 0.5 * p], [0.5 * p, 0.5 * (1 - p)]])
    curve = ib_sweep(joint, np.array([100.0]), n_clusters=2)
    h_b = -(p * math.log(p) + (1 - p) * math.log(1 - p))
    assert curve.i_xt[0] == pytest.approx(math.log(2), abs=1e-6)
    assert curve.i_ty[0] == pytest.approx(math.log(2) - h_b, abs=1e-6)


def test_bad_input_is_named():
    joint = joint_from_labels(np.array([0, 1, 1, 0]))
    with pytest.raises(ValueError, match="smooth"):
        ib_sweep(joint, BETAS, method="dual")
    with pytest.raises(ValueError, match="increasing"):
        ib_sweep(joint, BETAS[::-1])
    with pytest.raises(ValueError, match="unknown IB method"):
        ib_sweep(joint, BETAS, method="primal")
