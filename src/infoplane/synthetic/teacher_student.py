"""Saxe et al.'s teacher-student task: task-relevant and task-irrelevant inputs, exact MI.

The input X ~ N(0, I) has ``n_relevant`` task-relevant coordinates X_rel and ``n_irrelevant``
task-irrelevant ones X_irr. A linear teacher labels it, Y = W0 X_rel + N(0, s_y^2 I) (W0 drawn
from the seed), and a linear student with one hidden layer, Y_hat = W2 W1 X, learns it from
``n_train`` samples by full-batch gradient descent on the squared error. The hidden layer read as
a noisy channel, T = W1 X + N(0, s_t^2 I), is jointly Gaussian with X, X_rel, X_irr and Y, so
every information is exact (no estimator):

    I(T;V) = 1/2 [log det S_TT + log det S_VV - log det S_(T,V)]

from the joint covariance (:func:`infoplane.synthetic.gaussian.gaussian_mi`), with
S_TT = W1 W1^T + s_t^2 I, S_TX = W1, S_TY = W1_rel W0^T, S_YY = W0 W0^T + s_y^2 I.

Saxe et al. claim that the task-irrelevant information I(T;X_irr) can fall while the total
I(T;X) rises, during fitting rather than after it. Our reference gives no settings for the task:
every number of the experiment's ``teacher`` section is ours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from infoplane.synthetic.gaussian import gaussian_mi
from infoplane.train import capture_schedule

#: The three inputs whose information the hidden layer holds, as the ``analysis`` of a row.
PARTS = ("input", "relevant", "irrelevant")


@dataclass(frozen=True)
class TeacherStudent:
    """The task and the student's training (an experiment's ``teacher`` section).

    Attributes:
        n_relevant, n_irrelevant: input coordinates the teacher reads and ignores.
        hidden: width of the student's linear hidden layer; outputs: dimension of Y.
        n_train, n_test: training samples, and fresh samples for the test loss.
        teacher_noise: s_y, standard deviation of the teacher's label noise.
        layer_noise: s_t^2, variance of the noise that makes the hidden layer a channel.
        init_scale: student weights drawn N(0, init_scale^2 / fan_in).
        lr, epochs: full-batch gradient descent; log_points: about this many captured epochs.
    """

    n_relevant: int
    n_irrelevant: int
    hidden: int
    outputs: int
    n_train: int
    n_test: int
    teacher_noise: float
    layer_noise: float
    init_scale: float
    lr: float
    epochs: int
    log_points: int

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> TeacherStudent:
        """From an experiment's ``teacher`` section (its ``seeds`` key is not part of the task)."""
        fields = {name: settings[name] for name in cls.__dataclass_fields__}
        return cls(**fields)


def hidden_information(w1: np.ndarray, w0: np.ndarray, n_relevant: int, layer_noise: float,
                       teacher_noise: float) -> dict[str, float]:
    """I(T;X), I(T;X_rel), I(T;X_irr) and I(T;Y) (nats) of T = W1 X + N(0, layer_noise I).

    Args:
        w1: (hidden, n_relevant + n_irrelevant) the student's first weights.
        w0: (outputs, n_relevant) the teacher's weights.
        n_relevant: the leading input coordinates the teacher reads.
        layer_noise: variance of the hidden layer's noise.
        teacher_noise: standard deviation of the teacher's label noise.

    Returns:
        ``input``, ``relevant``, ``irrelevant`` and ``label``.
    """
    h, n = w1.shape
    o = w0.shape[0]
    # the joint covariance of (T, X, Y)
    cov = np.zeros((h + n + o, h + n + o))
    t, x, y = slice(0, h), slice(h, h + n), slice(h + n, h + n + o)
    cov[t, t] = w1 @ w1.T + layer_noise * np.eye(h)
    cov[x, x] = np.eye(n)
    cov[y, y] = w0 @ w0.T + teacher_noise**2 * np.eye(o)
    cov[t, x] = w1
    cov[t, y] = w1[:, :n_relevant] @ w0.T
    cov[h:h + n_relevant, y] = w0.T
    cov = np.triu(cov) + np.triu(cov, 1).T       # the blocks above were set above the diagonal

    def with_t(rows: np.ndarray) -> float:
        keep = np.concatenate([np.arange(h), rows])
        return gaussian_mi(cov[np.ix_(keep, keep)], dim_x=h)

    inputs = h + np.arange(n)
    return {"input": with_t(inputs), "relevant": with_t(inputs[:n_relevant]),
            "irrelevant": with_t(inputs[n_relevant:]), "label": with_t(h + n + np.arange(o))}


def train_teacher_student(task: TeacherStudent, seed: int) -> pd.DataFrame:
    """Train one student from ``seed`` (teacher, samples and initial weights) and read its hidden layer.

    Returns:
        one row per captured epoch and part of the input: ``seed``, ``epoch``, ``analysis`` (a
        name of ``PARTS``), ``i_xl`` (I(T; that part), nats), ``i_ly`` (I(T;Y), nats),
        ``train_loss`` and ``test_loss`` (half the mean squared error over the samples).
    """
    rng = np.random.default_rng(seed)
    n = task.n_relevant + task.n_irrelevant
    w0 = rng.normal(0.0, 1 / math.sqrt(task.n_relevant), (task.outputs, task.n_relevant))

    def samples(m: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((m, n))
        return x, x[:, :task.n_relevant] @ w0.T + task.teacher_noise * rng.standard_normal((m, task.outputs))

    (x, y), (x_test, y_test) = samples(task.n_train), samples(task.n_test)
    w1 = rng.normal(0.0, task.init_scale / math.sqrt(n), (task.hidden, n))
    w2 = rng.normal(0.0, task.init_scale / math.sqrt(task.hidden), (task.outputs, task.hidden))

    def loss(inputs: np.ndarray, targets: np.ndarray) -> float:
        return 0.5 * float(np.mean(np.sum((inputs @ w1.T @ w2.T - targets) ** 2, axis=1)))

    captured = set(capture_schedule(task.epochs, log_points=task.log_points))
    rows = []
    for epoch in range(task.epochs + 1):
        if epoch in captured:
            info = hidden_information(w1, w0, task.n_relevant, task.layer_noise, task.teacher_noise)
            train_loss, test_loss = loss(x, y), loss(x_test, y_test)
            rows += [{"seed": seed, "epoch": epoch, "analysis": part, "i_xl": info[part],
                      "i_ly": info["label"], "train_loss": train_loss, "test_loss": test_loss}
                     for part in PARTS]
        if epoch == task.epochs:
            break
        hidden = x @ w1.T                                   # (n_train, hidden)
        error = (hidden @ w2.T - y) / task.n_train          # d(loss)/d(output), (n_train, outputs)
        grad_w2, grad_w1 = error.T @ hidden, (error @ w2).T @ x
        w2 -= task.lr * grad_w2
        w1 -= task.lr * grad_w1
    return pd.DataFrame(rows)


def teacher_student_table(settings: dict[str, Any], experiment: str = "") -> pd.DataFrame:
    """Every seed of an experiment's ``teacher`` section, in the MI table's layout.

    Returns:
        the rows of :func:`train_teacher_student` for seeds 0 .. ``seeds`` - 1, with
        ``experiment``, ``variant`` (``teacher-student``), ``estimator`` (``gaussian-exact``),
        ``layer`` (``T1``) and ``depth`` (1).
    """
    task = TeacherStudent.from_settings(settings)
    table = pd.concat([train_teacher_student(task, seed) for seed in range(int(settings["seeds"]))],
                      ignore_index=True)
    return table.assign(experiment=experiment, variant="teacher-student", estimator="gaussian-exact",
                        layer="T1", depth=1)
