"""The ``infoplane`` command. Every Snakemake rule is one of these subcommands, so every step
of the pipeline can be run alone; each reads and writes the files named on its command line.

    infoplane sample    --task gaussian-pairs --param dim_x=2 --param mi=1 --n 5000 --seed 0 --out s.npz
    infoplane estimate  --x X.npy --y Y.npy --estimator ksg --param k=5
    infoplane estimate  --samples s.npz --estimator wkl --out record.json
    infoplane fit-compressor --task gaussian-bumps --param size=16 --spec ae:2 --out ae.pt
    infoplane estimate  --samples s.npz --estimator compressed --param estimator=wkl \
        --param x=ae.pt --param y=ae.pt
    infoplane aggregate records/*.json --out table.csv --metrics metrics.json
    infoplane plot validation --table table.csv --out fig.pdf --out fig.png
    infoplane data fetch --data-root ../shared/datasets --dest data/raw
    infoplane check-params params.yaml
    infoplane report --claims paper/claims.yaml --out paper/report.md --html paper/report.html

    # The information-plane experiments (Butakov et al.): train, compress X, analyse, combine, plot
    infoplane train-autoencoder --experiment experiments/butakov_mnist.yaml --scale quick --out ae.pt
    infoplane train    --experiment experiments/butakov_mnist.yaml --scale quick --seed 0 --run-dir RUN
    infoplane analyse  --experiment experiments/butakov_mnist.yaml --scale quick --seed 0 --run-dir RUN \
                       --autoencoder ae.pt --out RUN/mi.csv
    infoplane combine  RUN0/mi.csv RUN1/mi.csv --out all.csv --aggregated mean.csv --history hist.csv
    infoplane plot infoplane --table mean.csv --history hist.csv --out fig.pdf

Bad input ends in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import yaml

from infoplane.files import atomic_path, write_csv, write_text


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the command, the argument, the problem) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


#: YAML 1.1 reads yes/no/on/off as booleans; on the command line only true/false are.
_BOOLEAN_WORDS = {"true", "false"}


def parse_params(items: list[str] | None, flag: str = "--param") -> dict[str, Any]:
    """``["k=5", "scheme=fixed"]`` -> ``{"k": 5, "scheme": "fixed"}`` (values read as YAML).

    Strict: only ``true`` / ``false`` are booleans (``yes``, ``on`` stay text for the receiver
    to refuse), and a value that is not valid YAML is an error naming ``flag``.
    """
    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} expects KEY=VALUE, got {item!r}")
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ValueError(f"{flag} {item!r}: the value is not valid YAML (quote text, e.g. "
                             f"{key}='...')") from None
        if isinstance(parsed, bool) and value.strip().lower() not in _BOOLEAN_WORDS:
            parsed = value.strip()
        if isinstance(parsed, str):
            # YAML 1.1 reads "1e-3" (no dot) as text; numbers typed on a command line are numbers.
            try:
                parsed = float(parsed)
            except ValueError:
                pass
        params[key.strip()] = parsed
    return params


def write_json(obj: Any, path: Path | None) -> None:
    """Print ``obj`` as one JSON line, and also write it to ``path`` (atomically) when given."""
    line = json.dumps(obj, sort_keys=True)
    print(line)
    if path is not None:
        write_text(path, line + "\n")  # a killed run never leaves half a record


def _input_file(path: Path, what: str) -> Path:
    if not path.exists():
        raise ValueError(f"{what} {path} does not exist")
    if path.is_dir():
        raise ValueError(f"{what} {path} is a directory; give a file")
    if path.stat().st_size == 0:
        raise ValueError(f"{what} {path} is empty")
    return path


def load_array(path: Path, what: str) -> np.ndarray:
    """An array from a .npy (never unpickled), .csv or .txt file; a bad file is one ValueError line."""
    _input_file(path, what)
    if path.suffix not in (".npy", ".csv", ".txt"):
        raise ValueError(f"{what} {path} must be .npy, .csv or .txt")
    try:
        if path.suffix == ".npy":
            array = np.load(path, allow_pickle=False)
        else:
            array = np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None, ndmin=2)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"{what} {path} is not a readable {path.suffix} file "
                         f"({str(err).splitlines()[0] if str(err) else type(err).__name__})") from None
    if not isinstance(array, np.ndarray) or array.size == 0:
        raise ValueError(f"{what} {path} holds no values")
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{what} {path} holds {array.dtype} values, not numbers")
    return array


def _load_samples(path: Path, variables: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """``load_samples`` with a damaged or foreign file reported as one line naming it."""
    import zipfile

    from infoplane.synthetic.store import load_samples

    _input_file(path, "--samples file")
    try:
        return load_samples(path, variables)
    except ValueError as err:
        message = str(err) if str(path) in str(err) else f"file {path}: {err}"
        raise ValueError(f"--samples {message}") from None
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"--samples file {path} is not a readable .npz "
                         f"({str(err).splitlines()[0] if str(err) else type(err).__name__}); "
                         "remake it with `infoplane sample`") from None


# --- subcommands -------------------------------------------------------------------------


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
            x, y, meta = _load_samples(path, args.variables)
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
            json.loads(_input_file(path, "record").read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"record {path} is not JSON ({err}); remake it with `infoplane estimate`"
                             ) from None
    table = read_records(args.records)
    write_csv(table, args.out)
    if args.metrics is not None:
        write_json(family_summary(table) if args.by_family else error_summary(table), args.metrics)
    print(f"{len(table)} records -> {args.out}", file=sys.stderr)


def cmd_plot(args: argparse.Namespace) -> None:
    import pandas as pd

    from infoplane import plots
    from infoplane.tables import load_table

    _input_file(args.table, "--table")
    for out in args.out:
        if out.is_dir():
            raise ValueError(f"--out {out} is a directory; give a file path")
    mi_figure = args.kind in ("infoplane", "mi-epoch")
    table = load_table(args.table) if mi_figure else pd.read_csv(args.table)
    history = None
    if args.history is not None:
        history = pd.read_csv(_input_file(args.history, "--history"))
    if args.kind == "mi-epoch" and history is None:
        raise ValueError("plot mi-epoch needs --history (the joined training histories)")
    with contextlib.ExitStack() as stack:  # every figure lands whole, or not at all
        outs = [stack.enter_context(atomic_path(out)) for out in args.out]
        if args.kind == "validation":
            plots.plot_estimator_validation(table, outs, title=args.title)
        elif args.kind == "known-mi":
            plots.plot_known_mi(table, outs, title=args.title)
        elif args.kind == "benchmark":
            plots.plot_benchmark_tasks(table, outs, title=args.title)
        elif args.kind == "infoplane":
            plots.plot_information_plane(table, outs, title=args.title)
        else:
            plots.plot_mi_epoch(table, history, outs, title=args.title)


# --- compression (synthetic-compression block) -------------------------------------------


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


def add_compression_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit-compressor", help="fit a compressor (pca:K, ae:K) on fresh task samples, save it")
    p.add_argument("--task", required=True, help="task whose samples train the compressor")
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


# --- end of the compression block ----------------------------------------------------------


# --- information-plane experiments (train, analyse, combine) ------------------------------


def _experiment(args: argparse.Namespace) -> dict[str, Any]:
    from infoplane.experiment import load_experiment

    return load_experiment(args.experiment, args.scale, parse_params(args.set, "--set"))


def _data_root(args: argparse.Namespace):
    from infoplane.data import data_root

    return data_root(args.data_root)


def cmd_train_autoencoder(args: argparse.Namespace) -> None:
    import torch

    from infoplane.data.images import load_images
    from infoplane.experiment import build_autoencoder

    if args.threads:
        torch.set_num_threads(args.threads)
    settings = _experiment(args)
    images, _ = load_images(settings["dataset"], _data_root(args), train=True)
    train_size = settings["autoencoder"].get("train_size")
    if train_size:
        images = images[:train_size]
    compressor = build_autoencoder(settings, device=args.device, progress=not args.no_progress).fit(images)
    test, _ = load_images(settings["dataset"], _data_root(args), train=False)
    spread = compressor.transform(test[:2000]).std(axis=0)
    if spread.min() < 1e-4:  # a saturated latent makes every later kNN estimate degenerate
        raise ValueError(f"the autoencoder collapsed (latent std {spread.round(6).tolist()} on test images); "
                         "lower autoencoder.lr or raise autoencoder.epochs")
    compressor.save(args.out)
    write_json({"out": str(args.out), "train_images": len(images), "final_l1": compressor.history[-1],
                "test_mse": compressor.reconstruction_error(test[:2000]), "latent_std": spread.tolist(),
                **compressor.settings}, None)


def cmd_train(args: argparse.Namespace) -> None:
    from infoplane.experiment import build_data, build_network, train_config
    from infoplane.train import seeded, train

    settings = _experiment(args)
    config = train_config(settings, args.seed, device=args.device, threads=args.threads,
                          progress=not args.no_progress)
    if args.restart:
        _clear_run(args.run_dir)
    data = build_data(settings, _data_root(args))
    model = seeded(build_network, args.seed, settings=settings)
    metadata = {"experiment": settings["name"], "scale": settings["scale"], "settings": settings}
    history = train(model, data, config, args.run_dir, metadata=metadata)
    last = history.iloc[-1]
    write_json({"run_dir": str(args.run_dir), "epochs": int(last["epoch"]),
                "test_acc": float(last["test_acc"]), "test_loss": float(last["test_loss"])}, None)


def _clear_run(run_dir: Path) -> None:
    """Remove the files `train` writes (only those), so that the run starts afresh."""
    for name in ("checkpoint.pt", "summary.json", "history.csv", "config.json", "eval_set.npz"):
        (run_dir / name).unlink(missing_ok=True)
    for path in (run_dir / "activations").glob("epoch-*.npz"):
        path.unlink()


def cmd_analyse(args: argparse.Namespace) -> None:
    import pandas as pd

    from infoplane.analysis import analyse_run
    from infoplane.compression.image_autoencoder import ImageAutoencoderCompressor
    from infoplane.experiment import analysis_configs
    from infoplane.train import load_eval_set

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    settings = _experiment(args)
    compressor = ImageAutoencoderCompressor.load(args.autoencoder, device=args.device)
    inputs, _, _ = load_eval_set(args.run_dir)
    x_codes = compressor.transform(inputs)
    tables = [analyse_run(args.run_dir, x_codes, config, settings["name"], args.seed,
                          f"ae:{compressor.latent_dim}", progress=not args.no_progress)
              for config in analysis_configs(settings)]
    table = pd.concat(tables, ignore_index=True)
    write_csv(table, args.out)
    print(f"{len(table)} rows -> {args.out}", file=sys.stderr)


def _table_columns(table, histories):
    """Today's Butakov tables in the columns of :data:`infoplane.tables.MI_COLUMNS`: the analysis
    is the PCA mode, the depth the layers' forward order (``exp(L)`` at L's), the accuracies
    from the histories; H(X) is not known here (NaN: not checked)."""
    import pandas as pd

    order = {name: depth for depth, name in enumerate(
        dict.fromkeys(n for n in table["layer"] if not n.startswith("exp(")), start=1)}
    table = table.assign(
        variant=table["variant"] if "variant" in table else "",
        analysis=table["analysis"] if "analysis" in table else table["pca_fit"],
        depth=[order.get(n[4:-1] if n.startswith("exp(") else n) for n in table["layer"]])
    if "h_x" not in table:
        table["h_x"] = float("nan")
    if histories and "test_acc" not in table:
        acc = pd.concat(histories)[["seed", "epoch", "test_acc", "train_acc"]]
        table = table.merge(acc, on=["seed", "epoch"], how="left")
    return table


def cmd_combine(args: argparse.Namespace) -> None:
    import pandas as pd

    from infoplane.summaries import metrics
    from infoplane.tables import aggregate, load_table

    tables = []
    for path in args.tables:
        _input_file(path, "MI table")
        tables.append(load_table(path))
    table = pd.concat(tables, ignore_index=True)
    histories = []
    for path in args.history or []:  # RUN/history.csv; the seed is read from the run's config
        run_config = json.loads((path.parent / "config.json").read_text())
        histories.append(pd.read_csv(path).assign(seed=run_config["train"]["seed"]))
    table = _table_columns(table, histories)
    aggregated = aggregate(table)
    outputs = {args.out: table, args.aggregated: aggregated}
    if histories:
        outputs[args.history_out] = pd.concat(histories, ignore_index=True)
    for path, frame in outputs.items():
        if path is not None:
            write_csv(frame, path)
    if args.metrics is not None:
        history = pd.concat(histories, ignore_index=True) if histories else None
        write_json(metrics(table, aggregated, history), args.metrics)


def _device(value: str) -> str:
    """argparse type of --device: the names training understands, checked before any work."""
    from infoplane.config import DEVICE

    if not DEVICE.match(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a device; use auto, cpu, cuda or cuda:N")
    return value


def _add_experiment_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--experiment", type=Path, required=True, help="experiments/*.yaml")
    p.add_argument("--scale", choices=["quick", "paper"], default="quick")
    p.add_argument("--set", action="append", metavar="KEY.PATH=VALUE", help="override a setting (repeatable)")
    p.add_argument("--data-root", help="dataset root (default: $INFOPLANE_DATA_ROOT)")
    p.add_argument("--device", default="auto", type=_device,
                   help="auto (CUDA when present), cpu, cuda or cuda:N")
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_experiment_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train-autoencoder", help="train the X autoencoder of an experiment's dataset")
    _add_experiment_args(p)
    p.add_argument("--out", type=Path, required=True, help="output .pt")
    p.set_defaults(func=cmd_train_autoencoder)

    p = sub.add_parser("train", help="train one seed of an experiment, storing activations (resumes)")
    _add_experiment_args(p)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--run-dir", type=Path, required=True, help="output directory of the run")
    p.add_argument("--restart", action="store_true",
                   help="discard the run's checkpoint and stored files, start from epoch 0")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("analyse", help="I(X;L) and I(L;Y) per stored epoch and layer of one run")
    _add_experiment_args(p)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--autoencoder", type=Path, required=True, help="X compressor from train-autoencoder")
    p.add_argument("--out", type=Path, required=True, help="the run's MI table (.csv)")
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("combine", help="join per-run MI tables; aggregate over seeds; join histories")
    p.add_argument("tables", type=Path, nargs="+", help="per-run MI tables")
    p.add_argument("--out", type=Path, required=True, help="all runs' rows (.csv)")
    p.add_argument("--aggregated", type=Path, required=True, help="mean and band over seeds (.csv)")
    p.add_argument("--history", type=Path, nargs="*", help="the runs' history.csv files")
    p.add_argument("--history-out", type=Path, help="joined histories with a seed column (.csv)")
    p.add_argument("--metrics", type=Path, help="flag counts and final accuracy (.json)")
    p.set_defaults(func=cmd_combine)


# --- end of information-plane experiments -------------------------------------------------


# --- pipeline: data, params, report ---------------------------------------------------------


def cmd_data_fetch(args: argparse.Namespace) -> None:
    from infoplane.data import data_root
    from infoplane.data.fetch import fetch

    fallback = None
    if args.data_root is None and args.params.exists():  # the data root that params.yaml names
        from infoplane.config import read_yaml

        fallback = read_yaml(args.params).get("data_root")
    copied = fetch(data_root(args.data_root, fallback), args.dest, args.file)
    print(json.dumps({"copied": copied, "dest": str(args.dest)}))


def cmd_check_params(args: argparse.Namespace) -> None:
    from infoplane.config import load_params

    params = load_params(args.params, args.schema)
    print(f"{args.params}: valid (scale {params['scale']})", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> None:
    from infoplane.config import load_params
    from infoplane.report import write_report

    params = load_params(args.params, args.schema)
    verdicts = write_report(args.claims, params, args.root, args.out, args.html)
    for v in verdicts:
        print(f"{v.claim['id']}: {v.status}", file=sys.stderr)


# --- baselines: `infoplane baseline ...`, implemented in infoplane.baselines.commands ---------


def cmd_baseline(args: argparse.Namespace) -> None:
    args.baseline_func(args)


def add_baseline_parsers(sub: argparse._SubParsersAction) -> None:
    from infoplane.baselines.commands import add_parsers  # argparse only; heavy imports stay in the commands

    add_parsers(sub)
    sub.choices["baseline"].set_defaults(func=cmd_baseline)


# --- end baselines ---------------------------------------------------------------------------


# --- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="infoplane", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="draw samples of a known-MI task to an .npz file")
    p.add_argument("--task", required=True, help="task name, e.g. gaussian-pairs")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="task parameter (repeatable)")
    p.add_argument("--n", type=int, required=True, help="number of samples")
    p.add_argument("--seed", type=int, default=0)
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

    p = sub.add_parser("plot", help="render a figure from a table")
    p.add_argument("kind", choices=["validation", "known-mi", "benchmark", "infoplane", "mi-epoch"])
    p.add_argument("--table", type=Path, required=True)
    p.add_argument("--out", type=Path, action="append", required=True, help="figure path (repeatable)")
    p.add_argument("--title", default="")
    p.add_argument("--history", type=Path, help="training histories (infoplane experiments)")
    p.set_defaults(func=cmd_plot)

    add_baseline_parsers(sub)  # `infoplane baseline ...` (the four earlier papers)
    add_compression_parsers(sub)
    # pipeline: data, params, report
    p = sub.add_parser("data", help="raw datasets: copy them from the data root into the project, checked")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    p = data_sub.add_parser("fetch", help="copy MNIST/raw and SZT/var_u.mat, verifying published checksums")
    p.add_argument("--data-root", default=None,
                   help="source folder (default: $INFOPLANE_DATA_ROOT, else data_root of --params)")
    p.add_argument("--params", type=Path, default=Path("params.yaml"), help="where data_root is read from")
    p.add_argument("--dest", type=Path, default=Path("data/raw"), help="destination (default data/raw)")
    p.add_argument("--file", action="append", help="one file relative to the root (repeatable; default all)")
    p.set_defaults(func=cmd_data_fetch)

    p = sub.add_parser("check-params", help="check params.yaml against its schema; name every bad key")
    p.add_argument("params", type=Path, nargs="?", default=Path("params.yaml"))
    p.add_argument("--schema", type=Path, default=Path("workflow/schemas/params.schema.yaml"))
    p.set_defaults(func=cmd_check_params)

    p = sub.add_parser("report", help="render the replication report from the result tables and figures")
    p.add_argument("--claims", type=Path, default=Path("paper/claims.yaml"))
    p.add_argument("--params", type=Path, default=Path("params.yaml"))
    p.add_argument("--schema", type=Path, default=Path("workflow/schemas/params.schema.yaml"))
    p.add_argument("--root", type=Path, default=Path("."), help="root that result paths are relative to")
    p.add_argument("--out", type=Path, default=Path("paper/report.md"), help="Markdown report")
    p.add_argument("--html", type=Path, help="also write the report as HTML here")
    p.set_defaults(func=cmd_report)
    add_experiment_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. Bad input (a ValueError naming the argument, a missing file) is one
    line on stderr and exit status 2; anything else is a bug and keeps its traceback."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"infoplane {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0
