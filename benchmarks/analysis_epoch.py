"""Seconds to analyse one epoch of the paper's MNIST experiment, on synthetic layers of its shape.

Butakov et al.'s per-epoch work (``infoplane.analysis``): 5 layers of widths 1352 / 400 / 32 /
32 / 10 on 10,000 evaluation samples; each layer compressed by PCA to 4 dimensions (refit every
epoch), then WKL (k = 5) for I(X; L) against 4-D codes of the inputs and for I(L; Y) against
10 labels. The layers here are synthetic, ReLUs of noisy projections of a class-dependent
latent, so the timing does not need a trained network; the work per epoch is the same.

    python benchmarks/analysis_epoch.py [--epochs 5] [--jobs 1 2]
        -> benchmarks/results/analysis_epoch.csv

``--jobs 1``: layers one after another, torch/BLAS/kNN threads = all cores; ``--jobs 2``: layers
in 2 processes of 1 thread each (``infoplane.parallel.parallel_map``).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from pathlib import Path

import numpy as np

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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=5, help="epochs timed; the median is reported")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "analysis_epoch.csv")
    args = parser.parse_args()

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
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
