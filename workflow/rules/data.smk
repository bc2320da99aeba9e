# Raw datasets: copied from the data root (params.yaml `data_root`, or INFOPLANE_DATA_ROOT) into
# data/raw and checked against their published checksums. DVC tracks data/raw (data/raw.dvc);
# `make data` runs the same command and then `dvc add data/raw`.


rule fetch_data:
    output:
        # The SZT file and torchvision's MNIST layout; consumers use RAW_MNIST / RAW_SZT.
        szt="data/raw/SZT/var_u.mat",
        mnist=expand(
            "data/raw/{name}",
            name=[
                "MNIST/raw/train-images-idx3-ubyte",
                "MNIST/raw/train-labels-idx1-ubyte",
                "MNIST/raw/t10k-images-idx3-ubyte",
                "MNIST/raw/t10k-labels-idx1-ubyte",
            ],
        ),
    params:
        source=DATA_ROOT,
        dest=subpath(output.szt, ancestor=2),  # data/raw
    log:
        "logs/fetch_data.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane data fetch --data-root {params.source:q} --dest {params.dest:q} > {log:q} 2>&1"


# CIFAR-10 for the Butakov CIFAR-10 target; not part of the default run (or of data/raw.dvc
# until it is fetched): `snakemake butakov_cifar10` copies and checks it first.
rule fetch_cifar10:
    output:
        expand("data/raw/{name}", name=CIFAR10_FILES),
    params:
        source=DATA_ROOT,
        files=" ".join(f"--file {shlex.quote(name)}" for name in CIFAR10_FILES),
    log:
        "logs/fetch_cifar10.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane data fetch --data-root {params.source:q} --dest data/raw {params.files}"
        " > {log:q} 2>&1"
