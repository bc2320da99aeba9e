"""`dvc plots show` for a machine without the network: every plot of dvc.yaml drawn to SVG here
(vl-convert runs Vega in-process) into one self-contained HTML page. The page `dvc plots show`
writes loads the Vega libraries from a CDN, so offline it stays blank.

    python workflow/scripts/plots_offline.py [--out dvc_plots/offline.html]     (make plots)
    python workflow/scripts/plots_offline.py paper/paper_scale/figures          (some plots only)
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>DVC plots (offline)</title>
<style>body {{ font-family: sans-serif; margin: 2em; }} svg, img {{ max-width: 100%; height: auto; }}</style>
</head>
<body>
<h1>DVC plots</h1>
<p>Drawn from the workspace's results by <code>workflow/scripts/plots_offline.py</code>;
no network needed.</p>
{sections}
</body>
</html>
"""


def render_page(shown: dict[str, Any]) -> str:
    """The HTML page of ``dvc plots show --json`` output: ``{"data": {plot id: renders},
    "errors": [...]}`` (DVC 3; older versions put the plot ids at the top level). A render is
    ``{"type": "vega", "content": <Vega-Lite spec with its data>}``, drawn to SVG, or
    ``{"type": "image", "url": <a file DVC wrote>}``, embedded in the page; the errors are listed."""
    import vl_convert

    plots = shown.get("data", {k: v for k, v in shown.items() if k != "errors"})
    sections = []
    for plot_id, renders in plots.items():
        for render in renders:
            heading = f"<h2>{html.escape(plot_id)}</h2>"
            if render.get("type") == "vega":
                sections.append(f"{heading}\n{vl_convert.vegalite_to_svg(render['content'])}")
            elif render.get("type") == "image" and Path(str(render.get("url"))).is_file():
                sections.append(f"{heading}\n{embedded_image(Path(render['url']))}")
            else:
                sections.append(f"{heading}\n<p>not drawn ({html.escape(str(render.get('type')))})</p>")
    for error in shown.get("errors", []):
        sections.append(f"<p>DVC could not load: {html.escape(json.dumps(error, sort_keys=True))}</p>")
    return PAGE.format(sections="\n".join(sections))


def embedded_image(path: Path) -> str:
    """An <img> holding the image file itself (a data URI), so the page needs no other file."""
    kind = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".svg": "svg+xml"}
    mime = f"image/{kind.get(path.suffix.lower(), 'png')}"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.name)}" src="data:{mime};base64,{data}">'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", help="plot files or ids of dvc.yaml (default: all)")
    parser.add_argument("--out", type=Path, default=Path("dvc_plots/offline.html"), help="the page (.html)")
    args = parser.parse_args()
    shown = subprocess.run(["dvc", "plots", "show", "--json", "--", *args.targets],
                           capture_output=True, text=True)
    if shown.returncode != 0:
        sys.exit(f"`dvc plots show --json` failed: {shown.stderr.strip()[-500:]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render_page(json.loads(shown.stdout)))
    print(f"{args.out} (open it in a browser; it loads nothing from the network)")


if __name__ == "__main__":
    main()
