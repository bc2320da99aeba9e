#!/bin/sh
# The figures of the paper-scale runs whose tables train-seeds writes (one table per variant, in
# paper/paper_scale/), drawn by `infoplane plot` from the committed tables alone: the information
# planes and MI against epoch of each experiment, with the panels of its file that were run.
#
#   sh workflow/scripts/paper_scale_figures.sh
set -eu

out="paper/paper_scale/figures"
mkdir -p "$out"

tables() {  # tables KIND EXPERIMENT: "--table"/"--history" and each file of that kind, one per line
  for file in paper/paper_scale/"$2"_*.csv.gz; do
    [ -e "$file" ] || continue   # the pattern itself, when nothing matches
    case "$file:$1" in
      *_history.csv.gz:history) printf -- '--history\n%s\n' "$file" ;;
      *_history.csv.gz:table) ;;
      *:table) printf -- '--table\n%s\n' "$file" ;;
    esac
  done
}

draw() {  # draw EXPERIMENT: its information planes (and MI against epoch, given histories)
  experiment="$1"
  # The arguments are built in "$@", one file a word: committed names hold no newline.
  set --
  while IFS= read -r word; do set -- "$@" "$word"; done <<EOF_TABLES
$(tables table "$experiment")
EOF_TABLES
  if [ "$#" -le 1 ]; then
    echo "paper_scale_figures: no paper-scale table of $experiment; skipped" >&2
    return 0
  fi
  infoplane plot plane --experiment "$experiment" --scale paper --present-panels "$@" \
    --out "$out/${experiment}_plane.png"
  histories="$(tables history "$experiment")"
  [ -n "$histories" ] || return 0
  while IFS= read -r word; do set -- "$@" "$word"; done <<EOF_HISTORIES
$histories
EOF_HISTORIES
  infoplane plot epochs --experiment "$experiment" --scale paper --present-panels "$@" \
    --out "$out/${experiment}_epochs.png"
}

for experiment in szt_binning szt_training_size szt_depth lorenzen_quantized saxe_kde; do
  draw "$experiment"
done
