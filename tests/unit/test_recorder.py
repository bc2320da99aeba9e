"""The Recorder: what it records (rows aligned, layers chosen every way), that recording leaves
the model and its training alone, and that analysed numbers match a known truth."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from infoplane import Recorder, analyse, mark
from infoplane.nets.noise import NoiseInjection
from infoplane.runstore import captured_epochs, load_activations, load_eval_set
from infoplane.synthetic.mixture import noisy_constellation_mi


class Functional(nn.Module):
    """A block whose activation is applied functionally, so only a mark can record it."""

    def __init__(self, d_in: int = 4) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d_in, 5), nn.Linear(5, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = mark("relu1", torch.relu(self.fc1(x)))
        return self.fc2(hidden)


def blobs(n: int = 120, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    return torch.randn(n, 6, generator=g) + 2.0 * nn.functional.one_hot(y, 6).float(), y


def test_rows_stay_aligned_for_tensors_datasets_and_loaders(tmp_path):
    """Row i of every layer is the output for input row i, whatever form the data came in (a
    shuffling DataLoader too: its order is read once and kept)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 4), nn.Tanh(), Functional())
    x, y = blobs()
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    for name, data in {"tensors": (x, y), "float64 arrays": (x.numpy().astype(np.float64), y.numpy()),
                       "dataset": TensorDataset(x, y), "loader": loader}.items():
        recorder = Recorder(model, layers=["0", model[1], "relu1"], eval_data=data, run_dir=tmp_path / name,
                            dtype="float32", batch_size=7)
        assert recorder.capture(3) == ["0", "1", "relu1"]
        inputs, labels, _ = load_eval_set(tmp_path / name)
        acts, stored_labels = load_activations(tmp_path / name, 3)
        np.testing.assert_array_equal(stored_labels, labels)
        with torch.no_grad():
            for i in (0, 50, 119):  # one row at a time: no batching could reorder it
                row = torch.as_tensor(inputs[i : i + 1])
                np.testing.assert_allclose(acts["1"][i], torch.tanh(model[0](row))[0], rtol=1e-5, atol=1e-6)
                hidden = torch.relu(model[2].fc1(model[1](model[0](row))))
                np.testing.assert_allclose(acts["relu1"][i], hidden[0], rtol=1e-5, atol=1e-6)
                assert labels[i] == int(y[(x == row).all(dim=1)][0])  # the label of that very input
        assert acts["0"].shape == (120, 4) and acts["relu1"].shape == (120, 5)


def test_auto_leaves_and_marks():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Sequential(nn.Linear(6, 4), nn.Tanh()), Functional())
    x, y = blobs()
    auto = Recorder(model, eval_data=(x, y))
    assert auto.capture(0) == ["0", "1", "relu1"]  # top-level blocks, then every mark
    leaves = Recorder(model, layers="leaves", eval_data=(x, y))
    assert leaves.capture(0) == ["0.0", "0.1", "1.fc1", "1.fc2", "relu1"]
    memory = auto.store.activations[0]
    np.testing.assert_array_equal(memory["0"], leaves.store.activations[0]["0.1"])
    assert mark("relu1", x) is x  # outside a capture a mark is a no-op


def test_errors_say_what_to_fix(tmp_path):
    model = nn.Sequential(nn.Linear(6, 3))
    x, y = blobs()
    with pytest.raises(ValueError, match="neither submodules nor tensors marked"):
        Recorder(model, layers=["nope"], eval_data=(x, y)).capture(0)
    with pytest.raises(ValueError, match="not a module of the model"):
        Recorder(model, layers=[nn.Linear(2, 2)], eval_data=(x, y))
    with pytest.raises(ValueError, match="integers"):
        Recorder(model, eval_data=(x, y.float()))
    twice = nn.Linear(6, 6)
    with pytest.raises(ValueError, match="more than once"):
        Recorder(nn.Sequential(twice, nn.ReLU(), twice), layers=[twice], eval_data=(x, y)).capture(0)
    Recorder(model, eval_data=(x, y), run_dir=tmp_path)
    with pytest.raises(ValueError, match="another evaluation set"):
        Recorder(model, eval_data=(x[:50], y[:50]), run_dir=tmp_path)


def noisy_net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3),
                         NoiseInjection(0.2, "additive"), nn.Linear(8, 3))


def state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_recording_leaves_the_model_and_the_next_step_untouched():
    """Weights, buffers, gradients, every module's mode and torch's RNG are as they were after
    captures in both modes, so the next training step is bit-identical to one without them."""
    torch.manual_seed(0)
    plain = noisy_net()
    recorded = copy.deepcopy(plain)
    plain_start = plain[0].weight.detach().clone()
    x, y = blobs()
    results = {}
    for name, model in (("plain", plain), ("recorded", recorded)):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        model.train()
        model[1].eval()  # a frozen BatchNorm inside a training model: modes are per module

        def step(model=model, optimizer=optimizer):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x[:64]), y[:64]).backward()
            optimizer.step()

        torch.manual_seed(1)
        step()
        if name == "recorded":
            before = (state(model), [p.grad.clone() for p in model.parameters()],
                      [m.training for m in model.modules()], torch.get_rng_state())
            model[1].train()  # BatchNorm now updates its running statistics in train mode
            flags = [m.training for m in model.modules()]
            stats = state(model)
            for mode in ("train", "eval"):
                Recorder(model, layers="leaves", eval_data=(x, y), mode=mode).capture(1)
            assert [m.training for m in model.modules()] == flags
            assert all(torch.equal(v, stats[k]) for k, v in state(model).items())  # BatchNorm's too
            model[1].eval()
            assert all(torch.equal(v, before[0][k]) for k, v in state(model).items())
            assert all(torch.equal(p.grad, g) for p, g in zip(model.parameters(), before[1], strict=True))
            assert [m.training for m in model.modules()] == before[2]
            assert torch.equal(torch.get_rng_state(), before[3])
        step()  # dropout and noise draw from the global RNG: the same draws with or without capture
        results[name] = state(model)
    assert all(torch.equal(results["recorded"][k], v) for k, v in results["plain"].items())
    assert not torch.equal(results["plain"]["0.weight"], plain_start)  # the steps really trained


def test_capture_mode_and_seeded_noise():
    """train mode turns dropout on; captures with the same (seed, epoch) give the same noise."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.Dropout(0.5))
    x, y = blobs()
    on = Recorder(model, eval_data=(x, y), mode="train", layers=["1"])
    off = Recorder(model, eval_data=(x, y), mode="eval", layers=["1"])
    for recorder in (on, off):
        recorder.capture(0), recorder.capture(1)
    dropped = (on.store.activations[0]["1"] == 0).mean()
    assert 0.4 < dropped < 0.6 and (off.store.activations[0]["1"] == 0).mean() < 0.01
    again = Recorder(model, eval_data=(x, y), mode="train", layers=["1"])
    again.capture(0)
    np.testing.assert_array_equal(again.store.activations[0]["1"], on.store.activations[0]["1"])
    assert not np.array_equal(on.store.activations[0]["1"], on.store.activations[1]["1"])


def test_callback_form_follows_the_schedule(tmp_path):
    model = nn.Sequential(nn.Linear(6, 3))
    recorder = Recorder(model, eval_data=blobs(), run_dir=tmp_path, epochs=[2, 4])
    for epoch in range(1, 6):
        recorder(epoch, {"loss": 0.0})  # infoplane.train's callback signature
    assert captured_epochs(tmp_path) == [2, 4]
    every = Recorder(model, eval_data=blobs(), run_dir=tmp_path / "every")
    every.capture(0)
    for _ in range(3):
        every()  # no epoch: the one after the last
    assert captured_epochs(tmp_path / "every") == [0, 1, 2, 3]


def mixture_model() -> tuple[nn.Module, np.ndarray, np.ndarray, float]:
    """X = (a 2-D Gaussian mixture of 3 classes, 1 coordinate of independent noise).

    Layer ``rotated``: a fixed orthogonal map of all of X (invertible), so I(L;Y) = I(X;Y),
    known by quadrature; layer ``noise_only``: the independent coordinate, so I(L;Y) = 0.
    """
    centres = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 1.7]])
    truth = noisy_constellation_mi(centres, 1.0)  # X | Y ~ N(centre_Y, I), Y uniform
    rng = np.random.default_rng(0)
    n = 5000
    y = rng.integers(0, 3, n)
    x = np.concatenate([centres[y] + rng.standard_normal((n, 2)), rng.standard_normal((n, 1))], axis=1)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rotated, self.noise_only = nn.Linear(3, 3), nn.Linear(3, 1, bias=False)
            with torch.no_grad():
                self.rotated.weight.copy_(torch.as_tensor(q))
                self.noise_only.weight.copy_(torch.tensor([[0.0, 0.0, 2.0]]))

        def forward(self, v: torch.Tensor) -> torch.Tensor:
            return torch.cat([self.rotated(v), self.noise_only(v)], dim=1)

    return Net(), x.astype(np.float32), y, truth


def test_recorded_layers_give_the_known_class_information(tmp_path):
    """ksg with labels (Ross's estimator) is within 0.05 nats of I(X;Y) at n = 5000 and within
    0.02 of 0 for an independent layer (test_knn_estimators.py states these tolerances)."""
    model, x, y, truth = mixture_model()
    assert truth == pytest.approx(0.484, abs=0.001)  # well inside (0, ln 3): a real test
    memory = Recorder(model, eval_data=(x, y))
    disk = Recorder(model, eval_data=(x, y), run_dir=tmp_path, dtype="float32")
    memory.capture(0), disk.capture(0)
    table = memory.analyse(x="none", estimator="ksg", layer_dim=3)
    by_layer = table.set_index("layer")
    assert by_layer.loc["rotated", "i_ly"] == pytest.approx(truth, abs=0.05)
    assert by_layer.loc["noise_only", "i_ly"] == pytest.approx(0.0, abs=0.02)
    assert by_layer.loc["rotated", "i_ly_lo"] < truth < by_layer.loc["rotated", "i_ly_hi"]
    # The same analysis from the run directory (float32 here, as in memory): the same numbers.
    from_disk = analyse(tmp_path, x="none", estimator="ksg", layer_dim=3, experiment="recorder")
    pd.testing.assert_frame_equal(from_disk, table)


@pytest.mark.slow  # starting worker processes takes ~20 s on a loaded 2-core machine
def test_analysis_in_parallel_equals_one_process(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Sequential(nn.Linear(6, 5), nn.Tanh()), nn.Linear(5, 3))
    recorder = Recorder(model, eval_data=blobs(300), run_dir=tmp_path)
    for epoch in range(3):
        recorder.capture(epoch)
    one = recorder.analyse(x="pca:3", estimator="kl", estimator_params={"k": 3}, layer_dim=2)
    two = recorder.analyse(x="pca:3", estimator="kl", estimator_params={"k": 3}, layer_dim=2, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)
    assert len(one) == 6 and one["experiment"].iloc[0] == tmp_path.name
    assert list(one["x_compression"].unique()) == ["pca:3"]
