"""Butakov et al.'s image tasks: shapes, ranges, the exact recipes, images as functions of latents."""

import numpy as np
import pytest
from scipy import stats

from infoplane.synthetic import build_task


@pytest.mark.parametrize(("name", "size", "latent"), [("gaussian-bumps", 16, 2), ("gaussian-bumps", 32, 2),
                                                      ("rectangles", 32, 4), ("correlated-bumps", 32, 5)])
def test_shapes_ranges_and_determinism(name, size, latent):
    task = build_task(name, mi=3.0, size=size)
    lx, ly = task.sample_latent(200, 1)
    x, y = task.sample(200, 1)
    assert lx.shape == ly.shape == (200, latent)
    assert x.shape == y.shape == (200, size, size)
    assert 0 <= x.min() and x.max() <= 1
    # images are a deterministic function of the stored latents
    np.testing.assert_array_equal(x, task.render(lx))
    np.testing.assert_array_equal(y, task.render(ly))
    np.testing.assert_array_equal(x, task.sample(200, 1)[0])
    assert task.mutual_information == 3.0


def test_bump_recipe():
    task = build_task("gaussian-bumps", mi=0.0, size=16)
    mu = np.array([[0.3, 0.8]])
    image = task.render(mu)[0]
    centres = (np.arange(16) + 0.5) / 16
    p0, p1 = np.meshgrid(centres, centres, indexing="ij")
    np.testing.assert_allclose(image, np.exp(-10 * ((p0 - 0.3) ** 2 + (p1 - 0.8) ** 2)))


def test_correlated_bump_recipe():
    task = build_task("correlated-bumps", mi=0.0)
    params = np.array([[0.3, 0.8, 1.5, 1.25, -0.6]])   # mu, a, b, c
    image = task.render(params)[0]
    centres = (np.arange(32) + 0.5) / 32
    p0, p1 = np.meshgrid(centres, centres, indexing="ij")
    d0, d1 = 1.5 * (p0 - 0.3), 1.25 * (p1 - 0.8)
    np.testing.assert_allclose(image, np.exp(-10 * (d0**2 + d1**2 - 0.6 * d0 * d1)))
    assert image.shape == (32, 32) and image.max() <= 1.0


def test_correlated_bumps_are_injective_so_the_images_keep_the_mi():
    """The log-image is a quadratic in the pixel position: a least-squares fit of its six
    coefficients gives back every latent, so no two latents render to the same image."""
    task = build_task("correlated-bumps", mi=4.0)
    latents, _ = task.sample_latent(50, 3)
    assert latents[:, 2:4].min() >= 1 and latents[:, 2:4].max() <= 2 and np.abs(latents[:, 4]).max() <= 1
    centres = (np.arange(32) + 0.5) / 32
    p0, p1 = (grid.ravel() for grid in np.meshgrid(centres, centres, indexing="ij"))
    design = np.column_stack([p0**2, p1**2, p0 * p1, p0, p1, np.ones_like(p0)])
    logs = np.log(task.render(latents).reshape(50, -1)).T        # (pixels, samples): all > 0
    (q00, q11, q01, l0, l1, _), *_ = np.linalg.lstsq(design, -logs / 10, rcond=None)
    a, b = np.sqrt(q00), np.sqrt(q11)
    # the centre solves grad q = 0: [2 q00, q01; q01, 2 q11] mu = -(l0, l1)
    det = 4 * q00 * q11 - q01**2
    mu0, mu1 = (-2 * q11 * l0 + q01 * l1) / det, (q01 * l0 - 2 * q00 * l1) / det
    recovered = np.column_stack([mu0, mu1, a, b, q01 / (a * b)])
    np.testing.assert_allclose(recovered, latents, atol=1e-6)
    assert task.mutual_information == 4.0


def test_bump_centres_are_uniform():
    lx, _ = build_task("gaussian-bumps", mi=2.0, size=16).sample_latent(5000, 0)
    for column in lx.T:
        assert stats.kstest(column, "uniform").pvalue > 1e-3


def test_rectangle_pixels_are_exact_covered_areas():
    task = build_task("rectangles", mi=0.0, size=32)
    params = np.array([[2.25, 10.5, 0.0, 3.75]])  # rows [2.25, 10.5], columns [0, 3.75]
    image = task.render(params)[0]
    assert image.sum() == pytest.approx((10.5 - 2.25) * 3.75)
    assert image[2, 0] == pytest.approx(0.75)  # row pixel [2, 3] covered 0.75, column [0, 1] fully
    assert image[10, 3] == pytest.approx(0.5 * 0.75)
    assert image[5, 2] == 1.0 and image[11, 0] == 0.0 and image[5, 4] == 0.0


def test_rectangle_segments_are_uniform_over_valid_pairs():
    task = build_task("rectangles", mi=1.0, size=32)
    lx, _ = task.sample_latent(20000, 2)
    left, right = lx[:, 0], lx[:, 1]
    assert np.all(right - left >= 2.0 - 1e-12) and left.min() >= 0 and right.max() <= 32
    # Uniform over the triangle 0 <= l <= r - 2 <= 30: E[l] = 30/3, E[r - 2] = 2 * 30/3.
    assert left.mean() == pytest.approx(10.0, abs=0.15)
    assert (right - 2).mean() == pytest.approx(20.0, abs=0.15)
    # and the pixel sums give back the area, so the image determines the rectangle's size
    images = task.render(lx[:100])
    areas = (lx[:100, 1] - lx[:100, 0]) * (lx[:100, 3] - lx[:100, 2])
    np.testing.assert_allclose(images.sum(axis=(1, 2)), areas)


def test_latent_correlation_grows_with_mi():
    low = build_task("gaussian-bumps", mi=0.1, size=16).sample_latent(5000, 0)
    high = build_task("gaussian-bumps", mi=5.0, size=16).sample_latent(5000, 0)
    corr = lambda pair: np.abs(np.corrcoef(pair[0].T, pair[1].T)[:2, 2:]).max()  # noqa: E731
    assert corr(high) > 0.8 > 0.3 > corr(low)


def test_bad_image_parameters():
    with pytest.raises(ValueError, match="size"):
        build_task("gaussian-bumps", mi=1.0, size=2)
    with pytest.raises(ValueError, match="min_length"):
        build_task("rectangles", mi=1.0, size=8, min_length=9)


def test_anti_pca_hides_the_information_where_pca_does_not_look():
    """The informative coordinate is exactly recoverable from a sample, yet orthogonal to every
    direction of the nuisance: PCA codes carry none of it, the latents carry all of it."""
    from scipy.special import ndtri

    from infoplane.compression.specs import make_compressor
    from infoplane.estimators import build

    task = build_task("anti-pca", mi=2.0)
    lx, ly = task.sample_latent(3000, 0)
    x, _ = task.sample(3000, 0)
    assert x.shape == (3000, 36) and lx.shape == (3000, 2)   # vectors: values of order `scale`
    np.testing.assert_array_equal(x, task.render(lx))
    flat = x
    xi = ndtri(lx[:, 0])
    # xi is a linear function of the sample (the rotation's last column): recovered to rounding
    weights, *_ = np.linalg.lstsq(flat, xi, rcond=None)
    np.testing.assert_allclose(flat @ weights, xi, atol=1e-8)
    assert flat.var(axis=0).sum() > 100 * xi.var()            # the nuisance dominates the variance
    codes = make_compressor("pca:2").fit(x).transform(x)
    assert np.abs([stats.pearsonr(codes[:, i], xi)[0] for i in range(2)]).max() < 0.05
    assert build("wkl").estimate(lx, ly) == pytest.approx(2.0, abs=0.15)   # the latents keep all of it
