"""Neural MI lower bounds: ``mine`` (Donsker-Varadhan, bias-corrected gradient), ``infonce``, ``nwj``.

    >>> build("mine", seed=0).estimate(x, y)                  # vectors (n, d): dense critic
    >>> build("infonce", critic="conv").estimate(img_x, img_y)  # images (n, H*W) or (n, 1, H, W)

A critic f(x, y) (see :mod:`~infoplane.estimators.critics`) is trained to maximise a lower bound
on I(X;Y) (see :mod:`~infoplane.estimators.bounds`). The samples are split three ways
(:mod:`~infoplane.estimators.neural_training`): the critic learns on the training split, the
epoch to keep is chosen on the validation split (early stopping), and the reported estimate is
the bound of that critic on the untouched test split. It is a *lower bound* in expectation,
up to DV's small log-of-mean bias, and nothing is clipped: independent variables can give a
slightly negative value.

Interval: mean +- 1.96 std(t) / sqrt(n_test) of the per-sample terms t of the bound on the
test split (method ``heldout-pointwise``). It is the sampling error of the held-out evaluation
of one trained critic: it does not cover the variation between training seeds, nor the gap
between the bound and the true MI, which grows with MI (these bounds underestimate large MI).

Negatives: each joint pair is contrasted with K pairs (x_i, y_j) of other samples j of its
batch. InfoNCE uses all of them by default (K = B - 1) and can never exceed log(1 + K) = log B.
An InfoNCE estimate within ``NEAR_CAP_NATS`` of that cap is flagged: a warning,
``diagnostics["near_cap"]`` and the interval method ``heldout-pointwise;near-cap``; raise
``batch_size`` or use another estimator. MINE and NWJ have no cap and default to K = 16, which
costs B * 17 critic evaluations per batch instead of B^2 (the original MINE uses one shuffle).

torch is imported only when an estimate is made, so importing the registry stays fast.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from infoplane.arrays import InputTypeError, check_discrete, check_same_length, is_labels, resolve_y, to_array
from infoplane.estimators.base import MIEstimator
from infoplane.estimators.estimate import Z95, Estimate, sanity_flags
from infoplane.estimators.params import check_bool, check_float, check_int, check_optional_str
from infoplane.estimators.registry import register
from infoplane.estimators.scaling import column_scale
from infoplane.parallel import resolve_device

#: InfoNCE estimates within this many nats of their cap log(1 + K) are flagged. Why 2: if the
#: information density were concentrated at I, the best critic would give
#: I_NCE = log(1 + K) - log(1 + K e^-I); an estimate at the cap minus 2 nats then sits about
#: 0.14 nats below I, at the cap minus 1 about 0.45 below (measured on a 2 x 2 Gaussian with
#: I = 5, K = 255: 4.49 nats, 0.51 below).
NEAR_CAP_NATS = 2.0
CRITICS = ("auto", "dense", "conv")


def as_network_input(a: Any, name: str, critic: str, image_shape: Sequence[int] | None,
                     discrete: str | bool = "auto") -> np.ndarray:
    """Check one variable and shape it for the critic: (n, d) vectors or (n, C, H, W) images.

    Labels (see :func:`~infoplane.arrays.resolve_y`; ``discrete``) become one-hot
    vectors. (n,) floats become (n, 1); (n, H, W) become (n, 1, H, W). With ``critic="conv"``
    a flat (n, d) array is read as images of ``image_shape`` ((H, W) or (C, H, W)), or as square
    one-channel images when that is None; with ``critic="dense"`` images are flattened. Values
    are scaled in float64 (per column for vectors, over all pixels for images) before the cast
    to float32, so 1e30 or 1e-200 keep their information.
    """
    arr = to_array(a, name)
    if arr.ndim <= 2 and discrete is not False:
        values, labels = resolve_y(arr, discrete) if name == "y" else (arr, is_labels(arr))
        if labels:
            _, codes = np.unique(values, return_inverse=True)
            return np.eye(codes.max() + 1)[codes.reshape(-1)]
    if arr.dtype == bool:
        raise InputTypeError(f"{name} is boolean; give it as integer labels or cast it to float")
    if not 1 <= arr.ndim <= 4:
        raise ValueError(f"{name} must have shape (n,), (n, d), (n, H, W) or (n, C, H, W), got {arr.shape}")
    if arr.ndim > 1 and min(arr.shape[1:]) == 0:
        raise ValueError(f"{name} has an empty sample shape {arr.shape[1:]}")
    with np.errstate(over="ignore"):
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite values; remove or impute them")
    n = len(arr)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim == 3:
        arr = arr[:, None]
    # MI is invariant to the scale; float32 is not. Images (also flat ones for a conv critic)
    # share one scale, as their standardisation does.
    vectors = arr.ndim == 2 and critic != "conv"
    scale = column_scale(arr) if vectors else max(float(np.max(np.abs(arr))), 1e-300)
    arr = (arr / scale).astype(np.float32)
    if critic == "dense":
        return arr.reshape(n, -1)
    if critic == "conv" and arr.ndim == 2:
        d = arr.shape[1]
        if image_shape is None:
            side = math.isqrt(d)
            if side * side != d:
                raise ValueError(f"{name} has {d} columns, not a square image; give image_shape=(H, W)")
            shape: tuple[int, ...] = (1, side, side)
        else:
            shape = tuple(int(s) for s in image_shape)
            shape = (1, *shape) if len(shape) == 2 else shape
            if len(shape) != 3 or math.prod(shape) != d:
                raise ValueError(f"image_shape {tuple(image_shape)} does not hold the {d} columns of {name}")
        arr = arr.reshape(n, *shape)
    return arr


def standardize_split(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Centre and scale with statistics of ``train`` only: per column for vectors, one mean and
    std over all pixels for images. MI is invariant under these maps; the critic trains better."""
    axes = 0 if train.ndim == 2 else None
    mean = train.mean(axis=axes)
    std = train.std(axis=axes)
    std = np.where(std > 0, std, 1.0)
    return [((a - mean) / std).astype(np.float32) for a in (train, *others)]


class NeuralEstimator(MIEstimator):
    """A critic trained to maximise a variational lower bound on I(X;Y); see the module doc.

    Args:
        hidden: widths of the critic's joint head; None: (100, 100) when a variable is an
            image (Butakov et al.'s MINE), else (128, 128) (they use (400, 400) on a GPU).
        critic: "auto" (conv towers for (n, [C,] H, W) images, identity for vectors), "conv"
            (flat inputs are reshaped to images, see ``image_shape``) or "dense" (flatten).
        image_shape: (H, W) or (C, H, W) of flat image inputs when ``critic="conv"``.
        channels: filters of each conv block of an image tower.
        batch_size: B, pairs per training batch and per evaluation block.
        negatives: K, negative pairs per joint pair, capped at B - 1. None: the estimator's
            default, all B - 1 for InfoNCE (its cap is log(1 + K)), 16 for MINE and NWJ.
        lr: Adam learning rate.
        max_epochs: at most this many passes over the training split.
        patience: stop after this many epochs without a better validation bound.
        val_fraction, test_fraction: shares of the samples for early stopping and for the
            reported estimate (the rest trains the critic).
        seed: seeds the split, the initial weights and the batch order.
        device: "cpu", "cuda", "cuda:1"...; None or "auto": CUDA when available, else the CPU.
        progress: show a progress bar over epochs.
    """

    name: ClassVar[str]
    #: K when ``negatives`` is None; None means all B - 1.
    default_negatives: ClassVar[int | None] = 16

    def __init__(
        self,
        hidden: Sequence[int] | None = None,
        critic: str = "auto",
        image_shape: Sequence[int] | None = None,
        channels: int = 8,
        batch_size: int = 256,
        negatives: int | None = None,
        lr: float = 1e-3,
        max_epochs: int = 300,
        patience: int = 30,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        seed: int = 0,
        device: str | None = None,
        progress: bool = False,
        discrete_y: str | bool = "auto",
    ) -> None:
        channels, batch_size = check_int(channels, "channels"), check_int(batch_size, "batch_size")
        max_epochs, patience = check_int(max_epochs, "max_epochs"), check_int(patience, "patience")
        negatives = None if negatives is None else check_int(negatives, "negatives")
        lr = check_float(lr, "lr", positive=True)
        val_fraction = check_float(val_fraction, "val_fraction", positive=True)
        test_fraction = check_float(test_fraction, "test_fraction", positive=True)
        seed, progress = check_int(seed, "seed", minimum=0), check_bool(progress, "progress")
        device = check_optional_str(device, "device")
        self.discrete_y = check_discrete(discrete_y)
        if hidden is not None:
            if isinstance(hidden, str | bytes) or not hasattr(hidden, "__iter__"):
                raise ValueError(f"hidden must list positive layer widths, got {hidden!r}")
            hidden = [check_int(h, "hidden width") for h in hidden]
        if image_shape is not None:
            if isinstance(image_shape, str | bytes) or not hasattr(image_shape, "__iter__"):
                raise ValueError(f"image_shape must be (H, W) or (C, H, W), got {image_shape!r}")
            image_shape = [check_int(v, "image_shape") for v in image_shape]
        super().__init__(
            hidden=None if hidden is None else [int(h) for h in hidden], critic=critic,
            image_shape=None if image_shape is None else [int(s) for s in image_shape],
            channels=channels, batch_size=batch_size, negatives=negatives, lr=lr, max_epochs=max_epochs,
            patience=patience, val_fraction=val_fraction, test_fraction=test_fraction,
            seed=seed, device=device, progress=progress, discrete_y=self.discrete_y,
        )
        if critic not in CRITICS:
            raise ValueError(f"critic must be one of {', '.join(CRITICS)}, got {critic!r}")
        if hidden is not None and (len(hidden) == 0 or min(hidden) < 1):
            raise ValueError(f"hidden must list positive layer widths, got {hidden!r}")
        for key, value in (("batch_size", batch_size), ("max_epochs", max_epochs),
                           ("patience", patience), ("channels", channels)):
            if int(value) < 1:
                raise ValueError(f"{key} must be a positive integer, got {value!r}")
        if negatives is not None and int(negatives) < 1:
            raise ValueError(f"negatives must be a positive integer or None, got {negatives!r}")
        if batch_size < 2:
            raise ValueError("batch_size must be >= 2: the bounds contrast each pair with the others")
        if not (lr > 0):
            raise ValueError(f"lr must be positive, got {lr!r}")
        if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
            raise ValueError(f"val_fraction and test_fraction must be in (0, 1) with a sum below 1, "
                             f"got {val_fraction} and {test_fraction}")
        self.hidden, self.critic, self.image_shape = hidden, critic, image_shape
        self.channels, self.batch_size, self.lr = int(channels), int(batch_size), float(lr)
        self.negatives = self.default_negatives if negatives is None else int(negatives)
        self.max_epochs, self.patience = int(max_epochs), int(patience)
        self.val_fraction, self.test_fraction = float(val_fraction), float(test_fraction)
        self.seed, self.device, self.progress = int(seed), device, bool(progress)
        #: keyword arguments of the bound (MINE's ema_alpha).
        self.bound_params: dict[str, Any] = {}
        #: facts about the last fit: splits, epochs, histories, InfoNCE's cap (None before a fit).
        self.diagnostics: dict[str, Any] | None = None

    # -- the bound this estimator trains (a bounds.Bound instance) --------------------------
    def _bound(self) -> Any:
        from infoplane.estimators.bounds import BOUNDS

        return BOUNDS[self.name](**self.bound_params)

    def _split(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row indices of the train, validation and test splits (seeded)."""
        n_val, n_test = round(self.val_fraction * n), round(self.test_fraction * n)
        if min(n_val, n_test, n - n_val - n_test) < 2:
            raise ValueError(f"{n} samples are too few to split into train/validation/test "
                             f"({self.val_fraction}/{self.test_fraction}); give more samples")
        perm = np.random.default_rng(self.seed).permutation(n)
        return perm[n_val + n_test:], perm[:n_val], perm[n_val:n_val + n_test]

    def estimate_with_interval(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        """I(X;Y) in nats on the test split with a held-out pointwise 95 % interval.

        Args:
            x: (n, d_x) vectors, (n, H, W) or (n, C, H, W) images, or (n,) values or labels.
            y: the same forms as x, one row per row of x.
        """
        x = as_network_input(x, "x", self.critic, self.image_shape)
        y = as_network_input(y, "y", self.critic, self.image_shape, self.discrete_y)
        check_same_length(x, y)
        rows = self._split(len(x))
        xs = standardize_split(*(x[r] for r in rows))
        ys = standardize_split(*(y[r] for r in rows))

        import torch

        from infoplane.estimators.neural_training import Split, train_and_evaluate

        device = torch.device(resolve_device(self.device))
        splits = [Split(torch.from_numpy(a).to(device), torch.from_numpy(b).to(device))
                  for a, b in zip(xs, ys, strict=True)]
        images = x.ndim == 4 or y.ndim == 4
        hidden = self.hidden or ((100, 100) if images else (128, 128))

        start = time.perf_counter()
        fit = train_and_evaluate(
            self._bound(), *splits, hidden=hidden, channels=self.channels,
            batch_size=self.batch_size, negatives=self.negatives, lr=self.lr, max_epochs=self.max_epochs,
            patience=self.patience, seed=self.seed, progress=self.progress,
        )
        terms = fit.terms
        mi = float(terms.mean())
        half = Z95 * float(terms.std()) / math.sqrt(len(terms))
        method = "heldout-pointwise"
        cap = math.log(1 + fit.negatives)
        near_cap = self.name == "infonce" and mi >= cap - NEAR_CAP_NATS
        if near_cap:
            method += ";near-cap"
            warnings.warn(f"infonce estimate {mi:.3f} nats is within {NEAR_CAP_NATS} nats of its cap "
                          f"log(1 + {fit.negatives} negatives) = {cap:.3f}; it underestimates there: "
                          "raise batch_size or use another estimator", RuntimeWarning, stacklevel=2)
        self.diagnostics = {
            "n_train": len(rows[0]), "n_val": len(rows[1]), "n_test": len(rows[2]),
            "batch_size": fit.batch_size, "negatives": fit.negatives, "hidden": list(hidden),
            "epochs": fit.epochs, "best_epoch": fit.best_epoch, "diverged": fit.diverged,
            "infonce_cap": cap if self.name == "infonce" else None, "near_cap": near_cap,
            "device": fit.device, "seconds": time.perf_counter() - start,
            "val_history": fit.val_history, "train_history": fit.train_history,
        }
        est = Estimate(mi, mi - half, mi + half, method)
        return est.with_flags(*sanity_flags(est, n=len(x)), *(("near-cap",) if near_cap else ()))


@register("mine")
class MINE(NeuralEstimator):
    """MINE: the Donsker-Varadhan bound trained with the bias-corrected gradient.

    Args:
        ema_alpha: weight of the current batch in the moving average of mean exp(T) that
            corrects the gradient (0.01, VanessB/pytorch-mine). Other args: NeuralEstimator.
    """

    name = "mine"

    def __init__(self, ema_alpha: float = 0.01, **params: Any) -> None:
        ema_alpha = check_float(ema_alpha, "ema_alpha")
        if not 0 < ema_alpha <= 1:
            raise ValueError(f"ema_alpha must be in (0, 1], got {ema_alpha!r}")
        super().__init__(**params)
        self.bound_params = {"ema_alpha": float(ema_alpha)}
        self._params["ema_alpha"] = float(ema_alpha)


@register("infonce")
class InfoNCE(NeuralEstimator):
    """InfoNCE (contrastive) bound; never above log(1 + negatives), by default log(batch_size).
    Args: NeuralEstimator."""

    name = "infonce"
    default_negatives = None


@register("nwj")
class NWJ(NeuralEstimator):
    """NWJ (f-divergence, "MINE-f") bound. Args: NeuralEstimator."""

    name = "nwj"
