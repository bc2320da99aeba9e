"""The ``infoplane`` command. Every Snakemake rule is one of these subcommands, so every step
of the pipeline can be run alone; each reads and writes the files named on its command line.

    infoplane sample    --task gaussian-pairs --param dim_x=2 --param mi=1 --n 5000 --seed 0 --out s.npz
    infoplane estimate  --x X.npy --y Y.npy --estimator ksg --param k=5
    infoplane estimate  --samples s.npz --estimator wkl --out record.json
    infoplane aggregate records/*.json --out table.csv --metrics metrics.json
    infoplane plot validation --table table.csv --out fig.pdf --out fig.png

Bad input ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``["k=5", "scheme=fixed"]`` -> ``{"k": 5, "scheme": "fixed"}`` (values read as YAML)."""
    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--param expects KEY=VALUE, got {item!r}")
        parsed = yaml.safe_load(value)
        if isinstance(parsed, str):
            # YAML 1.1 reads "1e-3" (no dot) as text; numbers typed on a command line are numbers.
            try:
                parsed = float(parsed)
            except ValueError:
                pass
        params[key.strip()] = parsed
    return params


def write_json(obj: Any, path: Path | None) -> None:
    """Print ``obj`` as one JSON line, and also write it to ``path`` when given."""
    line = json.dumps(obj, sort_keys=True)
    print(line)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(line + "\n")
        tmp.replace(path)  # atomic: a killed run never leaves half a record


def load_array(path: Path, what: str) -> np.ndarray:
    if not path.exists():
        raise ValueError(f"{what} file {path} does not exist")
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix in (".csv", ".txt"):
        return np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None, ndmin=2)
    raise ValueError(f"{what} file {path} must be .npy, .csv or .txt")


# --- subcommands -------------------------------------------------------------------------


def cmd_sample(args: argparse.Namespace) -> None:
    from infoplane.synthetic import build_task

    params = parse_params(args.param)
    task = build_task(args.task, **params)
    x, y = task.sample(args.n, args.seed)
    meta = {"task": args.task, "task_params": params, "n": args.n, "seed": args.seed,
            "mi_true": task.mutual_information}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.stem + ".tmp.npz")
    np.savez(tmp, x=x, y=y, meta=json.dumps(meta))
    tmp.replace(args.out)
    print(json.dumps({**meta, "out": str(args.out)}, sort_keys=True))


def cmd_estimate(args: argparse.Namespace) -> None:
    from infoplane.estimators import build
    from infoplane.records import estimate_record

    # Check the estimator and its parameters before reading any data.
    estimator = build(args.estimator, **parse_params(args.param))
    meta: dict[str, Any] = {}
    if args.samples is not None:
        if args.x is not None or args.y is not None:
            raise ValueError("give either --samples or --x and --y, not both")
        if not args.samples.exists():
            raise ValueError(f"samples file {args.samples} does not exist")
        with np.load(args.samples, allow_pickle=False) as data:
            x, y = data["x"], data["y"]
            meta = json.loads(str(data["meta"])) if "meta" in data else {}
    elif args.x is not None and args.y is not None:
        x, y = load_array(args.x, "--x"), load_array(args.y, "--y")
        if y.ndim == 2 and y.shape[1] == 1 and args.discrete_y:
            y = y[:, 0]
        if args.discrete_y:
            y = y.astype(np.int64)
    else:
        raise ValueError("give --samples FILE.npz, or both --x and --y")
    write_json({**meta, **estimate_record(estimator, x, y)}, args.out)


def cmd_aggregate(args: argparse.Namespace) -> None:
    from infoplane.records import error_summary, read_records

    table = read_records(args.records)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    if args.metrics is not None:
        write_json(error_summary(table), args.metrics)
    print(f"{len(table)} records -> {args.out}", file=sys.stderr)


def cmd_plot(args: argparse.Namespace) -> None:
    import pandas as pd

    from infoplane import plots

    if not args.table.exists():
        raise ValueError(f"table {args.table} does not exist")
    table = pd.read_csv(args.table)
    if args.kind == "validation":
        plots.plot_estimator_validation(table, args.out, title=args.title)


# --- baselines (issue 5): `infoplane baseline ...`, implemented in infoplane.baselines.commands ---


def cmd_baseline(args: argparse.Namespace) -> None:
    args.baseline_func(args)


def add_baseline_parsers(sub: argparse._SubParsersAction) -> None:
    from infoplane.baselines.commands import add_parsers  # argparse only; heavy imports stay in the commands

    add_parsers(sub)
    sub.choices["baseline"].set_defaults(func=cmd_baseline)


# --- end baselines ---------------------------------------------------------------------------


# --- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="infoplane", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="draw samples of a known-MI task to an .npz file")
    p.add_argument("--task", required=True, help="task name, e.g. gaussian-pairs")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="task parameter (repeatable)")
    p.add_argument("--n", type=int, required=True, help="number of samples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="output .npz (x, y, meta)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("estimate", help="estimate I(X;Y) in nats; prints one JSON line")
    p.add_argument("--x", type=Path, help="X samples, (n, d_x) .npy/.csv")
    p.add_argument("--y", type=Path, help="Y samples, (n, d_y) .npy/.csv, or (n,) integer labels")
    p.add_argument("--samples", type=Path, help="an .npz written by `infoplane sample`")
    p.add_argument("--discrete-y", action="store_true", help="read --y as integer labels")
    p.add_argument("--estimator", required=True, help="registry name, e.g. ksg, wkl")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="estimator parameter (repeatable)")
    p.add_argument("--out", type=Path, help="also write the JSON record here")
    p.set_defaults(func=cmd_estimate)

    p = sub.add_parser("aggregate", help="join estimate records into one CSV table")
    p.add_argument("records", type=Path, nargs="+", help="record .json files")
    p.add_argument("--out", type=Path, required=True, help="output .csv")
    p.add_argument("--metrics", type=Path, help="also write per-estimator errors as JSON")
    p.set_defaults(func=cmd_aggregate)

    p = sub.add_parser("plot", help="render a figure from a table")
    p.add_argument("kind", choices=["validation"])
    p.add_argument("--table", type=Path, required=True)
    p.add_argument("--out", type=Path, action="append", required=True, help="figure path (repeatable)")
    p.add_argument("--title", default="")
    p.set_defaults(func=cmd_plot)

    add_baseline_parsers(sub)  # baselines (issue 5)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError, KeyError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"infoplane {args.command}: error: {message}", file=sys.stderr)
        return 2
    return 0
