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

from .e2e_harness import LabPage, record_timing
from .e2e_orders import drive_to_fulfilment, pick_sensor, place_tasking, wait_for_study

pytestmark = pytest.mark.e2e

COVERAGE_LAYERS = ("Requested", "Covered", "Remainder", "Captures")


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
    yes = page.locator(".gn-inbox .gn-confirm-yes").first
    yes.wait_for(state="visible")
    assert "credits" in page.locator(".gn-inbox .gn-confirm-message").first.inner_text().lower()
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


def test_coverage_map_shows_its_layers(lab_page: LabPage, api_client: Any,
                                       e2e_sandbox: Any) -> None:
    sensor = pick_sensor(api_client, "auto")
    order_id = place_tasking(api_client, e2e_sandbox, sensor, "E2E coverage")
    drive_to_fulfilment(api_client, e2e_sandbox, order_id)

    page = lab_page.page
    lab_page.open_notebook("e2e-coverage.ipynb")
    lab_page.run_all_cells()
    widget = page.locator(".gn-coverage").first
    widget.wait_for()
    map_ = lab_page.leaflet_map(".gn-coverage-map")
    page.wait_for_function(
        "() => document.querySelector('.gn-coverage-summary').textContent.trim().length > 0",
        timeout=60_000)

    # the layers control and the legend name the four layers
    overlays = map_.locator(".leaflet-control-layers-overlays").inner_text()
    for name in COVERAGE_LAYERS:
        assert name in overlays, f"layer {name!r} missing from the layers control: {overlays!r}"
    legend = map_.locator(".leaflet-control", has_text="Coverage").first.inner_text()
    for name in COVERAGE_LAYERS:
        assert name in legend
    # and the layers are drawn: SVG paths in the overlay pane, in the layers' colours
    page.wait_for_function(
        "() => document.querySelectorAll('.gn-coverage-map .leaflet-overlay-pane path').length >= 3",
        timeout=30_000)
    strokes = set(map_.locator(".leaflet-overlay-pane path").evaluate_all(
        "paths => paths.map(p => p.getAttribute('stroke'))"))
    assert {"#4d4d4d", "#2c7bb6"} <= strokes, strokes  # requested outline, capture footprints
    assert strokes & {"#1a9641", "#d7191c"}, strokes  # covered and/or remainder
    assert page.locator(".gn-coverage-groups").first.inner_text().strip()
    lab_page.screenshot("shown")
    lab_page.tall_viewport()
    widget.scroll_into_view_if_needed()
    lab_page.screenshot("coverage-map.png", locator=widget)
