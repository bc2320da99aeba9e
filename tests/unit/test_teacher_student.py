"""Saxe et al.'s teacher-student task: the exact informations of a linear hidden layer, and training."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infoplane.synthetic.teacher_student import (
    PARTS,
    TeacherStudent,
    hidden_information,
    teacher_student_table,
    train_teacher_student,
)

TASK = dict(n_relevant=3, n_irrelevant=5, hidden=6, outputs=1, n_train=400, n_test=400, teacher_noise=0.1,
            layer_noise=1.0, init_scale=1.0, lr=0.05, epochs=300, log_points=10)


def test_a_layer_that_copies_the_relevant_inputs():
    # T = X_rel + N(0, s^2 I): n_rel independent channels of SNR 1/s^2, nothing of X_irr.
    w1 = np.hstack([np.eye(3), np.zeros((3, 5))])
    w0 = np.array([[1.0, 0.0, 0.0]])
    info = hidden_information(w1, w0, n_relevant=3, layer_noise=0.25, teacher_noise=0.5)
    assert info["input"] == pytest.approx(1.5 * math.log(1 + 4), abs=1e-12)
    assert info["relevant"] == pytest.approx(info["input"], abs=1e-12)
    assert info["irrelevant"] == pytest.approx(0.0, abs=1e-12)
    # Y = X_1 + N(0, 0.25) against T_1 = X_1 + N(0, 0.25): corr^2 = 1 / (1.25 * 1.25)
    rho2 = 1 / 1.25**2
    assert info["label"] == pytest.approx(-0.5 * math.log(1 - rho2), abs=1e-12)


def test_random_layers_obey_the_chain_rule_and_data_processing():
    rng = np.random.default_rng(0)
    for _ in range(20):
        w1, w0 = rng.normal(size=(4, 8)), rng.normal(size=(2, 3))
        info = hidden_information(w1, w0, n_relevant=3, layer_noise=0.5, teacher_noise=0.3)
        # X_rel and X_irr independent: I(T;X) >= I(T;X_rel) + I(T;X_irr); Y - X_rel - T: I(T;Y) <= I(T;X_rel)
        assert info["input"] >= info["relevant"] + info["irrelevant"] - 1e-12
        assert 0 < info["label"] <= info["relevant"] + 1e-12
        # the rank bound: 4 channels, each at most 1/2 log(1 + ||w||^2 / s^2)
        assert info["input"] <= sum(0.5 * math.log(1 + row @ row / 0.5) for row in w1) + 1e-12


def test_training_fits_the_teacher_and_captures_every_part():
    task = TeacherStudent(**TASK)
    table = train_teacher_student(task, seed=3)
    assert set(table["analysis"]) == set(PARTS)
    assert table["epoch"].min() == 0 and table["epoch"].max() == 300
    first, last = table[table["epoch"] == 0].iloc[0], table[table["epoch"] == 300].iloc[0]
    # half the label noise's variance is the best test loss a student can reach
    assert last["test_loss"] < 0.1 * first["test_loss"]
    assert last["test_loss"] == pytest.approx(0.5 * 0.1**2, rel=0.5)
    # a fitted student's hidden layer knows more about the label than a random one
    assert last["i_ly"] > first["i_ly"]
    again = train_teacher_student(task, seed=3)
    assert again.equals(table)


def test_the_table_has_every_seed_in_the_mi_table_layout():
    table = teacher_student_table({**TASK, "seeds": 2}, experiment="saxe_kde")
    assert sorted(table["seed"].unique()) == [0, 1]
    assert set(table["layer"]) == {"T1"} and set(table["variant"]) == {"teacher-student"}
    with pytest.raises(KeyError):
        teacher_student_table({**TASK}, experiment="saxe_kde")


def test_the_figure_is_drawn_from_the_table(tmp_path):
    from infoplane.plots import plot_teacher_student

    table = teacher_student_table({**TASK, "seeds": 2}, experiment="saxe_kde")
    fig = plot_teacher_student(table, [tmp_path / "teacher.png"], title="t")
    assert (tmp_path / "teacher.png").stat().st_size > 0
    assert [ax.get_title() for ax in fig.axes][2] == "I(T;X_irr): task-irrelevant part"
    # the irrelevant panel's thick line is the seeds' mean of I(T;X_irr), in bits
    mean = table[table["analysis"] == "irrelevant"].groupby("epoch")["i_xl"].mean().to_numpy() / math.log(2)
    np.testing.assert_allclose(fig.axes[2].lines[-1].get_ydata(), mean)
