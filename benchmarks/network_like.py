"""Accuracy on data that networks produce (the figures of docs/estimators.md, "Ties and point masses").

    python benchmarks/network_like.py --seeds 3 --out benchmarks/results/network_like.csv

Rows: ReLU features of class-conditional Gaussians (10 classes, n = 10,000, d = 1, 5, 20)
against their labels and against independent labels (truth 0), for ksg, ksg2, kl, wkl and
the labels given as floats; the dense 5x5 Gaussian (correlations 0.5) stored as float16 and
float32 against its float64 estimate. A refusal is recorded with its message.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import pandas as pd

from infoplane.estimators import build
from infoplane.synthetic import build_task


def one(name: str, x, y) -> tuple[float, str, float]:
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est = build(name).estimate_with_interval(x, y)
        except ValueError as err:
            return float("nan"), f"refused: {str(err)[:80]}", time.perf_counter() - start
    notes = ";".join(est.flags)
    if any("class labels" in str(w.message) for w in caught):
        notes = (notes + ";warned:labels").lstrip(";")
    return est.mi, notes, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dims", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/network_like.csv"))
    args = parser.parse_args()
    rows = []
    for dim in args.dims:
        task = build_task("relu-classes", dim=dim)
        independent = build_task("relu-classes", dim=dim, independent=True)
        for seed in range(args.seeds):
            t, y = task.sample(args.n, seed)
            t0, y0 = independent.sample(args.n, seed)
            for name in ("ksg", "ksg2", "kl", "wkl"):
                for case, (a, b, truth) in {
                    "labels": (t, y, task.mutual_information),
                    "independent": (t0, y0, 0.0),
                    "float-labels": (t, y.astype(float), task.mutual_information),
                }.items():
                    mi, notes, seconds = one(name, a, b)
                    rows.append({"task": f"relu-classes d={dim}", "case": case, "estimator": name,
                                 "seed": seed, "truth": truth, "estimate": mi, "error": mi - truth,
                                 "notes": notes, "seconds": seconds})
                    print(rows[-1], flush=True)
    base = build_task("gaussian-dense", dim_x=5, dim_y=5)
    for seed in range(args.seeds):
        x, y = base.sample(args.n, seed)
        for name in ("ksg", "ksg2", "kl", "wkl"):
            reference, _, _ = one(name, x, y)
            for dtype in ("float16", "float32"):
                mi, notes, seconds = one(name, x.astype(dtype), y.astype(dtype))
                rows.append({"task": "gaussian-dense 5x5", "case": dtype, "estimator": name, "seed": seed,
                             "truth": base.mutual_information, "estimate": mi, "error": mi - reference,
                             "notes": f"error against the float64 estimate {reference:.4f};{notes}",
                             "seconds": seconds})
                print(rows[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out, index=False)
    summary = table.groupby(["task", "case", "estimator"]).agg(
        mean_error=("error", "mean"), max_abs_error=("error", lambda e: e.abs().max()),
        notes=("notes", "first"), seconds=("seconds", "mean"))
    print(summary.to_string())


if __name__ == "__main__":
    main()
