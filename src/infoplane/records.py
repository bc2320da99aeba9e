"""Estimation records: one JSON object per (task, estimator, n, seed), and the table of them.

A record is what ``infoplane estimate`` prints; ``aggregate`` joins records into the
validation table, whose columns are ``RECORD_COLUMNS``, and summarises the error per estimator.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from infoplane.estimators import MIEstimator

RECORD_COLUMNS = [
    "task", "task_params", "dim_x", "dim_y", "estimator", "estimator_params", "n", "seed",
    "mi_true", "mi_estimate", "ci_lo", "ci_hi", "seconds",
]


def _dimension(a: np.ndarray) -> int:
    """Values per sample: 1 for (n,), d for (n, d), C*H*W for images (n, C, H, W)."""
    return int(np.prod(np.shape(a)[1:], dtype=np.int64))


def estimate_record(estimator: MIEstimator, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Run ``estimator`` on (x, y) and describe the result.

    Returns:
        dict with ``estimator``, ``estimator_params``, ``n``, ``dim_x``, ``dim_y``,
        ``mi_estimate``, ``ci_lo``, ``ci_hi`` (nats), ``ci_method`` and ``seconds``, plus the
        estimator's ``diagnostics`` when it has them (for example the compressors' errors).
    """
    start = time.perf_counter()
    result = estimator.estimate_with_interval(x, y)
    seconds = time.perf_counter() - start
    return {
        **getattr(estimator, "diagnostics", {}),
        "estimator": estimator.name,
        "estimator_params": estimator.params(),
        "n": int(len(x)),
        "dim_x": _dimension(x),
        "dim_y": _dimension(y),
        "mi_estimate": result.mi,
        "ci_lo": result.lo,
        "ci_hi": result.hi,
        "ci_method": result.method,
        "flags": ";".join(getattr(result, "flags", ())),
        "seconds": seconds,
    }


def read_records(paths: list[Path]) -> pd.DataFrame:
    """One row per record file (JSON objects), nested parameters kept as JSON strings."""
    if not paths:
        raise ValueError("no record files given")
    rows = []
    for path in paths:
        record = json.loads(Path(path).read_text())
        for key in ("task_params", "estimator_params"):
            if key in record:
                record[key] = json.dumps(record[key], sort_keys=True)
        rows.append(record)
    table = pd.DataFrame(rows)
    ordered = [c for c in RECORD_COLUMNS if c in table] + [c for c in table if c not in RECORD_COLUMNS]
    return table[ordered]


def error_summary(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per estimator: mean absolute error, mean signed bias (nats) and mean seconds."""
    error = table["mi_estimate"] - table["mi_true"]
    summary = {}
    for name, rows in table.groupby("estimator"):
        e = error[rows.index]
        summary[str(name)] = {
            "mae": float(e.abs().mean()),
            "bias": float(e.mean()),
            "seconds": float(rows["seconds"].mean()),
            "records": int(len(rows)),
        }
    return summary


def family_summary(table: pd.DataFrame, split: float = 5.0) -> dict[str, dict[str, dict[str, float]]]:
    """Per task family and method label: errors against the true MI (nats) and mean seconds.

    ``mae`` is over every record; ``mae_low`` and ``mae_high`` split the records at
    ``mi_true <= split`` and ``> split`` (the image benchmarks bend at high MI), absent when
    that side has no records. Where a family also has records of the same estimator on the
    latent parameters (``variables == "latent"``), every other method gets
    ``max_gap_vs_latent``: the largest |seed-mean estimate - seed-mean latent estimate| over
    the true-MI grid (Butakov et al.'s check that compression loses no information).
    """
    table = table.assign(family=table["family"] if "family" in table else table["task"],
                         label=table["label"] if "label" in table else table["estimator"])
    error = table["mi_estimate"] - table["mi_true"]
    inner = table.apply(_inner_estimator, axis=1) if "estimator_params" in table else table["estimator"]
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for (family, label), rows in table.groupby(["family", "label"]):
        e = error[rows.index]
        low = rows["mi_true"] <= split
        entry = {"mae": float(e.abs().mean()), "bias": float(e.mean()),
                 "seconds": float(rows["seconds"].mean()), "records": int(len(rows))}
        if low.any():
            entry["mae_low"] = float(e[low].abs().mean())
        if (~low).any():
            entry["mae_high"] = float(e[~low].abs().mean())
        gap = _gap_vs_latent(table[table["family"] == family], rows, inner)
        if gap is not None:
            entry["max_gap_vs_latent"] = gap
        summary.setdefault(str(family), {})[str(label)] = entry
    return summary


def _gap_vs_latent(family_rows: pd.DataFrame, rows: pd.DataFrame, inner: pd.Series) -> float | None:
    """max over true MI of |mean estimate of ``rows`` - mean estimate on the latents|, or None.

    The reference is the records on the latent parameters by the same estimator (``inner``,
    aligned with the table: for the ``compressed`` wrapper, the estimator it wraps).
    """
    if "variables" not in family_rows or (rows["variables"] == "latent").all():
        return None
    same = inner[family_rows.index] == inner[rows.index[0]]
    latent = family_rows[(family_rows["variables"] == "latent") & same]
    if latent.empty:
        return None
    means = rows.groupby("mi_true")["mi_estimate"].mean()
    reference = latent.groupby("mi_true")["mi_estimate"].mean()
    shared = means.index.intersection(reference.index)
    return float((means[shared] - reference[shared]).abs().max()) if len(shared) else None


def _inner_estimator(record: pd.Series) -> str:
    """The estimator that did the work: the wrapped one for ``compressed``."""
    if record["estimator"] != "compressed":
        return str(record["estimator"])
    params = record["estimator_params"]
    return str((json.loads(params) if isinstance(params, str) else params)["estimator"])
