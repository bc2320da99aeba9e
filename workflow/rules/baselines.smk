# The four earlier IB analyses on the SZT 12-bit task, and the MNIST networks of Saxe et al. and
# Lorenzen et al. (experiments/*.yaml):
# train (per experiment, variant, seed) -> MI table per run (registry estimators, or SP for the
# noisy network) -> summary over seeds + sanity flags -> figures. Targets: szt_binning, saxe_kde
# (+ saxe_kde_mnist), lorenzen_quantized (+ lorenzen_quantized_mnist), goldfeld_sp (and
# baselines for all four).

wildcard_constraints:
    experiment="|".join(BL_ALL),
    seed=r"\d+",


# Targets name every table a figure is drawn from (see rule estimator_validation for why).
rule baselines:
    input:
        expand("results/metrics/baseline_{experiment}.json", experiment=BL_ALL),
        "results/baselines/goldfeld_sp/neuron.csv",
        [bl_figures(e) for e in BL_ALL],
        expand("figures/goldfeld_sp_{kind}.{ext}", kind=["neuron", "scatter"], ext=["pdf", "png"]),


rule szt_binning:
    input:
        "results/metrics/baseline_szt_binning.json",
        bl_figures("szt_binning"),


rule saxe_kde:
    input:
        bl_target("saxe_kde"),


rule lorenzen_quantized:
    input:
        bl_target("lorenzen_quantized"),


rule goldfeld_sp:
    input:
        "results/metrics/baseline_goldfeld_sp.json",
        "results/baselines/goldfeld_sp/neuron.csv",
        bl_figures("goldfeld_sp"),
        expand("figures/goldfeld_sp_{kind}.{ext}", kind=["neuron", "scatter"], ext=["pdf", "png"]),


rule train_szt_net:
    input:
        raw=bl_raw,
    output:
        directory("results/runs/{experiment}/{variant}/seed-{seed}"),
    params:
        config=bl_run_config,
        root=bl_data_root,
    log:
        "logs/train_szt_net/{experiment}_{variant}_seed-{seed}.log",
    resources:
        **RES_TRAIN_CPU,
    conda:
        ENV
    shell:
        "infoplane baseline train --config {params.config} --seed {wildcards.seed:q} --out {output:q}"
        " --data-root {params.root:q} > {log:q} 2>&1"


rule estimate_szt_planes:
    input:
        "results/runs/{experiment}/{variant}/seed-{seed}",
    output:
        "results/mi/baselines/{experiment}/{variant}/seed-{seed}.csv",
    wildcard_constraints:
        experiment="|".join(BL_PLANES),
    params:
        analyses=bl_json("analyses"),
    log:
        "logs/estimate_szt_planes/{experiment}_{variant}_seed-{seed}.log",
    resources:
        **RES_ANALYSE,
    conda:
        ENV
    shell:
        "OMP_NUM_THREADS=1 infoplane baseline planes --run-dir {input:q} --analyses {params.analyses}"
        " --experiment {wildcards.experiment:q} --variant {wildcards.variant:q} --seed {wildcards.seed:q}"
        " --out {output:q} > {log:q} 2>&1"


rule estimate_noisy_sp:
    input:
        "results/runs/goldfeld_sp/{variant}/seed-{seed}",
    output:
        table="results/mi/baselines/goldfeld_sp/{variant}/seed-{seed}.csv",
        scatter="results/baselines/goldfeld_sp/scatter_{variant}_seed-{seed}.csv",
    params:
        sp=BL["goldfeld_sp"]["sp"],
        layer=BL["goldfeld_sp"]["scatter_layer"],
    log:
        "logs/estimate_noisy_sp/{variant}_seed-{seed}.log",
    resources:
        **RES_ANALYSE,
    conda:
        ENV
    shell:
        "OMP_NUM_THREADS=1 infoplane baseline sp --run-dir {input:q} --variant {wildcards.variant:q}"
        " --seed {wildcards.seed:q} --n-cond {params.sp[n_cond]:q} --cond-inputs {params.sp[cond_inputs]:q}"
        " --n-mc {params.sp[n_mc]:q} --out {output.table:q} --scatter-out {output.scatter:q}"
        " --scatter-layer {params.layer:q} > {log:q} 2>&1"


rule summarise_baseline:
    input:
        tables=bl_tables,
        raw=bl_raw,
    output:
        table="results/baselines/{experiment}/summary.csv",
        finals="results/baselines/{experiment}/finals.csv",
        flags="results/metrics/baseline_{experiment}.json",
    params:
        run=bl_json("run"),
        root=bl_data_root,
    log:
        "logs/summarise_baseline/{experiment}.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane baseline summarise {input.tables:q} --out {output.table:q} --finals {output.finals:q}"
        " --flags {output.flags:q} --run-config {params.run} --data-root {params.root:q} > {log:q} 2>&1"


rule compute_ib_curve:
    input:
        raw=[RAW_SZT],
    output:
        "results/baselines/ib_curve.csv",
    params:
        ib=BL["ib_curve"],
        root=bl_data_root,
    log:
        "logs/compute_ib_curve.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane baseline ib-curve --beta-min {params.ib[beta_min]:q} --beta-max {params.ib[beta_max]:q}"
        " --n-betas {params.ib[n_betas]:q} --clusters {params.ib[clusters]:q} --epsilon {params.ib[epsilon]:q}"
        " --data-root {params.root:q} --out {output:q} > {log:q} 2>&1"


rule plot_baseline_plane:
    input:
        table="results/baselines/{experiment}/summary.csv",
        ib=bl_ib,
        raw=bl_raw,
    output:
        pdf="figures/{experiment}_plane.pdf",
        png="figures/{experiment}_plane.png",
    params:
        panels=bl_json("panels"),
        run=bl_json("run"),
        ib=lambda wildcards, input: f"--ib {input.ib}" if input.ib else "",
        title=bl_title,
        root=bl_data_root,
    log:
        "logs/plot_baseline_plane/{experiment}.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane baseline plot plane --table {input.table:q} {params.ib} --panels {params.panels}"
        " --run-config {params.run} --title {params.title} --data-root {params.root:q}"
        " --out {output.pdf:q} --out {output.png:q} > {log:q} 2>&1"


rule plot_baseline_epochs:
    input:
        "results/baselines/{experiment}/summary.csv",
    output:
        pdf="figures/{experiment}_epochs.pdf",
        png="figures/{experiment}_epochs.png",
    params:
        panels=bl_json("panels"),
        title=bl_title,
    log:
        "logs/plot_baseline_epochs/{experiment}.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane baseline plot epochs --table {input:q} --panels {params.panels}"
        " --title {params.title} --out {output.pdf:q} --out {output.png:q} > {log:q} 2>&1"


rule compute_single_neuron:
    output:
        "results/baselines/goldfeld_sp/neuron.csv",
    params:
        n=BL["goldfeld_sp"]["neuron"],
    log:
        "logs/compute_single_neuron.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane baseline neuron --beta {params.n[beta]:q} --w-min {params.n[w_min]:q} --w-max {params.n[w_max]:q}"
        " --n-weights {params.n[n_weights]:q} --n-samples {params.n[n_samples]:q} --n-mc {params.n[n_mc]:q}"
        " --out {output:q} > {log:q} 2>&1"


rule plot_single_neuron:
    input:
        "results/baselines/goldfeld_sp/neuron.csv",
    output:
        pdf="figures/goldfeld_sp_neuron.pdf",
        png="figures/goldfeld_sp_neuron.png",
    params:
        beta=BL["goldfeld_sp"]["neuron"]["beta"],
    log:
        "logs/plot_single_neuron.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane baseline plot neuron --table {input:q} --beta {params.beta:q}"
        " --out {output.pdf:q} --out {output.png:q} > {log:q} 2>&1"


rule plot_layer_scatter:
    input:
        expand("results/baselines/goldfeld_sp/scatter_{variant}_seed-{seed}.csv",
               variant=list(BL["goldfeld_sp"]["variants"])[0], seed=BL["goldfeld_sp"]["seeds"][0]),
    output:
        pdf="figures/goldfeld_sp_scatter.pdf",
        png="figures/goldfeld_sp_scatter.png",
    params:
        title=f"noisy tanh net, layer T{BL['goldfeld_sp']['scatter_layer']}",
    log:
        "logs/plot_layer_scatter.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane baseline plot scatter --table {input:q} --title {params.title:q}"
        " --out {output.pdf:q} --out {output.png:q} > {log:q} 2>&1"


REPORT_INPUTS += [*rules.baselines.input, *expand("results/baselines/{e}/finals.csv", e=BL_ALL)]


localrules:
    summarise_baseline,
    compute_ib_curve,
    plot_baseline_plane,
    plot_baseline_epochs,
    compute_single_neuron,
    plot_single_neuron,
    plot_layer_scatter,
