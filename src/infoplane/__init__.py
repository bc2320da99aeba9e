"""infoplane: information-plane analysis of deep networks with validated MI estimators.

Subpackages: ``estimators`` (MI estimators behind a registry), ``synthetic`` (tasks with
closed-form MI), ``compression``, ``nets``. All values are in nats.

The information plane of your own network (see README, "Your own network")::

    from infoplane import Recorder, plot_information_plane
    recorder = Recorder(model, layers="auto", eval_data=(x_eval, y_eval), run_dir="runs/mine")
    ...  recorder.capture(epoch)  ...        # in your training loop
    table = recorder.analyse(x="pca:4")      # the MI table (pandas)
    plot_information_plane(table, "plane.png")

These names are imported on first use, so ``import infoplane`` stays fast (no torch).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "Recorder": "infoplane.recorder",
    "mark": "infoplane.capture",
    "analyse": "infoplane.recorder",
    "plot_information_plane": "infoplane.plots",
    "plot_mi_epoch": "infoplane.plots",
    "save_table": "infoplane.tables",
    "load_table": "infoplane.tables",
}
__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'infoplane' has no attribute {name!r}")
