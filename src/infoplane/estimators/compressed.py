"""Compress, then estimate: ``build("compressed", estimator="wkl", x="ae:4", y="pca:4", k=20)``.

The estimate is I(E_x(X); E_y(Y)) for compressors E_x, E_y. By the data-processing inequality
it is a **lower bound** of I(X;Y) unless the encoders are injective on the data's support
(Butakov et al.: lossless under the manifold hypothesis), and the interval is the inner
estimator's interval for the compressed variables.

Where the compressors are fitted (they must not see the estimation sample, or they can fit
its noise):
- a compressor given fitted (an object, or the path of a ``.pt`` file written by
  ``infoplane fit-compressor``) is used as is, and every given sample is used for estimation;
- a compressor given as a spec (``pca:K``, ``ae:K``) is fitted on a random ``fit_fraction`` of
  the given samples (0.5 by default, like LMI's validation split), and the MI is estimated on
  the other rows only;
- ``none`` keeps the variable as it is (flattened), and discrete labels always pass through.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from infoplane.arrays import check_same_length, integer_valued, to_array
from infoplane.estimators.base import MIEstimator
from infoplane.estimators.estimate import Estimate
from infoplane.estimators.params import check_float, check_int
from infoplane.estimators.registry import build, register

#: The estimation rows (at most) on which the compressors' reconstruction errors are reported.
DIAGNOSTIC_ROWS = 1000


@register("compressed")
class CompressedMI(MIEstimator):
    """Any registered estimator on compressed variables.

    Args:
        estimator: registry name of the inner estimator (not ``compressed``).
        x, y: compressor of each side: ``"none"``, ``"pca:K"``, ``"ae:K"``, the path of a saved
            compressor (``.pt``), or a fitted compressor object.
        fit_fraction: share of the samples used to fit the compressors given as specs.
        compressor_seed: seed of that split and of the compressors' own randomness.
        compressor_options: options of autoencoders fitted here (epochs, batch_size, lr, ...).
        **estimator_params: the inner estimator's parameters (for example k=20).

    After a call, ``diagnostics`` holds the rows used for fitting and for estimation and the
    compressors' mean squared reconstruction errors on the first ``DIAGNOSTIC_ROWS`` estimation
    rows.
    """

    name = "compressed"

    def __init__(self, estimator: str, x: Any = "none", y: Any = "none", fit_fraction: float = 0.5,
                 compressor_seed: int = 0, compressor_options: dict[str, Any] | None = None,
                 **estimator_params: Any) -> None:
        describe = lambda c: c if isinstance(c, str) else f"fitted {type(c).__name__}"  # noqa: E731
        super().__init__(estimator=estimator, x=describe(x), y=describe(y), fit_fraction=fit_fraction,
                         compressor_seed=compressor_seed, compressor_options=compressor_options or {},
                         **estimator_params)
        if estimator == "compressed":
            raise ValueError("compressed: the inner estimator must be another estimator (for example wkl)")
        fit_fraction = check_float(fit_fraction, "fit_fraction")
        if not 0 < fit_fraction < 1:
            raise ValueError(f"compressed: fit_fraction must be in (0, 1), got {fit_fraction}")
        compressor_seed = check_int(compressor_seed, "compressor_seed", minimum=0)
        if compressor_options is not None and not isinstance(compressor_options, dict):
            raise ValueError(f"compressor_options must be a mapping, got {compressor_options!r}")
        for side, spec in (("x", x), ("y", y)):
            if not isinstance(spec, str) and not hasattr(spec, "transform"):
                raise ValueError(f"{side} must be 'none', 'pca:K', 'ae:K', a .pt path or a fitted "
                                 f"compressor, got {spec!r}")
        self.inner = build(estimator, **estimator_params)
        # The compressors import torch, which importing the registry must not do; import them
        # when a compressed estimator is built, so that timing estimate() leaves the import out.
        import infoplane.compression  # noqa: F401
        self.x_spec, self.y_spec = x, y
        self.fit_fraction, self.compressor_seed = float(fit_fraction), int(compressor_seed)
        self.compressor_options = dict(compressor_options or {})
        self.diagnostics: dict[str, Any] = {}

    def _resolve(self, spec: Any) -> tuple[Any, bool]:
        """A compressor for ``spec`` and whether it still needs fitting."""
        from infoplane.compression import Identity, is_saved_compressor, load_compressor, make_compressor

        if not isinstance(spec, str):
            return spec, False
        if spec == "none":
            return Identity(), False
        if is_saved_compressor(spec):
            return load_compressor(spec), False
        options = self.compressor_options if spec.startswith("ae:") else {}
        return make_compressor(spec, seed=self.compressor_seed, **options), True

    def estimate_with_interval(self, x: Any, y: Any) -> Estimate:
        x, y = to_array(x, "x"), to_array(y, "y")
        check_same_length(x, y)
        # Labels pass through uncompressed: 1-D integers, or a 1-D / (n, 1) column of whole
        # numbers (the inner estimator then decides, warning as for any estimator).
        labels = (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)) and integer_valued(y) \
            and getattr(self.inner, "discrete_y", "auto") is not False
        if labels and self.y_spec != "none":
            raise ValueError("compressed: y is discrete labels; use y='none'")
        comp_x, fit_x = self._resolve(self.x_spec)
        comp_y, fit_y = self._resolve("none" if labels else self.y_spec)
        rows = np.arange(len(x))
        if fit_x or fit_y:
            rows = np.random.default_rng(self.compressor_seed).permutation(len(x))
            n_fit = int(round(self.fit_fraction * len(x)))
            fit_rows, rows = rows[:n_fit], np.sort(rows[n_fit:])
            if fit_x:
                comp_x.fit(x[fit_rows])
            if fit_y:
                comp_y.fit(y[fit_rows])
        x_est, y_est = x[rows], y[rows]
        self.diagnostics = {
            "n_fit": len(x) - len(rows), "n_estimate": len(rows),
            # a diagnostic: a mean over the first DIAGNOSTIC_ROWS rows is as telling as over all
            # (an autoencoder's decoder costs more than the estimate itself)
            "reconstruction_error_x": comp_x.reconstruction_error(x_est[:DIAGNOSTIC_ROWS]),
            "reconstruction_error_y": 0.0 if labels else comp_y.reconstruction_error(y_est[:DIAGNOSTIC_ROWS]),
        }
        zx = comp_x.transform(x_est)
        zy = y_est if labels else comp_y.transform(y_est)
        result = self.inner.estimate_with_interval(zx, zy)
        return Estimate(result.mi, result.lo, result.hi, f"{result.method} after compression", result.flags)
