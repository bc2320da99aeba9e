"""Shared fixtures. Tests keep BLAS and torch on few threads so parallel runs stay fair."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "2")
