"""The generic training loop: stored layout, row alignment, and exact resume after a kill."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from infoplane.nets.noise import NoiseInjection
from infoplane.runstore import captured_epochs, load_activations, load_eval_set, write_activations
from infoplane.train import GradientMoments, TensorData, TrainConfig, capture_schedule, seeded, train


def tiny_data(seed: int = 0) -> TensorData:
    """Three Gaussian classes in 6-D; the eval set is a shuffled subset of the test set."""
    g = torch.Generator().manual_seed(seed)
    def draw(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(0, 3, (n,), generator=g)
        return torch.randn(n, 6, generator=g) + 2.0 * nn.functional.one_hot(y, 6).float(), y
    (tx, ty), (sx, sy) = draw(300), draw(120)
    index = torch.randperm(120, generator=g)[:50].numpy()
    return TensorData(tx, ty, sx, sy, sx[index], sy[index], eval_index=index)


def tiny_mlp() -> nn.Sequential:
    return nn.Sequential(
        nn.Sequential(NoiseInjection(0.05), nn.Linear(6, 8), nn.Tanh()),
        nn.Sequential(NoiseInjection(0.05), nn.Linear(8, 3), nn.LogSoftmax(dim=1)),
    )


#: TrainConfig(epochs=4, batch_size=64, lr=1e-2, seed=3).identity() before the controls existed.
PLAIN_IDENTITY = "a986f3251598c5ba"

CONFIG = TrainConfig(epochs=4, batch_size=64, lr=1e-2, seed=3, layers=("0", "1"),
                     capture_epochs=(0, 1, 2, 4), progress=False)


class Killed(RuntimeError):
    pass


def kill_after(epoch_to_die: int):
    def callback(epoch: int, _row: dict) -> None:
        if epoch == epoch_to_die:
            raise Killed(f"simulated kill after epoch {epoch}")
    return callback


def test_killed_run_resumes_to_identical_numbers(tmp_path):
    data = tiny_data()
    straight = train(seeded(tiny_mlp, 3), data, CONFIG, tmp_path / "straight")

    with pytest.raises(Killed):
        train(seeded(tiny_mlp, 3), data, CONFIG, tmp_path / "resumed", callbacks=[kill_after(2)])
    assert not (tmp_path / "resumed" / "summary.json").exists()
    assert captured_epochs(tmp_path / "resumed") == [0, 1, 2]
    # A fresh process would rebuild the model with other random weights; the checkpoint wins.
    resumed = train(seeded(tiny_mlp, 99), data, CONFIG, tmp_path / "resumed")

    timing = ["seconds", "cpu_seconds"]
    pd.testing.assert_frame_equal(straight.drop(columns=timing), resumed.drop(columns=timing))
    assert list(resumed["epoch"]) == [0, 1, 2, 3, 4]
    for epoch in (0, 1, 2, 4):
        a, _ = load_activations(tmp_path / "straight", epoch)
        b, _ = load_activations(tmp_path / "resumed", epoch)
        for layer in ("0", "1"):
            np.testing.assert_array_equal(a[layer], b[layer])
    # Training really moved: the loss fell and accuracy is above chance (1/3).
    assert straight["train_loss"].iloc[-1] < straight["train_loss"].iloc[1]
    assert straight["test_acc"].iloc[-1] > 0.6


def test_sparse_checkpoints_redo_the_lost_epochs_to_identical_numbers(tmp_path):
    import dataclasses

    # checkpoint_seconds far above the run's length: only the last epoch is saved, so a run
    # killed at epoch 2 leaves no checkpoint and the rerun trains every epoch again.
    sparse = dataclasses.replace(CONFIG, checkpoint_seconds=3600.0)
    assert sparse.identity() == CONFIG.identity()  # how often to save does not change the numbers
    straight = train(seeded(tiny_mlp, 3), tiny_data(), sparse, tmp_path / "straight")
    with pytest.raises(Killed):
        train(seeded(tiny_mlp, 3), tiny_data(), sparse, tmp_path / "resumed", callbacks=[kill_after(2)])
    assert not (tmp_path / "resumed" / "checkpoint.pt").exists()
    resumed = train(seeded(tiny_mlp, 3), tiny_data(), sparse, tmp_path / "resumed")
    timing = ["seconds", "cpu_seconds"]
    pd.testing.assert_frame_equal(straight.drop(columns=timing), resumed.drop(columns=timing))
    assert (tmp_path / "straight" / "checkpoint.pt").exists()  # the last epoch is always saved


def test_checkpoint_of_another_config_is_refused(tmp_path):
    data = tiny_data()
    train(seeded(tiny_mlp, 3), data, CONFIG, tmp_path)
    other = TrainConfig(**{**CONFIG.__dict__, "lr": 5e-3})
    with pytest.raises(ValueError, match="different training config"):
        train(seeded(tiny_mlp, 3), data, other, tmp_path)


def test_stored_rows_are_aligned_with_eval_inputs(tmp_path):
    """Row i of every stored layer is the network's output for stored input row i."""
    data = tiny_data()
    quiet = TrainConfig(**{**CONFIG.__dict__, "activation_dtype": "float32", "capture_epochs": (4,)})
    model = seeded(tiny_mlp, 3)
    for module in model.modules():  # deterministic evaluation, so rows can be recomputed one by one
        if isinstance(module, NoiseInjection):
            module.in_eval = False
    train(model, data, quiet, tmp_path)
    inputs, labels, index = load_eval_set(tmp_path)
    acts, stored_labels = load_activations(tmp_path, 4)
    np.testing.assert_array_equal(inputs, data.eval_x.numpy())
    np.testing.assert_array_equal(labels, data.eval_y.numpy())
    np.testing.assert_array_equal(stored_labels, labels)
    np.testing.assert_array_equal(index, data.eval_index)
    model.eval()
    with torch.no_grad():
        for i in (0, 17, 49):  # one row at a time: no batching could reorder it
            single = model(torch.as_tensor(inputs[i : i + 1]))
            np.testing.assert_allclose(acts["1"][i], single[0].numpy(), rtol=1e-5, atol=1e-6)
    assert acts["0"].shape == (50, 8) and acts["1"].shape == (50, 3)


def test_float16_storage_is_half_precision(tmp_path):
    train(seeded(tiny_mlp, 3), tiny_data(), CONFIG, tmp_path)
    with np.load(tmp_path / "activations" / "epoch-0004.npz") as stored:
        assert stored["0"].dtype == np.float16 and stored["labels"].dtype == np.int64


def test_float16_keeps_small_spreads_around_large_values(tmp_path):
    """A coordinate near -2.3 that varies by ~1e-3 across samples (a log-softmax early in
    training) must not collapse to ties: float16 of the raw values has a step of 2^-9 ~ 2e-3
    there, float16 of the centred values keeps ~11 bits of the spread."""
    rng = np.random.default_rng(0)
    layer = (-2.3 + 1e-3 * rng.standard_normal((1000, 10))).astype(np.float32)
    assert len(np.unique(layer.astype(np.float16), axis=0)) < 1000  # the naive way makes ties
    write_activations(tmp_path / "a.npz", {"L5": layer}, np.zeros(1000, dtype=np.int64), "float16")
    (tmp_path / "activations").mkdir()
    (tmp_path / "a.npz").rename(tmp_path / "activations" / "epoch-0000.npz")
    back, _ = load_activations(tmp_path, 0)
    assert len(np.unique(back["L5"], axis=0)) == 1000
    deviation = layer - layer.mean(axis=0)
    np.testing.assert_allclose(back["L5"], layer, atol=float(np.abs(deviation).max()) * 2**-10)


def test_capture_schedule():
    assert capture_schedule(10, every=1) == list(range(11))
    assert capture_schedule(300, every=50) == [0, 50, 100, 150, 200, 250, 300]
    log = capture_schedule(300, log_points=10, dense_until=3)
    assert log[:4] == [0, 1, 2, 3] and log[-1] == 300 and len(log) <= 14


def test_bad_capture_epochs_raise():
    with pytest.raises(ValueError, match="outside"):
        TrainConfig(epochs=3, batch_size=8, lr=1e-3, capture_epochs=(5,))


def test_frozen_network_keeps_its_initial_weights(tmp_path):
    frozen = TrainConfig(**{**CONFIG.__dict__, "frozen": True})
    model = seeded(tiny_mlp, 3)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    history = train(model, tiny_data(), frozen, tmp_path)
    for name, value in model.state_dict().items():
        assert torch.equal(value, start[name]), name
    assert history["train_loss"].isna().all()
    assert history["test_loss"].notna().all() and captured_epochs(tmp_path) == [0, 1, 2, 4]
    # Noise is on in evaluation, so the frozen network's captures still differ epoch to epoch.
    first, _ = load_activations(tmp_path, 1)
    last, _ = load_activations(tmp_path, 4)
    assert not np.array_equal(first["0"], last["0"])


def test_shuffled_labels_keep_class_counts_and_break_the_tie_to_inputs(tmp_path):
    from infoplane.train import shuffled_labels

    data = tiny_data()
    shuffled = shuffled_labels(data.train_y, seed=3)
    assert torch.equal(torch.bincount(shuffled), torch.bincount(data.train_y))
    assert float((shuffled == data.train_y).float().mean()) < 0.5    # 1/3 expected by chance
    assert torch.equal(shuffled, shuffled_labels(data.train_y, seed=3))
    assert not torch.equal(shuffled, shuffled_labels(data.train_y, seed=4))
    # The given labels of this task are learnt; shuffled ones leave the test set at chance.
    given = train(seeded(tiny_mlp, 3), data, TrainConfig(**{**CONFIG.__dict__, "epochs": 30,
                  "capture_epochs": ()}), tmp_path / "given")
    memorise = train(seeded(tiny_mlp, 3), data, TrainConfig(**{**CONFIG.__dict__, "epochs": 30,
                     "capture_epochs": (), "labels": "shuffled"}), tmp_path / "shuffled")
    assert given["test_acc"].iloc[-1] > 0.8
    assert memorise["test_acc"].iloc[-1] < 0.55


def test_controls_leave_the_identity_of_ordinary_runs_unchanged():
    plain = TrainConfig(epochs=4, batch_size=64, lr=1e-2, seed=3)
    # The hash of this config before the controls existed (a run made then still resumes).
    assert plain.identity() == PLAIN_IDENTITY
    assert TrainConfig(**{**plain.__dict__, "frozen": True}).identity() != plain.identity()
    assert TrainConfig(**{**plain.__dict__, "labels": "shuffled"}).identity() != plain.identity()
    with pytest.raises(ValueError, match="labels must be one of"):
        TrainConfig(epochs=4, batch_size=64, lr=1e-2, labels="random")


def test_orthonormality_penalty_is_zero_for_orthonormal_rows_and_pulls_weights_there(tmp_path):
    from infoplane.train import orthonormality_penalty

    model = tiny_mlp()
    with torch.no_grad():
        q, _ = torch.linalg.qr(torch.randn(8, 6))      # (8, 6): orthonormal columns
        model[0][1].weight.copy_(q)                   # out 8 > in 6: W^T W = I
    # the output layer is not counted
    assert float(orthonormality_penalty(model).detach()) == pytest.approx(0.0, abs=1e-10)
    with torch.no_grad():
        model[0][1].weight.mul_(2.0)                  # W^T W = 4 I: (4 - 1)^2 on 6 diagonal entries
    assert float(orthonormality_penalty(model).detach()) == pytest.approx(54.0, rel=1e-5)
    plain = train(seeded(tiny_mlp, 3), tiny_data(), CONFIG, tmp_path / "plain")
    model = seeded(tiny_mlp, 3)
    regular = train(model, tiny_data(), TrainConfig(**{**CONFIG.__dict__, "orthonormality": 1.0}),
                    tmp_path / "regular")
    start = float(orthonormality_penalty(seeded(tiny_mlp, 3)).detach())
    assert float(orthonormality_penalty(model).detach()) < 0.5 * start
    assert not np.allclose(plain["train_loss"].iloc[1:], regular["train_loss"].iloc[1:])
    assert TrainConfig(**{**CONFIG.__dict__, "orthonormality": 1.0}).identity() != CONFIG.identity()


def test_gradient_moments_are_the_norms_of_the_mean_and_spread_over_batches():

    rng = np.random.default_rng(0)
    batches = rng.normal(size=(7, 3, 12)) + np.array([0.0, 1.0, 50.0])[:, None]   # 3 seeds, P = 12
    moments = GradientMoments([slice(0, 12), slice(12, 12)])      # a layer with all 12, one with none
    for batch in batches:
        moments.add(torch.tensor(batch, dtype=torch.float32))
    norms = moments.epoch_norms()
    as_float32 = batches.astype(np.float32).astype(np.float64)
    expected_mean = np.linalg.norm(as_float32.mean(axis=0), axis=-1)
    # the population spread, not cancelled to noise where the mean (50) dwarfs it (1)
    expected_std = np.linalg.norm(as_float32.std(axis=0), axis=-1)
    np.testing.assert_allclose(norms["grad_mean_1"], expected_mean, rtol=1e-12)
    np.testing.assert_allclose(norms["grad_std_1"], expected_std, rtol=1e-9)
    assert torch.isnan(norms["grad_mean_2"]).all() and norms["grad_mean_2"].shape == (3,)
    assert moments.epoch_norms() == {}                     # the next epoch starts empty
