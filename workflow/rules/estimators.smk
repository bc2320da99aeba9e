# Known-MI benchmarks (issue 3): Butakov et al.'s image tasks and bmi-style vector tasks.
#   images: sample (latents stored, images rendered on loading) -> estimate with each method
#           (the estimator on the latents; on autoencoder- or PCA-compressed images, with the
#           compressor fitted once per family on separate images; a neural estimator on the raw
#           images) -> one table -> one figure per scale of the grid
#   bmi:    sample each case -> estimate with each method -> the same table -> an overview figure
# Table: results/estimator_validation.csv; metrics: results/metrics/estimator_validation.json.

import shlex

from infoplane.estimators import available as _available_estimators

EV = P["estimator_validation"]
EV_IMG = EV["images"]
EV_BMI = EV["bmi"]
EV_DIR = "results/estimator_validation"
_REGISTERED = set(_available_estimators())


def _registered(method):
    """Methods whose estimator is not registered in this checkout (e.g. `mine` before the
    neural estimators land) are skipped rather than failing the run."""
    return method["estimator"] in _REGISTERED


def _image_records():
    return [
        f"{EV_DIR}/images/{family}/mi-{fmt(mi)}/seed-{seed}.{name}.json"
        for family in EV_IMG["families"]
        for name, method in EV_IMG["methods"].items()
        if _registered(method)
        for mi in method.get("mi", EV_IMG["mi"])
        for seed in EV["seeds"]
    ]


def _bmi_records():
    return [
        f"{EV_DIR}/bmi/{case}/seed-{seed}.{name}.json"
        for case, spec in EV_BMI["cases"].items()
        for name in spec.get("methods", list(EV_BMI["methods"]))
        if _registered(EV_BMI["methods"][name])
        for seed in EV["seeds"]
    ]


def _flags(flag, params):
    """`--param key=value` words, values as JSON (read back as YAML), quoted for the shell."""
    return " ".join(f"{flag} " + shlex.quote(f"{key}={json.dumps(value)}") for key, value in params.items())


def _task_flags(spec):
    return _flags("--param", spec.get("params", {}))


def _method_flags(method, extra=None):
    """--param flags: the shared estimator section, the method's own params, then `extra`."""
    return _flags("--param", {**P["estimators"].get(method["estimator"], {}), **method.get("params", {}),
                              **(extra or {})})


rule estimator_validation:
    input:
        "figures/known_mi_images.pdf",
        "figures/known_mi_images.png",
        "figures/known_mi_benchmark.pdf",
        "figures/known_mi_benchmark.png",
        "results/metrics/estimator_validation.json",


rule sample_known_mi_image:
    output:
        EV_DIR + "/images/{family}/mi-{mi}/seed-{seed}.npz",
    params:
        task=lambda w: EV_IMG["families"][w.family]["task"],
        flags=lambda w: _task_flags(EV_IMG["families"][w.family]),
        n=EV["n"],
    log:
        "logs/sample_known_mi_image/{family}_mi-{mi}_seed-{seed}.log",
    shell:
        "infoplane sample --task {params.task} {params.flags} --param mi={wildcards.mi} --n {params.n}"
        " --seed {wildcards.seed} --family {wildcards.family} --out {output} > {log} 2>&1"


rule fit_compressor_images:
    output:
        model="results/compressors/{family}.{kind}.pt",
        report="results/compressors/{family}.{kind}.json",
    wildcard_constraints:
        kind="ae|pca",
    params:
        task=lambda w: EV_IMG["families"][w.family]["task"],
        flags=lambda w: _task_flags(EV_IMG["families"][w.family]),
        spec=lambda w: f"{w.kind}:{EV_IMG['families'][w.family]['latent_dim']}",
        cfg=lambda w: EV_IMG["compressors"][w.kind],
        options=lambda w: _flags("--option", EV_IMG["compressors"][w.kind].get("options", {})),
    threads: 1  # one thread per fit, two fits side by side on two cores
    priority: 10  # the longest jobs: start them first
    log:
        "logs/fit_compressor_images/{family}.{kind}.log",
    shell:
        # The marginal of an image does not depend on the MI, so mi=0 images train the encoder
        # that serves X and Y at every grid point; its seeds are disjoint from the grid's.
        "infoplane fit-compressor --task {params.task} {params.flags} --param mi=0 --spec {params.spec}"
        " {params.options} --n-fit {params.cfg[n_fit]} --n-test {params.cfg[n_test]} --seed {params.cfg[seed]}"
        " --threads {threads} --progress --out {output.model} --report {output.report} > {log} 2>&1"


def _image_inputs(w):
    on = EV_IMG["methods"][w.method]["input"]
    inputs = {"samples": f"{EV_DIR}/images/{w.family}/mi-{w.mi}/seed-{w.seed}.npz"}
    if on in ("ae", "pca"):
        inputs["compressor"] = f"results/compressors/{w.family}.{on}.pt"
    return inputs


def _image_flags(w, input):
    method = EV_IMG["methods"][w.method]
    on = method["input"]
    if on in ("ae", "pca"):
        inner = _method_flags(method, {"x": input.compressor, "y": input.compressor})
        return f"--estimator compressed --param estimator={method['estimator']} {inner}"
    variables = "latent" if on == "latent" else "observed"
    return f"--variables {variables} --estimator {method['estimator']} {_method_flags(method)}"


rule estimate_known_mi_image:
    input:
        unpack(_image_inputs),
    output:
        EV_DIR + "/images/{family}/mi-{mi}/seed-{seed}.{method}.json",
    params:
        flags=_image_flags,
    log:
        "logs/estimate_known_mi_image/{family}_mi-{mi}_seed-{seed}.{method}.log",
    shell:
        "infoplane estimate --samples {input.samples} {params.flags} --label {wildcards.method}"
        " --out {output} > {log} 2>&1"


rule sample_known_mi_vector:
    output:
        EV_DIR + "/bmi/{case}/seed-{seed}.npz",
    params:
        task=lambda w: EV_BMI["cases"][w.case]["task"],
        flags=lambda w: _task_flags(EV_BMI["cases"][w.case]),
        n=lambda w: EV_BMI["cases"][w.case].get("n", EV["n"]),
    log:
        "logs/sample_known_mi_vector/{case}_seed-{seed}.log",
    shell:
        "infoplane sample --task {params.task} {params.flags} --n {params.n} --seed {wildcards.seed}"
        " --family {wildcards.case} --out {output} > {log} 2>&1"


rule estimate_known_mi_vector:
    input:
        EV_DIR + "/bmi/{case}/seed-{seed}.npz",
    output:
        EV_DIR + "/bmi/{case}/seed-{seed}.{method}.json",
    params:
        estimator=lambda w: EV_BMI["methods"][w.method]["estimator"],
        flags=lambda w: _method_flags(EV_BMI["methods"][w.method]),
    log:
        "logs/estimate_known_mi_vector/{case}_seed-{seed}.{method}.log",
    shell:
        "infoplane estimate --samples {input} --estimator {params.estimator} {params.flags}"
        " --label {wildcards.method} --out {output} > {log} 2>&1"


rule aggregate_known_mi_images:
    input:
        _image_records(),
    output:
        EV_DIR + "/images.csv",
    log:
        "logs/aggregate_known_mi_images.log",
    shell:
        "infoplane aggregate {input} --out {output} > {log} 2>&1"


rule aggregate_known_mi_vectors:
    input:
        _bmi_records(),
    output:
        EV_DIR + "/bmi.csv",
    log:
        "logs/aggregate_known_mi_vectors.log",
    shell:
        "infoplane aggregate {input} --out {output} > {log} 2>&1"


rule aggregate_estimator_validation:
    input:
        _image_records(),
        _bmi_records(),
    output:
        table="results/estimator_validation.csv",
        metrics="results/metrics/estimator_validation.json",
    log:
        "logs/aggregate_estimator_validation.log",
    shell:
        "infoplane aggregate {input} --out {output.table} --by-family --metrics {output.metrics} > {log} 2>&1"


rule plot_known_mi_images:
    input:
        "results/estimator_validation/images.csv",
    output:
        pdf="figures/known_mi_images.pdf",
        png="figures/known_mi_images.png",
    params:
        title=f"Known-MI images (n = {EV['n']}); band: min-max over {len(EV['seeds'])} seeds",
    log:
        "logs/plot_known_mi_images.log",
    shell:
        "infoplane plot known-mi --table {input} --out {output.pdf} --out {output.png}"
        " --title '{params.title}' > {log} 2>&1"


rule plot_known_mi_benchmark:
    input:
        "results/estimator_validation/bmi.csv",
    output:
        pdf="figures/known_mi_benchmark.pdf",
        png="figures/known_mi_benchmark.png",
    params:
        title=f"bmi-style tasks; bar: min-max over {len(EV['seeds'])} seeds",
    log:
        "logs/plot_known_mi_benchmark.log",
    shell:
        "infoplane plot benchmark --table {input} --out {output.pdf} --out {output.png}"
        " --title '{params.title}' > {log} 2>&1"
