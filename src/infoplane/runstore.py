"""The run directory's format (this module owns it), and the same thing in memory.

A run directory, written by :func:`infoplane.train.train` (through :class:`infoplane.Recorder`
for the activations); every reader of a run goes through the functions here::

    config.json                  the TrainConfig, its identity hash, the model's repr and the
                                 caller's metadata (written once, :func:`write_config`)
    eval_set.npz                 the evaluation set, once: ``inputs`` (n, ...) float32,
                                 ``labels`` (n,) int64, ``index`` (n,) rows in its source
    activations/epoch-0003.npz   compressed; one array per captured layer, named as the
                                 layer, (n, d) flattened; float16 layers are stored centred,
                                 with their float32 column means under "<layer>__mean" (read
                                 them with ``load_activations``); row i = eval row i; plus
                                 ``labels`` (n,) again so that a reader can check the rows
    history.csv                  one row per epoch (:data:`HISTORY_COLUMNS`): epoch, train_loss,
                                 train_acc, test_loss, test_acc, seconds (wall), cpu_seconds
                                 (this process, all threads; a load-independent cost); epoch 0 =
                                 before training; then grad_mean_<l>, grad_std_<l> per captured
                                 layer l = 1 .. L (``infoplane.train.GradientMoments``)
    summary.json                 written last: final accuracy, epochs, layers (the "done" mark)
    checkpoint.pt                the training loop's own file (see :mod:`infoplane.train`)

:class:`RunDirectory` and :class:`MemoryRun` answer the same questions (the evaluation set, the
captured epochs, one epoch's layers), so the analysis reads either without knowing which. Every
file is written atomically (a temporary file, then a rename): a killed run never leaves half a
file. Nothing is read with pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from infoplane.files import atomic_path, write_csv, write_text

#: The run directory's files (layout in the module docstring).
CONFIG_FILE, EVAL_SET_FILE, ACTIVATIONS_DIR = "config.json", "eval_set.npz", "activations"
HISTORY_FILE, SUMMARY_FILE = "history.csv", "summary.json"
HISTORY_COLUMNS = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds", "cpu_seconds"]

#: Suffix of the stored column means of a float16 layer (``"L1" + MEAN_SUFFIX``).
MEAN_SUFFIX = "__mean"
ACTIVATION_DTYPES = ("float16", "float32")


def atomic_save_npz(path: Path, **arrays: np.ndarray) -> None:
    """``np.savez_compressed`` to ``path`` through the one atomic write (a complete file or none)."""
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, **arrays)


def activation_path(run_dir: str | Path, epoch: int) -> Path:
    """Where the activations of ``epoch`` are stored."""
    return Path(run_dir) / ACTIVATIONS_DIR / f"epoch-{epoch:04d}.npz"


def encode_activations(acts: dict[str, np.ndarray], dtype: str) -> dict[str, np.ndarray]:
    """Each layer as ``dtype``; float16 layers centred, with their float32 column means.

    Centring matters: float16 keeps 11 significant bits, so a coordinate that sits near 2.3 with
    a spread of 1e-3 across samples (a log-softmax output early in training, or relative noise
    sigma = 1e-3 on it) would round many samples to the same value and create exact ties that
    kNN estimators cannot handle. Stored as deviations from the column mean, the precision is
    relative to the spread across samples instead of the magnitude.
    """
    if dtype not in ACTIVATION_DTYPES:
        raise ValueError(f"activation dtype must be one of {ACTIVATION_DTYPES}, got {dtype!r}")
    stored: dict[str, np.ndarray] = {}
    for name, a in acts.items():
        if dtype == "float16":
            mean = a.mean(axis=0, dtype=np.float64).astype(np.float32)
            stored[name], stored[name + MEAN_SUFFIX] = (a - mean).astype(np.float16), mean
        else:
            stored[name] = a.astype(dtype)
        if not np.all(np.isfinite(stored[name])):
            raise ValueError(
                f"layer {name} has values that are not finite in {dtype} (overflow or NaN); "
                "use activation_dtype float32 or check the training"
            )
    return stored


def write_activations(path: Path, acts: dict[str, np.ndarray], labels: np.ndarray, dtype: str) -> None:
    """Store one epoch's layers (name -> (n, d) float32) and the labels (n,) at ``path``."""
    atomic_save_npz(path, labels=labels, **encode_activations(acts, dtype))


def load_activations(run_dir: str | Path, epoch: int,
                     layers: list[str] | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The stored activations of ``epoch`` (layer -> (n, d) float32) and their labels (n,).

    Args:
        layers: read only these layers (None: every stored layer, in the stored order).
    """
    path = activation_path(run_dir, epoch)
    if not path.exists():
        raise ValueError(f"no activations for epoch {epoch} in {run_dir} ({path} missing)")
    with np.load(path) as stored:
        stored_names = [n for n in stored.files if n != "labels" and not n.endswith(MEAN_SUFFIX)]
        if layers is not None:
            missing = [name for name in layers if name not in stored_names]
            if missing:
                raise ValueError(f"layers {missing} are not stored in {path}; stored: {stored_names}")
        acts = {}
        for name in stored_names if layers is None else layers:
            acts[name] = stored[name].astype(np.float32)
            if name + MEAN_SUFFIX in stored.files:
                acts[name] += stored[name + MEAN_SUFFIX]
        return acts, stored["labels"]


def load_eval_set(run_dir: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored evaluation set of a run: inputs (n, ...) float32, labels (n,), index (n,)."""
    path = Path(run_dir) / EVAL_SET_FILE
    if not path.exists():
        raise ValueError(f"{path} is missing; capture an epoch (Recorder.capture or `infoplane train`) "
                         f"into {run_dir} first")
    with np.load(path) as stored:
        return stored["inputs"], stored["labels"], stored["index"]


def write_eval_set(run_dir: str | Path, inputs: np.ndarray, labels: np.ndarray, index: np.ndarray) -> None:
    """Store the evaluation set once: inputs as float32, labels and source rows as int64."""
    atomic_save_npz(Path(run_dir) / EVAL_SET_FILE, inputs=np.asarray(inputs, dtype=np.float32),
                    labels=np.asarray(labels, dtype=np.int64), index=np.asarray(index, dtype=np.int64))


def captured_epochs(run_dir: str | Path) -> list[int]:
    """The epochs whose activations are stored under ``run_dir``, ascending."""
    return sorted(int(p.stem.split("-")[1]) for p in (Path(run_dir) / ACTIVATIONS_DIR).glob("epoch-*.npz")
                  if not p.stem.endswith(".tmp"))


# --- the training record: config, history, summary ------------------------------------------


def write_config(run_dir: str | Path, train: dict[str, Any], identity: str, model: str,
                 metadata: dict[str, Any] | None = None) -> None:
    """Store config.json: the training settings, their identity hash, the model's repr, metadata."""
    record = {"train": train, "identity": identity, "model": model, "metadata": metadata or {}}
    write_text(Path(run_dir) / CONFIG_FILE, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")


def load_config(run_dir: str | Path) -> dict[str, Any]:
    """The config.json of a run (keys ``train``, ``identity``, ``model``, ``metadata``)."""
    return json.loads((Path(run_dir) / CONFIG_FILE).read_text())


def history_table(rows: list[dict[str, float]]) -> pd.DataFrame:
    """The per-epoch rows as the history table: :data:`HISTORY_COLUMNS`, then any others the
    rows carry (the gradient moments ``grad_mean_<l>``, ``grad_std_<l>``; NaN where a row has
    none, as at epoch 0)."""
    extra = list(dict.fromkeys(key for row in rows for key in row if key not in HISTORY_COLUMNS))
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS + extra)


def write_history(run_dir: str | Path, rows: list[dict[str, float]]) -> None:
    """Store history.csv: one row per epoch so far."""
    write_csv(history_table(rows), Path(run_dir) / HISTORY_FILE)


def load_history(run_dir: str | Path) -> pd.DataFrame:
    """The history.csv of a run, one row per epoch."""
    return pd.read_csv(Path(run_dir) / HISTORY_FILE)


def write_summary(run_dir: str | Path, summary: dict[str, Any]) -> None:
    """Store summary.json, the last file of a finished run."""
    write_text(Path(run_dir) / SUMMARY_FILE, json.dumps(summary, indent=2, sort_keys=True) + "\n")


# --- one interface over the disk and memory stores, for the analysis -------------------------


@dataclass(frozen=True)
class LayerRef:
    """One stored layer of one epoch, cheap to send to a worker process (a path, not the data).

    ``load()`` returns (n, d) float32; ``exp=True`` applies exp() (a log-softmax layer's
    probabilities).
    """

    run_dir: Path
    epoch: int
    layer: str
    exp: bool = False

    def load(self) -> np.ndarray:
        acts = load_activations(self.run_dir, self.epoch, [self.layer])[0][self.layer]
        return np.exp(acts) if self.exp else acts


@dataclass(frozen=True)
class InMemoryLayer:
    """A layer held in memory; the same ``load()`` as :class:`LayerRef`."""

    values: np.ndarray
    exp: bool = False

    def load(self) -> np.ndarray:
        return np.exp(self.values) if self.exp else self.values


class RunDirectory:
    """A run directory on disk (layout in the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunDirectory({str(self.path)!r})"

    def eval_set(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return load_eval_set(self.path)

    def labels(self) -> np.ndarray:
        path = self.path / EVAL_SET_FILE
        if not path.exists():
            return load_eval_set(self.path)[1]  # raises the message that says what to do
        with np.load(path) as stored:
            return stored["labels"]

    def epochs(self) -> list[int]:
        return captured_epochs(self.path)

    def layer_names(self, epoch: int) -> list[str]:
        path = activation_path(self.path, epoch)
        if not path.exists():
            raise ValueError(f"no activations for epoch {epoch} in {self.path} ({path} missing)")
        with np.load(path) as stored:
            return [n for n in stored.files if n != "labels" and not n.endswith(MEAN_SUFFIX)]

    def epoch_labels(self, epoch: int) -> np.ndarray:
        with np.load(activation_path(self.path, epoch)) as stored:
            return stored["labels"]

    def layer(self, epoch: int, name: str, exp: bool = False) -> LayerRef:
        return LayerRef(self.path, epoch, name, exp)

    def write_epoch(self, epoch: int, acts: dict[str, np.ndarray], labels: np.ndarray, dtype: str) -> None:
        (self.path / ACTIVATIONS_DIR).mkdir(parents=True, exist_ok=True)
        write_activations(activation_path(self.path, epoch), acts, labels, dtype)


class MemoryRun:
    """The run directory's content held in memory (small runs, notebooks, tests).

    Layers are kept as float32 (no float16 rounding), so estimates from memory and from disk
    differ by that rounding only.
    """

    def __init__(self, inputs: np.ndarray, labels: np.ndarray, index: np.ndarray) -> None:
        self.inputs, self._labels, self.index = inputs, np.asarray(labels, dtype=np.int64), index
        self.activations: dict[int, dict[str, np.ndarray]] = {}

    def __repr__(self) -> str:
        return f"MemoryRun({len(self._labels)} rows, epochs {self.epochs()})"

    def eval_set(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.inputs, self._labels, self.index

    def labels(self) -> np.ndarray:
        return self._labels

    def epochs(self) -> list[int]:
        return sorted(self.activations)

    def layer_names(self, epoch: int) -> list[str]:
        if epoch not in self.activations:
            raise ValueError(f"epoch {epoch} was not captured; captured: {self.epochs()}")
        return list(self.activations[epoch])

    def epoch_labels(self, epoch: int) -> np.ndarray:
        return self._labels

    def layer(self, epoch: int, name: str, exp: bool = False) -> InMemoryLayer:
        return InMemoryLayer(self.activations[epoch][name], exp)

    def write_epoch(self, epoch: int, acts: dict[str, np.ndarray], labels: np.ndarray, dtype: str) -> None:
        for name, a in acts.items():
            if not np.all(np.isfinite(a)):
                raise ValueError(f"layer {name} has values that are not finite (NaN or inf) at epoch {epoch}")
        self.activations[epoch] = {name: a.astype(np.float32, copy=False) for name, a in acts.items()}


RunStore = RunDirectory | MemoryRun


def open_run(run: str | Path | RunStore) -> RunStore:
    """A store for a run directory path, or the store itself."""
    return run if isinstance(run, RunDirectory | MemoryRun) else RunDirectory(run)
