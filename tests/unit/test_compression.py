"""Compressors: spec strings, PCA and autoencoder round trips, saving and loading."""

import numpy as np
import pytest
import torch

from infoplane.compression import (
    AutoencoderCompressor,
    Identity,
    PCACompressor,
    load_compressor,
    make_compressor,
    save_compressor,
)
from infoplane.synthetic import build_task

torch.set_num_threads(1)


def low_rank(n: int, seed: int, d: int = 20, rank: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(99).standard_normal((rank, d))
    return rng.standard_normal((n, rank)) @ basis + 5.0


@pytest.mark.parametrize(("spec", "kind"),
                         [("none", Identity), ("pca:4", PCACompressor), ("ae:3", AutoencoderCompressor)])
def test_specs(spec, kind):
    comp = make_compressor(spec)
    assert isinstance(comp, kind)
    if spec != "none":
        assert comp.latent_dim == int(spec[-1])


@pytest.mark.parametrize("spec", ["pca", "pca:x", "ae:-1", "vae:2", "pca:0"])
def test_bad_specs_are_clear_errors(spec):
    with pytest.raises(ValueError):
        make_compressor(spec)


def test_pca_reconstructs_exactly_low_rank_data_and_survives_saving(tmp_path):
    train, test = low_rank(500, 0), low_rank(200, 1)
    pca = PCACompressor(3).fit(train)
    assert pca.reconstruction_error(test) < 1e-20
    assert pca.explained_variance_ratio == pytest.approx(1.0)
    assert PCACompressor(2).fit(train).reconstruction_error(test) > 0.01
    save_compressor(pca, tmp_path / "pca.pt")
    loaded = load_compressor(tmp_path / "pca.pt")
    np.testing.assert_array_equal(loaded.transform(test), pca.transform(test))


def test_pca_flattens_images():
    x, _ = build_task("gaussian-bumps", mi=0.0, size=16).sample(300, 0)
    codes = PCACompressor(2).fit(x).transform(x)
    assert codes.shape == (300, 2)


def test_dense_autoencoder_learns_a_low_dimensional_manifold():
    train, test = low_rank(1000, 0), low_rank(500, 1)
    ae = AutoencoderCompressor(3, epochs=30, batch_size=50, lr=3e-3, hidden=(32,), input_noise=0.0,
                               code_noise=0.0, seed=0)
    ae.fit(train)
    assert ae.history[-1] < ae.history[0]
    variance = float(test.var(axis=0).mean())
    # A 3-code autoencoder of rank-3 data keeps most of the variance (PCA keeps all of it).
    assert ae.reconstruction_error(test) < 0.1 * variance
    assert ae.transform(test).shape == (500, 3)


def test_autoencoder_is_seeded_and_survives_saving(tmp_path):
    x, _ = build_task("gaussian-bumps", mi=0.0, size=16).sample(256, 0)
    a = AutoencoderCompressor(2, epochs=2, batch_size=64, seed=3).fit(x)
    b = AutoencoderCompressor(2, epochs=2, batch_size=64, seed=3).fit(x)
    np.testing.assert_array_equal(a.transform(x), b.transform(x))
    save_compressor(a, tmp_path / "ae.pt")
    loaded = load_compressor(tmp_path / "ae.pt")
    np.testing.assert_array_equal(loaded.transform(x), a.transform(x))
    assert loaded.reconstruction_error(x) == pytest.approx(a.reconstruction_error(x))
    assert loaded.history == a.history


@pytest.mark.parametrize("size", [16, 20, 32])
def test_conv_autoencoder_shapes(size):
    x = np.random.default_rng(0).uniform(size=(64, size, size))
    ae = AutoencoderCompressor(4, epochs=1, batch_size=32).fit(x)
    assert ae.transform(x).shape == (64, 4)
    assert ae.reconstruct(x).shape == x.shape
    assert np.all(np.abs(ae.transform(x)) < 1)  # tanh codes
    with pytest.raises(ValueError, match="fitted on samples of shape"):
        ae.transform(x[:, :8, :8])


def test_conv_autoencoder_refuses_images_outside_its_sigmoid_range():
    """Its decoder ends in a sigmoid: values beyond [0, 1] would train it to the mean image and
    give codes that keep nothing, silently. It says so, and what to do instead; doing it on the
    same object works (the refused fit left no shape behind to check the retry against)."""
    x = np.random.default_rng(0).normal(scale=10.0, size=(64, 8, 8))
    ae = AutoencoderCompressor(2, epochs=1)
    with pytest.raises(ValueError, match=r"\[0, 1\].*\(n, d\) vectors"):
        ae.fit(x)
    codes = ae.fit(x.reshape(64, -1)).transform(x.reshape(64, -1))
    assert codes.shape == (64, 2)


def test_unfitted_and_bad_inputs():
    with pytest.raises(ValueError, match="fit"):
        AutoencoderCompressor(2).transform(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="fit"):
        PCACompressor(2).transform(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="vectors"):
        AutoencoderCompressor(2, epochs=1).fit(np.zeros((4, 2, 3, 3, 1)))
    with pytest.raises(ValueError, match="does not exist"):
        load_compressor("/nonexistent/ae.pt")


def test_compressors_import_without_the_estimators():
    # Compressors and estimators share infoplane.arrays; neither package needs the other to
    # import, so no import cycle can form between them. A fresh process sees the real imports.
    import subprocess
    import sys

    code = ("import sys, infoplane.compression; "
            "print(sorted({m for m in sys.modules if m.startswith('infoplane.estimators')}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
