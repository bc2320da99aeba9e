"""What a capture hooks and reads: layer specs resolved to modules, marks, the evaluation set.

:class:`infoplane.Recorder` runs the capture; this module turns its arguments into what it
needs: ``layers`` (names, modules, ``"auto"``, ``"leaves"``, marks) into the modules to hook
(:func:`resolve_layers`), any evaluation data into two tensors read once in a fixed order
(:func:`eval_tensors`), and any layer output into (n, d) rows (:func:`flatten_output`).
:func:`mark` records tensors that have no module of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np
import torch
from torch import nn

#: The marks of the capture in progress (name -> batches), or None outside a capture.
MARKS: ContextVar[dict[str, list[torch.Tensor]] | None] = ContextVar("infoplane_marks", default=None)

LayerSpec = str | nn.Module
EvalData = tuple[Any, Any] | torch.utils.data.Dataset | torch.utils.data.DataLoader


def mark(name: str, tensor: torch.Tensor) -> torch.Tensor:
    """Record ``tensor`` (n, ...) under ``name`` when a :class:`Recorder` is capturing; returns it.

    Call it in ``forward`` on activations that have no module of their own, e.g.
    ``x = mark("relu1", torch.relu(self.fc1(x)))``. Outside a capture it does nothing.
    """
    marks = MARKS.get()
    if marks is not None:
        marks.setdefault(name, []).append(flatten_output(tensor, name))
    return tensor


def flatten_output(out: Any, name: str) -> torch.Tensor:
    """A layer output as (n, d) float32 on the CPU; the first tensor of a tuple output."""
    if isinstance(out, tuple | list) and out and isinstance(out[0], torch.Tensor):
        out = out[0]  # e.g. an RNN's (output, state)
    if not isinstance(out, torch.Tensor):
        raise ValueError(f"layer {name!r} returned {type(out).__name__}, not a tensor; record a tensor "
                         "inside it with infoplane.mark(name, tensor)")
    return out.detach().reshape(out.shape[0], -1).float().cpu()


def eval_tensors(eval_data: EvalData, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The evaluation set as (inputs (n, ...), labels (n,) int64), read once in its order."""
    if isinstance(eval_data, tuple | list) and len(eval_data) == 2:
        x, y = (torch.as_tensor(np.asarray(v)) if not isinstance(v, torch.Tensor) else v for v in eval_data)
    else:
        if isinstance(eval_data, torch.utils.data.Dataset):
            eval_data = torch.utils.data.DataLoader(eval_data, batch_size=batch_size, shuffle=False)
        if not isinstance(eval_data, torch.utils.data.DataLoader):
            raise ValueError("eval_data must be (inputs, labels) tensors or arrays, a Dataset or a "
                             f"DataLoader yielding (inputs, labels); got {type(eval_data).__name__}")
        xs, ys = [], []
        for batch in eval_data:
            if not (isinstance(batch, tuple | list) and len(batch) >= 2):
                raise ValueError("the evaluation DataLoader must yield (inputs, labels) batches")
            xs.append(torch.as_tensor(batch[0]))
            ys.append(torch.as_tensor(batch[1]))
        if not xs:
            raise ValueError("the evaluation set is empty")
        x, y = torch.cat(xs), torch.cat(ys)
    x, y = x.detach().cpu(), y.detach().cpu()
    if y.ndim != 1 or y.dtype.is_floating_point or y.dtype == torch.bool:
        raise ValueError(f"evaluation labels must be integers of shape (n,), got {y.dtype} {tuple(y.shape)}")
    if len(x) != len(y):
        raise ValueError(f"the evaluation set has {len(x)} inputs but {len(y)} labels")
    if len(x) < 2:
        raise ValueError(f"the evaluation set needs at least 2 samples, got {len(x)}")
    return x, y.to(torch.int64)


def resolve_layers(model: nn.Module, layers: str | LayerSpec | Sequence[LayerSpec] | dict[str, nn.Module]
                    ) -> tuple[dict[str, nn.Module], list[str] | None]:
    """(name -> module to hook, mark names to keep or None for every mark)."""
    if isinstance(layers, dict):
        return dict(layers), []
    if layers in ("auto", "leaves"):
        if layers == "auto":
            modules = dict(model.named_children())
        else:
            modules = {n: m for n, m in model.named_modules() if n and not any(True for _ in m.children())}
        if not modules:
            raise ValueError(f"layers={layers!r}: the model has no submodules; name marks instead, "
                             "e.g. layers=['relu1'] with infoplane.mark('relu1', x) in forward")
        return modules, None
    if isinstance(layers, str | nn.Module):
        layers = [layers]
    names_of = {id(m): n for n, m in model.named_modules() if n}
    hooked: dict[str, nn.Module] = {}
    marks: list[str] = []
    for item in layers:
        if isinstance(item, nn.Module):
            if id(item) not in names_of:
                raise ValueError(f"the {type(item).__name__} given in layers is not a module of the model")
            hooked[names_of[id(item)]] = item
        elif isinstance(item, str):
            try:
                hooked[item] = model.get_submodule(item)
            except AttributeError:  # not a submodule: a mark, checked at the first capture
                marks.append(item)
        else:
            raise ValueError(f"layers entries must be submodule names, modules or mark names, got {item!r}")
    return hooked, marks

