"""Worker: bmi's KSG on samples the runner saved, run inside the bench venv (.venv-bench).

bmi (PyPI ``benchmark-mi``) pins NumPy < 2 and pandas < 2, which infoplane's own environment
cannot satisfy, so the runner calls this script with that venv's Python on the same samples:

    .venv-bench/bin/python benchmarks/peer_bmi.py SAMPLES.npz REPEATS

Prints one JSON line per configuration: the estimate (nats) and the measurements of
``measure.measure``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure  # noqa: E402

#: name -> constructor arguments. "ksg-chebyshev-k5" is the very estimator infoplane's ``ksg``
#: computes (KSG-1, max-norm, k = 5, standardised); "ksg-default" is what bmi gives a user who
#: changes nothing (Euclidean marginals, the mean over k = 5 and 10).
CONFIGS = {
    "ksg-chebyshev-k5": {"neighborhoods": (5,), "metric_x": "chebyshev"},
    "ksg-default": {},
}


def main(path: str, repeats: int) -> None:
    from bmi.estimators import KSGEnsembleFirstEstimator

    data = np.load(path)
    x, y = data["x"], data["y"]
    for name, kwargs in CONFIGS.items():
        estimator = KSGEnsembleFirstEstimator(**kwargs)
        result = measure(lambda est=estimator: float(est.estimate(x, y)), repeats)
        result["config"] = name
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
