"""The one CSV writer of the benchmark scripts (run as ``python benchmarks/NAME.py``, which puts
this folder on the import path)."""

from __future__ import annotations

import csv
from pathlib import Path


def write_rows(rows: list[dict], out: Path) -> None:
    """Write ``rows`` (dicts with the same keys, in column order) to ``out`` as CSV."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {out}")
