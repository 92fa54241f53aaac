"""Footprint layers render in Chromium with every network request blocked.

No JupyterLab: the widget state is embedded in a page the way the HTML report embeds
it (``geopera_nb.report.widgets_page``), so these check the offline bundles: lonboard
with parquet-wasm and the earcut worker shipped, jupyter-leaflet from the installed
package, the graticule and scale bar of the offline basemap.
"""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geopera_nb.report import widgets_page
from geopera_nb.report.browser import open_offline
from geopera_nb.widgets import make_map, zoom_to_bounds
from geopera_nb.widgets.footprints import footprint_map

pytestmark = pytest.mark.e2e
BLUE = (0x2C, 0x7B, 0xB6)


def _frame(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(1)
    x, y = rng.uniform(140, 150, n), rng.uniform(-36, -28, n)
    return gpd.GeoDataFrame({"id": [str(i) for i in range(n)]},
                            geometry=shapely.box(x, y, x + 0.1, y + 0.1), crs="EPSG:4326")


def _blue_pixels(png: bytes) -> int:
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((np.abs(image - np.array(BLUE)).sum(axis=-1) < 90).sum())


def test_lonboard_footprints_render_with_no_network(tmp_path: Path) -> None:
    m = footprint_map(_frame(3_000), engine="lonboard", online=False,
                      style={"color": "#2c7bb6", "weight": 1, "fillOpacity": 0.0})
    page_path = tmp_path / "lonboard.html"
    page_path.write_text(widgets_page([m]), encoding="utf-8")
    with open_offline(page_path, width=1000, height=700) as offline:
        offline.page.wait_for_selector("canvas", timeout=60_000)
        drawn = 0
        for _ in range(120):
            drawn = _blue_pixels(offline.page.screenshot())
            if drawn > 500:
                break
            offline.page.wait_for_timeout(500)
        assert drawn > 500, offline.errors
        assert offline.blocked == []
        assert not [e for e in offline.errors if "wasm" in e.lower() or "fetch" in e.lower()]


def test_offline_leaflet_map_has_scale_bar_and_graticule(tmp_path: Path) -> None:
    m = make_map(online=False)
    zoom_to_bounds(m, (151.07, -32.80, 151.32, -32.73))
    page_path = tmp_path / "leaflet.html"
    page_path.write_text(widgets_page([m]), encoding="utf-8")
    with open_offline(page_path) as offline:
        offline.wait_for_maps(1)
        page = offline.page
        assert page.locator(".leaflet-control-scale-line").first.inner_text().endswith(("km", "m"))
        labels = page.locator(".gn-graticule-label").all_inner_texts()
        assert "32.75°S" in labels and "151.20°E" in labels
        # the layers control lists overlays only: no unlabelled base-layer radio
        assert page.locator(".leaflet-control-layers-base input").count() == 0
        assert offline.blocked == []
