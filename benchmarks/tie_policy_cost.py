"""Tie-free data keep their numbers and their speed under the tie policy.

    PYTHONPATH=<checkout>/src python benchmarks/tie_policy_cost.py LABEL

Prints ksg, kl and wkl on the dense 5x5 Gaussian (n = 10,000, seed 0) and the median CPU
seconds of 5 runs; run it with two checkouts' src on PYTHONPATH to compare them.
"""

import sys
import time

import numpy as np

from infoplane.estimators import build
from infoplane.synthetic import build_task

x, y = build_task("gaussian-dense", dim_x=5, dim_y=5).sample(10_000, 0)
for name in ("ksg", "kl", "wkl"):
    estimator = build(name)
    estimator.estimate(x, y)  # warm-up
    cpu = []
    for _ in range(5):
        start = time.process_time()
        value = estimator.estimate(x, y)
        cpu.append(time.process_time() - start)
    label = sys.argv[1] if len(sys.argv) > 1 else ""
    print(label, name, f"{value:.10f}", f"median CPU s {np.median(cpu):.3f}")
