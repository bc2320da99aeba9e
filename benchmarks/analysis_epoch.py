"""Seconds to analyse one epoch of the paper's MNIST experiment, on synthetic layers of its shape.

Butakov et al.'s per-epoch work (``infoplane.analysis``): 5 layers of widths 1352 / 400 / 32 /
32 / 10 on 10,000 evaluation samples; each layer compressed by PCA to 4 dimensions (refit every
epoch), then WKL (k = 5) for I(X; L) against 4-D codes of the inputs and for I(L; Y) against
10 labels. The layers here are synthetic, ReLUs of noisy projections of a class-dependent
latent, so the timing does not need a trained network; the work per epoch is the same.

    python benchmarks/analysis_epoch.py [--epochs 5] [--jobs 1 2]
        -> benchmarks/results/analysis_epoch.csv

With a stored run of the real experiment, the pipeline's own code (``infoplane.analysis``) is
timed on its activations instead: one row per stored epoch,

    infoplane train --experiment butakov_mnist --variant base --scale paper \
        --set train.epochs=2 --threads 2 --seed 0 --run-dir RUN
    python benchmarks/analysis_epoch.py --run-dir RUN --autoencoder AE.pt [--epochs 5]
        -> benchmarks/results/analysis_epoch_real.csv

``--jobs 1``: layers one after another, torch/BLAS/kNN threads = all cores; ``--jobs 2``: layers
in 2 processes of 1 thread each (``infoplane.parallel.parallel_map``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
from results_csv import write_rows

from infoplane.compression.pca import PCACompressor
from infoplane.estimators import build
from infoplane.parallel import available_cores, parallel_map

HERE = Path(__file__).parent
WIDTHS = (1352, 400, 32, 32, 10)


def synthetic_epoch(n: int, epoch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(x codes (n, 4), labels (n,), 5 float32 layers (n, width)) for one epoch."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    latent = rng.standard_normal((10, 16))[labels] + rng.standard_normal((n, 16))
    x_codes = latent[:, :4] + 0.5 * rng.standard_normal((n, 4))
    layers = []
    epoch_rng = np.random.default_rng(seed + 1 + epoch)  # the weights move between epochs
    for width in WIDTHS:
        weights = epoch_rng.standard_normal((16, width)) / 4
        pre = latent @ weights + 0.1 * epoch_rng.standard_normal((n, width))
        layers.append(
            np.maximum(pre, 0.01 * pre).astype(np.float32)  # leaky ReLU: no exact ties between rows
        )
    return x_codes, labels, layers


def analyse_layer(task: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[float, float]:
    """(I(X; L), I(L; Y)) in nats of one layer: PCA to 4 dimensions, then WKL with k = 5."""
    x_codes, labels, layer = task
    codes = PCACompressor(4, seed=0).fit(layer).transform(layer)
    wkl = build("wkl", k=5)
    return wkl.estimate(x_codes, codes), wkl.estimate(codes, labels)


def time_stored_run(run_dir: Path, autoencoder: Path, experiment: Path, repeats: int,
                    n_epochs: int) -> list[dict]:
    """Seconds of ``analyse_run`` per stored epoch (``n_epochs`` of them, spread over the run):
    5 layers, per-epoch PCA, the estimator of the experiment's first (compressed) analysis."""
    import dataclasses

    from infoplane.analysis import AnalysisConfig, analyse_run
    from infoplane.compression.image_autoencoder import ImageAutoencoderCompressor
    from infoplane.experiments import load_experiment
    from infoplane.runstore import captured_epochs, load_eval_set

    settings = load_experiment(experiment, scale="paper")
    analysis = next(iter(settings["analyses"].values()))
    x_codes = ImageAutoencoderCompressor.load(autoencoder, device="cpu").transform(load_eval_set(run_dir)[0])
    config = AnalysisConfig(estimator=analysis["estimator"], pca_fit="per-epoch", exp_layers=(),
                            estimator_params=dict(analysis.get("params") or {}),
                            layer_dim=int(analysis.get("layer_dim", 4)))
    stored = captured_epochs(run_dir)
    spread = np.linspace(0, len(stored) - 1, min(n_epochs, len(stored))).round().astype(int)
    picked = sorted({stored[i] for i in spread})
    rows = []
    for epoch in picked:
        seconds, cpu = [], []
        for _ in range(repeats):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            table = analyse_run(run_dir, x_codes, dataclasses.replace(config, epochs=(epoch,)),
                                settings["name"], 0, "ae")
            seconds.append(time.perf_counter() - wall0)
            cpu.append(time.process_time() - cpu0)
        rows.append({"run_dir": run_dir.name, "epoch": epoch, "n": len(x_codes), "layers": len(table),
                     "estimator": config.estimator, "cores": available_cores(), "repeats": repeats,
                     "seconds_median": round(statistics.median(seconds), 3),
                     "seconds_max": round(max(seconds), 3),
                     "cpu_seconds_median": round(statistics.median(cpu), 3),
                     "load_1min": round(os.getloadavg()[0], 2)})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=5,
                        help="epochs timed (with --run-dir: that many stored epochs, first to last)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "analysis_epoch.csv")
    parser.add_argument("--run-dir", type=Path, help="a stored run of the experiment: time its epochs")
    parser.add_argument("--autoencoder", type=Path, help="with --run-dir: the X autoencoder (.pt)")
    parser.add_argument("--experiment", type=Path, default=HERE.parent / "experiments" / "butakov_mnist.yaml")
    parser.add_argument("--repeats", type=int, default=3, help="with --run-dir: timings per epoch")
    args = parser.parse_args()

    if args.run_dir is not None:
        if args.autoencoder is None:
            parser.error("--run-dir needs --autoencoder")
        rows = time_stored_run(args.run_dir, args.autoencoder, args.experiment, args.repeats, args.epochs)
        out = args.out if args.out != HERE / "results" / "analysis_epoch.csv" else \
            HERE / "results" / "analysis_epoch_real.csv"
        write_rows(rows, out)
        return

    rows = []
    for jobs in args.jobs:
        seconds, cpu, estimates = [], [], None
        for epoch in range(args.epochs):
            x_codes, labels, layers = synthetic_epoch(args.n, epoch)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            estimates = parallel_map(
                analyse_layer, [(x_codes, labels, layer) for layer in layers], n_jobs=jobs
            )
            seconds.append(time.perf_counter() - wall0)
            cpu.append(time.process_time() - cpu0)
        row = {
            "n": args.n,
            "layers": len(WIDTHS),
            "widths": "/".join(map(str, WIDTHS)),
            "jobs": jobs,
            "cores": available_cores(),
            "epochs_timed": args.epochs,
            "seconds_per_epoch_median": round(statistics.median(seconds), 3),
            "seconds_per_epoch_max": round(max(seconds), 3),
            "parent_cpu_seconds_median": round(statistics.median(cpu), 3),
            "load_1min": round(os.getloadavg()[0], 2),
            "i_xl_last_epoch": " ".join(f"{e[0]:.3f}" for e in estimates),
            "i_ly_last_epoch": " ".join(f"{e[1]:.3f}" for e in estimates),
        }
        print(row, flush=True)
        rows.append(row)
    write_rows(rows, args.out)



if __name__ == "__main__":
    main()
