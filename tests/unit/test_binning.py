"""Binning schemes of the seed papers on hand-made values, and MI of the binned layer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infoplane.estimators import build
from infoplane.estimators.binning import bin_layer


def test_szt_thirty_edges_on_minus_one_one():
    v = np.array([[-1.0], [-0.99], [0.0], [0.999], [1.0], [1.5], [-2.0]])
    # edges = linspace(-1, 1, 30), step 2/29: 0 lies in [edge 14, edge 15); 0.999 in [edge 28, 1);
    # 1.0 and above go to the top bin 29 (ReLU clipped at 1); below -1 to bin 0.
    assert bin_layer(v, "szt").ravel().tolist() == [0, 0, 14, 28, 29, 29, 0]


def test_saxe_floor_of_width_unbounded():
    v = np.array([[0.0], [0.069], [0.07], [-0.01], [0.15], [10.0]])
    assert bin_layer(v, "saxe", width=0.07).ravel().tolist() == [0, 0, 1, -1, 2, 142]


def test_quantized_levels_over_the_layer_range():
    v = np.array([[0.0, 1.0], [0.5, 0.3], [0.2, 0.9]])
    # 2 bits over the whole layer's [0, 1]: round(4 v) -> 0 .. 4.
    assert bin_layer(v, "quantized", bits=2).tolist() == [[0, 4], [2, 1], [1, 4]]
    assert bin_layer(v + 7.0, "quantized", bits=2).tolist() == [[0, 4], [2, 1], [1, 4]]  # range, not value


def test_uniform_bins_over_given_or_data_range():
    v = np.array([[0.0], [0.24], [0.25], [0.99], [1.0], [1.5], [-0.5]])
    assert bin_layer(v, "uniform", n_bins=4, lo=0.0, hi=1.0).ravel().tolist() == [0, 0, 1, 3, 3, 3, 0]
    # Data range [-0.5, 1.5], 2 bins of width 1.
    assert bin_layer(v, "uniform", n_bins=2).ravel().tolist() == [0, 0, 0, 1, 1, 1, 0]


def test_layer_symbol_is_the_joint_tuple_of_bins():
    # Each neuron alone takes 2 bins, the pair takes 4 equiprobable symbols: H(T) = log 4.
    t = np.array([[0.01, 0.01], [0.01, 0.5], [0.5, 0.01], [0.5, 0.5]] * 5)
    inputs = np.arange(len(t))[:, None]  # distinct inputs: I(X;T) = H(T)
    assert build("binning", scheme="saxe").estimate(t, inputs) == pytest.approx(math.log(4), abs=1e-12)


def test_i_t_y_is_h_t_minus_conditional():
    t = np.array([[0.0], [0.0], [0.1], [0.1], [0.2], [0.2], [0.3], [0.3]])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 0])
    # 4 equiprobable bins (width 0.07): H(T) = log 4. Given y = 0 (5 samples: bins 0,0,1,1,3):
    # H = -(2 * 0.4 log 0.4 + 0.2 log 0.2); given y = 1 (bins 2, 2, 3): -(2/3 log 2/3 + 1/3 log 1/3).
    h_t = math.log(4)
    h0 = -(2 * 0.4 * math.log(0.4) + 0.2 * math.log(0.2))
    h1 = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))
    expected = h_t - (5 / 8 * h0 + 3 / 8 * h1)
    assert build("binning", scheme="saxe").estimate(t, y) == pytest.approx(expected, abs=1e-12)


def test_coarse_bins_lose_information_fine_bins_keep_it():
    rng = np.random.default_rng(0)
    t = np.tanh(rng.standard_normal((1000, 3)))
    inputs = np.arange(1000)[:, None]
    coarse = build("binning", scheme="uniform", n_bins=2).estimate(t, inputs)
    fine = build("binning", scheme="quantized", bits=8).estimate(t, inputs)
    assert coarse == pytest.approx(math.log(8), abs=0.05)  # 2^3 roughly equiprobable orthants
    assert fine == pytest.approx(math.log(1000), abs=1e-3)  # every input its own symbol


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="scheme"):
        build("binning", scheme="adaptive")
