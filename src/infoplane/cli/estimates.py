"""Known-MI samples and estimates: ``infoplane sample | estimate | aggregate | fit-compressor``.

    infoplane sample    --task gaussian-pairs --param dim_x=2 --param mi=1 --n 5000 --seed 0 --out s.npz
    infoplane estimate  --x X.npy --y Y.npy --estimator ksg --param k=5
    infoplane estimate  --samples s.npz --estimator wkl --out record.json
    infoplane fit-compressor --task gaussian-bumps --param size=16 --spec ae:2 --out ae.pt
    infoplane estimate  --samples s.npz --estimator compressed --param estimator=wkl \\
        --param x=ae.pt --param y=ae.pt
    infoplane aggregate records/*.json --out table.csv --metrics metrics.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from infoplane.cli.common import load_array, load_samples_file, parse_params, write_json
from infoplane.files import existing_file, write_csv


def cmd_sample(args: argparse.Namespace) -> None:
    from infoplane.synthetic import build_task
    from infoplane.synthetic.store import save_samples

    if args.out.is_dir():
        raise ValueError(f"--out {args.out} is a directory; give a file path")
    params = parse_params(args.param)
    task = build_task(args.task, **params)
    meta = save_samples(args.out, task, args.n, args.seed,
                        {"task": args.task, "task_params": params, "family": args.family or args.task})
    print(json.dumps({**meta, "out": str(args.out)}, sort_keys=True))


def cmd_estimate(args: argparse.Namespace) -> None:
    from infoplane.estimators import build

    # Check the estimator and its parameters before reading any data.
    try:
        estimator = build(args.estimator, **parse_params(args.param))
    except (ValueError, TypeError) as err:
        raise ValueError(f"--estimator {args.estimator} --param: {err}") from None
    for out in args.out or []:
        if out.is_dir():
            raise ValueError(f"--out {out} is a directory; give a file path")
    if args.samples:
        if args.x is not None or args.y is not None:
            raise ValueError("give either --samples or --x and --y, not both")
        outs = args.out or []
        if len(args.samples) > 1 and len(outs) != len(args.samples):
            raise ValueError(f"{len(args.samples)} --samples files need as many --out files "
                             f"(one record each), got {len(outs)}")
        # One process for many files: the imports and the estimator's setup are paid once.
        for i, path in enumerate(args.samples):
            x, y, meta = load_samples_file(path, args.variables)
            _write_estimate(estimator, x, y, {**meta, "variables": args.variables}, args.label,
                            outs[i] if outs else None)
    elif args.x is not None and args.y is not None:
        x, y = load_array(args.x, "--x"), load_array(args.y, "--y")
        if y.ndim == 2 and y.shape[1] == 1 and args.discrete_y:
            y = y[:, 0]
        if args.discrete_y:
            if y.ndim != 1:
                raise ValueError(f"--discrete-y: --y {args.y} must be one column of labels, "
                                 f"got shape {y.shape}")
            if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
                bad = y[~np.isfinite(y) | (y != np.round(y))][0]
                raise ValueError(f"--discrete-y: --y {args.y} holds values that are not integer labels "
                                 f"(e.g. {bad}); drop --discrete-y for a real-valued y")
            y = y.astype(np.int64)
        if args.out is not None and len(args.out) > 1:
            raise ValueError("--x/--y give one record: pass one --out")
        _write_estimate(estimator, x, y, {}, args.label, args.out[0] if args.out else None)
    else:
        raise ValueError("give --samples FILE.npz [...], or both --x and --y")


def _write_estimate(estimator, x: np.ndarray, y: np.ndarray, meta: dict[str, Any], label: str | None,
                    out: Path | None) -> None:
    """Estimate, print the record as one JSON line, and write it to ``out`` when given."""
    from infoplane.records import estimate_record

    record = {**meta, **estimate_record(estimator, x, y)}
    record["label"] = label or record["estimator"]
    write_json(record, out)


def cmd_aggregate(args: argparse.Namespace) -> None:
    from infoplane.records import error_summary, family_summary, read_records

    for path in args.records:
        try:
            json.loads(existing_file(path, "record").read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"record {path} is not JSON ({err}); remake it with `infoplane estimate`"
                             ) from None
    table = read_records(args.records)
    write_csv(table, args.out)
    if args.metrics is not None:
        write_json(family_summary(table) if args.by_family else error_summary(table), args.metrics)
    print(f"{len(table)} records -> {args.out}", file=sys.stderr)


def cmd_fit_compressor(args: argparse.Namespace) -> None:
    """Fit a compressor on samples drawn for it alone, report its error on a fresh test set."""
    import torch

    from infoplane.compression import make_compressor, save_compressor
    from infoplane.synthetic import build_task

    torch.set_num_threads(args.threads)
    params = parse_params(args.param)
    task = build_task(args.task, **params)
    options = parse_params(args.option, "--option")
    if args.progress and args.spec.startswith("ae:"):
        options["progress"] = True
    pick = {"x": lambda x, y: x, "y": lambda x, y: y, "both": lambda x, y: np.concatenate([x, y])}[args.side]
    # Both sides together give n_fit samples; separate seeds keep fitting, test and estimation
    # samples disjoint (the estimation grid uses its own seeds).
    draws = 2 if args.side == "both" else 1
    train = pick(*task.sample(args.n_fit // draws, args.seed))
    test = pick(*task.sample(args.n_test // draws, args.seed + 1))
    compressor = make_compressor(args.spec, seed=args.seed, **options).fit(train)
    save_compressor(compressor, args.out)
    report = {"task": args.task, "task_params": params, "spec": args.spec, "side": args.side,
              "n_fit": len(train), "n_test": len(test), "seed": args.seed, "options": options,
              "reconstruction_error_fit": compressor.reconstruction_error(train),
              "reconstruction_error_test": compressor.reconstruction_error(test),
              "out": str(args.out)}
    history = getattr(compressor, "history", None)
    if history:
        report["final_training_loss"] = history[-1]
    write_json(report, args.report)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The sample, estimate, aggregate and fit-compressor subcommands."""
    from infoplane.synthetic import TASKS

    tasks = ", ".join(sorted(TASKS))
    p = sub.add_parser("sample", help="draw samples of a known-MI task to an .npz file")
    p.add_argument("--task", required=True, help=f"known-MI task: {tasks}")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="task parameter (repeatable)")
    p.add_argument("--n", type=int, required=True, help="number of samples")
    p.add_argument("--seed", type=int, default=0, help="seed of the draw (default 0)")
    p.add_argument("--family", help="task family recorded for the error summary (default: the task)")
    p.add_argument("--out", type=Path, required=True, help="output .npz (x, y or their latents, meta)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("estimate", help="estimate I(X;Y) in nats; prints one JSON line")
    p.add_argument("--x", type=Path, help="X samples, (n, d_x) .npy/.csv")
    p.add_argument("--y", type=Path, help="Y samples, (n, d_y) .npy/.csv, or (n,) integer labels")
    p.add_argument("--samples", type=Path, nargs="+",
                   help="one or more .npz written by `infoplane sample` (one record each)")
    p.add_argument("--variables", choices=["observed", "latent"], default="observed",
                   help="with --samples: the observed x, y (default) or an image task's latents")
    p.add_argument("--discrete-y", action="store_true", help="read --y as integer labels")
    p.add_argument("--label", help="name of this method in tables and figures (default: the estimator)")
    p.add_argument("--estimator", required=True, help="registry name, e.g. ksg, wkl")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="estimator parameter (repeatable)")
    p.add_argument("--out", type=Path, nargs="+",
                   help="also write the JSON record here (one path per --samples file)")
    p.set_defaults(func=cmd_estimate)

    p = sub.add_parser("aggregate", help="join estimate records into one CSV table")
    p.add_argument("records", type=Path, nargs="+", help="record .json files")
    p.add_argument("--out", type=Path, required=True, help="output .csv")
    p.add_argument("--metrics", type=Path, help="also write per-estimator errors as JSON")
    p.add_argument("--by-family", action="store_true",
                   help="metrics per task family and method label (else per estimator)")
    p.set_defaults(func=cmd_aggregate)

    p = sub.add_parser("fit-compressor", help="fit a compressor (pca:K, ae:K) on fresh task samples, save it")
    p.add_argument("--task", required=True, help=f"task whose samples train the compressor: {tasks}")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="task parameter (repeatable)")
    p.add_argument("--spec", required=True, help="compressor spec: pca:K or ae:K")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="autoencoder option, e.g. epochs=50 (repeatable)")
    p.add_argument("--side", choices=["x", "y", "both"], default="both",
                   help="fit on X, on Y, or on both stacked (one encoder for both; the default)")
    p.add_argument("--n-fit", type=int, default=6000, help="fitting samples (default 6000)")
    p.add_argument("--n-test", type=int, default=1000, help="test samples for the reported error")
    p.add_argument("--seed", type=int, default=1000, help="seed of the samples and of the compressor")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--progress", action="store_true", help="show a progress bar while training")
    p.add_argument("--out", type=Path, required=True, help="the fitted compressor (.pt)")
    p.add_argument("--report", type=Path, help="also write the JSON report here")
    p.set_defaults(func=cmd_fit_compressor)
