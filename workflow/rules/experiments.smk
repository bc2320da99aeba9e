# The experiments of the five papers, every one the same way (experiments/<name>.yaml):
#   train (per variant and seed; resumable, storing activations) -> analyse (one MI table per run)
#   -> combine (over seeds: the table, its aggregate, finals, histories, metrics) -> plot.
# A variant whose seeds can train at once (BATCHED: small MLPs with binning or exact MI) replaces
# train + analyse by one train_seeds job over all its seeds.
# Targets: one per experiment, by its name (`snakemake szt_binning`), and `experiments` for all
# of params.yaml's experiments that run. Settings: the experiment files; params.yaml chooses the
# scale, the seeds and overrides per experiment.


wildcard_constraints:
    experiment="|".join(EXP),
    variant=r"[A-Za-z0-9_.-]+",
    seed=r"\d+",


rule experiments:
    input:
        [exp_outputs(name) for name in EXP_RUN],


for _name in EXP:

    rule:
        name:
            _name
        input:
            exp_outputs(_name),
        localrule: True


rule train_x_autoencoder:
    input:
        experiment=exp_file,
        raw=exp_raw,
    output:
        "results/autoencoders/{experiment}.pt",
    params:
        flags=exp_flags,
    threads: 1  # so that on two cores it trains beside the first seed's network
    priority: 2
    log:
        "logs/train_x_autoencoder/{experiment}.log",
    resources:
        **RES_TRAIN,
        gpu=train_gpus,
    conda:
        ENV
    shell:
        "infoplane train-autoencoder --experiment {wildcards.experiment:q} {params.flags}"
        " --threads {threads:q} --out {output:q} > {log:q} 2>&1"


# The same autoencoder with another code size, for analyses with `x: autoencoder:K`.
use rule train_x_autoencoder as train_x_autoencoder_latent with:
    output:
        "results/autoencoders/{experiment}_latent-{latent}.pt",
    wildcard_constraints:
        latent=r"\d+",
    params:
        flags=lambda w: f"{exp_flags(w)} --set x_autoencoder.latent_dim={int(w.latent)}",
    log:
        "logs/train_x_autoencoder/{experiment}_latent-{latent}.log",


# The run directory holds checkpoints; only summary.json (written last) is declared, so a killed
# job's checkpoints survive Snakemake's cleanup and the rerun resumes from them.
rule train_run:
    input:
        experiment=exp_file,
        raw=exp_raw,
    output:
        "results/runs/{experiment}/{variant}/seed-{seed}/summary.json",
    params:
        flags=exp_flags,
        run_dir=subpath(output[0], parent=True),
    threads: 1
    priority: 2
    log:
        "logs/train_run/{experiment}_{variant}_seed-{seed}.log",
    resources:
        mem_mb=RES_TRAIN["mem_mb"],
        runtime=train_minutes,
        gpu=train_gpus,
    conda:
        ENV
    shell:
        "infoplane train --experiment {wildcards.experiment:q} --variant {wildcards.variant:q}"
        " --seed {wildcards.seed:q} --run-dir {params.run_dir:q} {params.flags} --threads {threads:q}"
        " > {log:q} 2>&1"


# Every seed of a variant at once (stacked weights, MI measured while training, no activations
# stored): the variants in BATCHED, whose seeds a separate run would give the same numbers.
rule train_seeds:
    input:
        experiment=exp_file,
        raw=exp_raw,
    output:
        table="results/seeds/{experiment}/{variant}/mi.csv",
        history="results/seeds/{experiment}/{variant}/history.csv",
    params:
        flags=exp_flags,
        seeds=exp_seed_list,
    threads: 1
    priority: 1
    log:
        "logs/train_seeds/{experiment}_{variant}.log",
    resources:
        mem_mb=RES_TRAIN["mem_mb"],
        runtime=train_stack_minutes,
        gpu=0,
    conda:
        ENV
    shell:
        # --checkpoints: a killed job resumes where it stopped when rerun (the file goes when it ends)
        "infoplane train-seeds --experiment {wildcards.experiment:q} --variant {wildcards.variant:q}"
        " --seeds {params.seeds:q} {params.flags} --threads {threads:q} --checkpoints results/checkpoints"
        " --out {output.table:q} --history {output.history:q} --every-epoch > {log:q} 2>&1"


rule analyse_run:
    input:
        run="results/runs/{experiment}/{variant}/seed-{seed}/summary.json",
        experiment=exp_file,
        autoencoder=exp_autoencoder,
    output:
        "results/runs/{experiment}/{variant}/seed-{seed}/mi.csv",
    params:
        flags=exp_flags,
        run_dir=subpath(input.run, parent=True),
        autoencoder=lambda wildcards, input: " ".join(f"--autoencoder {shlex.quote(p)}" for p in input.autoencoder),
    threads: 1
    priority: 3  # the longest chains (train, analyse, combine, plot) first: a short tail on 2 cores
    log:
        "logs/analyse_run/{experiment}_{variant}_seed-{seed}.log",
    resources:
        **RES_ANALYSE,
    conda:
        ENV
    shell:
        "infoplane analyse --experiment {wildcards.experiment:q} --variant {wildcards.variant:q}"
        " --seed {wildcards.seed:q} --run-dir {params.run_dir:q} {params.autoencoder} {params.flags}"
        " --threads {threads:q} --out {output:q} > {log:q} 2>&1"


rule combine_runs:
    input:
        tables=exp_runs("results/runs/{experiment}/{variant}/seed-{seed}/mi.csv"),
        runs=exp_runs("results/runs/{experiment}/{variant}/seed-{seed}/summary.json"),
        stack_tables=exp_stacks("mi.csv"),
        stack_histories=exp_stacks("history.csv"),
        experiment=exp_file,
    output:
        table="results/mi/{experiment}/table.csv",
        aggregated="results/mi/{experiment}/aggregated.csv",
        finals="results/mi/{experiment}/finals.csv",
        history="results/mi/{experiment}/history.csv",
        metrics="results/metrics/{experiment}.json",
    params:
        flags=exp_flags,
        run_dirs=lambda wildcards, input: [os.path.dirname(p) for p in input.runs],
        out_dir=subpath(output.table, parent=True),
    log:
        "logs/combine_runs/{experiment}.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane combine --experiment {wildcards.experiment:q} {params.flags}"
        " --tables {input.tables:q} {input.stack_tables:q} --runs {params.run_dirs:q}"
        " --histories {input.stack_histories:q} --out-dir {params.out_dir:q}"
        " --metrics {output.metrics:q} > {log:q} 2>&1"


rule plot_experiment:
    input:
        aggregated="results/mi/{experiment}/aggregated.csv",
        history="results/mi/{experiment}/history.csv",
        experiment=exp_file,
        ib=exp_ib_curve,
    output:
        plane_pdf="figures/{experiment}_plane.pdf",
        plane_png="figures/{experiment}_plane.png",
        epochs_pdf="figures/{experiment}_epochs.pdf",
        epochs_png="figures/{experiment}_epochs.png",
    params:
        flags=exp_flags,
        ib=lambda wildcards, input: " ".join(f"--ib {shlex.quote(p)}" for p in input.ib),
    log:
        "logs/plot_experiment/{experiment}.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "(infoplane plot plane --experiment {wildcards.experiment:q} {params.flags}"
        " --table {input.aggregated:q} {params.ib} --out {output.plane_pdf:q} --out {output.plane_png:q}"
        " && infoplane plot epochs --experiment {wildcards.experiment:q} {params.flags}"
        " --table {input.aggregated:q} --history {input.history:q}"
        " --out {output.epochs_pdf:q} --out {output.epochs_png:q}) > {log:q} 2>&1"


# The IB and dual-IB curves of the SZT task, drawn on the planes of the SZT experiments.
rule compute_ib_curve:
    input:
        raw=[RAW_SZT],
    output:
        "results/ib_curve.csv",
    params:
        ib=P["ib_curve"],
        root=lambda wildcards, input: str(Path(input.raw[0]).parent.parent),
    log:
        "logs/compute_ib_curve.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane ib-curve --beta-min {params.ib[beta_min]:q} --beta-max {params.ib[beta_max]:q}"
        " --n-betas {params.ib[n_betas]:q} --clusters {params.ib[clusters]:q} --epsilon {params.ib[epsilon]:q}"
        " --data-root {params.root:q} --out {output:q} > {log:q} 2>&1"


# Goldfeld et al.'s single noisy neuron (experiments with a `neuron` section).
rule single_neuron:
    input:
        experiment=exp_file,
    output:
        "results/mi/{experiment}/neuron.csv",
    params:
        flags=exp_flags,
    log:
        "logs/single_neuron/{experiment}.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane neuron --experiment {wildcards.experiment:q} {params.flags} --out {output:q} > {log:q} 2>&1"


# Saxe et al.'s teacher-student task (experiments with a `teacher` section): seconds.
rule teacher_student:
    input:
        experiment=exp_file,
    output:
        "results/mi/{experiment}/teacher.csv",
    params:
        flags=exp_flags,
    log:
        "logs/teacher_student/{experiment}.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane teacher-student --experiment {wildcards.experiment:q} {params.flags} --out {output:q}"
        " > {log:q} 2>&1"


# The noisy outputs of a 3-neuron layer at marked epochs (experiments with a `scatter` section):
# the first variant's first seed.
rule layer_scatter:
    input:
        run=lambda wildcards: "results/runs/{experiment}/{variant}/seed-{seed}/summary.json".format(
            experiment=wildcards.experiment, variant=list(EXP[wildcards.experiment]["variants"])[0],
            seed=EXP[wildcards.experiment]["seeds"][0]),
        experiment=exp_file,
    output:
        "results/mi/{experiment}/scatter.csv",
    params:
        flags=exp_flags,
        run_dir=lambda wildcards, input: os.path.dirname(input.run),
        variant=lambda wildcards: list(EXP[wildcards.experiment]["variants"])[0],
        seed=lambda wildcards: EXP[wildcards.experiment]["seeds"][0],
    log:
        "logs/layer_scatter/{experiment}.log",
    resources:
        **RES_ANALYSE,
    conda:
        ENV
    shell:
        "infoplane scatter --experiment {wildcards.experiment:q} --variant {params.variant:q}"
        " --seed {params.seed:q} --run-dir {params.run_dir:q} {params.flags} --out {output:q} > {log:q} 2>&1"


rule plot_extra:
    input:
        table="results/mi/{experiment}/{kind}.csv",
        experiment=exp_file,
    output:
        pdf="figures/{experiment}_{kind}.pdf",
        png="figures/{experiment}_{kind}.png",
    wildcard_constraints:
        kind="neuron|scatter|teacher",
    params:
        flags=exp_flags,
    log:
        "logs/plot_extra/{experiment}_{kind}.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane plot {wildcards.kind:q} --experiment {wildcards.experiment:q} {params.flags}"
        " --table {input.table:q} --out {output.pdf:q} --out {output.png:q} > {log:q} 2>&1"


REPORT_INPUTS += rules.experiments.input


localrules:
    experiments,
    combine_runs,
    plot_experiment,
    compute_ib_curve,
    single_neuron,
    teacher_student,
    plot_extra,
