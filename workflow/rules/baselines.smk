# The four earlier IB analyses on the SZT 12-bit task, and the MNIST networks of Saxe et al. and
# Lorenzen et al. (issue 5; experiments/*.yaml):
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
        "infoplane baseline train --config {params.config} --seed {wildcards.seed} --out {output}"
        " --data-root {params.root} > {log} 2>&1"


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
        "OMP_NUM_THREADS=1 infoplane baseline planes --run-dir {input} --analyses {params.analyses}"
        " --experiment {wildcards.experiment} --variant {wildcards.variant} --seed {wildcards.seed}"
        " --out {output} > {log} 2>&1"


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
        "OMP_NUM_THREADS=1 infoplane baseline sp --run-dir {input} --variant {wildcards.variant}"
        " --seed {wildcards.seed} --n-cond {params.sp[n_cond]} --cond-inputs {params.sp[cond_inputs]}"
        " --n-mc {params.sp[n_mc]} --out {output.table} --scatter-out {output.scatter}"
        " --scatter-layer {params.layer} > {log} 2>&1"


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
        "infoplane baseline summarise {input.tables} --out {output.table} --finals {output.finals}"
        " --flags {output.flags} --run-config {params.run} --data-root {params.root} > {log} 2>&1"


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
        "infoplane baseline ib-curve --beta-min {params.ib[beta_min]} --beta-max {params.ib[beta_max]}"
        " --n-betas {params.ib[n_betas]} --clusters {params.ib[clusters]} --epsilon {params.ib[epsilon]}"
        " --data-root {params.root} --out {output} > {log} 2>&1"


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
        "infoplane baseline plot plane --table {input.table} {params.ib} --panels {params.panels}"
        " --run-config {params.run} --title {params.title} --data-root {params.root}"
        " --out {output.pdf} --out {output.png} > {log} 2>&1"


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
        "infoplane baseline plot epochs --table {input} --panels {params.panels}"
        " --title {params.title} --out {output.pdf} --out {output.png} > {log} 2>&1"


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
        "infoplane baseline neuron --beta {params.n[beta]} --w-min {params.n[w_min]} --w-max {params.n[w_max]}"
        " --n-weights {params.n[n_weights]} --n-samples {params.n[n_samples]} --n-mc {params.n[n_mc]}"
        " --out {output} > {log} 2>&1"


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
        "infoplane baseline plot neuron --table {input} --beta {params.beta}"
        " --out {output.pdf} --out {output.png} > {log} 2>&1"


rule plot_layer_scatter:
    input:
        expand("results/baselines/goldfeld_sp/scatter_{variant}_seed-{seed}.csv",
               variant=list(BL["goldfeld_sp"]["variants"])[0], seed=BL["goldfeld_sp"]["seeds"][0]),
    output:
        pdf="figures/goldfeld_sp_scatter.pdf",
        png="figures/goldfeld_sp_scatter.png",
    params:
        layer=BL["goldfeld_sp"]["scatter_layer"],
    log:
        "logs/plot_layer_scatter.log",
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane baseline plot scatter --table {input} --title 'noisy tanh net, layer T{params.layer}'"
        " --out {output.pdf} --out {output.png} > {log} 2>&1"


REPORT_INPUTS += [*rules.baselines.input, *expand("results/baselines/{e}/finals.csv", e=BL_ALL)]


localrules:
    summarise_baseline,
    compute_ib_curve,
    plot_baseline_plane,
    plot_baseline_epochs,
    compute_single_neuron,
    plot_single_neuron,
    plot_layer_scatter,
