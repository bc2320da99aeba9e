"""Seconds to train many seeds of the SZT network at once, with binning MI at every logged epoch.

The paper scale of Shwartz-Ziv & Tishby: 12-10-7-5-4-3-2 tanh, Adam lr 4e-4, batch 512,
8000 epochs, 50 seeds, MI (30 bins on [-1, 1]) at about 400 log-spaced epochs. Two modes:

    python benchmarks/szt_seeds.py --seeds 50 --epochs 8000 --log-points 400 [--jobs 2]
        all seeds in one stack (infoplane.experiments.seeds.train_seeds_at_once); writes the MI
        table beside the timing row
    python benchmarks/szt_seeds.py --seeds 2 --epochs 8000 --log-points 400 --one-by-one
        the per-seed path of the pipeline (train_run, then analyse_run), for the speedup

Both read experiments/szt_binning.yaml at the paper scale (variant tanh, the ``szt`` analysis:
30 bins on [-1, 1]) with --epochs and --log-points as overrides.

    -> benchmarks/results/szt_seeds.csv (one row per call, appended); --table PATH: the MI table
"""

from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from infoplane.experiments import analyse_run, load_experiment, train_run
from infoplane.experiments.seeds import train_seeds_at_once

HERE = Path(__file__).parent
EXPERIMENT = HERE.parent / "experiments" / "szt_binning.yaml"
VARIANT = "tanh"
ANALYSIS = "szt"   # 30 bins on [-1, 1]


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

    seeds = list(range(args.seeds))
    overrides = {"train.epochs": args.epochs, "capture.schedule.log_points": args.log_points, "seeds": seeds}
    spec = load_experiment(EXPERIMENT, "paper", overrides)
    spec["analyses"] = {ANALYSIS: spec["analyses"][ANALYSIS]}
    load = os.getloadavg()[0]  # other processes' load when the run starts (2 cores)
    wall, cpu = time.perf_counter(), time.process_time()
    if args.one_by_one:
        tables = []
        with tempfile.TemporaryDirectory() as tmp:
            for seed in seeds:
                run_dir = train_run(spec, VARIANT, seed, Path(tmp) / str(seed), data_root=args.data_root,
                                    threads=args.threads)
                tables.append(analyse_run(spec, VARIANT, seed, run_dir))
        table = pd.concat(tables)
    else:
        table, _ = train_seeds_at_once(spec, VARIANT, seeds, args.data_root, threads=args.threads,
                                       progress=True, jobs=args.jobs)
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
