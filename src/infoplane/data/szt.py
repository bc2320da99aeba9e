"""The 12-bit dataset of Shwartz-Ziv & Tishby (2017), ``SZT/var_u.mat``.

Inputs are all 2^12 binary patterns (row i is the binary code of i, most significant bit first),
labels are a deterministic function of the pattern with 2118 ones, so H(Y) = 0.99916 bits and
I(X;Y) = H(Y). Every analysis (as in the three original codes) takes X uniform over the 4096
patterns, p(x) = 1/4096, so I(X;T) <= 12 bits.

Splits are explicit and seeded:

- ``stratified`` (default): a seeded random 80/20 split with the class proportions kept in both
  parts (what Lorenzen et al. did; Saxe et al. split at random without publishing the split);
- ``idnns``: the unshuffled split of the IDNNs code, train = rows 0..3276, test = the last 819
  rows. It is biased (its test rows have 7.33 active bits on average and 83.6 % ones); kept only
  to reproduce Shwartz-Ziv & Tishby exactly.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from infoplane.arrays import label_entropy
from infoplane.data import data_root

SHA256 = "0ba9551878a855396a8de0cbaae620788ede1e7b1eb2b8373bbe017d5ea02036"
N_INPUTS = 4096
N_BITS = 12
N_ONES = 2118
SPLITS = ("stratified", "idnns")


@dataclass(frozen=True)
class SZT:
    """The dataset with one split.

    Attributes:
        x: (4096, 12) float32 inputs in {0, 1}.
        y: (4096,) int64 labels in {0, 1}.
        train: (n_train,) int64 row indices of the training set.
        test: (n_test,) int64 row indices of the test set.
        split: how the split was made (``stratified`` or ``idnns``) and its seed.
    """

    x: np.ndarray
    y: np.ndarray
    train: np.ndarray
    test: np.ndarray
    split: str

    @property
    def label_entropy(self) -> float:
        """H(Y) over all 4096 inputs, in nats."""
        return label_entropy(self.y)


def szt_path(configured_root: str | os.PathLike[str] | None = None) -> Path:
    """``<data root>/SZT/var_u.mat``."""
    return data_root(configured_root) / "SZT" / "var_u.mat"


def load_raw(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read and check ``var_u.mat``.

    Returns:
        x: (4096, 12) float32 in {0, 1}; y: (4096,) int64 in {0, 1}.

    Raises:
        ValueError: if the file is missing, its SHA-256 differs from the published copy, or its
            content is not the 12-bit dataset.
    """
    from scipy.io import loadmat

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"SZT dataset {path} does not exist; put var_u.mat under <data_root>/SZT/")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SHA256:
        raise ValueError(f"{path} has SHA-256 {digest}, expected {SHA256}; use the IDNNs copy of var_u.mat")
    mat = loadmat(path)
    x = np.asarray(mat["F"], dtype=np.float32)
    y = np.asarray(mat["y"]).reshape(-1).astype(np.int64)
    if x.shape != (N_INPUTS, N_BITS) or y.shape != (N_INPUTS,) or int(y.sum()) != N_ONES:
        raise ValueError(f"{path}: unexpected content, F {x.shape}, y {y.shape} with {int(y.sum())} ones")
    return x, y


def split_indices(
    y: np.ndarray, split: str = "stratified", test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row indices (sorted int64 arrays).

    ``stratified`` draws round(test_fraction * n_c) test rows from each class c with a seeded
    generator; ``idnns`` takes the last floor(test_fraction * n) rows as the test set (no
    shuffling, the seed is ignored), as the IDNNs code does.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n = len(y)
    if split == "idnns":
        n_test = math.floor(test_fraction * n)
        rows = np.arange(n, dtype=np.int64)
        return rows[: n - n_test], rows[n - n_test :]
    if split != "stratified":
        raise ValueError(f"unknown SZT split {split!r}; choose one of {', '.join(SPLITS)}")
    rng = np.random.default_rng(seed)
    test = []
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        test.append(rng.choice(rows, size=round(test_fraction * len(rows)), replace=False))
    test_rows = np.sort(np.concatenate(test)).astype(np.int64)
    train_rows = np.setdiff1d(np.arange(n, dtype=np.int64), test_rows)
    return train_rows, test_rows


def load_szt(
    configured_root: str | os.PathLike[str] | None = None,
    split: str = "stratified",
    test_fraction: float = 0.2,
    seed: int = 0,
) -> SZT:
    """Load the SZT dataset from the data root with an explicit split (see the module doc)."""
    x, y = load_raw(szt_path(configured_root))
    train, test = split_indices(y, split, test_fraction, seed)
    name = f"idnns (unshuffled, test = last {len(test)} rows)" if split == "idnns" else (
        f"stratified {1 - test_fraction:.0%}/{test_fraction:.0%}, seed {seed}"
    )
    return SZT(x=x, y=y, train=train, test=test, split=name)
