"""Reading and writing the project's files safely.

Two rules, kept here so that every command follows them the same way:

* **Writes are atomic.** A result is written to a temporary file beside its destination and
  renamed over it (:func:`atomic_path`), so a killed job never leaves half a file that a later
  step would take for a finished one.
* **Loading never runs code.** Torch files (checkpoints, autoencoders, compressors) are read
  with ``weights_only=True``: tensors and plain values (numbers, strings, lists, dicts) only.
  A file holding anything else (a pickled object, or a crafted payload) is refused before it
  is unpickled. Each of our torch files carries ``format`` (its kind and a version number), so
  a file from another program or a future version is named as such. Every failure is one
  ``ValueError`` line naming the file and what to do about it.
"""

from __future__ import annotations

import gzip
import os
import pickle
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _check_output(path: Path) -> None:
    if path.is_dir():
        raise ValueError(f"output {path} is a directory; give a file path")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s content to; renamed over ``path`` on success.

    The temporary file keeps ``path``'s suffix (writers such as matplotlib and numpy choose the
    format from it) and is removed when the block raises.

    Raises:
        ValueError: when ``path`` is an existing directory.
    """
    path = Path(path)
    _check_output(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_csv(frame: Any, path: str | Path, float_format: str | None = None) -> None:
    """Write a pandas DataFrame to ``path`` (no index) atomically; ``.gz`` paths are gzipped
    without a timestamp, so the same table gives the same bytes. ``float_format`` (e.g.
    ``"%.7g"``) rounds floats for an archived table; None writes every digit."""
    with atomic_path(path) as tmp:
        if not str(path).endswith(".gz"):
            frame.to_csv(tmp, index=False, float_format=float_format)
            return
        # No name and no time in the gzip header (pandas would store the temporary name).
        with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed:
            packed.write(frame.to_csv(index=False, float_format=float_format).encode())


def existing_file(path: str | Path, what: str, remedy: str = "") -> Path:
    """``path`` if it is a non-empty file; otherwise a ValueError naming ``what``, the path, the
    problem and, for an empty file, ``remedy``."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{what} {path} does not exist")
    if path.is_dir():
        raise ValueError(f"{what} {path} is a directory, not a file")
    if path.stat().st_size == 0:
        raise ValueError(f"{what} {path} is empty" + (f" ({remedy})" if remedy else ""))
    return path


def format_tag(kind: str, version: int) -> dict[str, Any]:
    """The ``format`` entry of a torch file of ``kind`` (``checkpoint``, ``image-autoencoder``...)."""
    return {"kind": kind, "version": int(version)}


def save_torch(obj: dict[str, Any], path: str | Path, kind: str, version: int) -> None:
    """Write ``obj`` (tensors and plain values only) with its format tag, atomically."""
    import torch

    with atomic_path(path) as tmp:
        torch.save({**obj, "format": format_tag(kind, version)}, tmp)


def load_torch(path: str | Path, kind: str, version: int, what: str, remedy: str,
               map_location: Any = "cpu") -> dict[str, Any]:
    """Read a torch file written by :func:`save_torch` without running any code from it.

    Args:
        path: the file.
        kind, version: the format this reader understands; a file of another kind, or of a
            newer version, is refused. A file without a format tag (written before tags
            existed) is read when it holds only plain values.
        what: the file's role in messages, e.g. ``"checkpoint"``.
        remedy: what the user should do with a bad file, e.g. ``"delete it and retrain"``.
        map_location: where tensors are loaded (torch's argument).

    Returns:
        the stored dict.

    Raises:
        ValueError: one line naming the file, the problem and ``remedy``.
    """
    import torch

    path = existing_file(path, what, f"a write was interrupted? {remedy}")
    try:
        stored = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        # weights_only refuses any object that is not a tensor or plain value before creating it.
        raise ValueError(f"{what} {path} holds Python objects, not only tensors and plain values "
                         f"(an old format or not a file of ours); it was not loaded, for safety: "
                         f"{remedy}") from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, IndexError, KeyError):
        raise ValueError(f"{what} {path} is unreadable (truncated, corrupted or not a torch file): "
                         f"{remedy}") from None
    if not isinstance(stored, dict):
        raise ValueError(f"{what} {path} does not hold a dict of tensors and values: {remedy}")
    tag = stored.get("format")
    if tag is not None:
        if not isinstance(tag, dict) or tag.get("kind") != kind:
            found = tag.get("kind") if isinstance(tag, dict) else tag
            raise ValueError(f"{what} {path} is a {found!r} file, not a {kind!r} file: {remedy}")
        if not isinstance(tag.get("version"), int) or tag["version"] > version:
            raise ValueError(f"{what} {path} has format version {tag.get('version')!r}; this infoplane "
                             f"reads {kind} files up to version {version}: update infoplane, or {remedy}")
    return stored


def require_keys(stored: dict[str, Any], keys: list[str], path: str | Path, what: str, remedy: str) -> None:
    """Raise one clear line when a loaded file lacks any of ``keys``."""
    missing = [k for k in keys if k not in stored]
    if missing:
        raise ValueError(f"{what} {path} lacks {', '.join(missing)}: {remedy}")
