"""Exploratory check behind the report of issue 3 (not run by tests or the workflow).

WKL variants on the codes of an autoencoder saved by ae_train_and_scan.py and on the latents,
n = 5000, seed 0, true MI 0..10 nats; prints each error and the mean absolute error over
[0, 5] and (5, 10]:

    python benchmarks/ae_wkl_scan.py rectangles 32 r32              # seed 0, every variant
    python benchmarks/ae_wkl_scan.py rectangles 32 r32 0,1,2 wkl-default   # errors pooled over seeds
"""

import sys

import numpy as np
import torch

from infoplane.compression import load_compressor
from infoplane.estimators import build
from infoplane.synthetic import build_task

torch.set_num_threads(1)
task, size, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
seeds = [int(s) for s in sys.argv[4].split(",")] if len(sys.argv) > 4 else [0]
ae = load_compressor(f"/tmp/ae_{tag}.pt")
grid = np.array([0, 1, 2, 3, 4, 5, 6, 8, 10])
codes, latents = [], []
for seed in seeds:
    for mi in grid:
        t = build_task(task, mi=float(mi), size=size)
        lx, ly = t.sample_latent(5000, seed)
        codes.append((ae.transform(t.render(lx)), ae.transform(t.render(ly))))
        latents.append((lx, ly))
variants = {"wkl-default": {}, "wkl-default-ns": {"normal_scores": True},
            "wkl-bsy5": {"k": 5, "weights": "bsy"}, "wkl-bsy20": {"k": 20, "weights": "bsy"}}
if len(sys.argv) > 5:
    variants = {name: variants[name] for name in sys.argv[5].split(",")}
truth = np.tile(grid, len(seeds))
for name, params in variants.items():
    est = build("wkl", **params)
    for what, data in [("ae", codes), ("latent", latents)]:
        error = np.array([est.estimate(a, b) for a, b in data]) - truth
        low, high = np.abs(error[truth <= 5]).mean(), np.abs(error[truth > 5]).mean()
        print(f"{name} {what}: " + " ".join(f"{v:+.2f}" for v in error)
              + f" | mae[0,5]={low:.3f} mae(5,10]={high:.3f}", flush=True)
