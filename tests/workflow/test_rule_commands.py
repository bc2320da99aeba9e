"""Every rule's command line is one the `infoplane` CLI accepts: the shell commands of a dry run
are split into their `infoplane` calls and parsed by the CLI's own parser, so a flag a rule passes
and the command lacks (or a missing required one) fails here instead of after hours of upstream
jobs. The default run's commands are checked in test_workflow_runs.py (its dry run); here every
target, CIFAR-10 included (slow: a second dry run)."""

from __future__ import annotations

import contextlib
import io
import shlex
from pathlib import Path

import pytest

from infoplane.cli import build_parser

from .workflow_helpers import run

OPERATORS = {"&&", "||", ";", "(", ")", "|"}


def shell_commands(dry_run_output: str) -> list[str]:
    """The shell commands a `snakemake -n -p` listing prints."""
    return [line.removeprefix("Shell command: ") for line in dry_run_output.splitlines()
            if line.startswith("Shell command: ") and line != "Shell command: None"]


def infoplane_calls(command: str) -> list[list[str]]:
    """The argument lists of the `infoplane` calls in one shell command (redirections dropped)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    calls: list[list[str]] = []
    current: list[str] | None = None
    skip = False
    for token in [*lexer, ";"]:
        if skip:
            skip = False
        elif token in OPERATORS:
            if current is not None:
                calls.append(current)
            current = None
        elif token in (">", ">>", ">&"):
            skip = True  # the file (or descriptor) follows
            if token == ">&" and current and current[-1].isdigit():
                current.pop()  # the 2 of 2>&1
        elif token == "infoplane" and current is None:
            current = []
        elif current is not None:
            current.append(token)
    return calls


def refused_calls(dry_run_output: str) -> list[str]:
    """The `infoplane` calls of a dry run that the CLI's parser refuses, with its message."""
    calls = [call for command in shell_commands(dry_run_output) for call in infoplane_calls(command)]
    assert len(calls) > 50, dry_run_output[-3000:]
    parser = build_parser()
    refused = {}
    for argv in calls:
        err = io.StringIO()
        try:
            with contextlib.redirect_stderr(err):
                parser.parse_args(argv)
        except SystemExit:
            refused.setdefault(argv[0], f"infoplane {shlex.join(argv)}\n  {err.getvalue().strip()}")
    return list(refused.values())


def test_calls_are_split_at_operators_and_redirections() -> None:
    command = ("(infoplane plot plane --title 'a (b) && c' --out 'x y.pdf' && infoplane plot epochs"
               " --out f.png) > logs/p.log 2>&1")
    assert infoplane_calls(command) == [["plot", "plane", "--title", "a (b) && c", "--out", "x y.pdf"],
                                        ["plot", "epochs", "--out", "f.png"]]


@pytest.mark.slow
def test_every_rule_calls_the_cli_with_arguments_it_accepts(workflow_copy: Path) -> None:
    result = run(["snakemake", "all", "butakov_cifar10", "-n", "-p", "--forceall"], workflow_copy)
    refused = refused_calls(result.stdout)
    assert not refused, "\n".join(refused)
