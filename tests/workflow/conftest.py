"""Fixtures of the workflow tests (helpers in workflow_helpers.py)."""

from pathlib import Path

import pytest
from workflow_helpers import copy_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of the workflow files in a temporary directory."""
    return copy_project(tmp_path)
