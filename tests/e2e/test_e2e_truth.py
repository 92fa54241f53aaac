"""Issue 11 in a real JupyterLab: the widgets say what the server says, at any scale.

- defect 1: an order the server FAILED (Owl, 48 h window) is shown failed, with its reason,
  after a red, twice-asked confirm;
- defect 2: the inbox's confirm opens next to the row that asked (12 pending studies,
  Accept on the bottom row), inside the view;
- defect 3: with 1,000 orders the order browser says "50 of 1,000 orders"; a filter with
  no match says so and disables Load more;
- the inbox follows the sandbox clock without a click.

Each test opens a notebook of its own: JupyterLab reuses the kernel of a notebook opened
again, and a new page on a reused kernel can lose a click made while it restores the
kernel's older widgets.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from geopera_nb.contract.limits import PLACEMENT_GROUPS_MAX

from .e2e_harness import LabPage
from .e2e_orders import pick_sensor, place_tasking

pytestmark = pytest.mark.e2e

#: the JS of "is this element entirely inside the window?" (what the user can see)
_IN_VIEW_JS = """(el) => { const r = el.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, height: window.innerHeight,
          inside: r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight}; }"""


def test_an_order_the_server_failed_is_shown_failed(lab_page: LabPage, api_client: Any) -> None:
    page = lab_page.page
    lab_page.open_notebook("e2e-planner-failed.ipynb")
    lab_page.run_all_cells()
    planner = page.locator(".gn-tasking-planner").first
    planner.wait_for()
    map_ = lab_page.leaflet_map(".gn-tasking-planner .leaflet-container")
    lab_page.draw_polygon(map_, [(0.38, 0.3), (0.62, 0.28), (0.66, 0.62), (0.4, 0.7)])
    page.wait_for_function(
        "() => document.querySelector('.gn-feasibility').textContent.includes('not feasible')",
        timeout=30_000)
    # the layout: "Priority" beside its buttons, "Save as template" whole
    label = planner.get_by_text("Priority", exact=True).first.bounding_box()
    buttons = planner.locator(".gn-priority").first.bounding_box()
    assert label and buttons and abs(label["y"] - buttons["y"]) < buttons["height"], (label,
                                                                                       buttons)
    save = planner.locator(".gn-save-template").first
    assert save.evaluate("el => el.scrollWidth <= el.clientWidth"), "Save as template is cut"
    assert "km2" not in planner.inner_text()
    upload = planner.locator(".gn-aoi-upload").first  # "Load file", no "(0)" / "(1)"
    assert upload.evaluate("el => getComputedStyle(el, '::after').content") == '"Load file"'
    assert upload.evaluate("el => getComputedStyle(el).fontSize") == "0px"

    planner.locator(".gn-place-order").first.click()
    warning = planner.locator(".gn-confirm-warning").first
    page.wait_for_function(
        "() => document.querySelector('.gn-confirm-warning').textContent.includes('not feasible')",
        timeout=30_000)
    assert "72 h Owl 30 cm needs" in warning.inner_text()
    color = warning.locator(".gn-warning-text").first.evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(176, 0, 32)", color  # red
    yes = planner.locator(".gn-confirm-yes").first
    assert yes.is_disabled() and "anyway" in yes.inner_text()
    lab_page.screenshot("warned", locator=planner)
    planner.locator(".gn-confirm-ack input").first.check()
    page.wait_for_function(
        "() => !document.querySelector('.gn-tasking-planner .gn-confirm-yes').disabled")
    yes.click()

    state = planner.locator('.gn-place-result .gn-order-state[data-status="FAILED"]').first
    state.wait_for(timeout=30_000)
    shown = state.inner_text()
    assert "Failed: the window of 48 h is shorter than the 72 h Owl 30 cm needs" in shown, shown
    result = planner.locator(".gn-place-result").first.inner_text()
    assert not re.search(r"\bPlaced\b", result), result
    order_id = state.get_attribute("data-order-id")
    assert api_client.orders.get(order_id=order_id)["status"] == "FAILED"
    lab_page.screenshot("failed-order", locator=planner)


def test_the_inbox_confirm_opens_next_to_the_row(lab_page: LabPage, api_client: Any,
                                                 e2e_sandbox: Any) -> None:
    sensor = pick_sensor(api_client, "manual")
    names = [f"E2E row {i:02d}" for i in range(12)]
    for name in names:
        place_tasking(api_client, e2e_sandbox, sensor, name)
    e2e_sandbox.advance(hours=1)  # each study is uploaded after 1 h

    page = lab_page.page
    lab_page.open_notebook("e2e-inbox-rows.ipynb")
    lab_page.run_all_cells()
    rows = page.locator(".gn-decision-feasibility")
    for name in names:
        page.locator(".gn-decision-feasibility", has_text=name).first.wait_for(timeout=60_000)
    assert rows.count() >= 12
    bottom = rows.nth(rows.count() - 1)
    bottom.scroll_into_view_if_needed()
    accept = bottom.locator(".gn-accept-option").first
    clicked = accept.bounding_box()
    accept.click()
    dialog = bottom.locator(".gn-confirm").first  # in the row that asked
    dialog.wait_for(state="visible", timeout=15_000)
    page.wait_for_timeout(500)  # let the focus scroll settle
    assert page.locator(".gn-inbox .gn-confirm:visible").count() == 1
    box = dialog.bounding_box()
    assert clicked and box and box["y"] - (clicked["y"] + clicked["height"]) < 60, (clicked, box)
    view = dialog.evaluate(_IN_VIEW_JS)
    assert view["inside"], view
    assert "credits" in dialog.locator(".gn-confirm-message").inner_text().lower()
    lab_page.screenshot("confirm-in-row")
    dialog.locator(".gn-confirm-no").click()
    dialog.wait_for(state="hidden")


def test_the_inbox_follows_the_sandbox_clock(lab_page: LabPage, api_client: Any,
                                             e2e_sandbox: Any) -> None:
    page = lab_page.page
    lab_page.open_notebook("e2e-inbox-clock.ipynb")
    lab_page.run_all_cells()
    page.locator(".gn-inbox-header").first.wait_for()
    page.wait_for_function(
        "() => /pending decision/.test(document.querySelector('.gn-inbox-header').textContent)")
    sensor = pick_sensor(api_client, "manual")
    place_tasking(api_client, e2e_sandbox, sensor, "E2E clock study")
    e2e_sandbox.advance(hours=1)  # nothing clicked in the browser after this
    page.locator(".gn-decision-feasibility", has_text="E2E clock study").first.wait_for(
        timeout=30_000)


def test_the_order_browser_counts_and_empties(lab_page: LabPage, e2e_sandbox: Any,
                                              jupyter_lab: Any, artifacts: Path) -> None:
    org = e2e_sandbox.create_org(name="E2E 1,000 orders", credits=10**12)
    with e2e_sandbox.client(org) as client:
        groups = [{"sensor": "geo-owl-30", "displayName": f"Block {i:04d} of the survey",
                   "featureCollection": {"type": "FeatureCollection", "features": [{
                       "type": "Feature", "properties": {},
                       "geometry": {"type": "Polygon", "coordinates": [[
                           [100 + (i % 100) * 0.1, -30 + (i // 100) * 0.1],
                           [100.05 + (i % 100) * 0.1, -30 + (i // 100) * 0.1],
                           [100.05 + (i % 100) * 0.1, -29.95 + (i // 100) * 0.1],
                           [100 + (i % 100) * 0.1, -29.95 + (i // 100) * 0.1],
                           [100 + (i % 100) * 0.1, -30 + (i // 100) * 0.1]]]}}]}}
                  for i in range(1000)]
        for start in range(0, len(groups), PLACEMENT_GROUPS_MAX):
            batch = groups[start:start + PLACEMENT_GROUPS_MAX]
            assert len(client.orders.tasking.place(groups=batch)["results"]) == len(batch)
    (Path(jupyter_lab.root_dir) / "orders-org.json").write_text(
        json.dumps({"url": e2e_sandbox.url, "api_key": org.api_key}))

    page = lab_page.page
    lab_page.open_notebook("e2e-orders.ipynb")
    lab_page.run_all_cells()
    browser = page.locator(".gn-order-browser").first
    count = browser.locator(".gn-order-count").first
    page.wait_for_function(
        "() => document.querySelector('.gn-order-count').textContent.includes('of')",
        timeout=60_000)
    assert count.inner_text().strip() == "50 of 1,000 orders", count.inner_text()
    table = browser.locator(".gn-order-table").first
    headers = [h.strip() for h in table.locator("th").all_inner_texts()]
    assert headers == ["Name", "Type", "Status", "AOI km²", "Est. credits", "Created ▼",
                       "Updated", "Tags"], headers
    assert table.locator("tr.gn-order-row").count() == 50
    # aligned columns: every cell of a column starts at the same x
    lefts = table.locator("tr.gn-order-row td:nth-child(4)").evaluate_all(
        "cells => cells.map(c => Math.round(c.getBoundingClientRect().right))")
    assert len(set(lefts)) == 1, lefts
    more = browser.locator(".gn-load-more").first
    assert more.is_enabled()
    lab_page.screenshot("order-browser.png", locator=browser)
    more.click()
    page.wait_for_function(
        "() => document.querySelector('.gn-order-count').textContent.trim()"
        " === '100 of 1,000 orders'", timeout=30_000)

    tags = browser.locator(".gn-filter-tags input").first
    tags.fill("no-such-tag")
    tags.press("Enter")
    empty = browser.locator(".gn-order-empty").first
    empty.wait_for(timeout=30_000)
    assert empty.inner_text().strip() == "No orders match these filters."
    page.wait_for_function(
        "() => document.querySelector('.gn-order-browser .gn-load-more').disabled")
    assert table.locator("tr.gn-order-row").count() == 0
    lab_page.screenshot("order-browser-empty", locator=browser)
