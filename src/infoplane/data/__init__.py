"""Datasets: where they live, and loaders (``images`` for MNIST / CIFAR-10, ``szt`` for the
12-bit dataset of Shwartz-Ziv & Tishby).

The data root comes from configuration: the environment variable ``INFOPLANE_DATA_ROOT`` if set,
else the ``data_root`` of params.yaml passed in by the caller. Nothing here hard-codes a path.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "INFOPLANE_DATA_ROOT"


def data_root(configured: str | os.PathLike[str] | None = None) -> Path:
    """The dataset root: ``$INFOPLANE_DATA_ROOT``, else ``configured``.

    Raises:
        ValueError: when neither is given, or the directory does not exist.
    """
    chosen = os.environ.get(ENV_VAR) or configured
    if not chosen:
        raise ValueError(f"no data root: set {ENV_VAR} or data_root in params.yaml")
    root = Path(chosen).expanduser()
    if not root.is_dir():
        raise ValueError(
            f"data root {root} does not exist; set {ENV_VAR} or data_root in params.yaml "
            "to the folder that holds MNIST/ and SZT/"
        )
    return root
