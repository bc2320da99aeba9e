# Butakov et al. (2024): information planes of noise-injected CNNs (MNIST; CIFAR-10 when its data
# are present). Per dataset: train the X autoencoder once; per seed: train (resumable; storing
# activations) -> analyse (one MI table per run); then combine over seeds -> plot.
# Settings live in experiments/butakov_{dataset}.yaml; params.yaml's `butakov` section chooses
# seeds and dotted overrides; `scale` (quick / paper) picks the experiment file's scale.

BK = P["butakov"]
BK_DATASETS = list(BK)


wildcard_constraints:
    dataset="|".join(BK_DATASETS),
    seed=r"\d+",


rule butakov_mnist:
    input:
        "results/mi/butakov_mnist.csv",
        "figures/butakov_mnist_infoplane.pdf",
        "figures/butakov_mnist_mi_epoch.pdf",


rule butakov_cifar10:
    input:
        "results/mi/butakov_cifar10.csv",
        "figures/butakov_cifar10_infoplane.pdf",
        "figures/butakov_cifar10_mi_epoch.pdf",


rule train_image_autoencoder:
    input:
        experiment=lambda wildcards: BK[wildcards.dataset]["experiment"],
        raw=lambda wildcards: RAW_IMAGES[wildcards.dataset],
    output:
        "results/autoencoders/butakov_{dataset}.pt",
    params:
        common=lambda wildcards: bk_common(wildcards.dataset),
    threads: 1  # so that on two cores it trains beside the first seed's network
    log:
        "logs/butakov/train_image_autoencoder_{dataset}.log",
    resources:
        **RES_TRAIN,
    conda:
        ENV
    shell:
        "infoplane train-autoencoder {params.common} --threads {threads:q} --out {output:q} > {log:q} 2>&1"


# The run directory holds checkpoints; only summary.json (written last) is declared, so a killed
# job's checkpoints survive Snakemake's cleanup and the rerun resumes from them.
rule train_butakov:
    input:
        experiment=lambda wildcards: BK[wildcards.dataset]["experiment"],
        raw=lambda wildcards: RAW_IMAGES[wildcards.dataset],
    output:
        "results/runs/butakov_{dataset}/seed-{seed}/summary.json",
    params:
        common=lambda wildcards: bk_common(wildcards.dataset),
        run_dir="results/runs/butakov_{dataset}/seed-{seed}",
    threads: 1
    log:
        "logs/butakov/train_{dataset}_seed-{seed}.log",
    resources:
        **RES_TRAIN,
    conda:
        ENV
    shell:
        "infoplane train {params.common} --threads {threads:q} --seed {wildcards.seed:q}"
        " --run-dir {params.run_dir:q} > {log:q} 2>&1"


rule analyse_butakov:
    input:
        run="results/runs/butakov_{dataset}/seed-{seed}/summary.json",
        autoencoder="results/autoencoders/butakov_{dataset}.pt",
    output:
        "results/runs/butakov_{dataset}/seed-{seed}/mi.csv",
    params:
        common=lambda wildcards: bk_common(wildcards.dataset),
        run_dir=subpath(input.run, parent=True),
    threads: 1
    log:
        "logs/butakov/analyse_{dataset}_seed-{seed}.log",
    resources:
        **RES_ANALYSE_BUTAKOV,
    conda:
        ENV
    shell:
        "OMP_NUM_THREADS={threads:q} infoplane analyse {params.common} --threads {threads:q}"
        " --seed {wildcards.seed:q} --run-dir {params.run_dir:q} --autoencoder {input.autoencoder:q}"
        " --out {output:q} > {log:q} 2>&1"


rule combine_butakov:
    input:
        tables=bk_seed_files("results/runs/butakov_{dataset}/seed-{seed}/mi.csv"),
        runs=bk_seed_files("results/runs/butakov_{dataset}/seed-{seed}/summary.json"),
    output:
        table="results/mi/butakov_{dataset}.csv",
        aggregated="results/mi/butakov_{dataset}_aggregated.csv",
        history="results/mi/butakov_{dataset}_history.csv",
        metrics="results/metrics/butakov_{dataset}.json",
    params:
        histories=bk_histories,
    log:
        "logs/butakov/combine_{dataset}.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane combine {input.tables:q} --out {output.table:q} --aggregated {output.aggregated:q}"
        " --history {params.histories:q} --history-out {output.history:q} --metrics {output.metrics:q} > {log:q} 2>&1"


rule plot_butakov:
    input:
        aggregated="results/mi/butakov_{dataset}_aggregated.csv",
        history="results/mi/butakov_{dataset}_history.csv",
    output:
        plane_pdf="figures/butakov_{dataset}_infoplane.pdf",
        plane_png="figures/butakov_{dataset}_infoplane.png",
        epoch_pdf="figures/butakov_{dataset}_mi_epoch.pdf",
        epoch_png="figures/butakov_{dataset}_mi_epoch.png",
    params:
        title=lambda wildcards: f"Butakov et al. (2024), {wildcards.dataset}, {P['scale']} scale",
    log:
        "logs/butakov/plot_{dataset}.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "(infoplane plot infoplane --table {input.aggregated:q} --out {output.plane_pdf:q} --out {output.plane_png:q}"
        " --title {params.title:q}"
        " && infoplane plot mi-epoch --table {input.aggregated:q} --history {input.history:q}"
        " --out {output.epoch_pdf:q} --out {output.epoch_png:q} --title {params.title:q}) > {log:q} 2>&1"


REPORT_INPUTS += [*rules.butakov_mnist.input, "results/metrics/butakov_mnist.json"]


localrules:
    butakov_mnist,
    butakov_cifar10,
    combine_butakov,
    plot_butakov,
