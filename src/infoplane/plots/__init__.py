"""Figures, made from result tables only.

    planes.py      information planes of any experiment (aggregated MI table)
    epochs.py      MI against epoch (and accuracy from the histories)
    validation.py  estimator validation: estimates against the true MI
    goldfeld.py    the single noisy neuron; a 3-neuron layer's representations
    saxe.py        the teacher-student task: relevant and irrelevant information against epoch
    style.py       one style; saving (byte-identical reruns); where a figure goes

Every function takes the table(s) and output paths (format from each suffix; the planes and
epochs plots also take Axes) and returns the Figure.
"""

from infoplane.plots.epochs import plot_mi_epoch
from infoplane.plots.goldfeld import plot_layer_scatter, plot_single_neuron
from infoplane.plots.planes import plot_information_plane
from infoplane.plots.saxe import plot_teacher_student
from infoplane.plots.style import save
from infoplane.plots.validation import plot_benchmark_tasks, plot_estimator_validation, plot_known_mi

__all__ = ["plot_benchmark_tasks", "plot_estimator_validation", "plot_information_plane", "plot_known_mi",
           "plot_layer_scatter", "plot_mi_epoch", "plot_single_neuron", "plot_teacher_student", "save"]
