"""Datasets: where they live, and loaders (``images`` for MNIST / CIFAR-10, ``szt`` for the
12-bit dataset of Shwartz-Ziv & Tishby).

The data root is chosen in this order: an explicit value (a command's ``--data-root``), else the
environment variable ``INFOPLANE_DATA_ROOT``, else the ``data_root`` of params.yaml passed in by the
caller as ``fallback``. Nothing here hard-codes a path.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "INFOPLANE_DATA_ROOT"


def data_root(explicit: str | os.PathLike[str] | None = None,
              fallback: str | os.PathLike[str] | None = None) -> Path:
    """The dataset root: ``explicit`` if given, else ``$INFOPLANE_DATA_ROOT``, else ``fallback``.

    An explicit command-line value wins over the environment: a user who names a folder gets it.

    Raises:
        ValueError: when none is given, or the chosen directory does not exist (naming which
            source chose it).
    """
    if explicit:
        chosen, source = explicit, "--data-root"
    elif os.environ.get(ENV_VAR):
        chosen, source = os.environ[ENV_VAR], ENV_VAR
    else:
        chosen, source = fallback, "data_root in params.yaml"
    if not chosen:
        raise ValueError(f"no data root: pass --data-root, set {ENV_VAR}, or set data_root in params.yaml")
    root = Path(chosen).expanduser()
    if not root.is_dir():
        raise ValueError(
            f"data root {root} (from {source}) does not exist or is not a directory; "
            "point it at the folder that holds MNIST/ and SZT/"
        )
    return root
