"""Exploratory check behind the report of issue 3 (not run by tests or the workflow).

KSG on the sparse d x d Gaussian (two correlated pairs, true MI 1.022 nats) and on its spiral
transform (same samples), d = 3 and 5, plain and with normal scores; prints both estimates
and the gap (spiral - base) per seed:

    python benchmarks/spiral_gap.py 5000,20000 5,10,20 0,1
    python benchmarks/spiral_gap.py 50000 5 0,1
"""

import sys

import numpy as np

from infoplane.estimators import build
from infoplane.synthetic import build_task

ns = [int(v) for v in sys.argv[1].split(",")]
ks = [int(v) for v in sys.argv[2].split(",")]
seeds = [int(v) for v in sys.argv[3].split(",")]
for d in (3, 5):
    base = build_task("gaussian-sparse", dim_x=d, dim_y=d)
    spiral = build_task("transformed", base="gaussian-sparse", transform="spiral",
                        base_params={"dim_x": d, "dim_y": d})
    for n in ns:
        for k in ks:
            for scores in (False, True):
                est = build("ksg", k=k, normal_scores=scores)
                b = [est.estimate(*base.sample(n, s)) for s in seeds]
                t = [est.estimate(*spiral.sample(n, s)) for s in seeds]
                gap = np.subtract(t, b)
                print(f"d={d} n={n} k={k} normal_scores={scores} truth={base.mutual_information:.4f} "
                      f"base={' '.join(f'{v:.3f}' for v in b)} spiral={' '.join(f'{v:.3f}' for v in t)} "
                      f"gap={' '.join(f'{v:+.3f}' for v in gap)} mean_gap={gap.mean():+.3f}", flush=True)
