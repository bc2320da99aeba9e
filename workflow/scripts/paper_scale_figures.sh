#!/bin/sh
# The figures of the paper-scale runs whose tables train-seeds writes (one table per variant, as
# paper/paper_scale/EXPERIMENT_VARIANT.csv.gz or paper/paper_scale/EXPERIMENT/VARIANT.csv.gz),
# drawn by `infoplane plot` from the committed tables alone: the information planes and MI
# against epoch of each experiment, with the panels of its file that were run.
#
#   sh workflow/scripts/paper_scale_figures.sh
set -eu

out="paper/paper_scale/figures"
mkdir -p "$out"

draw() {  # draw EXPERIMENT: its information planes (and MI against epoch, given histories)
  experiment="$1"
  set --   # the plot arguments, one file a word
  for file in paper/paper_scale/"$experiment"_*.csv.gz paper/paper_scale/"$experiment"/*.csv.gz; do
    case "$file" in
      *_history.csv.gz) ;;
      *) if [ -e "$file" ]; then set -- "$@" --table "$file"; fi ;;   # not the unmatched pattern
    esac
  done
  if [ "$#" -eq 0 ]; then
    echo "paper_scale_figures: no paper-scale table of $experiment; skipped" >&2
    return 0
  fi
  infoplane plot plane --experiment "$experiment" --scale paper --present-panels "$@" \
    --out "$out/${experiment}_plane.png"
  tables="$#"
  for file in paper/paper_scale/"$experiment"_*_history.csv.gz paper/paper_scale/"$experiment"/*_history.csv.gz; do
    if [ -e "$file" ]; then set -- "$@" --history "$file"; fi
  done
  [ "$#" -gt "$tables" ] || return 0
  infoplane plot epochs --experiment "$experiment" --scale paper --present-panels "$@" \
    --out "$out/${experiment}_epochs.png"
}

for experiment in szt_binning szt_training_size szt_depth lorenzen_quantized lorenzen_quantized_mnist saxe_kde; do
  draw "$experiment"
done
