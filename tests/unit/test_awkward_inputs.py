"""Every registered estimator and the compressors against bad and awkward inputs.

Each (estimator, input) pair must give the right value, a clear ValueError / TypeError naming
the problem and raised by this library (not from inside NumPy, torch or scikit-learn), or a
flagged warning; never a silent wrong number. Small n and one training epoch keep it fast.
"""

from __future__ import annotations

import math
import traceback
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from infoplane.compression import AutoencoderCompressor, PCACompressor
from infoplane.estimators import LayerEstimator, available, build

N = 300
rng = np.random.default_rng(0)
X = rng.standard_normal((N, 2))
Y = X + 0.7 * rng.standard_normal((N, 2))
LABELS = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)  # 3 classes, >= 41 rows each (wkl's k)

NEURAL = {"max_epochs": 1, "batch_size": 64, "device": "cpu"}
PARAMS: dict[str, dict[str, Any]] = {
    "gaussian": {"n_boot": 10}, "kde-upper": {"noise_variance": 0.1}, "kde-lower": {"noise_variance": 0.1},
    "sp": {"beta": 0.3, "n_mc": 2}, "compressed": {"estimator": "ksg", "x": "pca:2"},
    "mine": NEURAL, "infonce": NEURAL, "nwj": NEURAL,
}
ESTIMATORS = available()
LABELS_REFUSED = {"gaussian"}  # needs a continuous y and says so
NEURAL_NAMES = {"mine", "infonce", "nwj"}


def is_layer(name: str) -> bool:
    return isinstance(build(name, **PARAMS.get(name, {})), LayerEstimator)


def run(name: str, x: Any, y: Any) -> tuple[float | None, BaseException | None, list[str]]:
    """(value, error, warning texts) of one estimate."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = build(name, **PARAMS.get(name, {})).estimate(x, y)
        except (ValueError, TypeError) as err:
            return None, err, [str(w.message) for w in caught]
    return value, None, [str(w.message) for w in caught]


def assert_raised_here(err: BaseException) -> None:
    """The error comes from infoplane's own checks, not from deep inside a dependency."""
    last = traceback.extract_tb(err.__traceback__)[-1]
    assert "infoplane" in last.filename, f"raised inside {last.filename}: {err}"


def clean_pair(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) each estimator is checked on: labels for layer estimators, else continuous."""
    return (X, LABELS) if is_layer(name) else (X, Y)


def reference(name: str) -> float:
    x, y = clean_pair(name)
    value, err, _ = run(name, x, y)
    assert err is None, err
    return value


def close(a: float, b: float, name: str) -> bool:
    return math.isclose(a, b, abs_tol=2e-3 if name in NEURAL_NAMES else 1e-7)


def with_nan(a: np.ndarray, bad: float = math.nan) -> np.ndarray:
    a = a.copy()
    a[3, 0] = bad
    return a


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_and_inf_are_named(name: str, bad: float) -> None:
    value, err, _ = run(name, with_nan(X, bad), clean_pair(name)[1])
    assert err is not None and "NaN or infinite" in str(err)
    assert_raised_here(err)


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize(("kind", "make", "words"), [
    ("complex", lambda a: a.astype(complex), "complex"),
    ("object", lambda a: a.astype(object), "numeric"),
    ("strings", lambda a: a.astype(str), "numeric"),
])
def test_wrong_kinds_of_data_are_refused(name: str, kind: str, make: Any, words: str) -> None:
    value, err, _ = run(name, make(X), clean_pair(name)[1])
    assert isinstance(err, TypeError) and isinstance(err, ValueError), (kind, value, err)
    assert words in str(err)
    assert_raised_here(err)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_booleans_are_not_continuous_values(name: str) -> None:
    value, err, _ = run(name, X > 0, clean_pair(name)[1])
    if name == "discrete":  # booleans are fine symbols
        assert err is None and value is not None
        return
    if name in NEURAL_NAMES:  # 1-D only are labels for the critic; a (n, 2) boolean array is refused
        assert err is not None
    assert err is not None and "boolean" in str(err), (value, err)
    assert_raised_here(err)


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("form", ["dataframe", "list", "tensor-with-grad", "float32", "float16-exact"])
def test_containers_give_the_same_value(name: str, form: str) -> None:
    x, y = clean_pair(name)
    if form == "dataframe":
        x = pd.DataFrame(x, columns=["a", "b"])
    elif form == "list":
        x = x.tolist()
    elif form == "tensor-with-grad":
        x = torch.tensor(x, requires_grad=True)
    else:  # a float32 / float16 array of values exactly representable there
        x = (np.round(x * 64) / 64).astype(np.float32 if form == "float32" else np.float16)
        value, err, _ = run(name, x, y)
        expected, _, _ = run(name, x.astype(np.float64), y)
        assert err is None and close(value, expected, name), (value, expected, err)
        return
    value, err, _ = run(name, x, y)
    assert err is None and close(value, reference(name), name), (value, err)


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("scale", [1e30, 1e-200])
def test_extreme_scales(name: str, scale: float) -> None:
    x, y = clean_pair(name)
    value, err, warned = run(name, x * scale, y)
    if is_layer(name) or name == "discrete":
        # The scale is part of what these measure (bins, noise); the value must stay in range.
        assert err is None and value is not None and -1e-9 <= value <= math.log(N) + 1e-9
        return
    assert err is None, err
    assert close(value, reference(name), name), (value, reference(name))


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("form", ["float", "column", "float-column"])
def test_labels_in_other_dtypes_and_shapes(name: str, form: str) -> None:
    labels = {"float": LABELS.astype(float), "column": LABELS[:, None],
              "float-column": LABELS[:, None].astype(float)}[form]
    value, err, warned = run(name, X, labels)
    if name in LABELS_REFUSED:
        assert err is not None and "continuous y" in str(err)
        return
    expected, err_int, _ = run(name, X, LABELS)
    assert err is None and err_int is None, (err, err_int)
    assert close(value, expected, name), (value, expected)
    if name not in ("discrete", "binning"):  # others read labels only by guessing: they say so
        assert any("class labels" in w for w in warned), warned


@pytest.mark.parametrize("name", ESTIMATORS)
def test_ties_give_a_value_near_the_untied_one_or_a_named_refusal(name: str) -> None:
    x, y = clean_pair(name)
    tied = np.round(x, 1)  # about 60 levels per coordinate: every row shares its values
    value, err, _ = run(name, tied, y)
    if err is not None:
        assert "point mass" in str(err) or "exact duplicate" in str(err)
        assert_raised_here(err)
        return
    if is_layer(name) or name == "discrete":
        assert value is not None and math.isfinite(value)
        return
    assert abs(value - reference(name)) < 0.15, (value, reference(name))


@pytest.mark.parametrize("name", ESTIMATORS)
def test_relu_zeros_are_estimated_or_refused_by_name(name: str) -> None:
    relu = np.maximum(X, 0.0)  # half of the values are exact zeros
    value, err, _ = run(name, relu, LABELS if name not in LABELS_REFUSED else Y)
    if err is not None:
        assert "point mass" in str(err), err
        assert_raised_here(err)
    else:
        assert value is not None and math.isfinite(value)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_constant_column(name: str) -> None:
    x, y = clean_pair(name)
    value, err, _ = run(name, np.column_stack([x, np.full(N, 3.0)]), y)
    if err is not None:
        assert any(w in str(err) for w in ("constant", "degenerate", "singular")), err
        assert_raised_here(err)
    else:
        assert value is not None and math.isfinite(value)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_images_are_accepted_or_refused_by_shape(name: str) -> None:
    images = np.random.default_rng(1).random((N, 1, 4, 4))
    value, err, _ = run(name, images, clean_pair(name)[1])
    if name in NEURAL_NAMES or name == "compressed":
        assert err is None and math.isfinite(value), err
    else:
        assert err is not None and ("rank" in str(err) or "shape" in str(err)), (value, err)
        assert_raised_here(err)


def test_layer_estimators_refuse_a_continuous_y_and_name_the_fix() -> None:
    for name in [n for n in ESTIMATORS if is_layer(n)]:
        value, err, _ = run(name, X, Y)
        assert err is not None and "estimate_layer(t)" in str(err), (name, value)


@pytest.mark.parametrize("images", [
    np.random.default_rng(2).random((40, 8, 8)),
    np.random.default_rng(2).random((40, 1, 8, 8)),
    np.random.default_rng(2).random((40, 3, 8, 8)),
    torch.rand(40, 1, 8, 8, generator=torch.Generator().manual_seed(2), requires_grad=True),
])
def test_compressors_take_every_image_layout(images: Any) -> None:
    for comp in (PCACompressor(2), AutoencoderCompressor(2, epochs=1)):
        codes = comp.fit(images).transform(images)
        assert codes.shape == (40, 2) and np.all(np.isfinite(codes))
        assert math.isfinite(comp.reconstruction_error(images))


@pytest.mark.parametrize("bad", [np.full((40, 4), np.nan), np.zeros((40, 4), dtype=complex),
                                 np.array([["a"] * 4] * 40)])
def test_compressors_refuse_bad_data_by_name(bad: np.ndarray) -> None:
    for comp in (PCACompressor(2), AutoencoderCompressor(2, epochs=1)):
        with pytest.raises(ValueError, match="NaN|complex|numeric"):
            comp.fit(bad)


@pytest.mark.parametrize(("name", "params", "words"), [
    ("ksg", {"k": 2.7}, "k must be an integer"),
    ("ksg", {"k": True}, "k must be an integer"),
    ("ksg", {"k": 0}, "k must be an integer >= 1"),
    ("ksg", {"standardize": "yes"}, "standardize must be true or false"),
    ("ksg", {"discrete_y": "maybe"}, "discrete_y"),
    ("kl", {"noise": -1}, "noise must be >= 0"),
    ("wkl", {"k": "40"}, "k must be an integer"),
    ("kde", {"bandwidth": 0}, "bandwidth must be positive"),
    ("kde-upper", {"noise_variance": "abc"}, "noise_variance"),
    ("sp", {"beta": 0.1, "n_mc": 0}, "n_mc"),
    ("binning", {"n_bins": 2.5}, "n_bins"),
    ("gaussian", {"n_boot": -3}, "n_boot"),
    ("mine", {"max_epochs": 1.5}, "max_epochs"),
    ("infonce", {"lr": 0}, "lr must be positive"),
    ("compressed", {"estimator": "ksg", "fit_fraction": 2}, "fit_fraction"),
    ("compressed", {"estimator": "ksg", "k": 0}, "k must be"),
])
def test_bad_parameters_name_estimator_and_parameter(name: str, params: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=f"estimator '{name}'.*{words}"):
        build(name, **params)


def test_yaml_style_numbers_are_still_accepted() -> None:
    assert build("kde-upper", noise_variance="1e-3").params()["noise_variance"] == 1e-3
    assert build("ksg", k=5.0).params()["k"] == 5
