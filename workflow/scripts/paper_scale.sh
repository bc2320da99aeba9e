#!/bin/sh
# One experiment at the paper scale, by the same Snakemake rules as the quick scale, in a working
# directory of its own (build/paper-scale/) so that its run directories never meet the quick
# scale's under results/. Its small outputs (the MI table, the training history, the metrics and
# the figures) are copied to paper/paper_scale/, where git and the report keep them; the run
# directories (activations: gigabytes) stay under build/. Where this machine cannot afford a
# paper setting, paper/paper_scale/overrides.yaml changes it (a config file over params.yaml) and
# says why.
#
#   sh workflow/scripts/paper_scale.sh EXPERIMENT      (or validation_gaussian, the estimators' grid,
#                                                      or known_mi_FAMILY, one family of the known-MI
#                                                      images, e.g. known_mi_bumps16; anti_pca is
#                                                      the anti-pca family)
#
# Resumable: Snakemake skips finished jobs and a killed training resumes from its checkpoint.
set -eu

experiment="$1"
case "$experiment" in
  *[!A-Za-z0-9_]* | "") echo "usage: paper_scale.sh EXPERIMENT (an experiments/<name>.yaml)" >&2; exit 2 ;;
esac
root="$(pwd)"
work="build/paper-scale"
out="paper/paper_scale"

mkdir -p "$work" "$out/figures"
for shared in experiments params.yaml data; do
  ln -sfn "$root/$shared" "$work/$shared"
done

case "$experiment" in   # a family of the known-MI images: its compressors and estimates alone
  anti_pca) family=anti-pca ;;
  known_mi_*) family="${experiment#known_mi_}" ;;
  *) family="" ;;
esac
target="$experiment"
if [ -n "$family" ]; then
  target="figures/known_mi_family_$family.png"
fi
snakemake --snakefile "$root/Snakefile" --directory "$work" --cores all --config scale=paper \
  --configfile "$root/paper/paper_scale/overrides.yaml" -- "$target"

if [ -n "$family" ]; then   # one family of the known-MI images: a table of estimates
  gzip -n -c "$work/results/estimator_validation/family/$family.csv" > "$out/$experiment.csv.gz"
  cp "$work/figures/known_mi_family_$family.png" "$out/figures/"
  exit 0
fi
if [ "$experiment" = validation_gaussian ]; then   # estimator validation: a table of estimates
  gzip -n -c "$work/results/estimators/validation_gaussian.csv" > "$out/validation_gaussian.csv.gz"
  cp "$work/results/metrics/estimator_validation_gaussian.json" "$out/validation_gaussian_metrics.json"
  cp "$work/figures/estimator_validation_gaussian.png" "$out/figures/"
  exit 0
fi
gzip -n -c "$work/results/mi/$experiment/table.csv" > "$out/$experiment.csv.gz"
cp "$work/results/mi/$experiment/aggregated.csv" "$out/${experiment}_aggregated.csv"
history="$work/results/mi/$experiment/history.csv"
if [ "$(wc -c < "$history")" -le 2000000 ]; then
  cp "$history" "$out/${experiment}_history.csv"
else  # every epoch would not fit the repository (20 runs x 5000 epochs: ~40 MB): the logged epochs
  awk -F, 'FNR == 1 { for (i = 1; i <= NF; i++) if ($i == "epoch") column = i }
           NR == FNR { if (FNR > 1) logged[$column]; next }
           FNR == 1 || ($column in logged)' "$work/results/mi/$experiment/table.csv" "$history" \
    > "$out/${experiment}_history.csv"
fi
cp "$work/results/metrics/$experiment.json" "$out/${experiment}_metrics.json"
if [ -f "$work/results/mi/$experiment/neuron.csv" ]; then   # Goldfeld et al.'s single neuron
  cp "$work/results/mi/$experiment/neuron.csv" "$out/${experiment}_neuron.csv"
fi
for figure in "$work/figures/${experiment}"_*.png; do
  cp "$figure" "$out/figures/"
done
