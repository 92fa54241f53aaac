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


def _frame(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(1)
    x, y = rng.uniform(140, 150, n), rng.uniform(-36, -28, n)
    return gpd.GeoDataFrame({"id": [str(i) for i in range(n)]},
                            geometry=shapely.box(x, y, x + 0.1, y + 0.1), crs="EPSG:4326")


def _blue_pixels(png: bytes) -> int:
    """Pixels tinted blue: footprints are drawn as thin outlines over a light fill, so
    few pixels are the style colour itself, but the basemap (warm land, white sea, black
    controls) has no pixel whose blue exceeds its red by this much."""
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return int((image[..., 2] - image[..., 0] > 25).sum())


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
            if drawn > 5_000:
                break
            offline.page.wait_for_timeout(500)
        # 3,000 footprints of ~6x6 px: ~20,000 tinted pixels once all are drawn
        assert drawn > 5_000, offline.errors
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


# Polygon data as the geoarrow earcut worker receives it (an Arrow ``Data`` of polygons:
# polygon -> ring offsets, ring -> coordinate offsets, interleaved x/y), and a run of
# the worker through its own message protocol (threads.js: "init", then "run" ->
# "result"), for the original worker text and the one lonboard maps ship.
_TRIANGULATE_JS = """async ([source, polygons]) => {
  const rings = [], coords = [], ringOffsets = [0], polyOffsets = [0];
  for (const polygon of polygons) {
    for (const ring of polygon) {
      for (const [x, y] of ring) coords.push(x, y);
      ringOffsets.push(coords.length / 2);
    }
    polyOffsets.push(ringOffsets.length - 1);
  }
  const data = {length: polygons.length, valueOffsets: Int32Array.from(polyOffsets),
    children: [{valueOffsets: Int32Array.from(ringOffsets), children: [
      {type: {listSize: 2}, children: [{values: Float64Array.from(coords)}]}]}]};
  const worker = new Worker(URL.createObjectURL(new Blob([source], {type: "text/javascript"})));
  const result = await new Promise((resolve, reject) => {
    worker.onerror = reject;
    worker.onmessage = (event) => {
      const msg = event.data;
      if (msg.type === "init") worker.postMessage({type: "run", uid: 1, args: [data]});
      else if (msg.type === "result" && msg.payload) resolve(Array.from(msg.payload));
      else if (msg.type === "error") reject(new Error(JSON.stringify(msg.error)));
    };
  });
  worker.terminate();
  return result;
}"""


def _test_polygons() -> list[list[list[tuple[float, float]]]]:
    """Quads, a concave polygon, a polygon with a hole, a 60-gon and random footprints."""
    rng = np.random.default_rng(3)
    quads = [[[(x, y), (x + 0.1, y + 0.02), (x + 0.08, y + 0.12), (x - 0.01, y + 0.1), (x, y)]]
             for x, y in rng.uniform(-50, 50, (200, 2))]
    concave = [[(0, 0), (4, 0), (4, 4), (2, 1), (0, 4), (0, 0)]]
    holed = [[(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)], [(2, 2), (2, 8), (8, 8), (8, 2), (2, 2)]]
    angles = np.linspace(0, 2 * np.pi, 61)
    radius = 1 + 0.3 * np.sin(5 * angles)
    star = [[(float(np.cos(a) * r), float(np.sin(a) * r)) for a, r in zip(angles, radius,
                                                                         strict=True)]]
    return [*quads, concave, holed, star]


def test_shipped_earcut_worker_triangulates_like_the_original(tmp_path: Path) -> None:
    from geopera_nb.vendor import read_bytes
    from geopera_nb.widgets._lonboard_offline import earcut_worker

    original = read_bytes("earcut-worker.min.js").decode("utf-8")
    shipped = earcut_worker()
    assert shipped != original  # the faster ring node is in
    page_path = tmp_path / "blank.html"
    page_path.write_text("<!DOCTYPE html><title>earcut</title>", encoding="utf-8")
    polygons = _test_polygons()
    with open_offline(page_path) as offline:
        before = offline.page.evaluate(_TRIANGULATE_JS, [original, polygons])
        after = offline.page.evaluate(_TRIANGULATE_JS, [shipped, polygons])
    assert after == before
    # every polygon triangulated: 2 triangles a quad, 3, 8 around the hole, 59 (61 vertices:
    # the star's last point is not exactly its first)
    assert len(before) == 3 * (2 * 200 + 3 + 8 + 59)
