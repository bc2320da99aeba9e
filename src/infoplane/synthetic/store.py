"""Sample files (.npz): what `infoplane sample` writes and `infoplane estimate` reads.

A file holds ``meta`` (JSON: task, task_params, n, seed, mi_true, family) and either the
arrays ``x`` and ``y``, or, for image tasks, only their latents ``x_latent`` and ``y_latent``
(structured parameters): images are a deterministic function of the latents (``render``), so
they are rebuilt on loading rather than stored (5000 32x32 images take 40 MB; their latents
160 kB).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np

from infoplane.files import atomic_path

Variables = Literal["observed", "latent"]


def save_samples(path: Path, task: Any, n: int, seed: int, meta: dict[str, Any]) -> dict[str, Any]:
    """Draw n samples of ``task`` with ``seed`` and write them to ``path`` atomically.

    Returns:
        the metadata written (``meta`` plus n, seed and mi_true).
    """
    meta = {**meta, "n": n, "seed": seed, "mi_true": task.mutual_information}
    if hasattr(task, "sample_latent"):
        lx, ly = task.sample_latent(n, seed)
        arrays = {"x_latent": lx, "y_latent": ly}
    else:
        x, y = task.sample(n, seed)
        arrays = {"x": x, "y": y}
    with atomic_path(path) as tmp:  # a killed run never leaves half a file
        np.savez(tmp, meta=json.dumps(meta, sort_keys=True), **arrays)
    return meta


def load_samples(path: Path, variables: Variables = "observed"
                 ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Read a sample file.

    Args:
        path: an .npz written by :func:`save_samples`.
        variables: ``"observed"`` (x, y; images are rendered from the latents) or ``"latent"``
            (the structured parameters of an image task).

    Returns:
        x, y (rows are samples) and the metadata.
    """
    from infoplane.synthetic import build_task

    if not Path(path).exists():
        raise ValueError(f"samples file {path} does not exist")
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"])) if "meta" in data else {}
        arrays = {key: data[key] for key in data.files if key != "meta"}
    if variables == "latent":
        if "x_latent" not in arrays:
            raise ValueError(f"{path} has no latents (only image tasks store them); use --variables observed")
        return arrays["x_latent"], arrays["y_latent"], meta
    if variables != "observed":
        raise ValueError(f"variables must be 'observed' or 'latent', got {variables!r}")
    if "x" in arrays and "y" in arrays:
        return arrays["x"], arrays["y"], meta
    if not {"x_latent", "y_latent"} <= set(arrays) or not {"task", "task_params"} <= set(meta):
        raise ValueError(f"{path} is not a samples file of `infoplane sample`: it needs arrays x and y "
                         f"(or x_latent, y_latent and meta), found {sorted(arrays)}")
    task = build_task(meta["task"], **meta["task_params"])
    return task.render(arrays["x_latent"]), task.render(arrays["y_latent"]), meta
