# infoplane: one command regenerates every figure and the replication report. Rules call the
# `infoplane` CLI, so every step also runs alone. Parameters: params.yaml (checked at start).
# Machines: profiles/default (this one, loaded automatically), profiles/slurm (a cluster).
import sys

from snakemake.utils import min_version

min_version("8.0")


# A YAML syntax error in params.yaml is one line with its line number, not a traceback.
from infoplane.config import read_yaml

try:
    read_yaml("params.yaml")
except ValueError as error:
    sys.exit(str(error))


configfile: "params.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/validation.smk"
include: "workflow/rules/estimators.smk"
include: "workflow/rules/experiments.smk"
include: "workflow/rules/report.smk"


localrules:
    all,
    fetch_data,
    fetch_cifar10,


rule all:
    default_target: True
    input:
        rules.validation_gaussian.input,
        rules.estimator_validation.input,
        rules.experiments.input,
        rules.report.output,
