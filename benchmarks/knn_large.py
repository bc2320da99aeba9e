"""The k-NN search of a kNN MI estimate at n = 100,000, d = 64, by chunked brute force.

This is the part of KL/WKL/KSG whose cost grows as n^2 d (the rest is O(n k)). The GPU target
(<= 5 s) needs CUDA; on a CPU the full search takes minutes, so ``--fraction`` times the first
part of the row blocks (each block does the same work: (rows x n) distances + top-k) and
scales the time up; the CSV says which rows were measured and which extrapolated.

    python benchmarks/knn_large.py [--fraction 0.05] [--device auto]
        -> benchmarks/results/knn_large.csv
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from results_csv import write_rows

from infoplane.estimators.neighbors import _block_rows, _distance_blocks
from infoplane.parallel import resolve_device

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=64, help="dimension of the searched space (e.g. the joint)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--fraction", type=float, default=0.05, help="share of row blocks timed")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--block-bytes", type=int, default=64 * 2**20)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "knn_large.csv")
    args = parser.parse_args()

    device = resolve_device(args.device)
    z = torch.from_numpy(np.random.default_rng(0).standard_normal((args.n, args.d))).to(device)
    rows = _block_rows(args.n, args.block_bytes)
    n_blocks = -(-args.n // rows)
    timed = max(1, round(args.fraction * n_blocks))
    records = []
    for metric in ("euclidean", "chebyshev"):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for i, (_, block) in enumerate(_distance_blocks(z, metric, args.block_bytes, exact=False)):
            torch.topk(block, args.k + 1, dim=1, largest=False)
            if i + 1 == timed:
                break
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        scale = n_blocks / timed
        records.append(
            {
                "n": args.n,
                "d": args.d,
                "k": args.k,
                "metric": metric,
                "device": device,
                "threads": torch.get_num_threads(),
                "rows_per_block": rows,
                "blocks_timed": timed,
                "blocks_total": n_blocks,
                "seconds_timed": round(wall, 3),
                "cpu_seconds_timed": round(cpu, 3),
                "seconds_full_extrapolated": round(wall * scale, 1),
                "cpu_seconds_full_extrapolated": round(cpu * scale, 1),
                "load_1min": round(os.getloadavg()[0], 2),
            }
        )
        print(records[-1], flush=True)
    write_rows(records, args.out)


if __name__ == "__main__":
    main()
