# Known-MI benchmarks: Butakov et al.'s image tasks and bmi-style vector tasks.
#   images: sample (latents stored, images rendered on loading) -> estimate with each method
#           (the estimator on the latents; on autoencoder- or PCA-compressed images, with the
#           compressor fitted once per family on separate images; a neural estimator on the raw
#           images) -> one table -> one figure per scale of the grid
#   bmi:    sample each case -> estimate with each method -> the same table -> an overview figure
# Table: results/estimator_validation.csv; metrics: results/metrics/estimator_validation.json.

EV = P["estimator_validation"]
EV_IMG = EV["images"]
EV_BMI = EV["bmi"]


# Targets name the tables their figures are drawn from: the figures are tracked by git, and
# Snakemake does not remake a present figure only because its input table is missing (it takes
# such a table for a deleted intermediate), so a fresh clone would keep the committed figure.
rule estimator_validation:
    input:
        "results/estimator_validation/images.csv",
        "results/estimator_validation/bmi.csv",
        "figures/known_mi_images.pdf",
        "figures/known_mi_images.png",
        "figures/known_mi_benchmark.pdf",
        "figures/known_mi_benchmark.png",
        "results/metrics/estimator_validation.json",


rule sample_known_mi_image:
    output:
        "results/estimator_validation/images/{family}/mi-{mi}/seed-{seed}.npz",
    params:
        task=lambda w: EV_IMG["families"][w.family]["task"],
        flags=lambda w: _task_flags(EV_IMG["families"][w.family]),
        n=EV["n"],
    log:
        "logs/sample_known_mi_image/{family}_mi-{mi}_seed-{seed}.log",
    threads: 1
    resources:
        **RES_SAMPLE,
    conda:
        ENV
    shell:
        "infoplane sample --task {params.task:q} {params.flags} --param mi={wildcards.mi:q} --n {params.n:q}"
        " --seed {wildcards.seed:q} --family {wildcards.family:q} --out {output:q} > {log:q} 2>&1"


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
        options=lambda w: shell_flags("--option", EV_IMG["compressors"][w.kind].get("options", {})),
    threads: 1  # one thread per fit, two fits side by side on two cores
    priority: 10  # the longest jobs: start them first
    log:
        "logs/fit_compressor_images/{family}.{kind}.log",
    resources:
        **RES_ESTIMATE,
    conda:
        ENV
    shell:
        # The marginal of an image does not depend on the MI, so mi=0 images train the encoder
        # that serves X and Y at every grid point; its seeds are disjoint from the grid's.
        "infoplane fit-compressor --task {params.task:q} {params.flags} --param mi=0 --spec {params.spec:q}"
        " {params.options} --n-fit {params.cfg[n_fit]:q} --n-test {params.cfg[n_test]:q} --seed {params.cfg[seed]:q}"
        " --threads {threads:q} --progress --out {output.model:q} --report {output.report:q} > {log:q} 2>&1"


# Estimates run one job per grid point and method over all seeds: one process start (and one
# compressor load) for several records.
rule estimate_known_mi_image:
    input:
        unpack(_image_inputs),
    output:
        expand("results/estimator_validation/images/{{family}}/mi-{{mi}}/seed-{seed}.{{method}}.json",
               seed=EV["seeds"]),
    params:
        flags=_image_flags,
    log:
        "logs/estimate_known_mi_image/{family}_mi-{mi}.{method}.log",
    threads: 1
    resources:
        mem_mb=RES_ESTIMATE["mem_mb"],
        runtime=image_estimate_minutes,
    conda:
        ENV
    shell:
        "infoplane estimate --samples {input.samples:q} {params.flags} --label {wildcards.method:q}"
        " --out {output:q} > {log:q} 2>&1"


rule sample_known_mi_vector:
    output:
        "results/estimator_validation/bmi/{case}/seed-{seed}.npz",
    params:
        task=lambda w: EV_BMI["cases"][w.case]["task"],
        flags=lambda w: _task_flags(EV_BMI["cases"][w.case]),
        n=lambda w: EV_BMI["cases"][w.case].get("n", EV["n"]),
    log:
        "logs/sample_known_mi_vector/{case}_seed-{seed}.log",
    threads: 1
    resources:
        **RES_SAMPLE,
    conda:
        ENV
    shell:
        "infoplane sample --task {params.task:q} {params.flags} --n {params.n:q} --seed {wildcards.seed:q}"
        " --family {wildcards.case:q} --out {output:q} > {log:q} 2>&1"


rule estimate_known_mi_vector:
    input:
        expand("results/estimator_validation/bmi/{{case}}/seed-{seed}.npz", seed=EV["seeds"]),
    output:
        expand("results/estimator_validation/bmi/{{case}}/seed-{seed}.{{method}}.json", seed=EV["seeds"]),
    params:
        estimator=lambda w: EV_BMI["methods"][w.method]["estimator"],
        flags=lambda w: _method_flags(EV_BMI["methods"][w.method]),
    log:
        "logs/estimate_known_mi_vector/{case}.{method}.log",
    threads: 1
    resources:
        **RES_ESTIMATE,
    conda:
        ENV
    shell:
        "infoplane estimate --samples {input:q} --estimator {params.estimator:q} {params.flags}"
        " --label {wildcards.method:q} --out {output:q} > {log:q} 2>&1"


rule aggregate_known_mi_images:
    input:
        _image_records(),
    output:
        "results/estimator_validation/images.csv",
    log:
        "logs/aggregate_known_mi_images.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane aggregate {input:q} --out {output:q} > {log:q} 2>&1"


# One family alone (its compressors and estimates, none of the other families'): the anti-PCA
# task at the paper scale runs without the image families' 2000-epoch autoencoders and MINE.
use rule aggregate_known_mi_images as aggregate_known_mi_family with:
    input:
        lambda w: _image_records(w.family),
    output:
        "results/estimator_validation/family/{family}.csv",
    log:
        "logs/aggregate_known_mi_family/{family}.log",


rule aggregate_known_mi_vectors:
    input:
        _bmi_records(),
    output:
        "results/estimator_validation/bmi.csv",
    log:
        "logs/aggregate_known_mi_vectors.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane aggregate {input:q} --out {output:q} > {log:q} 2>&1"


rule aggregate_estimator_validation:
    input:
        _image_records(),
        _bmi_records(),
    output:
        table="results/estimator_validation.csv",
        metrics="results/metrics/estimator_validation.json",
    log:
        "logs/aggregate_estimator_validation.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane aggregate {input:q} --out {output.table:q} --by-family --metrics {output.metrics:q} > {log:q} 2>&1"


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
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane plot known-mi --table {input:q} --out {output.pdf:q} --out {output.png:q}"
        " --title {params.title:q} > {log:q} 2>&1"


use rule plot_known_mi_images as plot_known_mi_family with:
    input:
        "results/estimator_validation/family/{family}.csv",
    output:
        pdf="figures/known_mi_family_{family}.pdf",
        png="figures/known_mi_family_{family}.png",
    params:
        title=lambda w: f"Known MI, {w.family} (n = {EV['n']}); band: min-max over {len(EV['seeds'])} seeds",
    log:
        "logs/plot_known_mi_family/{family}.log",


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
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane plot benchmark --table {input:q} --out {output.pdf:q} --out {output.png:q}"
        " --title {params.title:q} > {log:q} 2>&1"


REPORT_INPUTS += [*rules.estimator_validation.input, "results/estimator_validation.csv"]


localrules:
    estimator_validation,
    aggregate_known_mi_images,
    aggregate_known_mi_family,
    plot_known_mi_family,
    aggregate_known_mi_vectors,
    aggregate_estimator_validation,
    plot_known_mi_images,
    plot_known_mi_benchmark,
