"""The geopera widgets in a real JupyterLab: planner price, inbox decision, coverage map.

Each test opens a notebook from ``tests/e2e/notebooks`` whose kernel reaches the sandbox
process over HTTP, and acts with the mouse. Screenshots of each step go to
``test-artifacts/``; ``planner.png`` and ``coverage-map.png`` are the README's pictures.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from geopera_nb.widgets.coverage_map import LAYER_COLORS

from .e2e_harness import LabPage, record_timing
from .e2e_orders import drive_to_partial_coverage, pick_sensor, place_tasking, wait_for_study

pytestmark = pytest.mark.e2e

#: the layers a tasking order draws (the archive layer stays empty here)
COVERAGE_LAYERS = ("Requested", "Covered", "Remainder", "Captures")
TASKING_COLORS = {name: LAYER_COLORS[name] for name in COVERAGE_LAYERS}


def test_planner_prices_a_drawn_polygon(lab_page: LabPage, artifacts: Path) -> None:
    page = lab_page.page
    lab_page.open_notebook("e2e-planner.ipynb")
    lab_page.run_all_cells()
    planner = page.locator(".gn-tasking-planner").first
    planner.wait_for()
    price = page.locator(".gn-price").first
    page.wait_for_function(
        "() => /Draw a valid AOI/.test(document.querySelector('.gn-price').textContent)")
    # pick the sensor in the dropdown, as an analyst does; the kernel answers with its info
    sensor_select = page.locator(".gn-sensor select").first
    labels = sensor_select.locator("option").all_inner_texts()
    sensor_select.select_option(label=next(lb for lb in labels if "geo-owl-30" in lb))
    page.wait_for_function(
        "() => document.querySelector('.gn-sensor-info').textContent.includes('credits/km')")
    map_ = lab_page.leaflet_map(".gn-tasking-planner .leaflet-container")
    lab_page.screenshot("before-draw")

    lab_page.start_change_timer(".gn-price", until=".gn-price-total")
    lab_page.draw_polygon(map_, [(0.38, 0.3), (0.62, 0.28), (0.66, 0.62), (0.4, 0.7)])
    timing = lab_page.read_change_timer(timeout_s=30)
    record_timing(artifacts, "planner_price_after_last_vertex", timing)

    total = price.locator(".gn-price-total")
    credits = int(total.get_attribute("data-credits") or "0")
    assert credits > 0, f"price shown: {price.inner_text()!r}"
    assert re.search(r"\d", total.inner_text())
    # the feasibility prediction follows the same draw
    page.wait_for_function(
        "() => document.querySelector('.gn-feasibility').textContent.includes('Feasibility')",
        timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('.gn-passes').textContent.includes('Predicted passes')",
        timeout=30_000)
    lab_page.screenshot("priced")
    lab_page.tall_viewport()
    planner.scroll_into_view_if_needed()
    lab_page.screenshot("planner.png", locator=planner)


def test_inbox_accepts_a_feasibility_option(lab_page: LabPage, api_client: Any,
                                            e2e_sandbox: Any) -> None:
    sensor = pick_sensor(api_client, "manual")
    order_id = place_tasking(api_client, e2e_sandbox, sensor, "E2E inbox study")
    study = wait_for_study(api_client, e2e_sandbox, order_id)

    page = lab_page.page
    lab_page.open_notebook("e2e-inbox.ipynb")
    lab_page.run_all_cells()
    row = page.locator(".gn-decision-feasibility", has_text="E2E inbox study").first
    row.wait_for(timeout=60_000)
    studies_before = page.locator(".gn-decision-feasibility").count()
    lab_page.screenshot("pending")

    row.locator(".gn-accept-option").first.click()
    yes = row.locator(".gn-confirm-yes").first  # the confirm opens in the row that asked
    yes.wait_for(state="visible")
    assert "credits" in row.locator(".gn-confirm-message").first.inner_text().lower()
    lab_page.screenshot("confirm")
    yes.click()

    page.wait_for_function(
        """([n]) => document.querySelectorAll('.gn-decision-feasibility').length < n""",
        arg=[studies_before], timeout=30_000)
    assert page.locator(".gn-decision-feasibility", has_text="E2E inbox study").count() == 0
    assert page.locator(".gn-inbox .gn-error").first.inner_text().strip() == ""
    lab_page.screenshot("decided")
    lab_page.tall_viewport()
    lab_page.screenshot("inbox.png", locator=page.locator(".gn-inbox").first)

    decided = api_client.orders.get(order_id=order_id)
    assert decided["subStatus"] != "FEASIBILITY_WAITING_RESPONSE", decided
    assert study["id"] not in {d["id"] for d in api_client.orders.tasking.decisions.pending(
        size=200).get("content", [])}


#: AOI of the coverage order: ~24 km square, several capture strips wide, so that the
#: requested outline, the covered strip and the remainder are all large on the map
COVERAGE_KM2 = 600.0

#: waits until the Leaflet view of the coverage map is the one the kernel set
#: (``zoom_to_bounds``): the requested outline where the expected zoom and centre put
#: it, no zoom animation running, and the Remainder drawn (a path in its colour with a
#: real ``d``: Leaflet writes ``M0 0`` for a polygon it does not draw)
_COVERAGE_SETTLED_JS = """([expected, colors, tolerance]) => {
  const map = document.querySelector('.gn-coverage-map');
  if (!map || map.classList.contains('leaflet-zoom-anim')) return false;
  const paths = [...map.querySelectorAll('.leaflet-overlay-pane path')];
  const drawn = (color) => paths.filter(p => p.getAttribute('stroke') === color
      && (p.getAttribute('d') || '').trim() !== '' && p.getAttribute('d').trim() !== 'M0 0');
  const requested = drawn(colors.Requested), remainder = drawn(colors.Remainder);
  if (requested.length !== 1 || remainder.length < 1 || drawn(colors.Covered).length < 1) return false;
  const m = map.getBoundingClientRect(), r = requested[0].getBoundingClientRect();
  const cx = m.left + m.width / 2, cy = m.top + m.height / 2;
  const got = [r.left - cx, r.top - cy, r.right - cx, r.bottom - cy];
  if (got.some((v, i) => Math.abs(v - expected[i]) > tolerance)) return false;
  return remainder.some(p => { const b = p.getBoundingClientRect();
                               return b.width > 10 && b.height > 10; });
}"""


def _expected_outline_px(api_client: Any, order_id: str) -> list[float]:
    """Where the requested outline should be on the settled map, in px from its centre.

    The widget zooms to the bounds of the groups and the captures
    (``CoverageMap._show`` -> ``zoom_to_bounds``); the same frames and the same function
    give the view here, and Web Mercator at 256 px per tile gives the pixels.
    """
    import math

    import pandas as pd

    from geopera_nb import frames
    from geopera_nb.widgets import make_map
    from geopera_nb.widgets.basemap import zoom_to_bounds

    groups = frames.coverage_groups_frame(api_client, [order_id])
    assets = frames.assets_frame(api_client, [order_id])
    view = make_map(online=False)
    zoom_to_bounds(view, pd.concat([groups.geometry, assets.geometry]).total_bounds)
    scale = 256.0 * 2 ** int(view.zoom)

    def px(lon: float, lat: float) -> tuple[float, float]:
        y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
        return (lon + 180.0) / 360.0 * scale, (1 - y / math.pi) / 2 * scale

    clat, clon = view.center
    cx, cy = px(clon, clat)
    minx, miny, maxx, maxy = groups.geometry.total_bounds
    (left, top), (right, bottom) = px(minx, maxy), px(maxx, miny)
    return [left - cx, top - cy, right - cx, bottom - cy]


def test_coverage_map_shows_its_layers(lab_page: LabPage, api_client: Any,
                                       e2e_sandbox: Any) -> None:
    sensor = pick_sensor(api_client, "auto")
    order_id = place_tasking(api_client, e2e_sandbox, sensor, "E2E coverage", km2=COVERAGE_KM2)
    order, coverage = drive_to_partial_coverage(api_client, e2e_sandbox, order_id)
    # the API says the order is part-way: some captures in, part of the AOI still to cover
    assert order["status"] == "BEING_FULFILLED", order
    assert 0.0 < coverage["coveredFraction"] < 1.0, coverage
    assert coverage["remainderKm2"] > 0.1 * coverage["requestedKm2"], coverage
    assert coverage["coveredKm2"] > 0.1 * coverage["requestedKm2"], coverage
    captures = int(coverage["captureCount"])
    assert captures >= 1, coverage
    expected_outline = _expected_outline_px(api_client, order_id)

    page = lab_page.page
    lab_page.open_notebook("e2e-coverage.ipynb")
    lab_page.run_all_cells()
    widget = page.locator(".gn-coverage").first
    widget.wait_for()
    map_ = lab_page.leaflet_map(".gn-coverage-map")
    captured = f"{captures:,} delivered capture" + ("" if captures == 1 else "s")
    page.wait_for_function(
        """([text]) => {
             const s = document.querySelector('.gn-coverage-summary');
             return s !== null && s.textContent.includes('1 order (1 tasking, 0 archive)')
                    && s.textContent.includes(text); }""",
        arg=[captured], timeout=60_000)

    # the layers control and the legend name the four layers, the legend in their colours
    overlays = map_.locator(".leaflet-control-layers-overlays").inner_text()
    for name in COVERAGE_LAYERS:
        assert name in overlays, f"layer {name!r} missing from the layers control: {overlays!r}"
    legend = map_.locator(".leaflet-control", has_text="Coverage").first
    legend_text = legend.inner_text()
    for name in COVERAGE_LAYERS:
        assert name in legend_text
    legend_html = legend.inner_html().lower().replace(" ", "")
    for color in TASKING_COLORS.values():
        rgb = "rgb({},{},{})".format(*(int(color[i:i + 2], 16) for i in (1, 3, 5)))
        assert color in legend_html or rgb in legend_html, (
            f"{color} missing from the legend: {legend_html!r}")

    # the map settles on the AOI (the kernel's zoom and centre) with the layers drawn
    page.wait_for_function(_COVERAGE_SETTLED_JS,
                           arg=[expected_outline, LAYER_COLORS, 4], timeout=30_000)
    paths = map_.locator(".leaflet-overlay-pane path").evaluate_all(
        "paths => paths.map(p => ({stroke: p.getAttribute('stroke'),"
        " fill: p.getAttribute('fill'), d: p.getAttribute('d') || ''}))")
    strokes = {p["stroke"] for p in paths}
    assert set(TASKING_COLORS.values()) <= strokes, strokes  # all four layers are drawn
    remainder = [p for p in paths if p["stroke"] == LAYER_COLORS["Remainder"]]
    assert remainder and all(p["fill"] == LAYER_COLORS["Remainder"] for p in remainder), remainder
    assert any(p["d"].strip() not in ("", "M0 0") for p in remainder), remainder
    captures_drawn = [p for p in paths if p["stroke"] == LAYER_COLORS["Captures"]]
    assert len(captures_drawn) == captures, captures_drawn

    # the group table shows the API's partial coverage
    groups_text = page.locator(".gn-coverage-groups").first.inner_text()
    shown = re.search(r"(\d+(?:\.\d)?) %", groups_text)
    assert shown, groups_text
    assert 0.0 < float(shown.group(1)) < 100.0, groups_text
    assert abs(float(shown.group(1)) - 100 * coverage["coveredFraction"]) < 0.2, (
        groups_text, coverage)
    assert order["displayName"] in groups_text and order_id not in groups_text  # names, not ids

    lab_page.screenshot("shown")
    lab_page.tall_viewport()
    widget.scroll_into_view_if_needed()
    page.wait_for_function(_COVERAGE_SETTLED_JS,
                           arg=[expected_outline, LAYER_COLORS, 4], timeout=30_000)
    lab_page.screenshot("coverage-map.png", locator=widget)
