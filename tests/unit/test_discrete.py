"""Exact plug-in MI by counting unique rows, against the textbook double sum."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from infoplane.estimators import build
from infoplane.estimators.discrete import DiscreteMI, entropy, miller_madow_bias, row_codes


def brute_force_mi(a: np.ndarray, b: np.ndarray) -> float:
    """sum_{a,b} p(a,b) log p(a,b) / (p(a) p(b)) with rows as dictionary keys."""
    ka = [tuple(np.atleast_1d(r)) for r in a]
    kb = [tuple(np.atleast_1d(r)) for r in b]
    n = len(ka)
    pa, pb, pab = Counter(ka), Counter(kb), Counter(zip(ka, kb, strict=True))
    return sum(c / n * math.log((c / n) / (pa[x] / n * pb[y] / n)) for (x, y), c in pab.items())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plugin_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, (200, 2))
    y = (x[:, 0] + rng.integers(0, 2, 200)) % 3  # labels that depend on x
    est = build("discrete").estimate_with_interval(x, y)
    # Both are the same finite sum; only float rounding separates them.
    assert est.mi == pytest.approx(brute_force_mi(x, y), abs=1e-12)
    assert est.lo <= est.mi <= est.hi


def test_deterministic_labels_give_h_of_labels_and_distinct_inputs_give_h_of_t():
    rng = np.random.default_rng(0)
    x = rng.permutation(64)[:, None]  # 64 distinct inputs
    t = x // 8  # a deterministic "layer" with 8 equiprobable values
    assert build("discrete").estimate(t, x) == pytest.approx(math.log(8), abs=1e-12)  # I(X;T) = H(T)
    labels = (t[:, 0] % 2).astype(np.int64)
    assert build("discrete").estimate(t, labels) == pytest.approx(math.log(2), abs=1e-12)  # = H(Y)


def test_independent_variables_give_zero():
    # Every (a, b) pair once: p(a, b) = p(a) p(b) exactly.
    a, b = np.meshgrid(np.arange(4), np.arange(5), indexing="ij")
    assert build("discrete").estimate(a.ravel(), b.ravel()) == pytest.approx(0.0, abs=1e-12)


def test_rows_are_symbols_jointly():
    rows = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [0, 1]])
    codes = row_codes(rows)
    assert len(np.unique(codes)) == 4 and codes[1] == codes[4]
    assert entropy(codes) == pytest.approx(-(3 * 0.2 * math.log(0.2) + 0.4 * math.log(0.4)))


def test_miller_madow_shifts_by_the_three_corrections():
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 4, 100), rng.integers(0, 3, 100)
    plain = build("discrete").estimate(x, y)
    corrected = build("discrete", correction="miller-madow").estimate(x, y)
    joint = row_codes(np.column_stack([x, y]))
    shift = miller_madow_bias(row_codes(x)) + miller_madow_bias(row_codes(y)) - miller_madow_bias(joint)
    assert corrected - plain == pytest.approx(shift, abs=1e-12)
    # (K - 1) / (2n) per entropy, n = 100; 100 draws occupy all 4 values of x and 3 of y.
    assert shift == pytest.approx((3 + 2 - (len(np.unique(joint)) - 1)) / 200)


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="same number of samples"):
        build("discrete").estimate(np.zeros(5), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="NaN"):
        build("discrete").estimate(np.array([0.0, np.nan]), np.array([0, 1]))
    with pytest.raises(ValueError, match="correction"):
        build("discrete", correction="jackknife")


def test_a_layer_alone_gives_its_entropy_and_is_saturated_only_when_its_own_symbols_are_distinct():

    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 4, size=(4096, 2)).astype(np.float32) / 4     # 16 symbols, ~4 bits
    est = DiscreteMI().estimate_layer(coarse)
    _, counts = np.unique(coarse, axis=0, return_counts=True)
    p = counts / counts.sum()
    assert est.mi == pytest.approx(-(p * np.log(p)).sum(), abs=1e-12)
    assert "saturated" not in est.flags
    # against every input as its own symbol the estimator flags the inputs' side; alone it does not
    assert "saturated" in DiscreteMI().estimate_with_interval(coarse, np.arange(4096)[:, None]).flags
    fine = rng.normal(size=(4096, 3)).astype(np.float32)                    # every row distinct
    assert "saturated" in DiscreteMI().estimate_layer(fine).flags
