"""The data root: an explicit --data-root wins over INFOPLANE_DATA_ROOT, which wins over
params.yaml's data_root; a missing one is one line saying where it came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from infoplane.data import ENV_VAR, data_root


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path, Path]:
    explicit, env, fallback = (tmp_path / name for name in ("explicit", "env", "fallback"))
    for path in (explicit, env, fallback):
        path.mkdir()
    return explicit, env, fallback


def test_explicit_wins_over_the_environment(roots, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, env, fallback = roots
    monkeypatch.setenv(ENV_VAR, str(env))
    assert data_root(explicit, fallback) == explicit
    assert data_root(None, fallback) == env
    monkeypatch.delenv(ENV_VAR)
    assert data_root(None, fallback) == fallback


def test_a_missing_root_names_its_source(roots, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(roots[1]))
    with pytest.raises(ValueError, match="from --data-root"):
        data_root(tmp_path / "nowhere")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match=f"from {ENV_VAR}"):
        data_root(None, roots[2])
