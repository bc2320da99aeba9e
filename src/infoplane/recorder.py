"""Record a network's layers on a fixed evaluation set during any training loop, then analyse.

Your model, your loop, three added lines::

    recorder = Recorder(model, layers="auto", eval_data=(x_eval, y_eval), run_dir="runs/mine")
    for epoch in range(1, epochs + 1):
        ...                                   # your training epoch
        recorder.capture(epoch)               # no grad; the model's modes are restored
    table = recorder.analyse(x="pca:4")       # the MI table: I(X;L), I(L;Y) per epoch and layer

What is recorded:

* ``layers="auto"``: the model's top-level blocks (its direct children, e.g. the entries of an
  ``nn.Sequential`` of blocks), plus every tensor marked in ``forward`` with ``infoplane.mark``.
  ``layers="leaves"``: every leaf module (Linear, ReLU, ...), plus the marks. Or a list of
  submodule names (``"encoder.2"``), module objects, or mark names; a dict names modules itself.
* A module's output is flattened per sample to (n, d). Activations applied functionally
  (``F.relu(self.fc1(x))``) have no module to hook: wrap them as
  ``x = mark("relu1", F.relu(self.fc1(x)))``; outside a capture, ``mark`` returns its input
  and costs nothing.
* The evaluation set (tensors, a Dataset or a DataLoader) is read once, in its order then, and
  every capture uses that order: row i of every layer, of the inputs and of the labels is one
  sample.

Where it goes: ``run_dir`` gets the project's run directory (:mod:`infoplane.runstore`: one
compressed file per epoch, float16 by default), so memory does not grow with the epochs and the
run can be analysed again later with :func:`analyse`; ``run_dir=None`` keeps everything in
memory (float32) for small runs.

How a capture runs: without gradients, in ``mode="eval"`` (the default: dropout off,
BatchNorm's running statistics; noise layers of :mod:`infoplane.nets.noise` stay on, as in
Butakov et al.) or ``mode="train"`` (dropout and noise on, as the network trains; BatchNorm then
normalises with batch statistics, and its running statistics are restored afterwards). Every
module's training flag is restored after the capture, and gradients are never touched. Random
layers (dropout, noise) draw from a generator seeded by (``seed``, epoch) and torch's global
RNG is left as it was, so recording does not change the training; ``seed=None`` draws from the
global RNG instead (what :func:`infoplane.train.train` does, so its runs resume exactly).

Trainers: the recorder is callable, ``recorder(epoch)`` (or ``recorder()``: the next epoch),
so it can be an epoch-end callback of any trainer, e.g. ``on_train_epoch_end=lambda *_:
recorder()``; with ``epochs=`` it records only those epochs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from infoplane.capture import MARKS, EvalData, eval_tensors, flatten_output, resolve_layers
from infoplane.runstore import (
    ACTIVATION_DTYPES,
    EVAL_SET_FILE,
    MemoryRun,
    RunDirectory,
    RunStore,
    load_eval_set,
    open_run,
    write_eval_set,
)

MODES = ("eval", "train")


class Recorder:
    """Captures chosen layers of ``model`` on a fixed evaluation set (see the module docstring).

    Args:
        model: any ``torch.nn.Module`` taking an input batch (n, ...) as its one argument.
        layers: ``"auto"`` (top-level blocks and marks), ``"leaves"`` (leaf modules and marks),
            or names / modules / mark names, or a dict name -> module.
        eval_data: (inputs, labels) tensors or arrays, a Dataset or a DataLoader of
            (inputs, labels); labels are integers (n,).
        run_dir: the run directory to write (created); None keeps the run in memory. A
            directory that already holds a different evaluation set is refused.
        mode: ``"eval"`` or ``"train"``: the mode the model runs in during a capture.
        seed: seeds the random layers of each capture (with the epoch); None uses torch's
            global RNG.
        batch_size: evaluation rows per forward pass (memory only, not results).
        dtype: ``"float16"`` (stored centred; half the disk) or ``"float32"``; disk only.
        eval_index: (n,) rows of the evaluation set in its source dataset, stored with it.
        epochs: the epochs the callable form records (None: every call).
    """

    def __init__(self, model: nn.Module, layers: Any = "auto", eval_data: EvalData | None = None,
                 run_dir: str | Path | None = None, mode: str = "eval", seed: int | None = 0,
                 batch_size: int = 1000, dtype: str = "float16", eval_index: np.ndarray | None = None,
                 epochs: Iterable[int] | None = None) -> None:
        if eval_data is None:
            raise ValueError("give eval_data: (inputs, labels), a Dataset or a DataLoader")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if dtype not in ACTIVATION_DTYPES:
            raise ValueError(f"dtype must be one of {ACTIVATION_DTYPES}, got {dtype!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.model, self.mode, self.seed = model, mode, seed
        self.batch_size, self.dtype = int(batch_size), dtype
        self.epochs = None if epochs is None else {int(e) for e in epochs}
        self.modules, self.mark_names = resolve_layers(model, layers)
        self.inputs, self.labels = eval_tensors(eval_data, self.batch_size)
        index = np.arange(len(self.labels)) if eval_index is None else np.asarray(eval_index, dtype=np.int64)
        if len(index) != len(self.labels):
            raise ValueError(f"eval_index has {len(index)} entries for {len(self.labels)} evaluation rows")
        labels = self.labels.numpy()
        self.store: RunStore
        if run_dir is None:
            self.store = MemoryRun(self.inputs.numpy(), labels, index)
        else:
            self.store = RunDirectory(run_dir)
            self._write_or_check_eval_set(index)
        self._last_epoch = max(self.store.epochs(), default=0)

    def _write_or_check_eval_set(self, index: np.ndarray) -> None:
        path, labels = self.store.path, self.labels.numpy()
        inputs = self.inputs.numpy().astype(np.float32)
        if (path / EVAL_SET_FILE).exists():
            stored_inputs, stored_labels, _ = load_eval_set(path)
            if not (np.array_equal(stored_inputs, inputs) and np.array_equal(stored_labels, labels)):
                raise ValueError(f"{path} holds another evaluation set; delete it or choose another run_dir")
            return
        path.mkdir(parents=True, exist_ok=True)
        write_eval_set(path, inputs, labels, index)

    def __repr__(self) -> str:
        return f"Recorder({len(self.labels)} eval rows, layers {list(self.modules)}, {self.store!r})"

    @property
    def run_dir(self) -> Path | None:
        return self.store.path if isinstance(self.store, RunDirectory) else None

    def _placement(self) -> tuple[torch.device, torch.dtype]:
        """The model's device, and the dtype float inputs are cast to (its first float parameter's)."""
        device, dtype = torch.device("cpu"), torch.get_default_dtype()
        for tensor in (*self.model.parameters(), *self.model.buffers()):
            device = tensor.device
            break
        for tensor in self.model.parameters():
            if tensor.is_floating_point():
                dtype = tensor.dtype
                break
        return device, dtype

    @contextlib.contextmanager
    def _rng(self, epoch: int, device: torch.device) -> Iterator[None]:
        """Random layers draw from a generator seeded by (seed, epoch); the global RNG state is
        saved and restored around it. With ``seed=None``: the global RNG, untouched."""
        if self.seed is None:
            yield
            return
        seed = int(np.random.SeedSequence([self.seed, epoch]).generate_state(1)[0])
        cuda = [device.index if device.index is not None else torch.cuda.current_device()] \
            if device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda):
            torch.default_generator.manual_seed(seed)
            if cuda:
                with torch.cuda.device(cuda[0]):
                    torch.cuda.manual_seed(seed)
            yield

    @torch.no_grad()
    def capture(self, epoch: int) -> list[str]:
        """Run the evaluation set through the model and store every recorded layer for ``epoch``.

        Returns:
            the names of the stored layers.

        Raises:
            ValueError: when a named mark was never produced, or a layer did not give one row
                per evaluation sample (a module called twice per forward, say).
        """
        epoch = int(epoch)
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        model, (device, dtype) = self.model, self._placement()
        flags = [(m, m.training) for m in model.modules()]
        buffers = [(b, b.clone()) for b in model.buffers()] if self.mode == "train" else []
        outputs: dict[str, list[torch.Tensor]] = {name: [] for name in self.modules}
        marks: dict[str, list[torch.Tensor]] = {}
        handles = [module.register_forward_hook(
            lambda _m, _inp, out, name=name: outputs[name].append(flatten_output(out, name)))
            for name, module in self.modules.items()]
        token = MARKS.set(marks)
        try:
            model.train(self.mode == "train")
            with self._rng(epoch, device):
                for start in range(0, len(self.inputs), self.batch_size):
                    batch = self.inputs[start : start + self.batch_size]
                    model(batch.to(device, dtype) if batch.is_floating_point() else batch.to(device))
        finally:
            MARKS.reset(token)
            for handle in handles:
                handle.remove()
            for module, training in flags:
                module.training = training
            for buffer, saved in buffers:
                buffer.copy_(saved)
        if self.mark_names is not None:
            missing = [name for name in self.mark_names if name not in marks]
            if missing:
                raise ValueError(f"layers {missing} are neither submodules nor tensors marked in forward; "
                                 f"submodules: {[n for n, _ in model.named_modules() if n][:20]}, "
                                 f"marks: {sorted(marks)}")
            marks = {name: marks[name] for name in self.mark_names}
        acts = {}
        for name, parts in {**outputs, **marks}.items():
            rows = sum(len(p) for p in parts)
            if rows != len(self.labels):
                raise ValueError(f"layer {name!r} gave {rows} rows for {len(self.labels)} evaluation samples "
                                 "(is it called more than once per forward, or not at all?)")
            acts[name] = torch.cat(parts).numpy()
        self.store.write_epoch(epoch, acts, self.labels.numpy(), self.dtype)
        self._last_epoch = epoch
        return list(acts)

    def __call__(self, epoch: int | None = None, *_: Any, **__: Any) -> None:
        """Epoch-end callback form: capture ``epoch`` (default: the one after the last) if scheduled."""
        epoch = self._last_epoch + 1 if epoch is None else int(epoch)
        if self.epochs is None or epoch in self.epochs:
            self.capture(epoch)
        self._last_epoch = epoch

    def analyse(self, **options: Any) -> pd.DataFrame:
        """The MI table of what was recorded; options as :func:`analyse`."""
        return analyse(self.store, **options)


def encode_inputs(x: Any, inputs: np.ndarray, seed: int = 0) -> tuple[np.ndarray, str]:
    """Compress the evaluation inputs once: (codes (n, d_x) float64, a description).

    ``x`` is a compressor spec (``"pca:K"``, ``"ae:K"``, ``"none"``, or a saved ``.pt``
    compressor), a fitted compressor (has ``transform``), a torch encoder module or any
    callable (n, ...) array -> (n, d_x) codes, or the codes themselves (an (n, d_x) array).
    Specs are fitted on the evaluation inputs themselves.
    """
    from infoplane.compression import load_compressor, make_compressor
    from infoplane.compression.specs import is_saved_compressor

    if isinstance(x, str):
        if is_saved_compressor(x):
            codes, label = load_compressor(x).transform(inputs), Path(x).name
        else:
            data = inputs
            if x.startswith("ae:"):  # the dense or conv autoencoder takes (n, d) or (n, H, W)
                square = inputs.ndim == 4 and inputs.shape[1] == 1 and inputs.shape[2] == inputs.shape[3]
                data = inputs[:, 0] if square else inputs.reshape(len(inputs), -1)
            codes, label = make_compressor(x, seed=seed).fit(data).transform(data), x
    elif isinstance(x, np.ndarray):
        codes, label = x, "given codes"
    elif hasattr(x, "transform"):
        codes, label = x.transform(inputs), type(x).__name__
    elif isinstance(x, nn.Module):
        with torch.no_grad():
            device = next(iter(x.parameters()), torch.zeros(())).device
            batches = (torch.as_tensor(inputs[i : i + 1000]).to(device) for i in range(0, len(inputs), 1000))
            codes = torch.cat([flatten_output(x(batch), "x encoder") for batch in batches]).numpy()
        label = type(x).__name__
    elif callable(x):
        codes, label = np.asarray(x(inputs)), getattr(x, "__name__", "encoder")
    else:
        raise ValueError("x must be a compressor spec ('pca:4', 'ae:4', 'none', a .pt file), a fitted "
                         f"compressor, an encoder (callable or nn.Module) or an array of codes; got {x!r}")
    codes = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
    if len(codes) != len(inputs):
        raise ValueError(f"the X codes have {len(codes)} rows for {len(inputs)} evaluation inputs")
    return codes, label


def analyse(run: str | Path | RunStore, x: Any = "pca:4", estimator: str = "wkl",
            estimator_params: dict[str, Any] | None = None, layer_dim: int = 4, pca_fit: str = "per-epoch",
            pca_fit_epoch: int | None = None, layers: Sequence[str] | None = None,
            epochs: Sequence[int] | None = None, exp_layers: Sequence[str] = (), n_jobs: int | None = 1,
            experiment: str | None = None, seed: int = 0, progress: bool = False) -> pd.DataFrame:
    """I(X;L) and I(L;Y) with intervals and flags, per recorded epoch and layer.

    The analysis of :mod:`infoplane.analysis` (Butakov et al.'s recipe): X is compressed once,
    each layer is projected by PCA (refit per epoch, one projection fixed at ``pca_fit_epoch``,
    or one pooled over the epochs), and both MI values come from ``estimator``.

    Args:
        run: a run directory (from a :class:`Recorder` or ``infoplane train``) or a store.
        x: how to compress X, see :func:`encode_inputs` (default: PCA to 4 dimensions).
        estimator: any registered estimator name (``infoplane.estimators.available()``).
        estimator_params: its parameters (None: the registry's defaults).
        layer_dim: PCA components per layer (fewer when a layer is narrower).
        pca_fit: ``"per-epoch"`` or ``"fixed"``.
        pca_fit_epoch: the epoch the fixed projection is fitted on (None: the last).
        layers, epochs: analyse only these (None: all recorded).
        exp_layers: layers also analysed through exp() (a log-softmax output's probabilities).
        n_jobs: worker processes over (epoch, layer) pairs; None or -1: one per core.
        experiment: written into the table (default: the run directory's name).
        seed: written into the table; also seeds the PCA solvers and a compressor spec.
        progress: a progress bar (one process only).

    Returns:
        the MI table (:data:`infoplane.analysis.MI_COLUMNS` and ``EXTRA_COLUMNS``), in nats.
    """
    from infoplane.analysis import AnalysisConfig, analyse_run

    store = open_run(run)
    inputs, _, _ = store.eval_set()
    x_codes, x_compression = encode_inputs(x, inputs, seed)
    config = AnalysisConfig(
        estimator=estimator, estimator_params=dict(estimator_params or {}), layer_dim=layer_dim,
        pca_fit=pca_fit, pca_fit_epoch=pca_fit_epoch, exp_layers=tuple(exp_layers),
        layers=None if layers is None else tuple(layers), epochs=None if epochs is None else tuple(epochs),
        seed=seed)
    if experiment is None:
        experiment = store.path.name if isinstance(store, RunDirectory) else "recorder"
    return analyse_run(store, x_codes, config, experiment, seed, x_compression, progress, n_jobs)
