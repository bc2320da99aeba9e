"""DVC's plots drawn without the network: the page holds the drawings, loads no script."""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "workflow" / "scripts" / "plots_offline.py"


def load_script():
    spec = importlib.util.spec_from_file_location("plots_offline", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_offline_page_draws_every_plot_and_loads_nothing(tmp_path: Path) -> None:
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "title": "MI against truth",
            "data": {"values": [{"mi_true": 0.0, "mi_estimate": 0.1}, {"mi_true": 2.0, "mi_estimate": 1.9}]},
            "mark": "point",
            "encoding": {"x": {"field": "mi_true", "type": "quantitative", "title": "true MI (nats)"},
                         "y": {"field": "mi_estimate", "type": "quantitative"}}}
    image = tmp_path / "b.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n not really an image")
    plots = {"results/a.csv": [{"type": "vega", "revisions": ["workspace"], "content": spec}],
             "figures/b.png": [{"type": "image", "revisions": ["workspace"], "url": str(image)}],
             "figures/gone.png": [{"type": "image", "revisions": ["workspace"],
                                   "url": str(tmp_path / "no.png")}]}
    errors = [{"rev": "workspace", "msg": "failed to load c"}]
    # DVC 3 nests the plots under "data"; older versions put them at the top level
    for shown in ({"data": plots, "errors": errors}, {**plots, "errors": errors}):
        page = load_script().render_page(shown)
        assert page.count("<svg") == 1 and "true MI (nats)" in page
        assert "<script" not in page and "cdn." not in page
        assert page.count('src="data:image/png;base64,') == 1
        assert base64.b64encode(image.read_bytes()).decode() in page
        assert "not drawn (image)" in page and "failed to load c" in page
