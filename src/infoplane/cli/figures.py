"""``infoplane plot KIND``: one figure from result tables (PDF and PNG), nothing recomputed.

    infoplane plot validation --table results/estimators/validation_gaussian.csv --out fig.pdf
    infoplane plot plane  --experiment szt_binning --table results/mi/szt_binning/aggregated.csv \\
                          --ib results/ib_curve.csv --out fig.pdf --out fig.png
    infoplane plot epochs --experiment butakov_mnist --table .../aggregated.csv \
                          --history .../history.csv --out fig.pdf
    infoplane plot plane  --experiment szt_depth --scale paper --present-panels \
                          --table paper/paper_scale/szt_depth_hidden-1.csv.gz \
                          --table paper/paper_scale/szt_depth_hidden-6.csv.gz --out fig.png

Several ``--table`` (and ``--history``) files are drawn as one: the paper-scale runs write one
table per variant.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from infoplane.cli.common import add_experiment_args, experiment_of
from infoplane.files import atomic_path, existing_file

if TYPE_CHECKING:  # pandas loads inside the command: the CLI starts without it
    import pandas as pd

#: Kinds drawn from a known-MI table (estimates against the truth): no experiment needed.
ESTIMATE_KINDS = ("validation", "known-mi", "benchmark")
#: Kinds drawn from an experiment's tables; its file gives the panels and titles.
EXPERIMENT_KINDS = ("plane", "epochs", "neuron", "scatter", "teacher")


def cmd_plot(args: argparse.Namespace) -> None:
    from infoplane import plots
    from infoplane.tables import load_table

    table = _joined([load_table(existing_file(path, "--table")) for path in args.table])
    spec = None
    if args.kind in EXPERIMENT_KINDS:
        if args.experiment is None:
            raise ValueError(f"plot {args.kind} needs --experiment (its panels and titles)")
        spec = experiment_of(args)
        if args.present_panels:
            spec["panels"] = _present_panels(spec["panels"], table)
    elif args.experiment is not None:
        raise ValueError(f"plot {args.kind} draws a known-MI table; drop --experiment")
    elif args.present_panels:
        raise ValueError(f"plot {args.kind} has no panels; drop --present-panels")
    history = (_joined([load_table(existing_file(path, "--history")) for path in args.history])
               if args.history else None)
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
        elif args.kind == "teacher":
            title = f"{spec['paper']}: teacher-student task ({spec['scale']} scale; settings ours)"
            plots.plot_teacher_student(table, outs, title=title)
        else:
            plots.plot_layer_scatter(table, outs, title=_title(spec))


def _joined(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of several tables as one (columns missing from some are left empty there)."""
    import pandas as pd

    return pd.concat(tables, ignore_index=True)


def _present_panels(panels: list[dict], table: pd.DataFrame) -> list[dict]:
    """The experiment's panels that ``table`` has rows for; the others are named on stderr.

    A paper-scale run covers some of an experiment's variants, and its figure shows those.
    """
    have = set(zip(table["variant"], table["analysis"], strict=True))
    kept = [panel for panel in panels if (panel["variant"], panel["analysis"]) in have]
    dropped = [f"{panel['variant']}/{panel['analysis']}" for panel in panels if panel not in kept]
    if not kept:
        raise ValueError(f"the tables have rows for none of the experiment's panels; they have "
                         f"(variant, analysis) {sorted(have)}")
    if dropped:
        print(f"plot: no rows for panel(s) {', '.join(dropped)}; drawn without them", file=sys.stderr)
    return kept


def _title(spec: dict) -> str:
    """``Saxe et al. (2018): SZT 12-bit task, KDE bounds (quick scale)``."""
    return f"{spec['paper']}: {spec['title']} ({spec['scale']} scale)"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The plot subcommand."""
    p = sub.add_parser("plot", help="draw a figure from result tables")
    p.add_argument("kind", choices=[*ESTIMATE_KINDS, *EXPERIMENT_KINDS],
                   help="validation, known-mi, benchmark: estimates against true MI; plane, epochs: an "
                        "experiment's information planes and MI against epoch; neuron, scatter: "
                        "Goldfeld et al.'s single neuron and layer scatter; teacher: Saxe et al.'s "
                        "teacher-student task")
    p.add_argument("--table", type=Path, action="append", required=True,
                   help="the table drawn (an experiment's aggregated.csv or MI table for plane and "
                        "epochs; repeatable: the tables' rows are drawn together)")
    p.add_argument("--history", type=Path, action="append",
                   help="epochs: the runs' training histories (history.csv; repeatable)")
    p.add_argument("--present-panels", action="store_true",
                   help="plane, epochs: draw only the experiment's panels the tables have rows for "
                        "(a run of some of its variants)")
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
