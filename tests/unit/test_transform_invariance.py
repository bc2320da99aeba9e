"""MI is invariant to injective maps of each side; so should the estimates be (bmi's
transformed tasks; estimators.md target T5: |I(T) - I(base)| <= 0.05 nats)."""

from functools import cache

import pytest

from infoplane.estimators import build
from infoplane.synthetic import build_task

N = 5000


@cache
def base_estimate(dim: int, normal_scores: bool) -> float:
    task = build_task("gaussian-sparse", dim_x=dim, dim_y=dim)
    return build("ksg", k=5, normal_scores=normal_scores).estimate(*task.sample(N, 0))


def estimates(dim: int, transform: str, normal_scores: bool = False) -> tuple[float, float]:
    """KSG (k = 5) on the sparse dim x dim task and on its transform, same seed."""
    task = build_task("transformed", base="gaussian-sparse", transform=transform,
                      base_params={"dim_x": dim, "dim_y": dim})
    est = build("ksg", k=5, normal_scores=normal_scores)
    return base_estimate(dim, normal_scores), est.estimate(*task.sample(N, 0))


@pytest.mark.parametrize("dim", [3, 5])
@pytest.mark.parametrize("transform", ["half-cube", "asinh", "normal-cdf"])
def test_ksg_with_normal_scores_is_invariant_to_elementwise_maps(dim, transform):
    base, transformed = estimates(dim, transform, normal_scores=True)
    assert abs(transformed - base) <= 0.05
    assert transformed == pytest.approx(base, abs=1e-9)  # the ranks do not change at all


@pytest.mark.parametrize("dim", [3, 5])
@pytest.mark.parametrize("transform", ["asinh", "normal-cdf"])
def test_plain_ksg_is_nearly_invariant_to_mild_elementwise_maps(dim, transform):
    base, transformed = estimates(dim, transform)
    assert abs(transformed - base) <= 0.05


@pytest.mark.xfail(strict=True, reason="measured at n = 5000, seed 0: plain KSG moves by -0.08 under "
                   "half-cube (heavy tails) on both 3x3 and 5x5; use normal_scores=True")
@pytest.mark.parametrize("dim", [3, 5])
def test_plain_ksg_half_cube(dim):
    base, transformed = estimates(dim, "half-cube")
    assert abs(transformed - base) <= 0.05


# The spiral rotates a coordinate plane by an angle that grows with ||x||^2: a joint map of the
# coordinates, so marginal normal scores cannot undo it, and no preprocessing that does not know
# the map can. KSG is consistent, so the gap closes as n grows, but slowly: measured with k = 5,
# mean of seeds 0 and 1, it is -0.244 / -0.196 / -0.156 nats on 3x3 at n = 5k / 20k / 50k and
# -0.180 / -0.186 / -0.175 on 5x5; larger k widens it on 3x3 (-0.276 at k = 10, -0.284 at
# k = 20, n = 5k) and barely narrows it on 5x5 (-0.174, -0.164).
# See docs/measurements/estimators.md, "Known-MI benchmarks".
@pytest.mark.xfail(strict=True, reason="measured at n = 5000, seed 0: KSG (k = 5, normal scores) moves "
                   "by -0.253 (3x3) and -0.174 (5x5) under bmi's spiral; at this n no KSG setting meets 0.05")
@pytest.mark.parametrize("dim", [3, 5])
def test_ksg_spiral(dim):
    base, transformed = estimates(dim, "spiral", normal_scores=True)
    assert abs(transformed - base) <= 0.05
