"""OrderBrowser: filters, paging through all orders, row selection zooms the map."""

from __future__ import annotations

from typing import Any

import pytest

from geopera_nb.widgets import ImmediateScheduler, OrderBrowser
from geopera_nb.widgets.testing import send_custom

from .helpers import square


@pytest.fixture
def seeded(client: Any) -> Any:
    """7 tasking orders (3 tagged 'farm', 2 at the condor sensor), all PLACED."""
    for i in range(7):
        group = {
            "sensor": "geo-condor-40" if i < 2 else "geo-owl-30",
            "maxCloudCoverage": 20,
            "featureCollection": {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": square(140.0 + i, -30.0, 0.1)}
                ],
            },
        }
        client.orders.tasking.place(
            groups=[group],
            displayName=f"order {i}",
            tags=["farm"] if i % 2 == 0 and i < 6 else ["city"],
        )
    return client


def test_pages_through_all_orders(seeded: Any) -> None:
    browser = OrderBrowser(seeded, online=False, scheduler=ImmediateScheduler(), page_size=3)
    assert len(browser.records) == 3 and browser.total == 7
    assert "3 of 7" in browser.count.value
    browser.more_button.click()
    browser.more_button.click()
    assert len(browser.records) == 7 and browser.exhausted and browser.more_button.disabled
    assert len({o["id"] for o in browser.records}) == 7
    assert len(browser.table.options) == 7
    assert len(browser.all_layer.data["features"]) == 7
    frame = browser.frame()
    assert len(frame) == 7 and frame.crs.to_epsg() == 4326


def test_filters(seeded: Any) -> None:
    browser = OrderBrowser(seeded, online=False, scheduler=ImmediateScheduler(), page_size=50)
    browser.tags.value = "farm"  # sent when the user presses Enter (continuous_update=False)
    assert {tuple(o["tags"]) for o in browser.records} == {("farm",)} and browser.total == 3
    browser.tags.value = ""
    browser.type.value = "ARCHIVE"
    assert browser.records == [] and browser.total == 0
    browser.type.value = "TASKING"
    browser.status.value = "PLACED"
    assert len(browser.records) == 7
    assert browser.filters() == {"status": "PLACED", "type": "TASKING"}


def test_selecting_a_row_zooms_to_its_aoi(seeded: Any) -> None:
    browser = OrderBrowser(seeded, online=False, scheduler=ImmediateScheduler())
    order = browser.records[2]
    browser.table.value = order["id"]  # the browser's <select> change
    assert browser.selected == order["id"]
    assert browser.map.center[0] == pytest.approx(-29.95, abs=0.01)
    assert browser.map.center[1] == pytest.approx(order_center_lon(order), abs=0.01)
    assert browser.map.zoom >= 10
    assert browser.selected_layer.data["properties"]["id"] == order["id"]
    assert order["id"] in browser.details.value
    # clicking an AOI on the map selects its row
    other = browser.records[4]
    send_custom(
        browser.all_layer,
        {
            "event": "click",
            "feature": {"type": "Feature", "properties": {"id": other["id"]}},
            "properties": {"id": other["id"]},
        },
    )
    assert browser.selected == other["id"] and browser.table.value == other["id"]


def order_center_lon(order: dict[str, Any]) -> float:
    xs = [x for x, _ in order["geometry"]["coordinates"][0]]
    return (min(xs) + max(xs)) / 2


def test_css_hooks(seeded: Any) -> None:
    browser = OrderBrowser(seeded, online=False, scheduler=ImmediateScheduler())
    assert "gn-order-table" in browser.table._dom_classes
    assert "gn-order-browser" in browser._dom_classes
