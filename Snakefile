# infoplane: one command regenerates every figure. Rules call the `infoplane` CLI, so every
# step also runs alone. Parameters: params.yaml (validated at start). Machines: profiles/.
from snakemake.utils import min_version

min_version("8.0")


configfile: "params.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/validation.smk"
include: "workflow/rules/baselines.smk"


rule all:
    default_target: True
    input:
        rules.validation_gaussian.input,
        rules.baselines.input,
