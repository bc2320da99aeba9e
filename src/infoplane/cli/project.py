"""The project's own steps: ``infoplane data fetch | check-params | report``.

    infoplane data fetch --data-root ../shared/datasets --dest data/raw
    infoplane check-params params.yaml
    infoplane report --claims paper/claims.yaml --out paper/report.md --html paper/report.html
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def cmd_data_fetch(args: argparse.Namespace) -> None:
    from infoplane.data import data_root
    from infoplane.data.fetch import fetch

    fallback = None
    if args.data_root is None and args.params.exists():  # the data root that params.yaml names
        from infoplane.config import read_yaml

        fallback = read_yaml(args.params).get("data_root")
    copied = fetch(data_root(args.data_root, fallback), args.dest, args.file)
    print(json.dumps({"copied": copied, "dest": str(args.dest)}))


def cmd_check_params(args: argparse.Namespace) -> None:
    from infoplane.config import load_params

    params = load_params(args.params, args.schema)
    print(f"{args.params}: valid (scale {params['scale']})", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> None:
    from infoplane.config import read_yaml, require_valid
    from infoplane.report import write_report

    params = read_yaml(args.params)   # as written: the report scales it per claim
    require_valid(params, args.schema, source=str(args.params))
    verdicts = write_report(args.claims, params, args.root, args.out, args.html, args.verdicts,
                            args.headlines)
    for v in verdicts:
        print(f"{v.claim['id']}: {v.status}", file=sys.stderr)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """The data, check-params and report subcommands."""
    p = sub.add_parser("data", help="raw datasets: copy them from the data root into the project, checked")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    p = data_sub.add_parser("fetch", help="copy MNIST/raw and SZT/var_u.mat, verifying published checksums")
    p.add_argument("--data-root", default=None,
                   help="source folder (default: $INFOPLANE_DATA_ROOT, else data_root of --params)")
    p.add_argument("--params", type=Path, default=Path("params.yaml"), help="where data_root is read from")
    p.add_argument("--dest", type=Path, default=Path("data/raw"), help="destination (default data/raw)")
    p.add_argument("--file", action="append", help="one file relative to the root (repeatable; default all)")
    p.set_defaults(func=cmd_data_fetch)

    p = sub.add_parser("check-params", help="check params.yaml against its schema; name every bad key")
    p.add_argument("params", type=Path, nargs="?", default=Path("params.yaml"),
                   help="the file to check (default params.yaml)")
    p.add_argument("--schema", type=Path, default=Path("workflow/schemas/params.schema.yaml"),
                   help="its JSON schema (default workflow/schemas/params.schema.yaml)")
    p.set_defaults(func=cmd_check_params)

    p = sub.add_parser("report", help="render the replication report from the result tables and figures")
    p.add_argument("--claims", type=Path, default=Path("paper/claims.yaml"),
                   help="the claims and their criteria (default paper/claims.yaml)")
    p.add_argument("--params", type=Path, default=Path("params.yaml"),
                   help="the parameters the results were made with (default params.yaml)")
    p.add_argument("--schema", type=Path, default=Path("workflow/schemas/params.schema.yaml"),
                   help="its JSON schema (default workflow/schemas/params.schema.yaml)")
    p.add_argument("--root", type=Path, default=Path("."), help="root that result paths are relative to")
    p.add_argument("--out", type=Path, default=Path("paper/report.md"), help="Markdown report")
    p.add_argument("--html", type=Path, help="also write the report as HTML here")
    p.add_argument("--verdicts", type=Path,
                   help="also write each claim's measured number here as JSON, by scale")
    p.add_argument("--headlines", type=Path,
                   help="also write <experiment>.json here: how many of its claims got each status "
                        "(the DVC metrics)")
    p.set_defaults(func=cmd_report)
