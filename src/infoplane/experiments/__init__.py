"""The experiment model: every paper's experiment is one file, experiments/<name>.yaml.

One loader reads and checks it (:mod:`.spec`), one step trains a run of it (:mod:`.run`), one
step measures a run (:mod:`.analyse`); the MI table they write is :mod:`infoplane.tables`'s.

    spec = load_experiment("szt_binning", scale="quick")
    run_dir = train_run(spec, "tanh", seed=0, run_dir="runs/tanh/seed-0")
    table = analyse_run(spec, "tanh", 0, run_dir)
"""

from importlib import import_module
from typing import Any

from infoplane.experiments.spec import available, load_experiment, variant

__all__ = ["analyse_run", "available", "load_experiment", "train_run", "train_x_autoencoder", "variant"]

# The training and analysis steps load torch (seconds): they are imported on first use, so that
# a step that only reads an experiment's file (figures, tables, the report) starts fast.
_LAZY = {"analyse_run": "analyse", "train_run": "run", "train_x_autoencoder": "run"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"infoplane.experiments.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'infoplane.experiments' has no attribute {name!r}")
