"""What the information-plane figures draw: any MI table brought to the aggregated form, and the
panels (one per variant and analysis) cut out of it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from infoplane.tables import aggregate

#: A panel: which rows it shows and its title, {"variant": ..., "analysis": ..., "title": ...}
#: (or the tuple (variant, analysis, title)).
Panel = Mapping[str, Any] | Sequence[str]


def check_columns(table: pd.DataFrame, needed: Sequence[str]) -> None:
    missing = [c for c in needed if c not in table]
    if missing:
        raise ValueError(f"the MI table has no column(s) {missing}; it has {list(table.columns)}")


def aggregated_view(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` as :func:`infoplane.tables.aggregate` returns it (an aggregated table is kept).

    A table of one run or of several seeds is aggregated here; a table made by hand (a
    Recorder's, say) may lack the key columns: ``variant`` is then "", ``analysis`` the
    ``pca_fit`` or ``estimator`` column, ``depth`` the layers' order of first appearance, and
    missing intervals are the values themselves.
    """
    check_columns(table, ("layer", "epoch", "i_xl", "i_ly"))
    table = table.copy()
    fallback = table["pca_fit"] if "pca_fit" in table else table["estimator"] if "estimator" in table else ""
    defaults = {"experiment": "", "variant": "", "analysis": fallback, "seed": 0, "flags": "",
                "depth": table["layer"].map({n: i for i, n in enumerate(dict.fromkeys(table["layer"]), 1)})}
    for key in ("i_xl", "i_ly"):
        defaults.update({f"{key}_lo": table[key], f"{key}_hi": table[key]})
    for column, value in defaults.items():
        if column not in table:
            table[column] = value
    table["layer"] = table["layer"].astype(str)
    if "n_seeds" in table:  # aggregated already
        return table
    return aggregate(table)


def panel_specs(table: pd.DataFrame, panels: Sequence[Panel] | None) -> list[dict[str, str]]:
    """Panels as dicts; None: one panel per (variant, analysis) in the table, in table order."""
    if panels is None:
        pairs = dict.fromkeys(zip(table["variant"], table["analysis"], strict=True))
        return [{"variant": v, "analysis": a, "title": ", ".join(str(p) for p in (v, a) if p)}
                for v, a in pairs]
    specs = []
    for panel in panels:
        if isinstance(panel, Mapping):
            spec = {"variant": panel["variant"], "analysis": panel["analysis"],
                    "title": panel.get("title", "")}
        else:
            variant, analysis, title = panel
            spec = {"variant": variant, "analysis": analysis, "title": title}
        specs.append(spec)
    return specs


def panel_rows(table: pd.DataFrame, spec: Mapping[str, str]) -> pd.DataFrame:
    """The rows of one panel, ordered by depth, layer and epoch."""
    rows = table[(table["variant"] == spec["variant"]) & (table["analysis"] == spec["analysis"])]
    if rows.empty:
        present = sorted(set(zip(table["variant"], table["analysis"], strict=True)))
        raise ValueError(f"no rows for variant {spec['variant']!r} and analysis {spec['analysis']!r} in the "
                         f"table; it has (variant, analysis) {present}")
    return rows.sort_values(["depth", "layer", "epoch"], kind="stable")


def layers_in_order(rows: pd.DataFrame) -> list[str]:
    """The layers of ``rows`` in forward order (``exp(L5)`` after ``L5``)."""
    return list(dict.fromkeys(rows.sort_values(["depth", "layer"], kind="stable")["layer"]))


def information_limit(rows: pd.DataFrame, column: str, values: str) -> tuple[float, bool]:
    """The axis top in nats: the table's limit (H(X) or H(Y)), and True; or, when the table does
    not know it, the largest value seen, and False."""
    limits = rows[column].to_numpy(dtype=float) if column in rows else np.array([])
    if np.isfinite(limits).any():
        return float(np.nanmax(limits)), True
    seen = rows[values].to_numpy(dtype=float)
    seen = seen[np.isfinite(seen)]
    return (float(seen.max()) if seen.size and seen.max() > 0 else 1.0), False
