"""Exploratory check behind the report of issue 3 (not run by tests or the workflow).

Train an autoencoder on mi = 0 images of a task (n_fit images: half X, half Y of seed 1000),
save it to /tmp/ae_TAG.pt (reused when present), print its test error and, over true MI
0..10 nats (n = 5000, seed 0), WKL (k = 20, BSY weights) and KSG on the latents and the codes:

    python benchmarks/ae_train_and_scan.py rectangles 32 4 30 6000 r32 "{'batch_size': 128}"
"""

import ast
import os
import sys
import time

import numpy as np
import torch

from infoplane.compression import load_compressor, make_compressor, save_compressor
from infoplane.estimators import build
from infoplane.estimators.base import normal_scores
from infoplane.synthetic import build_task

torch.set_num_threads(1)
task, size, latent, epochs, n_fit, tag = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
options = ast.literal_eval(sys.argv[7]) if len(sys.argv) > 7 else {}
path = f"/tmp/ae_{tag}.pt"
if os.path.exists(path):
    ae = load_compressor(path)
else:
    a, b = build_task(task, mi=0.0, size=size).sample(n_fit // 2, 1000)
    start = time.time()
    ae = make_compressor(f"ae:{latent}", seed=0, epochs=epochs, **options).fit(np.concatenate([a, b]))
    print(f"train {time.time() - start:.1f}s, loss {ae.history[-1]:.4f}", flush=True)
    save_compressor(ae, path)
test = build_task(task, mi=0.0, size=size).sample(1000, 2000)[0]
print(f"test mse {ae.reconstruction_error(test):.5f}")
wkl, ksg = build("wkl", k=20, weights="bsy"), build("ksg", k=5)
for mi in [0, 1, 2, 3, 4, 5, 6, 8, 10]:
    t = build_task(task, mi=mi, size=size)
    lx, ly = t.sample_latent(5000, 0)
    zx, zy = ae.transform(t.render(lx)), ae.transform(t.render(ly))
    print(f"mi={mi} latent={wkl.estimate(lx, ly):.3f} ae={wkl.estimate(zx, zy):.3f} "
          f"ae-ns={wkl.estimate(normal_scores(zx), normal_scores(zy)):.3f} ksg-ae={ksg.estimate(zx, zy):.3f}",
          flush=True)
