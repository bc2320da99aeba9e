"""`dvc plots show` for a machine without the network: every plot of dvc.yaml drawn to SVG here
(vl-convert runs Vega in-process) into one self-contained HTML page. The page `dvc plots show`
writes loads the Vega libraries from a CDN, so offline it stays blank.

    python workflow/scripts/plots_offline.py [--out dvc_plots/offline.html]     (make plots)
"""

from __future__ import annotations

import argparse
import html
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>DVC plots (offline)</title>
<style>body {{ font-family: sans-serif; margin: 2em; }} svg {{ max-width: 100%; height: auto; }}</style>
</head>
<body>
<h1>DVC plots</h1>
<p>Drawn from the workspace's results by <code>workflow/scripts/plots_offline.py</code>;
no network needed.</p>
{sections}
</body>
</html>
"""


def render_page(plots: dict[str, Any]) -> str:
    """The HTML page of ``dvc plots show --json`` output: plot id -> list of renders, each a
    ``{"type": "vega", "content": <Vega-Lite spec with its data>}``. Other render types (images)
    and the ``errors`` entry are listed, not drawn."""
    import vl_convert

    sections = []
    for plot_id, renders in plots.items():
        if plot_id == "errors":
            continue
        for render in renders:
            heading = f"<h2>{html.escape(plot_id)}</h2>"
            if render.get("type") != "vega":
                sections.append(f"{heading}\n<p>not a Vega plot ({html.escape(str(render.get('type')))})</p>")
                continue
            sections.append(f"{heading}\n{vl_convert.vegalite_to_svg(render['content'])}")
    for error in plots.get("errors", []):
        sections.append(f"<p>DVC could not load: {html.escape(json.dumps(error, sort_keys=True))}</p>")
    return PAGE.format(sections="\n".join(sections))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("dvc_plots/offline.html"), help="the page (.html)")
    args = parser.parse_args()
    shown = subprocess.run(["dvc", "plots", "show", "--json"], capture_output=True, text=True)
    if shown.returncode != 0:
        sys.exit(f"`dvc plots show --json` failed: {shown.stderr.strip()[-500:]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_page(json.loads(shown.stdout)))
    print(f"{args.out} (open it in a browser; it loads nothing from the network)")


if __name__ == "__main__":
    main()
