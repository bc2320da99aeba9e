"""The one flags module: impossible or suspicious MI values are flagged, never clipped.

Per row of an MI table (:mod:`infoplane.tables`), :func:`flag_values` adds to ``flags``:

* ``i_xl<0``, ``i_ly<0``: below zero, which no MI is (beyond ``TOLERANCE``, as every check here);
* ``i_xl>H(X)``, ``i_ly>H(Y)``: above the limit of the evaluation set (columns ``h_x`` =
  ln n_eval, X uniform over the distinct evaluation inputs; ``h_y`` = plug-in entropy of the
  labels);
* ``dpi_xl``, ``dpi_ly``: a layer whose interval lies wholly above the previous layer's (along
  ``depth``, within one variant, analysis, seed and epoch; plain layers only, not ``exp(...)``).
  The Markov chain X -> L1 -> L2 -> ... forbids it for the true layers; projections need not
  obey it, so it is a warning, not an error.

The flags a row already has (the estimator's own, prefixed by the quantity, such as
``i_ly_few-samples``, and failures ``i_xl failed: ...``) are kept.

:func:`sanity` is the pass/fail summary over a whole table: violations of 0 <= I(X;L) <= H(X)
and 0 <= I(L;Y) <= H(Y) beyond a tolerance, read from the ``h_x`` / ``h_y`` columns.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

LN2 = math.log(2)
#: Rows of one forward pass: the data-processing checks compare layers within these.
RUN_KEYS = ("experiment", "variant", "analysis", "seed", "epoch")
#: Nats by which a value may pass a limit before it is flagged: a plug-in count that reaches
#: H(X) = ln 4096 exactly differs from math.log(4096) in the last bits of a float.
TOLERANCE = 1e-9


def _split(value: object) -> set[str]:
    return set(filter(None, value.split(";"))) if isinstance(value, str) else set()


def flag_values(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (a copy) with the flags of the module docstring added; values never change.

    ``h_x`` and ``depth`` may be missing: then ``i_xl>H(X)`` is not checked and the layers'
    forward order is their order of first appearance.
    """
    table = table.copy()
    flags = [_split(f) for f in table["flags"]] if "flags" in table else [set() for _ in range(len(table))]
    limits = (("i_xl", "<0", None), ("i_ly", "<0", None), ("i_xl", ">H(X)", "h_x"), ("i_ly", ">H(Y)", "h_y"))
    for key, name, limit in limits:
        if limit is not None and limit not in table:
            continue
        values = table[key].to_numpy(dtype=float)
        ceiling = None if limit is None else table[limit].to_numpy(dtype=float) + TOLERANCE
        bad = values < -TOLERANCE if ceiling is None else values > ceiling
        for i in np.flatnonzero(bad):
            flags[i].add(f"{key}{name}")
    if "depth" in table:
        depth = table["depth"]
    else:
        order = {name: rank for rank, name in enumerate(dict.fromkeys(table["layer"]))}
        depth = table["layer"].map(order)
    plain = table.assign(_depth=depth.to_numpy(), _row=np.arange(len(table)))
    plain = plain[~plain["layer"].astype(str).str.startswith("exp(")]
    keys = [k for k in RUN_KEYS if k in table]
    for _, group in plain.groupby(keys, sort=False, dropna=False):
        group = group.sort_values("_depth", kind="stable")
        for key in ("i_xl", "i_ly"):
            above = group[f"{key}_lo"].to_numpy()[1:] > group[f"{key}_hi"].to_numpy()[:-1]
            for row in group["_row"].to_numpy()[1:][above]:
                flags[row].add(f"dpi_{key[2:]}")
    table["flags"] = [";".join(sorted(f)) for f in flags]
    return table


def flag_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many rows carry each flag (a failure counts under its quantity, e.g. ``i_xl failed``)."""
    counts: dict[str, int] = {}
    for value in table["flags"].fillna(""):
        for flag in filter(None, str(value).split(";")):
            flag = flag.split(":")[0]
            counts[flag] = counts.get(flag, 0) + 1
    return counts


def sanity(table: pd.DataFrame, tol: float = TOLERANCE) -> dict[str, object]:
    """Violations of 0 <= I(X;L) <= H(X) and 0 <= I(L;Y) <= H(Y) (nats, tolerance ``tol``).

    Args:
        table: an MI table with ``h_x``, ``h_y`` (per row) and ``analysis``.
        tol: how far (nats) a value may pass a limit before it counts (Monte Carlo estimates
            scatter around an exact limit).

    Returns:
        a JSON-ready dict: the limits (``h_x_bits``, ``h_y_bits``: the largest in the table),
        ``tolerance_nats``, ``rows``, ``violations`` (rows that break a limit), ``ok`` (none
        does), and per analysis the extreme values in bits and its violations.
    """
    table = table.reset_index(drop=True)  # rows by position (a concatenation repeats labels)
    i_xl, i_ly = table["i_xl"].to_numpy(dtype=float), table["i_ly"].to_numpy(dtype=float)
    h_x, h_y = table["h_x"].to_numpy(dtype=float), table["h_y"].to_numpy(dtype=float)
    bad = (i_xl > h_x + tol) | (i_ly > h_y + tol) | (i_xl < -tol) | (i_ly < -tol)
    per_analysis = {}
    for name, rows in table.groupby("analysis", sort=False):
        per_analysis[str(name)] = {
            "max_i_xl_bits": float(rows["i_xl"].max() / LN2),
            "max_i_ly_bits": float(rows["i_ly"].max() / LN2),
            "min_i_xl_bits": float(rows["i_xl"].min() / LN2),
            "min_i_ly_bits": float(rows["i_ly"].min() / LN2),
            "violations": int(bad[rows.index].sum()),
        }
    return {
        "h_x_bits": float(np.nanmax(h_x) / LN2) if np.isfinite(h_x).any() else None,
        "h_y_bits": float(np.nanmax(h_y) / LN2) if np.isfinite(h_y).any() else None,
        "tolerance_nats": tol, "rows": int(len(table)), "violations": int(bad.sum()),
        "ok": bool(not bad.any()), "analyses": per_analysis,
    }
