"""Speed, memory and accuracy of every registered estimator and of the peer implementations.

On the same samples in the same run: each infoplane estimator, scikit-learn's
``mutual_info_regression`` (1-D only: it takes one feature at a time) and bmi's KSG (PyPI
``benchmark-mi``, run by ``peer_bmi.py`` in its own venv because it pins NumPy < 2 and pandas < 2).
Samples: bmi's dense Gaussian task (d_x = d_y = d, every correlation 0.5), whose MI is known.

    make bench-env                       # once: .venv-bench with bmi (see requirements-peers.txt)
    python benchmarks/run.py             # the grid below -> benchmarks/results/estimators.csv
    python benchmarks/run.py --n 10000 --d 5 --estimators ksg --repeats 7 \
        --out benchmarks/results/ksg_10k_5x5.csv
    python benchmarks/plot.py            # results/estimators*.csv -> results/estimators.{png,pdf}
    python benchmarks/ratios.py          # peer / ksg seconds on the same samples, as Markdown
    make bench                           # all of it, with analysis_epoch.py and knn_large.py

Every row carries the 1-minute load average when it was measured: on a shared machine wall
seconds grow with the load, CPU seconds (all threads summed) much less.
A cell is skipped when the previous n for the same estimator and d, scaled by (n / n_prev)^2,
predicts more than ``--budget`` seconds (an overestimate where fixed costs dominate at small n;
rerun such cells alone with a larger ``--budget``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from measure import measure  # noqa: E402

from infoplane.estimators import available, build  # noqa: E402
from infoplane.estimators.neighbors import choose_backend  # noqa: E402
from infoplane.parallel import threads  # noqa: E402
from infoplane.synthetic import build_task  # noqa: E402

HERE = Path(__file__).parent
#: Parameters for estimators that have no usable default; the others run with their defaults.
PARAMS: dict[str, dict[str, Any]] = {
    "kde-upper": {"noise_variance": 0.1},
    "kde-lower": {"noise_variance": 0.1},
    "sp": {"beta": 0.1},
}
#: Bounds and SP estimate I(X; h(X) + noise), not I(X;Y) of the samples: timed, no error reported.
NO_TRUTH = {"kde-upper", "kde-lower", "sp"}
#: ``discrete`` is for discrete codes only (on continuous samples every row is distinct and it
#: returns log n); ``compressed`` is a compressor's fit followed by one of the estimators here;
#: the neural ones train a network per estimate and have their own script (neural_estimators.py).
SKIP = {"discrete", "compressed", "infonce", "mine", "nwj"}
COLUMNS = [
    "n",
    "d",
    "true_mi",
    "implementation",
    "estimator",
    "estimate",
    "abs_error",
    "seconds",
    "seconds_min",
    "cpu_seconds",
    "repeats",
    "peak_traced_mb",
    "peak_rss_mb",
    "threads",
    "backend",
    "load_1min",
    "status",
]


def row(
    n: int,
    d: int,
    truth: float,
    implementation: str,
    estimator: str,
    result: dict[str, Any] | None,
    repeats: int,
    backend: str,
    status: str = "ok",
) -> dict[str, Any]:
    scored = estimator not in NO_TRUTH
    out: dict[str, Any] = {
        "n": n,
        "d": d,
        "true_mi": round(truth, 6) if scored else "",
        "implementation": implementation,
        "estimator": estimator,
        "repeats": repeats,
        "threads": threads(),
        "backend": backend,
        "load_1min": round(os.getloadavg()[0], 2),
        "status": status,
    }
    if result is not None:
        out.update(
            {
                "estimate": round(result["value"], 6),
                "abs_error": round(abs(result["value"] - truth), 6) if scored else "",
                "seconds": round(result["seconds"], 4),
                "seconds_min": round(result["seconds_min"], 4),
                "cpu_seconds": round(result["cpu_seconds"], 4),
                "peak_traced_mb": round(result["peak_traced_mb"], 2),
                "peak_rss_mb": round(result["peak_rss_mb"], 2),
            }
        )
    return out


def backend_of(name: str, n: int, d: int) -> str:
    """The kNN backend the registry's kNN estimators get here ("-" for the others)."""
    if name in ("ksg", "ksg2"):
        return "/".join(choose_backend(n, 2 * d, "chebyshev")[:1] + choose_backend(n, d, "chebyshev")[:1])
    if name in ("kl", "wkl"):
        return choose_backend(n, 2 * d, "euclidean")[0]
    return "-"


def run_bmi(python: str, x: np.ndarray, y: np.ndarray, repeats: int) -> list[dict[str, Any]]:
    """bmi's KSG configurations on (x, y), measured inside the bench venv."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "samples.npz"
        np.savez(path, x=x, y=y)
        done = subprocess.run(
            [python, str(HERE / "peer_bmi.py"), str(path), str(repeats)],
            capture_output=True,
            text=True,
            check=True,
        )
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def run_sklearn(x: np.ndarray, y: np.ndarray, repeats: int) -> dict[str, Any]:
    """scikit-learn's KSG-1 (1-D x and y only), with k = 5 like infoplane's ``ksg``."""
    from sklearn.feature_selection import mutual_info_regression

    return measure(
        lambda: float(mutual_info_regression(x, y[:, 0], n_neighbors=5, random_state=0)[0]), repeats
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--d", type=int, nargs="+", default=[1, 2, 5, 10, 50, 64], help="d_x = d_y")
    parser.add_argument("--estimators", nargs="+", default=None, help="default: every registered one")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per cell (median reported)")
    parser.add_argument("--budget", type=float, default=60.0, help="skip cells predicted slower (s)")
    parser.add_argument(
        "--peer-python",
        default=str(HERE.parent / ".venv-bench" / "bin" / "python"),
        help="Python of the venv with bmi; 'none' skips bmi",
    )
    parser.add_argument(
        "--bmi-max-n", type=int, default=10_000, help="bmi sorts n x n distances: O(n^2 log n)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "estimators.csv")
    args = parser.parse_args(argv)

    names = args.estimators or [name for name in available() if name not in SKIP]
    build("ksg").estimate(*build_task("gaussian-dense", dim_x=2, dim_y=2).sample(500, 0))  # warm-up
    args.out.parent.mkdir(parents=True, exist_ok=True)
    last: dict[tuple[str, int], tuple[int, float]] = {}  # (implementation/estimator, d) -> (n, s)

    def too_slow(key: tuple[str, int], n: int) -> bool:
        if key not in last:
            return False
        n_prev, seconds = last[key]
        return seconds * (n / n_prev) ** 2 > args.budget

    with args.out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()

        def emit(record: dict[str, Any]) -> None:
            writer.writerow(record)
            handle.flush()
            print(
                json.dumps(
                    {
                        k: record.get(k)
                        for k in (
                            "n",
                            "d",
                            "implementation",
                            "estimator",
                            "estimate",
                            "true_mi",
                            "seconds",
                            "cpu_seconds",
                            "status",
                        )
                    }
                ),
                flush=True,
            )

        for d in args.d:
            task = build_task("gaussian-dense", dim_x=d, dim_y=d)
            truth = task.mutual_information
            for n in sorted(args.n):
                x, y = task.sample(n, args.seed)
                for name in names:
                    key = (name, d)
                    if too_slow(key, n):
                        emit(
                            row(
                                n,
                                d,
                                truth,
                                "infoplane",
                                name,
                                None,
                                0,
                                backend_of(name, n, d),
                                f"skipped: predicted > {args.budget:g} s",
                            )
                        )
                        continue
                    try:
                        estimator = build(name, **PARAMS.get(name, {}))
                        result = measure(lambda est=estimator, a=x, b=y: est.estimate(a, b), args.repeats)
                    except ValueError as err:  # e.g. wkl's weights need k >= the joint dimension
                        emit(row(n, d, truth, "infoplane", name, None, 0, "-", f"error: {err}"))
                        continue
                    last[key] = (n, result["seconds"])
                    emit(row(n, d, truth, "infoplane", name, result, args.repeats, backend_of(name, n, d)))
                if d == 1:
                    emit(
                        row(
                            n,
                            d,
                            truth,
                            "sklearn",
                            "mutual_info_regression",
                            run_sklearn(x, y, args.repeats),
                            args.repeats,
                            "kdtree",
                        )
                    )
                if args.peer_python != "none":
                    if n > args.bmi_max_n or too_slow(("bmi", d), n):
                        for config in ("ksg-chebyshev-k5", "ksg-default"):
                            emit(
                                row(
                                    n,
                                    d,
                                    truth,
                                    "bmi",
                                    config,
                                    None,
                                    0,
                                    "brute",
                                    f"skipped: n > {args.bmi_max_n} or predicted > {args.budget:g} s",
                                )
                            )
                        continue
                    for result in run_bmi(args.peer_python, x, y, args.repeats):
                        last[("bmi", d)] = (n, result["seconds"])
                        emit(row(n, d, truth, "bmi", result["config"], result, args.repeats, "brute"))
    print(f"wrote {args.out} ({time.strftime('%Y-%m-%d %H:%M:%S')})")


if __name__ == "__main__":
    main()
