"""The MI table on disk: CSV that reads back exactly as it was written, flags included.

    save_table(table, "mi.csv")
    table = load_table("mi.csv")          # equal to what was saved, value for value

Plain ``pd.read_csv`` reads an empty ``flags`` cell as NaN (which ``str()`` makes the flag
"nan") and a layer named ``"0"`` as the integer 0. Here the text columns are read as text, an
empty cell of a text column stays "", an empty cell of a number column is NaN, and floats are
written with every digit (Python's shortest round-trip form), so saving and loading change
nothing.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: Text columns of the MI table and of its aggregate (others are numbers).
TEXT_COLUMNS = ("experiment", "variant", "layer", "analysis", "estimator", "pca_fit", "x_compression",
                "flags")


def save_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` to ``path`` as CSV, atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    table.to_csv(tmp, index=False)
    tmp.replace(path)
    return path


def load_table(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`save_table` (or ``infoplane analyse``/``combine``).

    Text columns (``TEXT_COLUMNS``) come back as strings with "" for empty cells; other empty
    cells are NaN.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"table {path} does not exist")
    header = pd.read_csv(path, nrows=0).columns
    text = [c for c in header if c in TEXT_COLUMNS]
    table = pd.read_csv(path, dtype={c: str for c in text}, keep_default_na=False,
                        na_values={c: [""] for c in header if c not in text})
    return table
