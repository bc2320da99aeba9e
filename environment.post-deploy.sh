#!/usr/bin/env bash
# Run by Snakemake (--sdm conda) inside the new environment, from the workflow's working
# directory (the repository root): install the infoplane package that the rules call.
set -euo pipefail
pip install --no-deps -e .
