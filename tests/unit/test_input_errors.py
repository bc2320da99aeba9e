"""Bad input raises a ValueError that names the problem, for every estimator."""

import numpy as np
import pytest

from infoplane.estimators import build

NAMES = ["kl", "wkl", "ksg", "ksg2"]
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 2))
Y = rng.standard_normal((200, 2))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("x", "y", "message"), [
    (np.where(np.eye(200, 2) == 1, np.nan, X), Y, "NaN or infinite"),
    (X, np.where(np.eye(200, 2) == 1, np.inf, Y), "NaN or infinite"),
    (X[:150], Y, "same number of samples"),
    (X.reshape(200, 1, 2), Y, "rank 3"),
    (X[:5], Y[:5], "fewer than k \\+ 1"),
    (np.array(["a"] * 200), Y, "numeric"),
])
def test_bad_input_is_named(name: str, x: np.ndarray, y: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(name, k=5).estimate(x, y)


def test_too_few_samples_in_a_class() -> None:
    labels = np.r_[np.zeros(195, int), np.ones(5, int)]
    with pytest.raises(ValueError, match="class 1 of y has 5 samples"):
        build("ksg", k=5).estimate(X, labels)


def test_unknown_estimator_and_parameter() -> None:
    with pytest.raises(ValueError, match="unknown estimator 'nope'; available: .*ksg"):
        build("nope")
    with pytest.raises(ValueError, match="bad parameters for estimator 'ksg'"):
        build("ksg", neighbours=3)
    with pytest.raises(ValueError, match="unknown weight scheme"):
        build("wkl", weights="magic")


def test_duplicates_are_jittered_or_reported_for_entropy_estimators() -> None:
    tied = np.repeat(rng.standard_normal((100, 2)), 2, axis=0)
    # The tie policy jitters duplicate rows; with the jitter off they are refused, naming the fix.
    with pytest.raises(ValueError, match="exact duplicate.*jitter"):
        build("kl", jitter=0).estimate(tied, rng.standard_normal((200, 1)))
    assert np.isfinite(build("kl").estimate(tied, rng.standard_normal((200, 1))))
    assert np.isfinite(build("kl", noise=1e-6).estimate(tied, rng.standard_normal((200, 1))))
