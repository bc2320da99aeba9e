# Shared by all rule files, included first by the Snakefile. It checks params.yaml, builds the
# scale overlay P and holds the conventions each rule follows; read it before writing a rule file.
#
# Conventions (keep them so that the profiles and the DVC stage keep working).
#   * shell: calls the `infoplane` CLI; config arrives through params: (never read P inside shell:).
#     Every {field} in a shell line is quoted: `{params.x:q}` (lists: each item), or a flags string
#     built word by word with shell_flags() / shlex.quote, so no value can run as shell code
#     (tests/workflow/test_shell_injection.py checks both).
#   * conda: ENV  (one environment for every rule; see environment.yml).
#   * log: logs/<rule name>/<wildcards>.log
#   * threads: and resources: from the presets below, e.g. `resources: **RES_ESTIMATE`.
#     mem_mb = peak memory of one job in MB, runtime = wall-clock minutes at the *paper* scale,
#     gpu = GPUs one job uses (training rules only). Profiles map them to the machine:
#     profiles/default caps nothing but cores; profiles/slurm turns mem_mb -> --mem,
#     runtime -> --time, gpu -> --gpus (the GPU partition: profiles/slurm/site.example.yaml).
#   * cheap estimates are batched: one job runs `infoplane estimate --samples A B .. --out a b ..`
#     over a slice of the grid (a process start costs more than one kNN estimate at n = 5000);
#     the many short jobs declare `group: "estimates"`, which profiles/slurm submits in bundles.
#   * aggregation, figure and report steps are cheap: list them in a `localrules:` directive at the
#     end of the rule file (they run on the submitting node under a cluster executor, not queued).
#   * the experiment's final files (tables, metrics, figures) go into REPORT_INPUTS, its claims
#     into paper/claims.yaml, its target into `rule all` (Snakefile).
#   * raw data: read data/raw through the RAW_* inputs below (wrapped in ancient(): DVC restores
#     files with new mtimes, which must not rerun training) and pass --data-root RAW_ROOT.
#   * outputs: results/<stage>/... (tables, records), results/runs/<experiment>/seed-<seed>/...
#     (checkpoints, activations: large, re-creatable, not pushed to the DVC remote),
#     results/metrics/<name>.json (DVC metrics), figures/<name>.{pdf,png}.
#     A new top-level folder under results/ must be listed in dvc.yaml's `outs`.
import json
import os
import shlex
import sys
from pathlib import Path

from infoplane.config import require_valid, scaled

from snakemake.utils import validate

# Check before anything else, with one line per bad key (snakemake's own validate prints the
# whole schema and buries the key): the schema, then every name and value against the code that
# will use it (estimators, tasks, analyses, panels, devices, experiment files, sizes, the data
# root), the same check as `infoplane check-params`. Then validate() fills schema defaults.
try:
    require_valid(
        config,
        Path(workflow.basedir) / "workflow" / "schemas" / "params.schema.yaml",
        source="the config (params.yaml plus any --configfile or --config)",
    )
except ValueError as _error:
    print(_error, file=sys.stderr)
    sys.exit(1)
validate(config, "../schemas/params.schema.yaml")

# The config at its scale: `scale: paper` applies the `scales.paper` section over the quick values.
P = scaled(config)

# Every job's shell starts with this. Jobs are single-threaded (threads 1) and run side by side,
# so the BLAS/OpenMP pools of numpy and torch get one thread each unless the command sets its
# own: oversubscribed OpenBLAS threads spin in sched_yield, which showed up as ~20 % system CPU
# time in a whole quick run. A value set by the user wins.
shell.prefix(
    "set -euo pipefail; export OMP_NUM_THREADS=${{OMP_NUM_THREADS:-1}}"
    " OPENBLAS_NUM_THREADS=${{OPENBLAS_NUM_THREADS:-1}} MKL_NUM_THREADS=${{MKL_NUM_THREADS:-1}}; "
)

# The one software environment of every rule (used with `--sdm conda`).
ENV = "../../environment.yml"

# Resource presets (see the conventions above). Threads stay 1 for numpy/torch CPU steps unless a
# rule truly parallelises; the runtime is generous because a missed --time kills the job.
# A GPU only where the code runs on CUDA: the Butakov networks and their autoencoder
# (`--device auto`); the SZT and MNIST baseline networks always train on the CPU.
RES_SMALL = {"mem_mb": 1000, "runtime": 10}  # aggregation, tables, figures, report
RES_SAMPLE = {"mem_mb": 1000, "runtime": 10}  # drawing synthetic samples
RES_ESTIMATE = {"mem_mb": 4000, "runtime": 60}  # one MI estimate (kNN, KDE, binning)
# Butakov MNIST at the paper scale: 300 epochs took 21 min on 2 CPU threads, peak 1.6 GB
# (README); CIFAR-10 is unmeasured, hence the margin.
RES_TRAIN = {"mem_mb": 8000, "runtime": 480, "gpu": 1}  # training a network (+ activations)
RES_ANALYSE = {"mem_mb": 8000, "runtime": 240}  # per-epoch MI of one run's activations
# Butakov MNIST analysis at the paper scale: 49 epochs in 4 min, peak 1.1 GB (README).
RES_ANALYSE_BUTAKOV = {"mem_mb": 4000, "runtime": 60}

# Training time of one baseline network, from the CPU seconds per epoch measured at the quick
# scale on the loaded 2-core machine (docs/baselines.md; upper bounds), for the epochs the
# config asks: SZT networks per epoch of the 4096-input task, MNIST networks per training image.
_CPU_S_PER_EPOCH = {"szt_binning": 0.0094, "saxe_kde": 0.015, "lorenzen_quantized": 0.025,
                    "goldfeld_sp": 0.016}
_CPU_S_PER_IMAGE = {"saxe_kde_mnist": 26.2 / (20 * 20000), "lorenzen_quantized_mnist": 10.5 / (30 * 60000)}


def baseline_train_minutes(wildcards):
    """--time of one baseline training job: twice the estimate plus 15 minutes (start, captures)."""
    run = BL[wildcards.experiment]["run"]
    per_epoch = _CPU_S_PER_EPOCH.get(wildcards.experiment)
    if per_epoch is None:  # an MNIST network; a new experiment without a measurement gets 0.05 s
        per_image = _CPU_S_PER_IMAGE.get(wildcards.experiment, 0.05 / 60000)
        per_epoch = per_image * (run.get("train_size") or 60000)
    return int(2 * run["epochs"] * per_epoch / 60) + 15


RES_TRAIN_CPU = {"mem_mb": 4000, "runtime": baseline_train_minutes}  # SZT/MNIST baselines, 1 CPU


def image_estimate_minutes(wildcards):
    """--time of one known-MI image estimate: a neural estimator trains a critic (the paper's
    MINE: up to 5000 epochs, on the CPU unless a GPU is there), a kNN estimate takes minutes."""
    method = P["estimator_validation"]["images"]["methods"][wildcards.method]
    return 480 if method["estimator"] in ("mine", "infonce", "nwj") else RES_ESTIMATE["runtime"]

# Result files the report reads (tables, metrics, figures): each experiment's file adds its own,
# e.g. `REPORT_INPUTS += rules.validation_gaussian.input`, so `rule report` runs after them.
REPORT_INPUTS = []

# Raw datasets, copied from the data root and checked by `infoplane data fetch`, tracked by DVC
# (data/raw.dvc). Rules take these as inputs and pass --data-root RAW_ROOT to the CLI.
RAW_ROOT = "data/raw"  # the data root that rules pass on to the CLI
# Where fetch_data copies from: INFOPLANE_DATA_ROOT overrides params.yaml's data_root (the same
# order as the check above); rules pass it on explicitly.
DATA_ROOT = os.environ.get("INFOPLANE_DATA_ROOT") or P["data_root"]
RAW_MNIST = [
    ancient(f"data/raw/MNIST/raw/{name}")
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    )
]
RAW_SZT = ancient("data/raw/SZT/var_u.mat")
# CIFAR-10 (the Butakov CIFAR-10 target only): copied into data/raw by rule fetch_cifar10.
CIFAR10_FILES = [f"cifar-10-batches-py/{name}" for name in
                 ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5",
                  "test_batch", "batches.meta")]
RAW_CIFAR10 = [ancient(f"data/raw/{name}") for name in CIFAR10_FILES]
RAW_IMAGES = {"mnist": RAW_MNIST, "cifar10": RAW_CIFAR10}


def shell_flags(flag, params):
    """`--param key=value` words for a shell command: values as JSON (the CLI reads them back as
    YAML), each word quoted, so no value of params.yaml is ever read by the shell as code."""
    return " ".join(f"{flag} {shlex.quote(f'{key}={json.dumps(value)}')}" for key, value in params.items())


def estimator_flags(name):
    """The CLI's --param flags for estimator ``name`` (from the `estimators` section)."""
    return shell_flags("--param", P["estimators"].get(name, {}))


# Estimator name -> its CLI flags; rules pick theirs with lookup(dpath="{estimator}", within=...).
ESTIMATOR_FLAGS = {name: estimator_flags(name) for name in P["estimators"]}


def fmt(value):
    """A number as it appears in file names: 2.0 -> '2', 0.5 -> '0.5'."""
    return f"{value:g}"


# --- Butakov information-plane experiments (workflow/rules/butakov.smk) ---------------------


def bk_common(dataset):
    """The CLI flags every Butakov step shares: experiment file, scale, overrides, data root, device."""
    cfg = P["butakov"][dataset]
    q = shlex.quote
    return (f"--experiment {q(cfg['experiment'])} --scale {q(P['scale'])} {shell_flags('--set', cfg.get('set') or {})}"
            f" --data-root {q(RAW_ROOT)} --device {q(cfg.get('device', 'auto'))} --no-progress")


def bk_seed_files(pattern):
    return lambda wildcards: expand(pattern, dataset=wildcards.dataset, seed=P["butakov"][wildcards.dataset]["seeds"])


def bk_histories(wildcards, input):
    """The history.csv beside each run's summary.json."""
    return [os.path.join(os.path.dirname(p), "history.csv") for p in input.runs]


# --- Baselines: the four earlier IB analyses on SZT and MNIST (workflow/rules/baselines.smk) -

BL = P["baselines"]
# Estimated from stored activations; each *_mnist experiment is made by the target of its paper.
BL_PLANES = ["szt_binning", "saxe_kde", "saxe_kde_mnist", "lorenzen_quantized", "lorenzen_quantized_mnist"]
BL_ALL = BL_PLANES + ["goldfeld_sp"]
BL_MNIST = {"saxe_kde": "saxe_kde_mnist", "lorenzen_quantized": "lorenzen_quantized_mnist"}


def bl_run_config(wildcards):
    """The SZTRun settings of one run as one shell-quoted JSON word (experiment `run` + variant)."""
    spec = BL[wildcards.experiment]
    return shlex.quote(json.dumps({**spec["run"], **spec["variants"][wildcards.variant]}))


def bl_json(section):
    """A params function: the experiment's ``section`` as one shell-quoted JSON word."""
    return lambda wildcards: shlex.quote(json.dumps(BL[wildcards.experiment][section]))


def bl_dataset(experiment):
    return BL[experiment]["run"].get("dataset", "szt")


def bl_raw(wildcards):
    """The raw files an experiment reads (its dataset under RAW_ROOT)."""
    return RAW_MNIST if bl_dataset(wildcards.experiment) == "mnist" else [RAW_SZT]


def bl_data_root(wildcards, input):
    """The data root holding the rule's ``raw`` inputs (<root>/SZT/var_u.mat or <root>/MNIST/raw/*)."""
    path = Path(input.raw[0])
    return str(path.parents[1] if path.parent.name == "SZT" else path.parents[2])


def bl_title(wildcards):
    """Figure title: the task and the experiment, shell-quoted."""
    run = BL[wildcards.experiment]["run"]
    task = (f"MNIST, MI over {run.get('eval_size', 10000)} test images" if bl_dataset(wildcards.experiment) == "mnist"
            else "SZT 12-bit task")
    return shlex.quote(f"{task}: {wildcards.experiment}")


def bl_tables(wildcards):
    """Every per-run MI table of an experiment (all variants and seeds)."""
    spec = BL[wildcards.experiment]
    return expand(
        "results/mi/baselines/{experiment}/{variant}/seed-{seed}.csv",
        experiment=wildcards.experiment, variant=list(spec["variants"]), seed=spec["seeds"],
    )


def bl_ib(wildcards):
    """The SZT task's IB curve, drawn on the SZT planes only (it is a curve of that task)."""
    return ["results/baselines/ib_curve.csv"] if bl_dataset(wildcards.experiment) == "szt" else []


def bl_figures(experiment):
    return expand("figures/{experiment}_{kind}.{ext}", experiment=experiment, kind=["plane", "epochs"],
                  ext=["pdf", "png"])


def bl_target(experiment):
    """What a paper's target makes: its sanity flags and figures, and those of its MNIST networks."""
    parts = [experiment] + ([BL_MNIST[experiment]] if experiment in BL_MNIST else [])
    return [f for e in parts for f in [f"results/metrics/baseline_{e}.json", *bl_figures(e)]]
# --- known-MI benchmarks (estimators.smk) ---------------------------------------------------

def _image_records():
    return [
        f"results/estimator_validation/images/{family}/mi-{fmt(mi)}/seed-{seed}.{name}.json"
        for family in P["estimator_validation"]["images"]["families"]
        for name, method in P["estimator_validation"]["images"]["methods"].items()
        for mi in method.get("mi", P["estimator_validation"]["images"]["mi"])
        for seed in P["estimator_validation"]["seeds"]
    ]


def _bmi_records():
    return [
        f"results/estimator_validation/bmi/{case}/seed-{seed}.{name}.json"
        for case, spec in P["estimator_validation"]["bmi"]["cases"].items()
        for name in spec.get("methods", list(P["estimator_validation"]["bmi"]["methods"]))
        for seed in P["estimator_validation"]["seeds"]
    ]


def _task_flags(spec):
    return shell_flags("--param", spec.get("params", {}))


def _method_flags(method, extra=None):
    """--param flags: the shared estimator section, the method's own params, then `extra`."""
    return shell_flags("--param", {**P["estimators"].get(method["estimator"], {}), **method.get("params", {}),
                              **(extra or {})})


def _image_inputs(w):
    on = P["estimator_validation"]["images"]["methods"][w.method]["input"]
    inputs = {"samples": [f"results/estimator_validation/images/{w.family}/mi-{w.mi}/seed-{seed}.npz"
                          for seed in P["estimator_validation"]["seeds"]]}
    if on in ("ae", "pca"):
        inputs["compressor"] = f"results/compressors/{w.family}.{on}.pt"
    return inputs


def _image_flags(w, input):
    method = P["estimator_validation"]["images"]["methods"][w.method]
    on = method["input"]
    if on in ("ae", "pca"):
        inner = _method_flags(method, {"x": input.compressor, "y": input.compressor})
        return f"--estimator compressed {shell_flags('--param', {'estimator': method['estimator']})} {inner}"
    variables = "latent" if on == "latent" else "observed"
    return f"--variables {variables} --estimator {shlex.quote(method['estimator'])} {_method_flags(method)}"
