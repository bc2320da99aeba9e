"""The infoplane command. Every Snakemake rule is one of these subcommands, so every step of the
pipeline runs alone; each reads and writes the files named on its command line.

    known-MI estimates   infoplane sample | estimate | aggregate | fit-compressor
    experiments          infoplane train | analyse | combine | plot --experiment NAME ...
                         (and train-autoencoder, train-seeds, scatter, neuron, ib-curve)
    the project          infoplane data fetch | check-params | report

`infoplane COMMAND --help` says what each takes. Bad input ends in one line on stderr and exit
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from infoplane.cli import estimates, experiments, figures, project
from infoplane.cli.common import ArgumentParser, parse_params

__all__ = ["build_parser", "main", "parse_params"]


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="infoplane", description=__doc__.split("\n\n")[0],
                            epilog=__doc__.split("\n\n", 1)[1],
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (estimates, experiments, figures, project):
        module.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand. Bad input (a ValueError naming the argument, a missing file) is one
    line on stderr and exit status 2; anything else is a bug and keeps its traceback."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError) as err:
        print(f"infoplane {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0
