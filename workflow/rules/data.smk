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
        source=P["data_root"],
        dest=subpath(output.szt, ancestor=2),  # data/raw
    log:
        "logs/fetch_data.log",
    threads: 1
    resources:
        **RES_SMALL,
    conda:
        ENV
    shell:
        "infoplane data fetch --data-root {params.source} --dest {params.dest} > {log} 2>&1"
