"""The networks of the baselines: shapes, quantisation levels, straight-through gradients, noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from infoplane.nets.mlp import MLP, bottleneck2_mlp, saxe_mnist_mlp, szt_mlp


def test_szt_net_layers_and_output():
    net = szt_mlp("tanh", seed=0).eval()
    x = torch.rand(64, 12)
    outs = net.layer_outputs(x)
    assert [o.shape[1] for o in outs] == [10, 7, 5, 4, 3, 2]
    assert net.layer_names == [f"layers.{i}" for i in range(6)]
    torch.testing.assert_close(outs[-1].sum(1), torch.ones(64))
    torch.testing.assert_close(net(x), torch.log(outs[-1]))
    assert outs[0].abs().max() < 1


def test_seed_fixes_weights_and_init_scale():
    a, b, c = szt_mlp(seed=3), szt_mlp(seed=3), szt_mlp(seed=4)
    torch.testing.assert_close(a.layers[0].linear.weight, b.layers[0].linear.weight)
    assert not torch.equal(a.layers[0].linear.weight, c.layers[0].linear.weight)
    wide = MLP((1000, 1000, 2), init="trunc-fan-in", seed=0).layers[0].linear.weight.detach()
    # truncated at 2 std: the std of the truncated normal is 0.8796 of the nominal 1/sqrt(1000)
    assert float(wide.std()) == pytest.approx(0.8796 / math.sqrt(1000), rel=0.01)
    assert float(wide.abs().max()) <= 2 / math.sqrt(1000) + 1e-6


@pytest.mark.parametrize("activation,bits", [("tanh", 8), ("tanh", 4), ("relu", 8), ("relu", 4)])
def test_quantised_layers_take_at_most_2_to_the_bits_values_per_neuron(activation, bits):
    net = szt_mlp(activation, bits=bits, seed=1)
    x = torch.rand(512, 12)
    net.train()
    net(x)  # set the ReLU ranges
    net.eval()
    for block, t in zip(net.layers, net.layer_outputs(x), strict=True):
        codes = block.quant.codes(t)
        assert codes.min() >= 0 and codes.max() <= 2**bits - 1
        for column in t.T:
            assert len(torch.unique(column)) <= 2**bits
        step = (block.quant.hi - block.quant.lo) / (2**bits - 1)
        torch.testing.assert_close(block.quant.lo + codes * step, t)


def test_straight_through_gradient_reaches_the_first_layer():
    net = szt_mlp("tanh", bits=4, seed=0)
    x, y = torch.rand(128, 12), torch.randint(0, 2, (128,))
    torch.nn.functional.nll_loss(net(x), y).backward()
    assert float(net.layers[0].linear.weight.grad.abs().sum()) > 0


def test_noise_is_on_in_eval_and_off_in_the_output_layer():
    net = szt_mlp("tanh", noise_std=0.1, seed=0).eval()
    x = torch.rand(2000, 12)
    torch.manual_seed(0)
    first = net.layer_outputs(x)
    second = net.layer_outputs(x)
    diff = (first[0] - second[0]).detach().std()
    assert float(diff) == pytest.approx(0.1 * math.sqrt(2), rel=0.05)
    assert net.layers[-1].noise.scale == 0.0


def test_mnist_networks():
    assert saxe_mnist_mlp("relu").widths == (784, 1024, 20, 20, 20, 10)
    bottleneck = bottleneck2_mlp(bits=8)
    assert bottleneck.widths == (784, 16, 8, 4, 2, 10) and bottleneck.activation == "relu"
    assert bottleneck(torch.rand(3, 1, 28, 28)).shape == (3, 10)  # images flatten


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="activation"):
        szt_mlp("sigmoid")
    with pytest.raises(ValueError, match="init"):
        szt_mlp(init="he")
    with pytest.raises(ValueError, match="quantisation range"):
        MLP((4, 3, 2), activation="linear", bits=8)
    assert np.isfinite(float(szt_mlp(noise_std=0.5)(torch.rand(2, 12)).sum()))
