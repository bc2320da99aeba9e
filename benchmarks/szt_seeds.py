"""Seconds to train many seeds of the SZT network at once, with binning MI at every logged epoch.

The paper scale of Shwartz-Ziv & Tishby: 12-10-7-5-4-3-2 tanh, Adam lr 4e-4, batch 512,
8000 epochs, 50 seeds, MI (30 bins on [-1, 1]) at about 400 log-spaced epochs. Two modes:

    python benchmarks/szt_seeds.py --seeds 50 --epochs 8000 --log-points 400 [--jobs 2]
        all seeds in one stack (infoplane.baselines.szt_seeds.train_szt_seeds); writes the MI
        table beside the timing row
    python benchmarks/szt_seeds.py --seeds 2 --epochs 8000 --log-points 400 --one-by-one
        the per-seed path of the pipeline (train_szt, then run_planes), for the speedup

    -> benchmarks/results/szt_seeds.csv (one row per call, appended); --table PATH: the MI table
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
from infoplane.baselines.planes import run_planes
from infoplane.baselines.szt_runs import SZTRun, train_szt
from infoplane.baselines.szt_seeds import train_szt_seeds

HERE = Path(__file__).parent
ANALYSES = {"szt": {"estimator": "binning", "scheme": "szt"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=8000)
    parser.add_argument("--log-points", type=int, default=400)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of each process")
    parser.add_argument("--jobs", type=int, default=2, help="processes the seeds are split over")
    parser.add_argument("--one-by-one", action="store_true", help="train the seeds one after another")
    parser.add_argument("--data-root", default=str(HERE.parent / "../shared/datasets"))
    parser.add_argument("--out", type=Path, default=HERE / "results" / "szt_seeds.csv", help="timing rows")
    parser.add_argument("--table", type=Path, help="where the stacked run writes its MI table (.csv.gz)")
    args = parser.parse_args()

    run = SZTRun(activation="tanh", epochs=args.epochs, log_points=args.log_points)
    seeds = list(range(args.seeds))
    load = os.getloadavg()[0]  # other processes' load when the run starts (2 cores)
    wall, cpu = time.perf_counter(), time.process_time()
    if args.one_by_one:
        tables = []
        with tempfile.TemporaryDirectory() as tmp:
            for seed in seeds:
                run_dir = train_szt(dataclasses.replace(run, seed=seed), Path(tmp) / str(seed),
                                    args.data_root, threads=args.threads)
                tables.append(run_planes(run_dir, ANALYSES, "szt_binning", "tanh", seed))
        table = pd.concat(tables)
    else:
        table, _ = train_szt_seeds(run, seeds, ANALYSES, "szt_binning", "tanh", args.data_root,
                                   threads=args.threads, progress=True, jobs=args.jobs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    row = {"mode": "one-by-one" if args.one_by_one else "stacked", "seeds": args.seeds, "epochs": args.epochs,
           "captured_epochs": table["epoch"].nunique(), "threads": args.threads,
           "jobs": 1 if args.one_by_one else args.jobs, "wall_s": round(wall, 1),
           "cpu_s": round(cpu, 1), "wall_s_per_seed": round(wall / args.seeds, 2),
           "load_at_start": round(load, 2)}
    print(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    new = not args.out.exists()
    with args.out.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)
    if args.table and not args.one_by_one:
        args.table.parent.mkdir(parents=True, exist_ok=True)
        partial = args.table.with_name(args.table.name + ".partial")
        table.to_csv(partial, index=False, float_format="%.6g", compression={"method": "gzip", "mtime": 0})
        partial.replace(args.table)


if __name__ == "__main__":
    main()
