"""Exploratory check behind the report of issue 3 (not run by tests or the workflow).

WKL on the codes of a saved compressor and on the latents of an image task, n = 5000, over a
grid of true MI and seeds; prints every error (estimate - truth, grid order within each seed)
and the mean absolute error over true MI <= 5 and > 5. Train the compressor as the pipeline
does, then scan:

    infoplane fit-compressor --task rectangles --param size=32 --param mi=0 --spec ae:4 \
        --option epochs=30 --option batch_size=128 --option lr=0.002 --n-fit 6000 --n-test 1000 \
        --seed 1000 --threads 1 --out r32.pt --report r32.json
    python benchmarks/ae_wkl_scan.py rectangles 32 r32.pt 0,2.5,5,7.5,10 0,1 k40,k40-ns
"""

import sys

import numpy as np
import torch

from infoplane.compression import load_compressor
from infoplane.estimators import build
from infoplane.synthetic import build_task

VARIANTS = {  # name -> wkl parameters (k = 40, minvar weights unless given)
    "k40": {}, "k40-ns": {"normal_scores": True},
    "k20": {"k": 20}, "k20-ns": {"k": 20, "normal_scores": True},
    "k10": {"k": 10}, "k10-ns": {"k": 10, "normal_scores": True},
    "bsy5": {"k": 5, "weights": "bsy"},
}

torch.set_num_threads(1)
task, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
grid = [float(v) for v in sys.argv[4].split(",")]
seeds = [int(v) for v in sys.argv[5].split(",")]
names = sys.argv[6].split(",") if len(sys.argv) > 6 else list(VARIANTS)
compressor = load_compressor(path)
pairs, truth = [], []
for seed in seeds:
    for mi in grid:
        t = build_task(task, mi=mi, size=size)
        lx, ly = t.sample_latent(5000, seed)
        codes = compressor.transform(t.render(lx)), compressor.transform(t.render(ly))
        pairs.append({"code": codes, "latent": (lx, ly)})
        truth.append(mi)
truth = np.array(truth)
for name in names:
    estimator = build("wkl", **VARIANTS[name])
    for what in ("code", "latent"):
        error = np.array([estimator.estimate(*p[what]) for p in pairs]) - truth
        low = np.abs(error[truth <= 5]).mean()
        high = np.abs(error[truth > 5]).mean() if np.any(truth > 5) else float("nan")
        print(f"{name:7s} {what:6s} " + " ".join(f"{v:+.2f}" for v in error)
              + f" | mae[0,5]={low:.3f} mae(5,10]={high:.3f}", flush=True)
