"""Copy the raw datasets from the data root into the project (``data/raw``) and check them.

The pipeline reads its datasets from ``data/raw``, which DVC tracks (``data/raw.dvc``); the
offline copies under the data root are the source. Every file is checked against the checksum
published for it (torchvision's MNIST MD5s, the SZT SHA-256 of ibsgd's ``var_u.mat``), so a
corrupt or different file stops the pipeline before anything is trained on it.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

# Path relative to the data root -> (hash algorithm, hex digest).
CHECKSUMS: dict[str, tuple[str, str]] = {
    "MNIST/raw/train-images-idx3-ubyte": ("md5", "6bbc9ace898e44ae57da46a324031adb"),
    "MNIST/raw/train-labels-idx1-ubyte": ("md5", "a25bea736e30d166cdddb491f175f624"),
    "MNIST/raw/t10k-images-idx3-ubyte": ("md5", "2646ac647ad5339dbf082846283269ea"),
    "MNIST/raw/t10k-labels-idx1-ubyte": ("md5", "27ae3e4e09519cfbb04c329615203637"),
    "MNIST/raw/train-images-idx3-ubyte.gz": ("md5", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "MNIST/raw/train-labels-idx1-ubyte.gz": ("md5", "d53e105ee54ea40749a09fcbcd1e9432"),
    "MNIST/raw/t10k-images-idx3-ubyte.gz": ("md5", "9fb629c4189551a2d022fa330f9573f3"),
    "MNIST/raw/t10k-labels-idx1-ubyte.gz": ("md5", "ec29112dd5afa0611ce80d1b7f02629c"),
    "SZT/var_u.mat": ("sha256", "0ba9551878a855396a8de0cbaae620788ede1e7b1eb2b8373bbe017d5ea02036"),
}
#: CIFAR-10 (torchvision's python batches and their published MD5s): fetched only when asked for
#: (`--file`, the CIFAR-10 rules), since the default run does not use it.
CIFAR10: dict[str, tuple[str, str]] = {
    f"cifar-10-batches-py/{name}": ("md5", digest) for name, digest in [
        ("data_batch_1", "c99cafc152244af753f735de768cd75f"),
        ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
        ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
        ("data_batch_4", "634d18415352ddfa80567beed471001a"),
        ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"),
        ("test_batch", "40351d587109b95175f43aff81a1287e"),
        ("batches.meta", "5ff9c542aee3614f3951f8cda6e48888"),
    ]
}
DEFAULT_FILES = list(CHECKSUMS)
CHECKSUMS.update(CIFAR10)


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of ``path`` read in 1 MiB blocks (memory stays constant for any file size)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_intact(path: Path, name: str) -> bool:
    """Whether ``path`` exists and has the published checksum of dataset file ``name``."""
    algorithm, expected = CHECKSUMS[name]
    return path.is_file() and file_digest(path, algorithm) == expected


def fetch(source: Path, dest: Path, names: list[str] | None = None) -> list[str]:
    """Copy dataset files from ``source`` to ``dest`` and verify each one.

    Args:
        source: the data root holding the offline copies (``MNIST/raw/...``, ``SZT/var_u.mat``).
        dest: the project's raw-data folder, normally ``data/raw``.
        names: paths relative to the root (keys of ``CHECKSUMS``); default MNIST and SZT.

    Returns:
        The names that were copied (files already present and intact are left alone, so their
        mtimes do not change and nothing downstream reruns).

    Raises:
        ValueError: an unknown name, a missing source file, or a checksum that does not match
            (naming the file, the expected and the found digest); nothing half-written is left.
    """
    names = DEFAULT_FILES if names is None else names
    unknown = sorted(set(names) - set(CHECKSUMS))
    if unknown:
        raise ValueError(f"unknown dataset files {unknown}; known: {sorted(CHECKSUMS)}")
    copied = []
    for name in names:
        target = dest / name
        if is_intact(target, name):
            continue
        origin = source / name
        if not origin.is_file():
            raise ValueError(
                f"{origin} does not exist: point the data root (INFOPLANE_DATA_ROOT or data_root "
                "in params.yaml) at the folder holding MNIST/raw and SZT/var_u.mat, or `dvc pull data/raw`"
            )
        algorithm, expected = CHECKSUMS[name]
        found = file_digest(origin, algorithm)
        if found != expected:
            raise ValueError(f"{origin}: {algorithm} {found} differs from the published {expected}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(origin, partial)  # copyfile: the copy is writable even if the source is not
        partial.replace(target)
        copied.append(name)
    return copied
