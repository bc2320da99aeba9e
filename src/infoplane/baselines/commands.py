"""The ``infoplane baseline ...`` subcommands (parsers in :mod:`infoplane.cli`).

    infoplane baseline train     --config '{"activation": "tanh", "epochs": 1000}' --seed 0 --out RUN_DIR
    infoplane baseline planes    --run-dir RUN_DIR
                                 --analyses '{"szt": {"estimator": "binning", "scheme": "szt"}}'
                                 --experiment szt_binning --variant tanh --seed 0 --out mi.csv
    infoplane baseline sp        --run-dir RUN_DIR --beta 0.1 --variant tanh --seed 0 --out mi.csv
                                 [--scatter-out scatter.csv --scatter-layer 5 --scatter-epochs 0 100 1000]
    infoplane baseline neuron    --beta 0.1 --out neuron.csv
    infoplane baseline ib-curve  --out ib.csv
    infoplane baseline summarise mi_*.csv --out summary.csv --flags flags.json --finals finals.csv
                                 [--run-config '{"dataset": "mnist", "network": "bottleneck2", ...}']
    infoplane baseline plot plane|epochs|neuron|scatter --table T.csv --out fig.pdf --out fig.png

Tables are in nats; figures in bits. ``--run-config`` (the experiment's run settings) tells
summarise and plot which evaluation set the MI was computed over, hence H(X) and H(Y); without
it they are the SZT task's 12 bits and 0.99916 bits.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from infoplane.files import write_csv, write_text


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    write_csv(table, path)  # atomic: a killed job never leaves half a table


def _szt(args: argparse.Namespace):
    from infoplane.data.szt import load_szt

    return load_szt(args.data_root)


def _limits(args: argparse.Namespace) -> tuple[int, float]:
    """n_eval (H(X) = ln n_eval) and H(Y) in nats of the evaluation set of ``--run-config``
    (the SZT task when it is not given)."""
    from infoplane.baselines.szt_runs import SZTRun, information_limits

    run = SZTRun.from_dict(json.loads(args.run_config) if args.run_config else {})
    return information_limits(run, args.data_root)


def cmd_train(args: argparse.Namespace) -> None:
    from infoplane.baselines.szt_runs import SZTRun, train_szt

    run = SZTRun.from_dict({**json.loads(args.config), "seed": args.seed})
    train_szt(run, args.out, args.data_root, threads=args.threads, progress=args.progress)
    print(json.dumps({"run_dir": str(args.out), "run": run.__dict__}, sort_keys=True))


def cmd_seeds(args: argparse.Namespace) -> None:
    from infoplane.baselines.planes import parse_analyses
    from infoplane.baselines.szt_runs import SZTRun
    from infoplane.baselines.szt_seeds import train_szt_seeds

    run = SZTRun.from_dict(json.loads(args.config))
    seeds, analyses = parse_seeds(args.seeds), parse_analyses(args.analyses)
    table, history = train_szt_seeds(run, seeds, analyses, args.experiment, args.variant, args.data_root,
                                     progress=args.progress, jobs=args.jobs)
    _write_csv(table, args.out)
    if args.history:
        _write_csv(history, args.history)
    print(f"{len(table)} rows -> {args.out}", file=sys.stderr)


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"0-49"``, ``"3,7,9"`` or a mix (``"0-3,10"``)."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            seeds += list(range(int(first), int(last) + 1)) if last else [int(first)]
    except ValueError:
        raise ValueError(f"--seeds {text!r}: give integers and ranges such as 0-49 or 3,7,9") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds {text!r}: give at least one seed, each once")
    return seeds


def cmd_planes(args: argparse.Namespace) -> None:
    from infoplane.baselines.planes import parse_analyses, run_planes

    table = run_planes(args.run_dir, parse_analyses(args.analyses), args.experiment, args.variant, args.seed)
    _write_csv(table, args.out)
    print(f"{len(table)} rows -> {args.out}", file=sys.stderr)


def cmd_sp(args: argparse.Namespace) -> None:
    import torch

    from infoplane.baselines.goldfeld import noisy_net_planes, propagate
    from infoplane.baselines.planes import MI_COLUMNS, accuracies
    from infoplane.baselines.szt_runs import SZTRun, load_model
    from infoplane.train import captured_epochs, load_eval_set

    torch.set_num_threads(args.threads)
    config = json.loads((args.run_dir / "config.json").read_text())
    run = SZTRun.from_dict(config["metadata"]["szt_run"])
    if run.noise_std <= 0:
        raise ValueError(f"{args.run_dir} is not a noisy network (noise_std = 0); SP needs the noise")
    inputs, labels, _ = load_eval_set(args.run_dir)
    history = pd.read_csv(args.run_dir / "history.csv").set_index("epoch")
    epochs = captured_epochs(args.run_dir)
    # default scatter epochs: the first, the middle and the last captured epoch
    scatter_epochs = args.scatter_epochs or [epochs[0], epochs[len(epochs) // 2], epochs[-1]]
    parts, scatter = [], []
    for epoch in epochs:
        model = load_model(run, args.run_dir, epoch)
        rows = noisy_net_planes(model, inputs, labels, run.noise_std, n_cond=args.n_cond,
                                cond_inputs=args.cond_inputs or None, n_mc=args.n_mc,
                                seed=args.seed * 1000 + epoch)
        parts.append(rows.assign(epoch=epoch, **accuracies(history, epoch)))
        if args.scatter_out is not None and epoch in scatter_epochs:
            generator = torch.Generator().manual_seed(args.seed)
            s = propagate(model, torch.as_tensor(inputs), generator)[args.scatter_layer - 1]
            t = (s + run.noise_std * torch.randn(s.shape, generator=generator)).numpy()
            if t.shape[1] != 3:
                raise ValueError(f"--scatter-layer {args.scatter_layer} has {t.shape[1]} neurons; "
                                 "choose a 3-neuron layer")
            scatter.append(pd.DataFrame({"epoch": epoch, "label": labels,
                                         "t1": t[:, 0], "t2": t[:, 1], "t3": t[:, 2]}))
    table = pd.concat(parts, ignore_index=True).assign(
        experiment=args.experiment, variant=args.variant, seed=args.seed, estimator="sp")
    _write_csv(table[MI_COLUMNS], args.out)
    if args.scatter_out is not None:
        if not scatter:
            raise ValueError(f"none of the scatter epochs {scatter_epochs} was captured")
        _write_csv(pd.concat(scatter, ignore_index=True), args.scatter_out)
    print(f"{len(table)} rows -> {args.out}", file=sys.stderr)


def cmd_neuron(args: argparse.Namespace) -> None:
    from infoplane.baselines.goldfeld import single_neuron_curve

    weights = np.geomspace(args.w_min, args.w_max, args.n_weights)
    table = single_neuron_curve(weights, args.beta, n_samples=args.n_samples, n_mc=args.n_mc, seed=args.seed)
    _write_csv(table, args.out)
    worst = float((table["i_sp"] - table["i_true"]).abs().max() / math.log(2))
    print(json.dumps({"max_abs_error_bits": worst, "peak_bits": float(table["i_true"].max() / math.log(2))}))


def cmd_ib_curve(args: argparse.Namespace) -> None:
    from infoplane.ib_curve import ib_sweep, joint_from_labels, smoothed

    data = _szt(args)
    joint = joint_from_labels(data.y)
    betas = np.geomspace(args.beta_min, args.beta_max, args.n_betas)
    parts = []
    for method in ("ib", "dual"):
        used = joint if method == "ib" else smoothed(joint, args.epsilon)
        curve = ib_sweep(used, betas, n_clusters=args.clusters, method=method, seed=args.seed)
        parts.append(pd.DataFrame({"method": method, "beta": curve.beta,
                                   "i_xt": curve.i_xt, "i_ty": curve.i_ty,
                                   "iterations": curve.iterations,
                                   "label_smoothing": 0.0 if method == "ib" else args.epsilon}))
    _write_csv(pd.concat(parts, ignore_index=True), args.out)


def to_mi_table(table: pd.DataFrame, n_eval: int, h_y: float) -> pd.DataFrame:
    """A baseline MI table in the columns of :data:`infoplane.tables.MI_COLUMNS`: its
    ``estimator`` column holds the analysis name, its layers are numbers 1..L (T1..TL)."""
    depth = table["layer"].astype(int)
    return table.assign(analysis=table["estimator"], layer="T" + depth.astype(str), depth=depth,
                        h_x=math.log(n_eval), h_y=h_y, flags="")


def cmd_summarise(args: argparse.Namespace) -> None:
    from infoplane.flags import sanity
    from infoplane.tables import aggregate, finals, save_table

    missing = [str(p) for p in args.tables if not p.exists()]
    if missing:
        raise ValueError(f"tables missing: {', '.join(missing)}")
    n_eval, h_y = _limits(args)
    table = to_mi_table(pd.concat([pd.read_csv(p) for p in args.tables], ignore_index=True), n_eval, h_y)
    flags = sanity(table, tol=args.tolerance)
    aggregated = aggregate(table)
    save_table(aggregated, args.out)
    if args.finals is not None:
        # The claims read finals.csv with the analysis under `estimator` and layer numbers.
        summary = finals(aggregated)
        _write_csv(summary.assign(estimator=summary["analysis"], layer=summary["depth"]), args.finals)
    write_text(args.flags, json.dumps(flags, indent=2, sort_keys=True) + "\n")
    if not flags["ok"]:
        raise ValueError(f"{flags['violations']} estimates break I(X;T) <= H(X) or I(T;Y) <= H(Y); "
                         f"see {args.flags}")


def cmd_plot(args: argparse.Namespace) -> None:
    from infoplane import plots
    from infoplane.tables import load_table

    if not args.table.exists():
        raise ValueError(f"table {args.table} does not exist")
    panels = [tuple(p) for p in json.loads(args.panels)] if args.panels else None
    if args.kind in ("plane", "epochs"):
        table = load_table(args.table)  # the aggregated table of `summarise` (H(X), H(Y) in it)
        if args.kind == "plane":
            ib = pd.read_csv(args.ib) if args.ib is not None else None
            plots.plot_information_plane(table, args.out, panels, title=args.title, ib=ib)
        else:
            plots.plot_mi_epoch(table, None, args.out, panels, title=args.title)
    elif args.kind == "neuron":
        plots.plot_single_neuron(pd.read_csv(args.table), args.out, args.beta, title=args.title)
    else:
        plots.plot_layer_scatter(pd.read_csv(args.table), args.out, title=args.title)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The ``baseline`` subcommands, added to ``infoplane``'s subparsers."""
    base = sub.add_parser("baseline", help="the four earlier IB analyses on SZT (train, planes, sp, plot...)")
    inner = base.add_subparsers(dest="baseline_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-root", default=None, help="dataset root (default: $INFOPLANE_DATA_ROOT)")

    def run_config(p: argparse.ArgumentParser) -> None:
        p.add_argument("--run-config", default=None,
                       help="the runs' settings as JSON (dataset, eval_size...): the evaluation set "
                            "that fixes H(X) and H(Y); default: the SZT task")

    p = inner.add_parser("train", help="train one SZT (or MNIST) network, capturing every layer on "
                                       "its evaluation set")
    p.add_argument("--config", required=True,
                   help="SZTRun settings as JSON (dataset, network, activation, bits, ...)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", type=Path, required=True, help="run directory")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--progress", action="store_true")
    common(p)
    p.set_defaults(baseline_func=cmd_train)

    p = inner.add_parser("seeds", help="train many seeds of one SZT run at once (stacked weights), with "
                                       "binning MI of every captured epoch; writes the MI table")
    p.add_argument("--config", required=True,
                   help="SZTRun settings as JSON (activation, epochs, log_points...)")
    p.add_argument("--seeds", required=True, help="seeds, e.g. 0-49 or 3,7,9")
    p.add_argument("--analyses", required=True,
                   help='binning analyses as JSON: {"szt": {"estimator": "binning", "scheme": "szt"}}')
    p.add_argument("--experiment", required=True)
    p.add_argument("--variant", required=True)
    p.add_argument("--jobs", type=int, default=1, help="processes the seeds are split over (one core each)")
    p.add_argument("--out", type=Path, required=True, help="MI table (.csv or .csv.gz)")
    p.add_argument("--history", type=Path, help="training history of every seed (.csv)")
    p.add_argument("--progress", action="store_true")
    common(p)
    p.set_defaults(baseline_func=cmd_seeds)

    p = inner.add_parser("planes", help="I(X;T), I(T;Y) per epoch and layer of a run, by registry estimators")
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--analyses", required=True,
                   help='JSON: {"name": {"estimator": "binning", "scheme": "szt"}}')
    p.add_argument("--experiment", required=True)
    p.add_argument("--variant", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(baseline_func=cmd_planes)

    p = inner.add_parser("sp", help="sample propagation through a noisy SZT network, per captured epoch")
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--experiment", default="goldfeld_sp")
    p.add_argument("--variant", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--n-cond", type=int, default=32, help="noisy passes per input (conditional entropies)")
    p.add_argument("--cond-inputs", type=int, default=256, help="inputs averaged in h(T|X) (0: all)")
    p.add_argument("--n-mc", type=int, default=4, help="Monte Carlo draws per mixture centre")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--scatter-out", type=Path, help="also write a 3-neuron layer's noisy outputs (CSV)")
    p.add_argument("--scatter-layer", type=int, default=5)
    p.add_argument("--scatter-epochs", type=int, nargs="*", default=[],
                   help="captured epochs to scatter (default: first, middle and last captured)")
    p.set_defaults(baseline_func=cmd_sp)

    p = inner.add_parser("neuron", help="Goldfeld's single noisy tanh neuron: I(X;T) against w")
    p.add_argument("--beta", type=float, required=True)
    p.add_argument("--w-min", type=float, default=0.05)
    p.add_argument("--w-max", type=float, default=50.0)
    p.add_argument("--n-weights", type=int, default=25)
    p.add_argument("--n-samples", type=int, default=1000)
    p.add_argument("--n-mc", type=int, default=50)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(baseline_func=cmd_neuron)

    p = inner.add_parser("ib-curve", help="IB and dual-IB sweeps of the SZT task")
    p.add_argument("--beta-min", type=float, default=0.1)
    p.add_argument("--beta-max", type=float, default=100.0)
    p.add_argument("--n-betas", type=int, default=40)
    p.add_argument("--clusters", type=int, default=8)
    p.add_argument("--epsilon", type=float, default=1e-3, help="label smoothing of the dual IB")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True)
    common(p)
    p.set_defaults(baseline_func=cmd_ib_curve)

    p = inner.add_parser("summarise", help="aggregate MI tables over seeds; sanity flags (fail on violation)")
    p.add_argument("tables", type=Path, nargs="+")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--flags", type=Path, required=True)
    p.add_argument("--finals", type=Path)
    p.add_argument("--tolerance", type=float, default=1e-9, help="nats")
    common(p)
    run_config(p)
    p.set_defaults(baseline_func=cmd_summarise)

    p = inner.add_parser("plot", help="a baseline figure from a table")
    p.add_argument("kind", choices=["plane", "epochs", "neuron", "scatter"])
    p.add_argument("--table", type=Path, required=True)
    p.add_argument("--panels", help='JSON list of [variant, estimator, title] (plane, epochs)')
    p.add_argument("--ib", type=Path, help="IB-curve table to draw on the planes")
    p.add_argument("--beta", type=float, default=0.1)
    p.add_argument("--title", default="")
    p.add_argument("--out", type=Path, action="append", required=True)
    common(p)
    run_config(p)
    p.set_defaults(baseline_func=cmd_plot)
