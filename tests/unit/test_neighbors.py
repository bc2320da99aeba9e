"""The two kNN backends against a direct definition and against each other, ties included."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from infoplane.estimators import build
from infoplane.estimators import neighbors as nb

SMALL_BLOCKS = 64 * 1024  # forces many distance blocks, so block boundaries are exercised


def samples(kind: str, n: int = 600, d: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "continuous":
        return rng.standard_normal((n, d)) * np.linspace(0.1, 3.0, d)  # unequal scales
    # A coarse grid: exact ties at every distance and many exact duplicates.
    return rng.integers(0, 4, (n, d)).astype(float)


def pairwise(z: np.ndarray, metric: str) -> np.ndarray:
    diff = z[:, None, :] - z[None, :, :]
    return np.abs(diff).max(-1) if metric == "chebyshev" else np.sqrt((diff**2).sum(-1))


def run(backend: str, fn, *args, **kwargs):
    with nb.use_backend(backend, device="cpu", block_bytes=SMALL_BLOCKS):
        return fn(*args, **kwargs)


@pytest.mark.parametrize("metric", ["chebyshev", "euclidean"])
@pytest.mark.parametrize("backend", ["kdtree", "brute"])
def test_knn_matches_sorting_all_distances(backend, metric):
    z = samples("continuous")
    dist, idx = run(backend, nb.knn, z, 4, metric)
    full = pairwise(z, metric)
    np.fill_diagonal(full, np.inf)
    np.testing.assert_allclose(dist, np.sort(full, axis=1)[:, :4], rtol=1e-13)
    np.testing.assert_array_equal(idx, np.argsort(full, axis=1)[:, :4])


@pytest.mark.parametrize("kind", ["continuous", "grid"])
@pytest.mark.parametrize("metric", ["chebyshev", "euclidean"])
def test_backends_agree_bit_for_bit(kind, metric):
    z = samples(kind)
    d_tree, i_tree = run("kdtree", nb.knn, z, 5, metric)
    d_brute, i_brute = run("brute", nb.knn, z, 5, metric)
    np.testing.assert_array_equal(d_tree, d_brute)
    if kind == "continuous":  # with ties, which tied row is returned is not specified
        np.testing.assert_array_equal(i_tree, i_brute)
    # Radii equal to neighbour distances put rows exactly on the boundary: strictness matters.
    for radii in (d_tree[:, -1], d_tree[:, 0]):
        for strict in (True, False):
            tree = run("kdtree", nb.count_within, z, radii, metric, strict)
            brute = run("brute", nb.count_within, z, radii, metric, strict)
            np.testing.assert_array_equal(tree, brute)


@pytest.mark.parametrize("backend", ["kdtree", "brute"])
def test_count_within_definition_and_strictness(backend):
    z = samples("grid")
    full = pairwise(z, "chebyshev")
    radii = np.random.default_rng(1).choice([0.0, 1.0, 2.0], size=len(z))
    off_diagonal = ~np.eye(len(z), dtype=bool)
    strict = run(backend, nb.count_within, z, radii, "chebyshev", True)
    loose = run(backend, nb.count_within, z, radii, "chebyshev", False)
    np.testing.assert_array_equal(strict, ((full < radii[:, None]) & off_diagonal).sum(1))
    np.testing.assert_array_equal(loose, ((full <= radii[:, None]) & off_diagonal).sum(1))
    # r = 0: strict counts nothing, loose counts the exact duplicates.
    assert np.all(strict[radii == 0] == 0) and np.any(loose[radii == 0] > 0)


@pytest.mark.parametrize("name", ["ksg", "ksg2", "kl", "wkl"])
def test_estimators_identical_across_backends(name):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((800, 3))
    y = x[:, :2] + rng.standard_normal((800, 2))
    est = build(name, k=6)
    assert run("kdtree", est.estimate, x, y) == run("brute", est.estimate, x, y)
    labels = rng.integers(0, 3, 800)
    assert run("kdtree", est.estimate, x, labels) == run("brute", est.estimate, x, labels)


def test_auto_choice_and_overrides(monkeypatch):
    assert nb.choose_backend(10_000, 5, "chebyshev", "cpu") == ("kdtree", "cpu")
    assert nb.choose_backend(10_000, 64, "euclidean", "cpu") == ("brute", "cpu")
    assert nb.choose_backend(10_000, nb.KDTREE_MAX_DIM["chebyshev"] + 1, "chebyshev", "cpu")[0] == "brute"
    if not torch.cuda.is_available():
        assert nb.choose_backend(10_000, 5) == ("kdtree", "cpu")
        with pytest.raises(ValueError, match="CUDA is not available"):
            nb.choose_backend(10_000, 5, device="cuda")
    monkeypatch.setenv("INFOPLANE_KNN_BACKEND", "brute")
    assert nb._resolve(100, 2, "euclidean")[0] == "brute"
    with nb.use_backend("kdtree"):
        assert nb._resolve(100, 2, "euclidean")[0] == "kdtree"
    monkeypatch.setenv("INFOPLANE_KNN_BACKEND", "faiss")
    with pytest.raises(ValueError, match="INFOPLANE_KNN_BACKEND"):
        nb.knn(np.zeros((5, 1)), 1)
    with pytest.raises(ValueError, match="unknown kNN backend"):
        with nb.use_backend("annoy"):
            pass


def test_bad_arguments_name_the_problem():
    z = np.random.default_rng(0).standard_normal((10, 2))
    with pytest.raises(ValueError, match="metric"):
        nb.knn(z, 2, "manhattan")
    with pytest.raises(ValueError, match="1 <= k < n"):
        nb.knn(z, 10)
    with pytest.raises(ValueError, match="radii"):
        nb.count_within(z, -np.ones(10))


def test_brute_blocks_stay_within_budget(monkeypatch):
    """Memory O(block x n): every distance block brute force makes fits in block_bytes."""
    shapes = []
    cdist = torch.cdist

    def recording(a, b, *args, **kwargs):
        shapes.append((a.shape[0], b.shape[0]))
        return cdist(a, b, *args, **kwargs)

    monkeypatch.setattr(torch, "cdist", recording)
    z = samples("continuous", n=5000)
    run("brute", nb.knn, z, 3, "chebyshev")
    assert len(shapes) > 1 and max(r * c * 8 for r, c in shapes) <= SMALL_BLOCKS


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("metric", ["chebyshev", "euclidean"])
def test_cuda_brute_force_equals_cpu_tree(metric):
    z = samples("continuous", n=3000, d=3)
    d_tree, i_tree = run("kdtree", nb.knn, z, 5, metric)
    with nb.use_backend("brute", device="cuda"):
        d_gpu, i_gpu = nb.knn(z, 5, metric)
        counts = nb.count_within(z, d_tree[:, -1], metric, strict=True)
    np.testing.assert_array_equal(d_tree, d_gpu)
    np.testing.assert_array_equal(i_tree, i_gpu)
    np.testing.assert_array_equal(counts, run("kdtree", nb.count_within, z, d_tree[:, -1], metric, True))
    assert nb.choose_backend(100_000, 64, "chebyshev") == ("brute", "cuda")
