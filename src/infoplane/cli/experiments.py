"""The experiments of the five papers, every one the same way (experiments/<name>.yaml):

    infoplane train   --experiment szt_binning --variant tanh --seed 0 --run-dir RUN
    infoplane analyse --experiment szt_binning --variant tanh --seed 0 --run-dir RUN --out RUN/mi.csv
    infoplane combine --experiment szt_binning --tables RUN*/mi.csv --runs RUN* \
                      --out-dir results/mi/szt_binning --metrics results/metrics/szt_binning.json
    infoplane plot plane --experiment szt_binning --table results/mi/szt_binning/aggregated.csv --out fig.pdf

    infoplane train-autoencoder --experiment butakov_mnist --out ae.pt   (analyses with x: autoencoder)
    infoplane train-seeds --experiment szt_binning --variant tanh --seeds 0-49 --out mi.csv.gz
    infoplane scatter --experiment goldfeld_sp --variant tanh --seed 0 --run-dir RUN --out scatter.csv
    infoplane neuron  --experiment goldfeld_sp --out neuron.csv
    infoplane teacher-student --experiment saxe_kde --out teacher.csv
    infoplane ib-curve --data-root data/raw --out ib_curve.csv

Every command takes --scale quick|paper and --set KEY.PATH=VALUE overrides of the experiment file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infoplane.cli.common import add_experiment_args, experiment_of, parse_seeds, write_json
from infoplane.files import existing_file, write_csv


def _threads(args: argparse.Namespace) -> None:
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)


def cmd_train(args: argparse.Namespace) -> None:
    import json

    from infoplane.experiments.run import train_run

    run_dir = train_run(experiment_of(args), args.variant, args.seed, args.run_dir, data_root=args.data_root,
                        device=args.device, threads=args.threads, progress=not args.no_progress,
                        restart=args.restart)
    write_json({"run_dir": str(run_dir), **json.loads((run_dir / "summary.json").read_text())}, None)


def cmd_train_autoencoder(args: argparse.Namespace) -> None:
    from infoplane.experiments.run import train_x_autoencoder

    spec = experiment_of(args)
    if "x_autoencoder" not in spec:
        raise ValueError(f"experiment {spec['name']} has no x_autoencoder section (none of its analyses "
                         "compresses X with an autoencoder)")
    report = train_x_autoencoder(spec, args.out, data_root=args.data_root,
                                 device=args.device or "auto", threads=args.threads,
                                 progress=not args.no_progress)
    write_json(report, None)


def keep_analyses(spec: dict, names: list[str] | None) -> dict:
    """The experiment with only the analyses ``names`` (all of them when None), the file's and
    those a variant adds."""
    if names is None:
        return spec
    overlays = [overlay for overlay in spec["variants"].values() if (overlay or {}).get("analyses")]
    added = [name for overlay in overlays for name in overlay["analyses"]]
    known = list(dict.fromkeys([*spec["analyses"], *added]))
    unknown = [a for a in names if a not in known]
    if unknown:
        raise ValueError(f"--analysis {unknown[0]!r}: experiment {spec['name']} has no such analysis "
                         f"(analyses: {', '.join(known)})")
    spec["analyses"] = {name: spec["analyses"][name] for name in names if name in spec["analyses"]}
    for overlay in overlays:
        overlay["analyses"] = {name: a for name, a in overlay["analyses"].items() if name in names}
    return spec


def cmd_train_seeds(args: argparse.Namespace) -> None:
    import pandas as pd

    from infoplane.experiments.seeds import remove_checkpoints, train_seeds_at_once

    spec = keep_analyses(experiment_of(args), args.analysis)
    seeds = parse_seeds(args.seeds)
    parts = [train_seeds_at_once(spec, variant_name, seeds, data_root=args.data_root,
                                 threads=args.threads, progress=not args.no_progress, jobs=args.jobs,
                                 checkpoints=args.checkpoints)
             for variant_name in args.variant]
    tables, histories = zip(*parts, strict=True)
    table = pd.concat(tables, ignore_index=True)
    named = [runs.assign(variant=name) for runs, name in zip(histories, args.variant, strict=True)]
    history = pd.concat(named, ignore_index=True)
    # flags are set from every digit before any rounding on the way out
    float_format = f"%.{args.digits}g" if args.digits else None
    write_csv(table, args.out, float_format=float_format)
    if args.history:   # by default the logged epochs only: every epoch of 50 seeds x 8000 is ~50 MB
        if not args.every_epoch:
            history = history[history["epoch"].isin(table["epoch"].unique())]
        write_csv(history, args.history, float_format=float_format)
    if args.checkpoints:   # the tables are written: no later run, of other code perhaps, reads one back
        for variant_name in args.variant:
            remove_checkpoints(args.checkpoints, spec, variant_name, seeds)
    print(f"{len(table)} rows -> {args.out}", file=sys.stderr)


def cmd_analyse(args: argparse.Namespace) -> None:
    from infoplane.compression.image_autoencoder import ImageAutoencoderCompressor
    from infoplane.experiments.analyse import analyse_run

    _threads(args)
    spec = keep_analyses(experiment_of(args), args.analysis)
    autoencoders = []
    for path in args.autoencoder or []:  # a bad file is named before any run is read
        if not path.exists():
            raise ValueError(f"--autoencoder {path} does not exist; make it with "
                             "`infoplane train-autoencoder`")
        autoencoders.append(ImageAutoencoderCompressor.load(existing_file(path, "--autoencoder"),
                                                            device=args.device or spec["device"]))
    table = analyse_run(spec, args.variant, args.seed, args.run_dir,
                        autoencoder=autoencoders or None, jobs=args.jobs, progress=not args.no_progress,
                        device=args.device)
    write_csv(table, args.out)
    print(f"{len(table)} rows -> {args.out}", file=sys.stderr)


def cmd_scatter(args: argparse.Namespace) -> None:
    from infoplane.experiments.sample_propagation import layer_scatter

    spec = experiment_of(args)
    if "scatter" not in spec:
        raise ValueError(f"experiment {spec['name']} has no `scatter` section (the layer to scatter)")
    table = layer_scatter(spec, args.variant, args.seed, args.run_dir, spec["scatter"]["layer"])
    write_csv(table, args.out)


def cmd_neuron(args: argparse.Namespace) -> None:
    import math

    import numpy as np

    from infoplane.experiments.sample_propagation import single_neuron_curve

    spec = experiment_of(args)
    if "neuron" not in spec:
        raise ValueError(f"experiment {spec['name']} has no `neuron` section")
    n = spec["neuron"]
    weights = np.geomspace(n["w_min"], n["w_max"], n["n_weights"])
    table = single_neuron_curve(weights, n["beta"], n_samples=n["n_samples"], n_mc=n["n_mc"], seed=args.seed)
    write_csv(table, args.out)
    worst = float((table["i_sp"] - table["i_true"]).abs().max() / math.log(2))
    write_json({"max_abs_error_bits": worst, "peak_bits": float(table["i_true"].max() / math.log(2))}, None)


def cmd_teacher_student(args: argparse.Namespace) -> None:
    from infoplane.parallel import limit_threads
    from infoplane.synthetic.teacher_student import teacher_student_table

    spec = experiment_of(args)
    if "teacher" not in spec:
        raise ValueError(f"experiment {spec['name']} has no `teacher` section")
    # 100 x 100 products: more BLAS threads only spin (sched_yield) beside other jobs
    with limit_threads(1):
        table = teacher_student_table(spec["teacher"], experiment=spec["name"])
    write_csv(table, args.out, float_format="%.7g")
    print(f"{len(table)} rows -> {args.out}", file=sys.stderr)


def cmd_ib_curve(args: argparse.Namespace) -> None:
    import numpy as np
    import pandas as pd

    from infoplane.data.szt import load_szt
    from infoplane.ib_curve import ib_sweep, joint_from_labels, smoothed

    joint = joint_from_labels(load_szt(args.data_root).y)
    betas = np.geomspace(args.beta_min, args.beta_max, args.n_betas)
    parts = []
    for method in ("ib", "dual"):
        used = joint if method == "ib" else smoothed(joint, args.epsilon)
        curve = ib_sweep(used, betas, n_clusters=args.clusters, method=method, seed=args.seed)
        parts.append(pd.DataFrame({"method": method, "beta": curve.beta, "i_xt": curve.i_xt,
                                   "i_ty": curve.i_ty,
                                   "iterations": curve.iterations,
                                   "label_smoothing": 0.0 if method == "ib" else args.epsilon}))
    write_csv(pd.concat(parts, ignore_index=True), args.out)


def cmd_combine(args: argparse.Namespace) -> None:
    import pandas as pd

    from infoplane.runstore import load_config, load_history
    from infoplane.summaries import metrics
    from infoplane.tables import aggregate, finals, load_table

    spec = experiment_of(args)
    tables = [load_table(existing_file(path, "MI table")) for path in args.tables]
    table = pd.concat(tables, ignore_index=True)
    if not args.runs and not args.histories:
        raise ValueError("combine needs the runs' histories: give --runs, --histories or both")
    # seeds trained at once (`infoplane train-seeds`) bring one history file per variant
    histories = [pd.read_csv(existing_file(path, "history")).assign(experiment=spec["name"])
                 for path in args.histories]
    for run_dir in args.runs:  # each run's config.json says which variant and seed it is
        existing_file(run_dir / "config.json", "run config")
        meta = load_config(run_dir).get("metadata", {})
        histories.append(load_history(run_dir).assign(experiment=spec["name"], variant=meta["variant"],
                                                      seed=int(meta["seed"])))
    history = pd.concat(histories, ignore_index=True)
    aggregated = aggregate(table)
    for name, frame in {"table": table, "aggregated": aggregated, "finals": finals(aggregated),
                        "history": history}.items():
        write_csv(frame, args.out_dir / f"{name}.csv")
    write_json(metrics(table, aggregated, history, several=len(spec["variants"]) > 1), args.metrics)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The train, train-autoencoder, train-seeds, analyse, scatter, combine, neuron, teacher-student
    and ib-curve subcommands."""
    def run_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--variant", required=True, help="a variant of the experiment file")
        p.add_argument("--seed", type=int, required=True,
                       help="seed of the weights, split, batches and noise")
        p.add_argument("--run-dir", type=Path, required=True,
                       help="the run's directory (results/runs/EXPERIMENT/VARIANT/seed-SEED)")

    p = sub.add_parser("train", help="train one run (experiment, variant, seed), storing activations "
                                      "(resumes)")
    add_experiment_args(p)
    run_args(p)
    p.add_argument("--restart", action="store_true",
                   help="discard the run's checkpoint and stored files, start from epoch 0")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("train-autoencoder",
                       help="train an experiment's X autoencoder (analyses with x: autoencoder)")
    add_experiment_args(p)
    p.add_argument("--out", type=Path, required=True, help="the autoencoder file (.pt)")
    p.set_defaults(func=cmd_train_autoencoder)

    p = sub.add_parser("train-seeds", help="train many seeds of a small network at once (stacked weights), "
                                           "with plug-in MI of every captured epoch; writes the MI table")
    add_experiment_args(p)
    p.add_argument("--variant", required=True, nargs="+",
                   help="variants of the experiment file (one table holds them all, one after another)")
    p.add_argument("--seeds", required=True, help="seeds, e.g. 0-49 or 3,7,9")
    p.add_argument("--analysis", action="append",
                   help="an analysis of the experiment file (of kind layer; repeatable; default: all "
                        "of them)")
    p.add_argument("--jobs", type=int, default=1, help="processes the seeds are split over (one core each)")
    p.add_argument("--checkpoints", type=Path,
                   help="a folder where the training keeps its state every ten minutes and resumes "
                        "from when run again (default: none, no resuming)")
    p.add_argument("--out", type=Path, required=True, help="MI table (.csv or .csv.gz)")
    p.add_argument("--digits", type=int, help="significant digits of the table's floats (default: all); "
                                              "the committed paper-scale tables use 7 to stay small")
    p.add_argument("--history", type=Path,
                   help="also write every seed's training history at the logged epochs (.csv or .csv.gz): "
                        "losses, accuracies and the gradient moments of each layer")
    p.add_argument("--every-epoch", action="store_true",
                   help="the history holds every epoch, not only the logged ones (as a run's history.csv)")
    p.set_defaults(func=cmd_train_seeds)

    p = sub.add_parser("analyse", help="I(X;T) and I(T;Y) per captured epoch and layer of one run, "
                                       "for the experiment's analyses (all, or those named by --analysis)")
    add_experiment_args(p)
    run_args(p)
    p.add_argument("--autoencoder", type=Path, action="append",
                   help="the X autoencoder (analyses with x: autoencoder); repeat it for the other code "
                        "sizes that analyses with x: autoencoder:K name")
    p.add_argument("--analysis", action="append",
                   help="run only this analysis of the experiment file (repeatable; default: all of "
                        "the variant's); one process per analysis spreads a run over more cores")
    p.add_argument("--jobs", type=int, default=1, help="worker processes over (epoch, layer) pairs")
    p.add_argument("--out", type=Path, required=True, help="the run's MI table (.csv)")
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("scatter", help="the noisy outputs of the experiment's `scatter` layer at the first, "
                                       "middle and last captured epoch of one run")
    add_experiment_args(p)
    run_args(p)
    p.add_argument("--out", type=Path, required=True, help="table of the outputs (.csv)")
    p.set_defaults(func=cmd_scatter)

    p = sub.add_parser("combine", help="an experiment's runs together: the MI table, its mean over seeds, "
                                       "finals, histories and metrics")
    add_experiment_args(p)
    p.add_argument("--tables", type=Path, nargs="+", required=True, help="the runs' MI tables")
    p.add_argument("--runs", type=Path, nargs="*", default=[],
                   help="the run directories of the seeds trained one by one (their histories)")
    p.add_argument("--histories", type=Path, nargs="*", default=[],
                   help="the histories of seeds trained at once (`train-seeds --history --every-epoch`)")
    p.add_argument("--out-dir", type=Path, required=True,
                   help="writes table.csv, aggregated.csv, finals.csv and history.csv here")
    p.add_argument("--metrics", type=Path, required=True, help="headline numbers and sanity flags (.json)")
    p.set_defaults(func=cmd_combine)

    p = sub.add_parser("neuron", help="Goldfeld et al.'s single noisy tanh neuron: I(X;T) against the "
                                      "weight, "
                                      "sample propagation and numerical integration")
    add_experiment_args(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    p.add_argument("--out", type=Path, required=True, help="the curve (.csv)")
    p.set_defaults(func=cmd_neuron)

    p = sub.add_parser("teacher-student", help="Saxe et al.'s teacher-student task: a linear student's exact "
                                               "I(T;X), I(T;X_rel), I(T;X_irr) and I(T;Y) over training")
    add_experiment_args(p)
    p.add_argument("--out", type=Path, required=True, help="the table (.csv or .csv.gz)")
    p.set_defaults(func=cmd_teacher_student)

    p = sub.add_parser("ib-curve", help="the IB and dual-IB curves of the SZT task")
    p.add_argument("--beta-min", type=float, default=0.1, help="smallest trade-off beta (default 0.1)")
    p.add_argument("--beta-max", type=float, default=100.0, help="largest beta (default 100)")
    p.add_argument("--n-betas", type=int, default=40, help="betas, log-spaced (default 40)")
    p.add_argument("--clusters", type=int, default=8, help="clusters of T (default 8)")
    p.add_argument("--epsilon", type=float, default=1e-3,
                   help="label smoothing of the dual IB (default 1e-3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial encoders (default 0)")
    p.add_argument("--data-root", help="dataset root holding SZT/var_u.mat (default: $INFOPLANE_DATA_ROOT)")
    p.add_argument("--out", type=Path, required=True, help="the curves (.csv)")
    p.set_defaults(func=cmd_ib_curve)
