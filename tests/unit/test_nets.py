"""Noise injection statistics and the shapes of the papers' CNNs."""

from __future__ import annotations

import pytest
import torch

from infoplane.nets.cnn import LAYERS, build_model, cifar10_cnn, mnist_cnn
from infoplane.nets.noise import NoiseInjection

N = 200_000  # standard error of a std estimate: std / sqrt(2N) ~ 0.16 % of it


def test_relative_noise_scales_with_the_signal():
    torch.manual_seed(0)
    x = torch.cat([torch.full((N,), 2.0), torch.full((N,), -5.0)])
    out = NoiseInjection(0.1, "relative")(x)
    for value, part in ((2.0, out[:N]), (-5.0, out[N:])):
        noise = part - value
        assert abs(float(noise.mean())) < 5 * 0.1 * abs(value) / N**0.5
        assert float(noise.std()) == pytest.approx(0.1 * abs(value), rel=0.01)
    assert torch.equal(NoiseInjection(0.1, "relative")(torch.zeros(10)), torch.zeros(10))


def test_additive_noise_ignores_the_signal():
    torch.manual_seed(1)
    x = torch.cat([torch.zeros(N), torch.full((N,), 100.0)])
    noise = NoiseInjection(0.3, "additive")(x) - x
    assert float(noise[:N].std()) == pytest.approx(0.3, rel=0.01)
    assert float(noise[N:].std()) == pytest.approx(0.3, rel=0.01)
    assert abs(float(noise.mean())) < 5 * 0.3 / (2 * N) ** 0.5


def test_noise_in_eval_is_a_switch():
    x = torch.ones(1000)
    on, off = NoiseInjection(0.1, in_eval=True).eval(), NoiseInjection(0.1, in_eval=False).eval()
    assert not torch.equal(on(x), x)
    assert torch.equal(off(x), x)
    assert not torch.equal(off.train()(x), x)  # always on in training


@pytest.mark.parametrize("detach", [False, True])
def test_detach_scale_controls_the_gradient(detach):
    x = torch.linspace(-1, 1, 50, requires_grad=True)
    torch.manual_seed(3)
    NoiseInjection(0.5, "relative", detach_scale=detach)(x).sum().backward()
    torch.manual_seed(3)
    eps = torch.randn(50)
    # d/dx (x + s * x * eps) = 1 + s * eps; with x detached in the amplitude it is 1.
    expected = torch.ones(50) if detach else 1 + 0.5 * eps
    torch.testing.assert_close(x.grad, expected)


def test_bad_noise_parameters():
    with pytest.raises(ValueError, match="kind"):
        NoiseInjection(0.1, "multiplicative")
    with pytest.raises(ValueError, match=">= 0"):
        NoiseInjection(-1.0)


@pytest.mark.parametrize(("model", "shape", "sizes"), [
    (mnist_cnn, (3, 1, 28, 28), [1352, 400, 32, 32, 10]),
    (cifar10_cnn, (3, 3, 32, 32), [2048, 1024, 512, 32, 10]),
])
def test_layer_output_sizes(model, shape, sizes):
    net = model(sigma=1e-3)
    x = torch.randn(shape)
    got = []
    for name in LAYERS:
        x = net.get_submodule(name)(x)
        got.append(x.flatten(1).shape[1])
    assert got == sizes
    # L5 is log-softmax: every row's probabilities sum to one.
    torch.testing.assert_close(x.exp().sum(dim=1), torch.ones(3))


def test_noise_before_every_layer_and_dropout_before_convs():
    net = mnist_cnn(sigma=1e-3, dropout=0.1)
    for name in LAYERS:
        block = net.get_submodule(name)
        assert isinstance(block[0], NoiseInjection) and block[0].scale == 1e-3
        has_dropout = any(isinstance(m, torch.nn.Dropout) for m in block)
        assert has_dropout == (name in ("L1", "L2", "L3"))


def test_unknown_model_or_parameter():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("lenet")
    with pytest.raises(ValueError, match="bad parameters"):
        build_model("butakov_mnist_cnn", sigmaa=1.0)
