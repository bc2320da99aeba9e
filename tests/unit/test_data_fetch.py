"""Raw datasets are copied only when their published checksums match."""

from __future__ import annotations

from pathlib import Path

import pytest

from infoplane.data.fetch import CHECKSUMS, fetch, file_digest

REPO = Path(__file__).resolve().parents[2]
SHARED = (REPO / "../shared/datasets").resolve()
SZT = "SZT/var_u.mat"


@pytest.mark.skipif(not (SHARED / SZT).exists(), reason="offline datasets not beside the checkout")
def test_fetch_copies_verified_files_once(tmp_path: Path) -> None:
    assert fetch(SHARED, tmp_path, [SZT]) == [SZT]
    assert file_digest(tmp_path / SZT, "sha256") == CHECKSUMS[SZT][1]
    mtime = (tmp_path / SZT).stat().st_mtime_ns
    assert fetch(SHARED, tmp_path, [SZT]) == []  # intact copy: left alone, mtime unchanged
    assert (tmp_path / SZT).stat().st_mtime_ns == mtime


def test_a_corrupt_source_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    source, dest = tmp_path / "src", tmp_path / "dest"
    (source / "SZT").mkdir(parents=True)
    (source / SZT).write_bytes(b"not the SZT file")
    with pytest.raises(ValueError, match="sha256 .* differs from the published 0ba95518"):
        fetch(source, dest, [SZT])
    assert not (dest / SZT).exists()


def test_missing_and_unknown_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="var_u.mat does not exist"):
        fetch(tmp_path, tmp_path / "dest", [SZT])
    with pytest.raises(ValueError, match="unknown dataset files"):
        fetch(tmp_path, tmp_path / "dest", ["CIFAR/x"])
