"""The experiment model: every paper's experiment is one file, experiments/<name>.yaml.

One loader reads and checks it (:mod:`.spec`), one step trains a run of it (:mod:`.run`), one
step measures a run (:mod:`.analyse`); the MI table they write is :mod:`infoplane.tables`'s.

    spec = load_experiment("szt_binning", scale="quick")
    run_dir = train_run(spec, "tanh", seed=0, run_dir="runs/tanh/seed-0")
    table = analyse_run(spec, "tanh", 0, run_dir)
"""

from infoplane.experiments.analyse import analyse_run
from infoplane.experiments.run import train_run, train_x_autoencoder
from infoplane.experiments.spec import available, load_experiment, variant

__all__ = ["analyse_run", "available", "load_experiment", "train_run", "train_x_autoencoder", "variant"]
