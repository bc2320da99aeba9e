"""Nearest-neighbour queries shared by the kNN estimators, with two interchangeable backends.

Every kNN estimator in the project goes through ``knn`` and ``count_within``; the backend is
chosen here, once, for all of them:

- ``"kdtree"``: scikit-learn's KD-tree, queries split across ``infoplane.parallel.threads()``
  threads (its queries release the GIL). Fast while the dimension is low.
- ``"brute"``: chunked brute force in PyTorch, blocks of (rows x n) distances, top-k or counts
  per block, so memory stays O(block x n) (``block_bytes``, 64 MiB by default). Trees degrade
  towards brute force as the dimension grows, and brute force runs on a GPU.

``"auto"`` picks brute force on a GPU, and on the CPU above the dimensions ``KDTREE_MAX_DIM``.
Override for a block of code with ``use_backend("brute", device="cuda")`` or for a whole run
with the environment variable ``INFOPLANE_KNN_BACKEND`` (``auto``, ``kdtree``, ``brute``).

Both backends give the same results, ties included. Max-norm (Chebyshev) distances are exact
everywhere (a difference, an absolute value and a maximum round alike). Euclidean distances are
sums of squares added coordinate by coordinate in both (brute force ranks candidates by the fast
``|a|^2 + |b|^2 - 2ab`` form, then recomputes theirs that way), and counts compare squared
distances with r^2 as scikit-learn's tree does. Semantics, both backends: a row is never its
own neighbour; with exact duplicates the distances agree but which tied row is returned may
differ; ``count_within(strict=True)`` counts rows at distance < r (none when r = 0),
``strict=False`` distance <= r. Memory of brute force: a few (rows x n) blocks at a time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from infoplane.parallel import resolve_device, threads

if TYPE_CHECKING:
    from sklearn.neighbors import KDTree

Metric = Literal["euclidean", "chebyshev"]
Backend = Literal["auto", "kdtree", "brute"]

#: Above these dimensions the CPU uses brute force. Estimated from CPU seconds of a KD-tree
#: (build + queries) and of brute force on i.i.d. Gaussian samples, n = 1e4 and 1e5, k = 5, on
#: the 2-core development machine: Euclidean trees lose from d = 16, Chebyshev ones from
#: d = 16 (n = 1e5) to 32 (n = 1e4). Samples of low intrinsic dimension favour trees longer.
KDTREE_MAX_DIM: dict[str, int] = {"euclidean": 12, "chebyshev": 16}
#: Leaf size of the KD-tree. KSG at n = 1e4, d = 5 + 5 (wall seconds, 2 threads, quiet
#: machine): the joint k-NN query is flat over 16..32 (0.107-0.111 s), the marginal counts over
#: 24..64 (0.089-0.091 s); with 10 + 10 dimensions the counts fall from 0.33 s at 16 to 0.28 s at 32.
LEAF_SIZE = 32
#: Brute-force candidates beyond k that are re-ranked by exact Euclidean distance.
_EXTRA_CANDIDATES = 4


@dataclass(frozen=True)
class BackendChoice:
    """What ``use_backend`` set: backend name, device (``"auto"``, ``"cpu"``, ``"cuda"``) and
    the memory of one brute-force distance block in bytes."""

    backend: Backend = "auto"
    device: str = "auto"
    block_bytes: int = 64 * 2**20


_CHOICE: ContextVar[BackendChoice | None] = ContextVar("infoplane_knn_backend", default=None)


def _current() -> BackendChoice:
    choice = _CHOICE.get()
    if choice is not None:
        return choice
    backend = os.environ.get("INFOPLANE_KNN_BACKEND", "auto")
    if backend not in ("auto", "kdtree", "brute"):
        raise ValueError(f"INFOPLANE_KNN_BACKEND={backend!r}; use auto, kdtree or brute")
    return BackendChoice(backend=backend)  # type: ignore[arg-type]


@contextmanager
def use_backend(backend: Backend = "auto", device: str = "auto",
                block_bytes: int = 64 * 2**20) -> Iterator[BackendChoice]:
    """Force the kNN backend (and brute force's device and block size) inside a ``with`` block."""
    if backend not in ("auto", "kdtree", "brute"):
        raise ValueError(f"unknown kNN backend {backend!r}; use 'auto', 'kdtree' or 'brute'")
    if block_bytes < 8:
        raise ValueError(f"block_bytes must be at least 8, got {block_bytes}")
    choice = BackendChoice(backend, device, int(block_bytes))
    token = _CHOICE.set(choice)
    try:
        yield choice
    finally:
        _CHOICE.reset(token)


def choose_backend(n: int, d: int, metric: Metric = "euclidean",
                   device: str = "auto") -> tuple[Literal["kdtree", "brute"], str]:
    """The backend ``"auto"`` picks for n samples of dimension d, and the resolved device.

    A GPU always gets brute force; the CPU a KD-tree up to ``KDTREE_MAX_DIM[metric]``. ``n`` is
    not used yet: the measured crossover moved little between n = 1e4 and 1e5.
    """
    resolved = resolve_device(device)
    if resolved.startswith("cuda"):
        return "brute", resolved
    return ("kdtree" if d <= KDTREE_MAX_DIM[metric] else "brute"), "cpu"


def _resolve(n: int, d: int, metric: Metric) -> tuple[Literal["kdtree", "brute"], BackendChoice, str]:
    choice = _current()
    auto, device = choose_backend(n, d, metric, choice.device)
    return (auto if choice.backend == "auto" else choice.backend), choice, device


def _check_metric(metric: str) -> None:
    if metric not in ("euclidean", "chebyshev"):
        raise ValueError(f"unknown metric {metric!r}; use 'euclidean' or 'chebyshev'")


def knn(z: np.ndarray, k: int, metric: Metric = "euclidean") -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices of the k nearest neighbours of every row, itself excluded.

    Args:
        z: (n, d) samples.
        k: number of neighbours, 1 <= k < n.
        metric: ``"euclidean"`` or ``"chebyshev"`` (max-norm).

    Returns:
        distances (n, k) float64, ascending, and indices (n, k) int64 into ``z``.
    """
    _check_metric(metric)
    z = np.ascontiguousarray(z, dtype=np.float64)
    n, d = z.shape
    if not 1 <= k < n:
        raise ValueError(f"knn: need 1 <= k < n, got k = {k} with n = {n}")
    backend, choice, device = _resolve(n, d, metric)
    if backend == "brute":
        return _brute_knn(z, k, metric, device, choice.block_bytes)
    return _tree_knn(z, k, metric)


def count_within(
    z: np.ndarray, radii: np.ndarray, metric: Metric = "chebyshev", strict: bool = True
) -> np.ndarray:
    """For every row i, the number of other rows within ``radii[i]`` of it.

    Args:
        z: (n, d) samples.
        radii: (n,) non-negative radii, one per row.
        metric: ``"euclidean"`` or ``"chebyshev"``.
        strict: count distances ``< r`` (True) or ``<= r`` (False).

    Returns:
        (n,) int64 counts, the point itself excluded.
    """
    _check_metric(metric)
    z = np.ascontiguousarray(z, dtype=np.float64)
    radii = np.asarray(radii, dtype=np.float64)
    n, d = z.shape
    if radii.shape != (n,) or np.any(radii < 0) or not np.all(np.isfinite(radii)):
        raise ValueError(
            f"count_within: radii must be {n} finite non-negative values, got shape {radii.shape}"
        )
    # Both backends count distance <= r; the largest float below r turns that into < r.
    reach = np.nextafter(radii, 0) if strict else radii
    backend, choice, device = _resolve(n, d, metric)
    if backend == "brute":
        counts = _brute_count(z, reach, metric, device, choice.block_bytes)
    else:
        counts = _tree_count(z, reach, metric)
    counts -= 1  # the row itself, at distance 0
    # r = 0 with strict: nothing is closer than 0, not even an exact duplicate.
    return np.where(radii > 0, counts, 0) if strict else counts


# --- KD-tree backend -----------------------------------------------------------------------------


def _in_threads(query: Callable[[slice], tuple[np.ndarray, ...]], n: int) -> list[tuple[np.ndarray, ...]]:
    """Run ``query`` on contiguous row ranges of 0..n, one per thread, results in order."""
    n_threads = max(1, min(threads(), n // 1000))  # below ~1000 rows a thread costs more than it saves
    bounds = np.linspace(0, n, n_threads + 1).astype(int)
    parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    if n_threads == 1:
        return [query(parts[0])]
    with ThreadPoolExecutor(n_threads) as pool:
        return list(pool.map(query, parts))


def _tree(z: np.ndarray, metric: Metric) -> KDTree:
    """A KD-tree of ``z``, built afresh for every thread that queries it.

    scikit-learn's trees count trims, leaves and splits in fields of the tree object on every
    query, so two threads querying one tree keep stealing that cache line from each other:
    KSG's joint query at n = 1e4, d = 10 took 0.18 s on two threads sharing a tree and 0.11 s
    with a tree each (building one costs 6 ms).
    """
    # imported here: scikit-learn takes ~2 s to import, and every process that reads an
    # experiment file loads the estimator registry, most without a neighbour query
    from sklearn.neighbors import KDTree

    return KDTree(z, leaf_size=LEAF_SIZE, metric=metric)


def _tree_knn(z: np.ndarray, k: int, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
    # k + 1 because every point is its own nearest neighbour at distance 0.
    parts = _in_threads(lambda rows: _tree(z, metric).query(z[rows], k=k + 1), len(z))
    dist = np.concatenate([p[0] for p in parts])
    idx = np.concatenate([p[1] for p in parts])
    return dist[:, 1:], idx[:, 1:].astype(np.int64)


def _tree_count(z: np.ndarray, reach: np.ndarray, metric: Metric) -> np.ndarray:
    """(n,) number of rows (itself included) at distance <= reach[i] of row i."""
    def count(rows: slice) -> tuple[np.ndarray]:
        return (_tree(z, metric).query_radius(z[rows], reach[rows], count_only=True),)

    parts = _in_threads(count, len(z))
    return np.concatenate([p[0] for p in parts]).astype(np.int64)


# --- brute-force backend (PyTorch) ---------------------------------------------------------------


def _block_rows(n: int, block_bytes: int) -> int:
    """Rows per block so that one (rows, n) float64 distance block fits in ``block_bytes``."""
    return max(1, min(n, block_bytes // (8 * n)))


def _distance_blocks(zt, metric: Metric, block_bytes: int, exact: bool) -> Iterator[tuple[int, object]]:
    """Yield (first row, (rows, n) block) over all rows of the tensor ``zt``.

    Blocks hold Chebyshev distances; Euclidean ones hold distances from the matrix-product form
    (``exact=False``, for ranking) or squared distances summed in the tree's order (``exact=True``).
    """
    import torch

    n = zt.shape[0]
    rows = _block_rows(n, block_bytes)
    for start in range(0, n, rows):
        block = zt[start : start + rows]
        if metric == "chebyshev":
            yield start, torch.cdist(block, zt, p=float("inf"))
        elif not exact:
            yield start, torch.cdist(block, zt, p=2.0, compute_mode="use_mm_for_euclid_dist")
        else:
            # Squared distances, summed coordinate by coordinate as the KD-tree sums them.
            squares = torch.zeros((block.shape[0], n), dtype=zt.dtype, device=zt.device)
            for j in range(zt.shape[1]):
                squares += (block[:, j, None] - zt[None, :, j]) ** 2
            yield start, squares


def _brute_knn(z: np.ndarray, k: int, metric: Metric, device: str,
               block_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    import torch

    n = len(z)
    zt = torch.from_numpy(z).to(device)
    # Euclidean blocks use the fast matrix-product form, whose rounding can reorder near ties,
    # so take a few more candidates and rank them by exact distances below.
    n_cand = k if metric == "chebyshev" else min(n - 1, k + _EXTRA_CANDIDATES)
    cand = torch.empty((n, n_cand), dtype=torch.int64, device=device)
    for start, block in _distance_blocks(zt, metric, block_bytes, exact=False):
        rows = torch.arange(block.shape[0], device=device)
        block[rows, start + rows] = float("inf")  # a row is not its own neighbour
        cand[start : start + len(rows)] = torch.topk(block, n_cand, dim=1, largest=False, sorted=True).indices
    idx = cand.cpu().numpy()
    dist = _exact_distances(z, idx, metric)
    # Ascending distance, ties by index: a deterministic order whatever the device.
    order = np.lexsort((idx, dist), axis=1)[:, :k]
    return np.take_along_axis(dist, order, 1), np.take_along_axis(idx, order, 1)


def _exact_distances(z: np.ndarray, idx: np.ndarray, metric: Metric) -> np.ndarray:
    """(n, m) distances from row i to rows idx[i], rounded exactly as the KD-tree rounds them.

    The Euclidean sum of squares runs over coordinates in order (a loop over the d columns,
    not over samples), as scikit-learn's tree does, so the square roots agree bit for bit.
    """
    diff = z[idx] - z[:, None, :]  # (n, m, d), m ~ k
    if metric == "chebyshev":
        return np.abs(diff).max(axis=2)
    squares = np.zeros(idx.shape)
    for j in range(z.shape[1]):
        squares += diff[:, :, j] * diff[:, :, j]
    return np.sqrt(squares)


def _brute_count(z: np.ndarray, reach: np.ndarray, metric: Metric, device: str,
                 block_bytes: int) -> np.ndarray:
    """(n,) number of rows (itself included) at distance <= reach[i] of row i."""
    import torch

    zt = torch.from_numpy(z).to(device)
    # The KD-tree compares squared Euclidean distances with r^2; so do we, to round alike.
    bound = torch.from_numpy(reach if metric == "chebyshev" else reach * reach).to(device)
    counts = torch.empty(len(z), dtype=torch.int64, device=device)
    for start, block in _distance_blocks(zt, metric, block_bytes, exact=True):
        stop = start + block.shape[0]
        counts[start:stop] = (block <= bound[start:stop, None]).sum(dim=1)
    return counts.cpu().numpy()
