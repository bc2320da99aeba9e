"""Neural MI estimators (mine, infonce, nwj) against closed-form MI.

Tolerances. On the 2 x 2 Gaussian with I = 1 nat and n = 4000, the test split has 600 samples;
the per-sample terms of the bounds have a standard deviation near 1.1 nats (the information
density of this Gaussian has variance sum_i rho_i^2 = 2 (1 - e^-1) = 1.26), so the held-out
standard error is about 0.045 nats. The bounds also sit below the truth by the critic's gap, a
few hundredths here. 0.2 nats is ~4 standard errors plus that gap: a failure means a broken
estimator, not bad luck. The critics are small and the epochs few so each test takes seconds.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from infoplane.estimators import available, build
from infoplane.estimators.bounds import DVBound, InfoNCEBound, NWJBound, pair_statistics
from infoplane.synthetic import build_task

FAST = {"hidden": [64, 64], "lr": 3e-3, "max_epochs": 60, "patience": 10, "batch_size": 128}
NEURAL = ["mine", "infonce", "nwj"]


def fast(name: str, **extra) -> dict:
    """Small critics and few epochs; InfoNCE scores all B^2 pairs, so it gets a smaller batch."""
    return {**FAST, **({"batch_size": 64} if name == "infonce" else {}), **extra}


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same numbers on every machine, and fair on a shared one
    yield
    torch.set_num_threads(threads)


def gaussian(mi: float, n: int, seed: int = 0, dim: int = 2) -> tuple[np.ndarray, np.ndarray]:
    return build_task("gaussian-pairs", dim_x=dim, dim_y=dim, mi=mi).sample(n, seed)


def bumps(latent: np.ndarray, side: int) -> np.ndarray:
    """(n, 2) latents -> (n, side * side) images, a Gaussian bump centred at Phi(latent)
    (Butakov et al.'s recipe: pixel = exp(-10 |p - centre|^2) on a grid over [0, 1]^2)."""
    from scipy.special import ndtr

    grid = np.linspace(0.0, 1.0, side)
    c = ndtr(latent)
    rows, cols = np.exp(-10 * (grid - c[:, :1]) ** 2), np.exp(-10 * (grid - c[:, 1:]) ** 2)
    return (rows[:, :, None] * cols[:, None, :]).reshape(len(latent), side * side)


def test_registry_lists_neural_estimators_without_importing_torch():
    assert set(NEURAL) <= set(available())
    code = ("import sys, infoplane.estimators as e; assert {'mine', 'infonce', 'nwj'} <= set(e.available()); "
            "assert 'torch' not in sys.modules, 'importing the registry loaded torch'")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the bounds themselves, on fixed scores -----------------------------------------------------


def test_bounds_match_their_closed_forms():
    scores = torch.randn(50, 1 + 7, dtype=torch.float64) * 2
    joint, neg = scores[:, 0], scores[:, 1:]
    dv = joint.mean() - torch.log(torch.exp(neg).mean())
    nwj = joint.mean() - torch.exp(neg - 1).mean()
    nce = (joint - torch.log(torch.exp(scores).mean(1))).mean()
    assert DVBound().terms(*pair_statistics(scores, False)).mean() == pytest.approx(dv.item(), abs=1e-12)
    assert NWJBound().terms(*pair_statistics(scores, False)).mean() == pytest.approx(nwj.item(), abs=1e-12)
    assert InfoNCEBound().terms(*pair_statistics(scores, True)).mean() == pytest.approx(nce.item(), abs=1e-12)


def test_infonce_terms_never_exceed_log_one_plus_k():
    scores = torch.randn(100, 1 + 15, dtype=torch.float64)
    scores[:, 0] += 1e3  # a critic that separates perfectly still cannot pass log(1 + K)
    terms = InfoNCEBound().terms(*pair_statistics(scores, True))
    assert terms.max().item() <= math.log(16) + 1e-12
    assert terms.mean().item() == pytest.approx(math.log(16), abs=1e-9)


def test_mine_gradient_uses_the_moving_average():
    """MINE's surrogate has the gradient of mean(T_joint) - mean(exp T_marg) / EMA."""
    bound = DVBound(ema_alpha=0.5)
    bound.loss(torch.zeros(4, 3))  # first batch: EMA = mean exp(0) = 1
    scores = torch.tensor([[1.0, 0.0, math.log(3.0)]] * 4, requires_grad=True)
    bound.loss(scores).backward()  # batch mean exp = 2 -> EMA = 0.5 * 2 + 0.5 * 1 = 1.5
    expected = torch.tensor([[-1 / 4, 1 / (8 * 1.5), 3 / (8 * 1.5)]] * 4)  # d/dS_ik = e^S_ik / (4 * 2) / EMA
    assert torch.allclose(scores.grad, expected)


@pytest.mark.parametrize(("side", "blocks"), [(16, 2), (32, 3)])
def test_conv_tower_pools_down_to_4x4(side, blocks):
    from infoplane.estimators.critics import build_critic

    critic = build_critic((1, side, side), (1, side, side), hidden=[100, 100])
    assert critic.tower_x.out_dim == 8 * 4 * 4
    assert sum(isinstance(m, torch.nn.Conv2d) for m in critic.tower_x.modules()) == blocks
    scores = critic(torch.randn(10, 1, side, side), torch.randn(10, 1, side, side), negatives=3)
    assert scores.shape == (10, 4)


def test_critic_columns_pair_x_i_with_y_i_plus_k():
    from infoplane.estimators.critics import build_critic

    critic = build_critic((3,), (2,), hidden=[8])
    x, y = torch.randn(5, 3), torch.randn(5, 2)
    scores = critic(x, y, negatives=4)
    direct = torch.stack([critic.head.rest(critic.head.first_x(x) + critic.head.first_y(y.roll(-k, 0)))
                          .squeeze(-1) for k in range(5)], 1)
    assert torch.allclose(scores, direct, atol=1e-6)


# -- estimators on data with known MI -----------------------------------------------------------


@pytest.mark.parametrize("name", NEURAL)
def test_correlated_gaussian_within_tolerance(name):
    x, y = gaussian(1.0, 4000)
    result = build(name, seed=0, **fast(name)).estimate_with_interval(x, y)
    assert abs(result.mi - 1.0) <= 0.2, result
    assert result.lo < result.mi < result.hi
    assert result.method == "heldout-pointwise"  # InfoNCE: 1 nat is far from log 64 = 4.16


@pytest.mark.parametrize("name", NEURAL)
def test_independent_variables_give_about_zero(name):
    x, _ = gaussian(0.0, 3000, seed=1)
    y = np.random.default_rng(2).standard_normal((3000, 2))
    result = build(name, seed=0, **fast(name)).estimate_with_interval(x, y)
    # A held-out lower bound on 0: noise above it (the terms' SE is ~0.003 nats here), and a
    # critic that learnt nothing cannot fall far below once early stopping keeps its best epoch.
    assert abs(result.mi) <= 0.03, result


def test_infonce_is_capped_at_log_batch_and_flags_it():
    x, y = gaussian(5.0, 2000)
    estimator = build("infonce", seed=0, **{**FAST, "batch_size": 16, "max_epochs": 20})
    with pytest.warns(RuntimeWarning, match="cap"):
        result = estimator.estimate_with_interval(x, y)
    cap = math.log(16)
    assert result.mi <= cap + 1e-6
    assert result.mi > cap - 1.0  # the bound saturates: 5 nats of MI, at most 2.77 measurable
    assert result.method == "heldout-pointwise;near-cap"
    assert estimator.diagnostics["near_cap"] and estimator.diagnostics["infonce_cap"] == pytest.approx(cap)


def test_discrete_labels_are_one_hot_encoded():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 3000)
    x = labels[:, None] * 3.0 + rng.standard_normal((3000, 1)) * 0.1  # classes far apart
    result = build("mine", seed=0, **FAST).estimate_with_interval(x, labels)
    assert result.mi == pytest.approx(math.log(4), abs=0.15)  # I = H(label) = log 4


def test_same_seed_same_number_other_seed_another():
    x, y = gaussian(1.0, 600)
    quick = {**FAST, "max_epochs": 3}
    first = build("mine", seed=3, **quick).estimate(x, y)
    assert build("mine", seed=3, **quick).estimate(x, y) == first
    assert build("mine", seed=4, **quick).estimate(x, y) != first


def test_flat_and_shaped_images_give_the_same_estimate():
    x, y = gaussian(2.0, 400)
    flat_x, flat_y = bumps(x, 16), bumps(y, 16)
    quick = {"lr": 3e-3, "max_epochs": 2, "batch_size": 64}
    flat = build("nwj", critic="conv", seed=0, **quick)
    shaped = build("nwj", seed=0, **quick)
    a = flat.estimate(flat_x, flat_y)
    b = shaped.estimate(flat_x.reshape(-1, 1, 16, 16), flat_y.reshape(-1, 16, 16))
    assert a == b
    assert flat.diagnostics["hidden"] == [100, 100]  # Butakov et al.'s image critic head


@pytest.mark.slow
def test_mine_on_raw_gaussian_bump_images():
    x, y = gaussian(2.0, 5000)
    estimator = build("mine", critic="conv", seed=0, max_epochs=150)
    result = estimator.estimate_with_interval(bumps(x, 16), bumps(y, 16))
    assert abs(result.mi - 2.0) <= 0.3, result


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "x", "y", "message"),
    [
        ({}, np.full((100, 2), np.nan), np.zeros((100, 2)), "NaN"),
        ({}, np.zeros((100, 2)), np.zeros((99, 2)), "same number of samples"),
        ({}, np.zeros((5, 2)), np.zeros((5, 2)), "too few"),
        ({}, np.zeros((100, 2, 2, 2, 2)), np.zeros((100, 2)), "shape"),
        ({"critic": "conv"}, np.zeros((100, 10)), np.zeros((100, 16)), "square"),
        ({"critic": "conv", "image_shape": [3, 3]}, np.zeros((100, 10)), np.zeros((100, 9)), "image_shape"),
        ({}, np.array(["a"] * 100), np.zeros((100, 2)), "numeric"),
    ],
)
def test_bad_input_raises_value_error(params, x, y, message):
    with pytest.raises(ValueError, match=message):
        build("mine", max_epochs=1, **params).estimate(x, y)


@pytest.mark.parametrize(
    "params",
    [{"critic": "rnn"}, {"batch_size": 1}, {"lr": 0}, {"val_fraction": 0.6, "test_fraction": 0.5},
     {"hidden": []}, {"negatives": 0}, {"ema_alpha": 0}, {"no_such_param": 1}],
)
def test_bad_parameters_raise_value_error(params):
    with pytest.raises(ValueError):
        build("mine", **params)


def test_unavailable_device_raises_value_error():
    if torch.cuda.is_available():
        pytest.skip("CUDA is present here")
    x, y = gaussian(1.0, 100)
    with pytest.raises(ValueError, match="CUDA"):
        build("nwj", device="cuda", max_epochs=1).estimate(x, y)


@pytest.mark.gpu
def test_runs_on_cuda_when_present():
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    x, y = gaussian(1.0, 4000)
    estimator = build("mine", seed=0, **FAST)  # device=None picks CUDA
    result = estimator.estimate_with_interval(x, y)
    assert estimator.diagnostics["device"].startswith("cuda")
    assert abs(result.mi - 1.0) <= 0.2, result
