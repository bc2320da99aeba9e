"""``infoplane plot KIND``: one figure from result tables (PDF and PNG), nothing recomputed.

    infoplane plot validation --table results/estimators/validation_gaussian.csv --out fig.pdf
    infoplane plot plane  --experiment szt_binning --table results/mi/szt_binning/aggregated.csv \\
                          --ib results/ib_curve.csv --out fig.pdf --out fig.png
    infoplane plot epochs --experiment butakov_mnist --table .../aggregated.csv \
                          --history .../history.csv --out fig.pdf
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from infoplane.cli.common import add_experiment_args, experiment_of
from infoplane.files import atomic_path, existing_file

#: Kinds drawn from a known-MI table (estimates against the truth): no experiment needed.
ESTIMATE_KINDS = ("validation", "known-mi", "benchmark")
#: Kinds drawn from an experiment's tables; its file gives the panels and titles.
EXPERIMENT_KINDS = ("plane", "epochs", "neuron", "scatter")


def cmd_plot(args: argparse.Namespace) -> None:
    from infoplane import plots
    from infoplane.tables import load_table

    table = load_table(existing_file(args.table, "--table"))
    spec = None
    if args.kind in EXPERIMENT_KINDS:
        if args.experiment is None:
            raise ValueError(f"plot {args.kind} needs --experiment (its panels and titles)")
        spec = experiment_of(args)
    elif args.experiment is not None:
        raise ValueError(f"plot {args.kind} draws a known-MI table; drop --experiment")
    history = load_table(existing_file(args.history, "--history")) if args.history else None
    if args.kind == "epochs" and history is None:
        raise ValueError("plot epochs needs --history (the runs' joined training histories)")
    ib = load_table(existing_file(args.ib, "--ib")) if args.ib else None
    for out in args.out:
        if out.is_dir():
            raise ValueError(f"--out {out} is a directory; give a file path")
    with contextlib.ExitStack() as stack:  # every figure lands whole, or not at all
        outs = [stack.enter_context(atomic_path(out)) for out in args.out]
        if args.kind == "validation":
            plots.plot_estimator_validation(table, outs, title=args.title)
        elif args.kind == "known-mi":
            plots.plot_known_mi(table, outs, title=args.title)
        elif args.kind == "benchmark":
            plots.plot_benchmark_tasks(table, outs, title=args.title)
        elif args.kind == "plane":
            plots.plot_information_plane(table, outs, panels=spec["panels"], title=_title(spec), ib=ib)
        elif args.kind == "epochs":
            plots.plot_mi_epoch(table, history, outs, panels=spec["panels"], title=_title(spec))
        elif args.kind == "neuron":
            plots.plot_single_neuron(table, outs, beta=spec["neuron"]["beta"], title=_title(spec))
        else:
            plots.plot_layer_scatter(table, outs, title=_title(spec))


def _title(spec: dict) -> str:
    """``Saxe et al. (2018): SZT 12-bit task, KDE bounds (quick scale)``."""
    return f"{spec['paper']}: {spec['title']} ({spec['scale']} scale)"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The plot subcommand."""
    p = sub.add_parser("plot", help="draw a figure from result tables")
    p.add_argument("kind", choices=[*ESTIMATE_KINDS, *EXPERIMENT_KINDS],
                   help="validation, known-mi, benchmark: estimates against true MI; plane, epochs: an "
                        "experiment's information planes and MI against epoch; neuron, scatter: "
                        "Goldfeld et al.'s single neuron and layer scatter")
    p.add_argument("--table", type=Path, required=True,
                   help="the table drawn (an experiment's aggregated.csv for plane and epochs)")
    p.add_argument("--history", type=Path, help="epochs: the runs' training histories (history.csv)")
    p.add_argument("--ib", type=Path, help="plane: the SZT task's IB curve (results/ib_curve.csv)")
    p.add_argument("--title", default="",
                   help="validation, known-mi, benchmark: the figure's title (experiments: from the file)")
    p.add_argument("--out", type=Path, action="append", required=True,
                   help="figure path, .pdf or .png (repeatable)")
    add_experiment_args(p)
    for action in p._actions:  # the experiment options are optional here (estimate kinds have none)
        if action.dest == "experiment":
            action.required = False
    p.set_defaults(func=cmd_plot)
