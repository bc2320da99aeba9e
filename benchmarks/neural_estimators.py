"""Accuracy and time of the neural estimators (mine, infonce, nwj) against closed-form MI.

    python benchmarks/neural_estimators.py --mi 0.5 2 5 --n 5000 --seeds 0
    python benchmarks/neural_estimators.py --images 16 --mi 2 --n 5000

Vectors: the ``gaussian-pairs`` task (2 x 2, MI split over the pairs, random rotations).
Images (``--images SIDE``): Gaussian bumps as in Butakov et al., one bump per image, its centre
the normal CDF of a 2-D latent of that task, pixel = exp(-10 |p - centre|^2) on a SIDE x SIDE
grid over [0, 1]^2. The rendering is injective, so the images' MI is the latents' MI.
Prints one line per run: estimator, true MI, estimate, interval, error, seconds, epochs.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from scipy.special import ndtr

from infoplane.estimators import build
from infoplane.synthetic import build_task


def gaussian_bumps(latent: np.ndarray, side: int) -> np.ndarray:
    """(n, 2) latents -> (n, side * side) images of one Gaussian bump centred at Phi(latent)."""
    grid = np.linspace(0.0, 1.0, side)
    centre = ndtr(latent)  # (n, 2) in (0, 1)
    rows = np.exp(-10.0 * (grid[None, :] - centre[:, :1]) ** 2)  # (n, side): separable bump
    cols = np.exp(-10.0 * (grid[None, :] - centre[:, 1:]) ** 2)
    return (rows[:, :, None] * cols[:, None, :]).reshape(len(latent), side * side)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--estimators", nargs="+", default=["mine", "infonce", "nwj"])
    parser.add_argument("--mi", nargs="+", type=float, default=[0.5, 2.0, 5.0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--dim", type=int, default=2, help="d_x = d_y of the Gaussian task")
    parser.add_argument("--images", type=int, default=0, help="render SIDE x SIDE Gaussian bumps")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="estimator parameter, e.g. hidden=[400,400] (repeatable)",
    )
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    params = {k: json.loads(v) for k, v in (p.split("=", 1) for p in args.param)}
    dim = 2 if args.images else args.dim
    for mi in args.mi:
        task = build_task("gaussian-pairs", dim_x=dim, dim_y=dim, mi=mi)
        for seed in args.seeds:
            x, y = task.sample(args.n, seed)
            if args.images:
                x, y = gaussian_bumps(x, args.images), gaussian_bumps(y, args.images)
                params.setdefault("critic", "conv")
            for name in args.estimators:
                estimator = build(name, seed=seed, **params)
                start = time.perf_counter()
                est = estimator.estimate_with_interval(x, y)
                seconds = time.perf_counter() - start
                d = estimator.diagnostics or {}
                print(
                    f"{name:8s} true {mi:5.2f}  est {est.mi:6.3f}  [{est.lo:6.3f}, {est.hi:6.3f}]  "
                    f"err {est.mi - mi:+6.3f}  {seconds:6.1f} s  epochs {d['epochs']} "
                    f"(best {d['best_epoch']})  K {d['negatives']}  {est.method}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
