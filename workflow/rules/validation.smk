# Estimator validation on Gaussians with closed-form MI:
# sample -> estimate (one record per estimator) -> aggregate (table + metrics) -> plot.

VG = P["validation_gaussian"]


rule validation_gaussian:
    input:
        "figures/estimator_validation_gaussian.pdf",
        "figures/estimator_validation_gaussian.png",
        "results/metrics/estimator_validation_gaussian.json",


rule sample_gaussian:
    output:
        "results/synthetic/gaussian/d-{dim}_mi-{mi}/seed-{seed}.npz",
    params:
        task=VG["task"],
        n=VG["n"],
    log:
        "logs/sample_gaussian/d-{dim}_mi-{mi}_seed-{seed}.log",
    threads: 1
    resources:
        **RES_SAMPLE,
    conda:
        ENV
    shell:
        "infoplane sample --task {params.task:q} --param dim_x={wildcards.dim:q} --param dim_y={wildcards.dim:q}"
        " --param mi={wildcards.mi:q} --n {params.n:q} --seed {wildcards.seed:q} --out {output:q} > {log:q} 2>&1"


# One job per dimension and estimator over the whole (MI, seed) grid: a process start (imports,
# ~1 s) costs more than one kNN estimate at this n. Records stay one file per sample and estimator.
rule estimate_gaussian:
    input:
        expand("results/synthetic/gaussian/d-{{dim}}_mi-{mi}/seed-{seed}.npz",
               mi=[fmt(m) for m in VG["mi"]], seed=VG["seeds"]),
    output:
        expand("results/synthetic/gaussian/d-{{dim}}_mi-{mi}/seed-{seed}.{{estimator}}.json",
               mi=[fmt(m) for m in VG["mi"]], seed=VG["seeds"]),
    params:
        # Only this estimator's settings, so changing one estimator reruns only its jobs.
        flags=lookup(dpath="{estimator}", within=ESTIMATOR_FLAGS, default=""),
    log:
        "logs/estimate_gaussian/d-{dim}.{estimator}.log",
    group:
        "estimates"
    threads: 1
    resources:
        **RES_ESTIMATE,
    conda:
        ENV
    shell:
        "infoplane estimate --samples {input:q} --estimator {wildcards.estimator:q} {params.flags}"
        " --out {output:q} > {log:q} 2>&1"


rule aggregate_gaussian:
    input:
        expand(
            "results/synthetic/gaussian/d-{dim}_mi-{mi}/seed-{seed}.{estimator}.json",
            dim=VG["dims"],
            mi=[fmt(m) for m in VG["mi"]],
            seed=VG["seeds"],
            estimator=VG["estimators"],
        ),
    output:
        table="results/estimators/validation_gaussian.csv",
        metrics="results/metrics/estimator_validation_gaussian.json",
    log:
        "logs/aggregate_gaussian.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane aggregate {input:q} --out {output.table:q} --metrics {output.metrics:q} > {log:q} 2>&1"


rule plot_validation_gaussian:
    input:
        "results/estimators/validation_gaussian.csv",
    output:
        pdf="figures/estimator_validation_gaussian.pdf",
        png="figures/estimator_validation_gaussian.png",
    params:
        title=f"kNN estimators on correlated Gaussians (n = {VG['n']}), band: min-max over seeds",
    log:
        "logs/plot_validation_gaussian.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane plot validation --table {input:q} --out {output.pdf:q} --out {output.png:q}"
        " --title {params.title:q} > {log:q} 2>&1"


REPORT_INPUTS += [*rules.validation_gaussian.input, "results/estimators/validation_gaussian.csv"]


localrules:
    validation_gaussian,
    aggregate_gaussian,
    plot_validation_gaussian,
