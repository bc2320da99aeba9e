"""The SZT 12-bit dataset: the file, its label structure, and the splits."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from infoplane.arrays import label_entropy
from infoplane.data.szt import N_ONES, SHA256, load_raw, load_szt, split_indices, szt_path

ROOT = Path(__file__).resolve().parents[2]
CONFIGURED = os.environ.get("INFOPLANE_DATA_ROOT") or str(ROOT / "../shared/datasets")

needs_szt = pytest.mark.skipif(
    not (Path(CONFIGURED) / "SZT" / "var_u.mat").is_file(), reason="SZT/var_u.mat not under the data root"
)


@pytest.fixture(scope="module")
def szt():
    return load_raw(szt_path(CONFIGURED))


@needs_szt
def test_file_content(szt):
    x, y = szt
    assert x.shape == (4096, 12) and y.shape == (4096,)
    assert int(y.sum()) == N_ONES == 2118
    # row i is the binary code of i, most significant bit first
    codes = x.astype(np.int64) @ (1 << np.arange(11, -1, -1))
    np.testing.assert_array_equal(codes, np.arange(4096))
    assert label_entropy(y) / math.log(2) == pytest.approx(0.99916, abs=5e-6)


@needs_szt
def test_labels_are_invariant_under_the_icosahedron(szt):
    """Bits co-occurring 14 times among the 5-active-bit ones form an icosahedron; y keeps its symmetry."""
    nx = pytest.importorskip("networkx")
    x, y = szt
    x = x.astype(np.int64)
    five = x[(x.sum(1) == 5) & (y == 1)]
    co = five.T @ five
    np.fill_diagonal(co, 0)
    graph = nx.from_numpy_array((co == co.max()).astype(int))
    assert graph.number_of_nodes() == 12 and graph.number_of_edges() == 30
    assert all(d == 5 for _, d in graph.degree())
    autos = list(nx.algorithms.isomorphism.GraphMatcher(graph, graph).isomorphisms_iter())
    assert len(autos) == 120
    weights = 1 << np.arange(11, -1, -1)
    for auto in autos:
        perm = np.array([auto[i] for i in range(12)])
        permuted = np.empty_like(x)
        permuted[:, perm] = x
        np.testing.assert_array_equal(y[permuted @ weights], y)


def test_wrong_file_is_rejected(tmp_path):
    bad = tmp_path / "var_u.mat"
    bad.write_bytes(b"not the dataset")
    with pytest.raises(ValueError, match="SHA-256"):
        load_raw(bad)
    with pytest.raises(ValueError, match="does not exist"):
        load_raw(tmp_path / "missing.mat")
    assert len(SHA256) == 64


def test_stratified_split_is_seeded_and_keeps_proportions():
    y = np.r_[np.ones(2118, dtype=np.int64), np.zeros(4096 - 2118, dtype=np.int64)]
    train, test = split_indices(y, "stratified", 0.2, seed=3)
    again, _ = split_indices(y, "stratified", 0.2, seed=3)
    other, _ = split_indices(y, "stratified", 0.2, seed=4)
    np.testing.assert_array_equal(train, again)
    assert not np.array_equal(train, other)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 4096
    assert abs(y[test].mean() - y.mean()) < 1e-3 and abs(y[train].mean() - y.mean()) < 1e-3


def test_idnns_split_is_unshuffled():
    y = np.zeros(4096, dtype=np.int64)
    train, test = split_indices(y, "idnns", 0.2, seed=123)
    np.testing.assert_array_equal(train, np.arange(3277))
    np.testing.assert_array_equal(test, np.arange(3277, 4096))
    with pytest.raises(ValueError, match="unknown SZT split"):
        split_indices(y, "random")


@needs_szt
def test_idnns_test_set_is_biased():
    data = load_szt(CONFIGURED, split="idnns")
    assert len(data.test) == 819
    assert data.y[data.test].mean() == pytest.approx(0.836, abs=1e-3)
    assert data.x[data.test].sum(1).mean() == pytest.approx(7.33, abs=0.01)
