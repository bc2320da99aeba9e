"""DVC's plots drawn without the network: the page holds the drawings, loads no script."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "workflow" / "scripts" / "plots_offline.py"


def load_script():
    spec = importlib.util.spec_from_file_location("plots_offline", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_offline_page_draws_every_vega_plot_and_loads_nothing():
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "title": "MI against truth",
            "data": {"values": [{"mi_true": 0.0, "mi_estimate": 0.1}, {"mi_true": 2.0, "mi_estimate": 1.9}]},
            "mark": "point",
            "encoding": {"x": {"field": "mi_true", "type": "quantitative", "title": "true MI (nats)"},
                         "y": {"field": "mi_estimate", "type": "quantitative"}}}
    shown = {"results/a.csv": [{"type": "vega", "revisions": ["workspace"], "content": spec}],
             "figures/b.png": [{"type": "image", "revisions": ["workspace"], "url": "figures/b.png"}],
             "errors": [{"rev": "workspace", "msg": "failed to load c"}]}
    page = load_script().render_page(shown)
    assert page.count("<svg") == 1 and "true MI (nats)" in page
    assert "<script" not in page and "cdn." not in page
    assert "not a Vega plot (image)" in page and "failed to load c" in page
