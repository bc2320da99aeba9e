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
from infoplane.experiments.seeds import unbatchable_reason
from infoplane.experiments.spec import autoencoder_latents, experiment_path, load_experiment, variant

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
RES_TRAIN = {"mem_mb": 8000, "runtime": 480}  # training a network (+ activations), see train_minutes
RES_ANALYSE = {"mem_mb": 8000, "runtime": 240}  # per-epoch MI of one run's activations


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
RAW_DATASETS = {"mnist": RAW_MNIST, "cifar10": RAW_CIFAR10, "szt": [RAW_SZT]}


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


# --- The experiments of the five papers (workflow/rules/experiments.smk) ------------------
# Each is experiments/<name>.yaml, loaded here at the config's scale with params.yaml's seeds and
# overrides (`experiments.<name>`), by the same loader the CLI uses.


def _load(name, how):
    overrides = dict(how.get("set") or {})
    if "seeds" in how:
        overrides["seeds"] = how["seeds"]
    return load_experiment(name, P["scale"], overrides)


EXP = {name: _load(name, how) for name, how in P["experiments"].items()}
EXP_RUN = [name for name, how in P["experiments"].items() if how.get("run", True)]


def _batched_variants(name):
    """The variants of an experiment whose seeds train in one job (train_seeds): those the
    stacked training covers, unless params.yaml sets `batch_seeds: false` for the experiment."""
    if not P["experiments"][name].get("batch_seeds", True):
        return []
    spec = EXP[name]
    return [v for v in spec["variants"] if unbatchable_reason(variant(spec, v)) is None]


BATCHED = {name: _batched_variants(name) for name in EXP}


def exp_flags(wildcards):
    """The CLI flags every step of an experiment shares: scale, overrides, data root, device."""
    how = P["experiments"][wildcards.experiment]
    device = how.get("device", EXP[wildcards.experiment]["device"])
    return (f"--scale {shlex.quote(P['scale'])} {shell_flags('--set', how.get('set') or {})}"
            f" --data-root {shlex.quote(RAW_ROOT)} --device {shlex.quote(device)} --no-progress")


def exp_runs(pattern):
    """The file of every run trained seed by seed (the variants not in BATCHED, all their seeds),
    from a pattern with {experiment}, {variant} and {seed}."""
    def files(wildcards):
        spec = EXP[wildcards.experiment]
        one_by_one = [v for v in spec["variants"] if v not in BATCHED[wildcards.experiment]]
        return expand(pattern, experiment=wildcards.experiment, variant=one_by_one, seed=spec["seeds"])
    return files


def exp_stacks(name):
    """The file ``name`` (mi.csv or history.csv) of every variant whose seeds train at once."""
    def files(wildcards):
        return expand("results/seeds/{experiment}/{variant}/{name}", experiment=wildcards.experiment,
                      variant=BATCHED[wildcards.experiment], name=name)
    return files


def exp_seed_list(wildcards):
    """The experiment's seeds as the CLI reads them: 0,1,2."""
    return ",".join(str(seed) for seed in EXP[wildcards.experiment]["seeds"])


def exp_file(wildcards):
    """The experiment's file: an edit of it reruns the experiment's steps."""
    return str(experiment_path(wildcards.experiment))


def exp_raw(wildcards):
    """The raw files an experiment reads (its dataset under RAW_ROOT)."""
    return RAW_DATASETS[EXP[wildcards.experiment]["dataset"]["name"]]


# Training CPU-seconds per epoch, measured at the quick scale on the loaded 2-core machine (upper
# bounds): MLPs on the SZT task per epoch; image networks per training image and epoch.
_CPU_S_PER_EPOCH = {"szt-mlp": 0.025}
_CPU_S_PER_IMAGE = {"saxe-mnist": 26.2 / (20 * 20000), "bottleneck2": 10.5 / (30 * 60000),
                    "butakov-mnist-cnn": 12.0 / 60000}
# Lorenzen et al.'s other MNIST MLPs are about Bottleneck-2's size (a first layer of 784 x 10-16).
for _name in ("lorenzen-4x10", "bottleneck4", "hourglass"):
    _CPU_S_PER_IMAGE[_name] = _CPU_S_PER_IMAGE["bottleneck2"]


def train_minutes(wildcards):
    """--time of one training job: twice the estimate plus 15 minutes (start, captures); a
    network without a measurement gets 0.05 s per image."""
    spec = EXP[wildcards.experiment]
    name = spec["network"]["name"]
    per_epoch = _CPU_S_PER_EPOCH.get(name)
    if per_epoch is None:
        images = spec["dataset"].get("train_size") or 60000
        per_epoch = _CPU_S_PER_IMAGE.get(name, 0.05 / 60000) * images
    return int(2 * spec["train"]["epochs"] * per_epoch / 60) + 15


def train_stack_minutes(wildcards):
    """--time of training every seed of a variant at once: the seeds' one-by-one estimate (an
    upper bound; a stack is several times faster)."""
    return train_minutes(wildcards) * len(EXP[wildcards.experiment]["seeds"])


def train_gpus(wildcards):
    """A GPU for networks that run where CUDA is (device auto or cuda), none for CPU-only ones."""
    device = P["experiments"][wildcards.experiment].get("device", EXP[wildcards.experiment]["device"])
    return 0 if device == "cpu" else 1


def exp_autoencoder(wildcards):
    """The X autoencoders a variant's analyses need (none for most): the experiment's own, and
    one per other code size an analysis names (`x: autoencoder:K`). Per variant, so that a
    variant which drops an ablation does not wait for that ablation's autoencoder."""
    spec = EXP[wildcards.experiment]
    own = (spec.get("x_autoencoder") or {}).get("latent_dim")
    return [f"results/autoencoders/{wildcards.experiment}.pt" if size == own
            else f"results/autoencoders/{wildcards.experiment}_latent-{size}.pt"
            for size in autoencoder_latents(variant(spec, wildcards.variant))]


def exp_ib_curve(wildcards):
    """The SZT task's IB curve, for experiments that draw it on their planes."""
    return ["results/ib_curve.csv"] if EXP[wildcards.experiment].get("ib_curve") else []


def exp_outputs(name):
    """What an experiment's target makes: its tables, metrics and figures."""
    spec = EXP[name]
    # Goldfeld et al.'s single neuron and layer scatter, Saxe et al.'s teacher-student task
    extras = [k for k in ("neuron", "scatter", "teacher") if k in spec]
    return [f"results/mi/{name}/aggregated.csv", f"results/mi/{name}/finals.csv",
            f"results/metrics/{name}.json", *[f"results/mi/{name}/{kind}.csv" for kind in extras],
            *expand("figures/{name}_{kind}.{ext}", name=name, kind=["plane", "epochs", *extras],
                    ext=["pdf", "png"])]


# --- known-MI benchmarks (estimators.smk) ---------------------------------------------------

def _image_records(only_family=None):
    """The estimate records of every family of the known-MI images, or of one."""
    return [
        f"results/estimator_validation/images/{family}/mi-{fmt(mi)}/seed-{seed}.{name}.json"
        for family, spec in P["estimator_validation"]["images"]["families"].items()
        if only_family in (None, family)
        for name, method in P["estimator_validation"]["images"]["methods"].items()
        if name in spec.get("methods", [name])
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
