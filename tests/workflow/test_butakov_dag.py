"""The Butakov targets resolve into the expected jobs, and a bad key in their section fails."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SNAKEMAKE = shutil.which("snakemake")
pytestmark = pytest.mark.skipif(SNAKEMAKE is None, reason="snakemake is not installed")


def dry_run(target: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SNAKEMAKE, target, *args, "-n", "--quiet", "rules"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_butakov_mnist_jobs(tmp_path):
    done = dry_run("butakov_mnist", "--forceall")
    assert done.returncode == 0, done.stderr
    counts = {line.split()[0]: int(line.split()[1]) for line in done.stdout.splitlines()
              if len(line.split()) == 2 and line.split()[1].isdigit()}
    assert counts["train_butakov"] == counts["analyse_butakov"] == 2  # seeds [0, 1] at the quick scale
    assert counts["train_image_autoencoder"] == counts["combine_butakov"] == counts["plot_butakov"] == 1


def test_unknown_key_in_butakov_section_fails(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("butakov:\n  mnist:\n    experiment: experiments/butakov_mnist.yaml\n    seeds: [0]\n"
                   "    sed: [1]\n")
    done = dry_run("butakov_mnist", "--configfile", str(bad))
    assert done.returncode != 0 and "butakov.mnist.sed: unknown key" in done.stdout + done.stderr
