"""The `compressed` estimator: compress with compressors fitted apart from the estimation rows,
then any registered estimator."""

import numpy as np
import pytest

from infoplane.compression import PCACompressor, save_compressor
from infoplane.estimators import build
from infoplane.synthetic import build_task


def test_pca_then_ksg_recovers_a_high_dimensional_task_of_intrinsic_dimension_one():
    """LMI-style: d = 200, one latent pair at 1 nat. Plain KSG in 400 joint dimensions fails;
    PCA to one coordinate keeps the sufficient statistic (the mean of the copies)."""
    task = build_task("embedded", dim=200, latent_dim=1, mi=1.0)
    x, y = task.sample(2000, 0)
    est = build("compressed", estimator="ksg", x="pca:1", y="pca:1", k=5)
    result = est.estimate_with_interval(x, y)
    # KSG on a 1x1 Gaussian at n = 1000 (the half not used for fitting): sd about 0.03.
    assert result.mi == pytest.approx(1.0, abs=0.1)
    assert result.lo < result.mi < result.hi
    assert est.diagnostics["n_fit"] == 1000 and est.diagnostics["n_estimate"] == 1000


def test_prefitted_compressors_use_every_row(tmp_path):
    task = build_task("embedded", dim=50, latent_dim=1, mi=0.5)
    fit_x, fit_y = task.sample(1000, 100)  # drawn apart from the estimation sample
    x, y = task.sample(1500, 0)
    pca_x, pca_y = PCACompressor(1).fit(fit_x), PCACompressor(1).fit(fit_y)
    save_compressor(pca_y, tmp_path / "y.pt")
    est = build("compressed", estimator="ksg", x=pca_x, y=str(tmp_path / "y.pt"))
    assert est.estimate(x, y) == pytest.approx(0.5, abs=0.1)
    assert est.diagnostics["n_fit"] == 0 and est.diagnostics["n_estimate"] == 1500
    assert est.params()["x"] == "fitted PCACompressor"


def test_compression_loses_information_it_cannot_see():
    """Isotropic X: PCA cannot find the informative coordinates, so the estimate drops well
    below the truth (a lower bound, never an overestimate)."""
    x, y = build_task("gaussian-sparse", dim_x=10, dim_y=10).sample(2000, 0)
    assert build("compressed", estimator="ksg", x="pca:2", y="pca:2").estimate(x, y) < 0.5


def test_none_and_labels_pass_through():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 1000)
    x = labels[:, None] * 3.0 + rng.standard_normal((1000, 1))
    direct = build("ksg", k=5).estimate(x, labels)
    assert build("compressed", estimator="ksg", k=5).estimate(x, labels) == pytest.approx(direct)
    with pytest.raises(ValueError, match="labels"):
        build("compressed", estimator="ksg", y="pca:1").estimate(x, labels)


def test_bad_parameters():
    with pytest.raises(ValueError, match="inner estimator"):
        build("compressed", estimator="compressed")
    with pytest.raises(ValueError, match="fit_fraction"):
        build("compressed", estimator="ksg", fit_fraction=1.0)
    with pytest.raises(ValueError, match="unknown estimator"):
        build("compressed", estimator="nope")
    with pytest.raises(ValueError, match="compressor spec"):
        build("compressed", estimator="ksg", x="pca").estimate(np.zeros((10, 2)), np.zeros((10, 2)))
