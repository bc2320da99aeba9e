"""The 40 tasks of bmi's benchmark (PyPI ``benchmark-mi``): infoplane's estimators beside bmi's KSG.

bmi pins NumPy < 2, so this runs in two steps, both on the same samples (n = 5000, seed 0, the
float32 arrays bmi returns):

    .venv-bench/bin/python benchmarks/bmi_tasks.py sample --out /tmp/bmi_tasks.npz
    python benchmarks/bmi_tasks.py estimate /tmp/bmi_tasks.npz --out benchmarks/results/bmi_tasks.csv

``sample`` (bench venv) draws every task, runs bmi's own KSG (``KSGEnsembleFirstEstimator``,
its defaults) and stores samples, truths and bmi's estimates; ``estimate`` (infoplane's venv)
runs ``ksg``, ``wkl`` and ``gaussian`` and prints the mean absolute error of each.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np


def sample(out: Path, n: int, seed: int) -> None:
    from bmi.benchmark import BENCHMARK_TASKS
    from bmi.estimators import KSGEnsembleFirstEstimator

    arrays, meta = {}, []
    for i, (name, task) in enumerate(BENCHMARK_TASKS.items()):
        x, y = task.sample(n, seed)
        start = time.perf_counter()
        bmi_ksg = float(KSGEnsembleFirstEstimator().estimate(x, y))
        meta.append({"task": name, "truth": float(task.mutual_information), "dim_x": task.dim_x,
                     "dim_y": task.dim_y, "bmi_ksg": bmi_ksg, "bmi_seconds": time.perf_counter() - start})
        arrays[f"x{i}"], arrays[f"y{i}"] = np.asarray(x), np.asarray(y)
        print(meta[-1], flush=True)
    np.savez(out, meta=json.dumps(meta), **arrays)


def estimate(path: Path, out: Path) -> None:
    import pandas as pd

    from infoplane.estimators import build

    data = np.load(path)
    meta = json.loads(str(data["meta"]))
    rows = []
    for i, task in enumerate(meta):
        x, y = data[f"x{i}"], data[f"y{i}"]
        row = dict(task, dtype=str(x.dtype))
        for name in ("ksg", "wkl", "gaussian"):
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    est = build(name).estimate_with_interval(x, y)
                    row[name], row[f"{name}_flags"] = est.mi, ";".join(est.flags)
                except ValueError as err:
                    row[name], row[f"{name}_flags"] = float("nan"), f"refused: {str(err)[:70]}"
            row[f"{name}_seconds"] = time.perf_counter() - start
            row[f"{name}_warnings"] = len(caught)
        rows.append(row)
        shown = ("task", "truth", "bmi_ksg", "ksg", "wkl", "gaussian", "wkl_flags")
        print({k: row[k] for k in shown}, flush=True)
    table = pd.DataFrame(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    for name in ("bmi_ksg", "ksg", "wkl", "gaussian"):
        ok = table[name].notna()
        error = (table.loc[ok, name] - table.loc[ok, "truth"]).abs()
        print(f"{name}: mean absolute error {error.mean():.4f} nats over {int(ok.sum())} of "
              f"{len(table)} tasks")
    both = table["wkl"].notna()
    for name in ("bmi_ksg", "ksg", "wkl", "gaussian"):
        error = (table.loc[both, name] - table.loc[both, "truth"]).abs()
        print(f"  on the {int(both.sum())} tasks wkl accepts: {name} {error.mean():.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("sample")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("estimate")
    p.add_argument("samples", type=Path)
    p.add_argument("--out", type=Path, default=Path("benchmarks/results/bmi_tasks.csv"))
    args = parser.parse_args()
    if args.step == "sample":
        sample(args.out, args.n, args.seed)
    else:
        estimate(args.samples, args.out)


if __name__ == "__main__":
    main()
