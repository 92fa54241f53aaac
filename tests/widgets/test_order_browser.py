"""OrderBrowser: a real table paged by the server, filters, sort, counts, map selection."""

from __future__ import annotations

import re
from typing import Any

import pytest

from geopera_nb.contract.limits import PAGE_SIZE_MAX, PLACEMENT_GROUPS_MAX
from geopera_nb.widgets import ImmediateScheduler, OrderBrowser
from geopera_nb.widgets.testing import ManualScheduler, send_custom

from .helpers import square

LONG_NAME = "Hunter Valley vintage survey, northern blocks and the river flats"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def group(i: int, sensor: str = "geo-owl-30") -> dict[str, Any]:
    return {
        "sensor": sensor,
        "maxCloudCoverage": 20,
        "featureCollection": {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {},
                          "geometry": square(100.0 + (i % 100) * 0.1, -30.0 + (i // 100) * 0.1,
                                             0.05)}],
        },
    }


@pytest.fixture
def seeded(client: Any) -> Any:
    """7 tasking orders (3 tagged 'farm', 2 at the condor sensor), all PLACED."""
    for i in range(7):
        client.orders.tasking.place(
            groups=[{**group(i, "geo-condor-40" if i < 2 else "geo-owl-30"),
                     "featureCollection": {"type": "FeatureCollection", "features": [
                         {"type": "Feature", "properties": {},
                          "geometry": square(140.0 + i, -30.0, 0.1)}]}}],
            displayName=LONG_NAME if i == 6 else f"order {i}",
            tags=["farm"] if i % 2 == 0 and i < 6 else ["city"],
        )
    return client


@pytest.fixture(scope="module")
def thousand(own_sandbox: Any) -> Any:
    """An org with 1,000 tasking orders (placed as many groups at a time as allowed)."""
    client = own_sandbox.client(own_sandbox.create_org(name="1000", credits=10**12))
    for start in range(0, 1000, PLACEMENT_GROUPS_MAX):
        answer = client.orders.tasking.place(
            groups=[group(i) for i in range(start, start + PLACEMENT_GROUPS_MAX)],
            displayName="bulk", tags=["bulk"])
        assert len(answer["results"]) == PLACEMENT_GROUPS_MAX
    return client


def rows(browser: OrderBrowser) -> int:
    return browser.table.value.count('class="gn-order-row')


def test_a_fresh_browser_counts_from_total_elements(thousand: Any) -> None:
    """Defect 3: with 1,000 orders a fresh browser said "50 of 50 order(s)"."""
    browser = OrderBrowser(thousand, online=False, scheduler=ImmediateScheduler())
    assert text(browser.count.value) == "50 of 1,000 orders"
    assert browser.total == 1000 and rows(browser) == 50 and not browser.more_button.disabled
    assert browser.more_button.description == "Load 50 more"
    browser.more_button.click()
    assert text(browser.count.value) == "100 of 1,000 orders" and rows(browser) == 100


def test_the_count_holds_whatever_order_answers_arrive_in(thousand: Any) -> None:
    """The old browser read the page and the count in two racing calls."""
    clock = ManualScheduler(defer_jobs=True)
    browser = OrderBrowser(thousand, online=False, scheduler=clock)
    assert text(browser.count.value) == "loading orders…" and browser.more_button.disabled
    clock.run_jobs(order=list(reversed(range(len(clock.jobs)))))  # the page first
    assert text(browser.count.value) == "50 of 1,000 orders"


def test_pages_through_all_orders_up_to_the_page_size_limit(thousand: Any) -> None:
    browser = OrderBrowser(thousand, online=False, scheduler=ImmediateScheduler(),
                           page_size=PAGE_SIZE_MAX)
    browser.more_button.click()
    browser.more_button.click()  # nothing left: a no-op
    assert len(browser.records) == 1000 and browser.exhausted
    assert len({o["id"] for o in browser.records}) == 1000
    assert text(browser.count.value) == "1,000 orders" and browser.more_button.disabled
    with pytest.raises(ValueError, match="page_size must be a whole number from 1 to 500"):
        OrderBrowser(thousand, online=False, page_size=PAGE_SIZE_MAX + 1, auto_load=False)


def test_pages_through_all_orders(seeded: Any) -> None:
    browser = OrderBrowser(seeded, online=False, scheduler=ImmediateScheduler(), page_size=3)
    assert len(browser.records) == 3 and browser.total == 7
    assert text(browser.count.value) == "3 of 7 orders"
    browser.more_button.click()
    browser.more_button.click()
    assert len(browser.records) == 7 and browser.exhausted and browser.more_button.disabled
    assert len({o["id"] for o in browser.records}) == 7
    assert rows(browser) == 7 and len(browser.picker.options) == 8  # "—" + 7
    assert len(browser.all_layer.data["features"]) == 7
    frame = browser.frame()
    assert len(frame) == 7 and frame.crs.to_epsg() == 4326


def test_the_table_has_headers_aligned_numbers_and_whole_names(seeded: Any) -> None:
    browser = OrderBrowser(seeded, online=False, scheduler=ImmediateScheduler())
    table = browser.table.value
    headers = re.findall(r"<th(?: class=\"gn-num\")?>(.*?)</th>", table)
    assert headers == ["Name", "Type", "Status", "AOI km²", "Est. credits", "Created ▼",
                       "Updated", "Tags"]
    assert LONG_NAME in table  # never cut
    first = browser.records[0]
    assert f"{first['credits']['estimated']:,}" in table
    assert "text-align:right" in table and "font-variant-numeric:tabular-nums" in table
    assert "Placed: the quotation is being prepared" in table  # the state in words
    assert "<pre" not in table and "gn-order-rows" in table


def test_sorting_uses_the_server_sort_keys(seeded: Any) -> None:
    browser = OrderBrowser(seeded, online=False, scheduler=ImmediateScheduler(), page_size=3)
    browser.sort.value = "displayName,asc"
    names = [o["displayName"] for o in browser.records]
    assert names == sorted(o["displayName"] for o in seeded.orders.list(size=50)["content"])[:3]
    assert "Name ▲" in browser.table.value and text(browser.count.value) == "3 of 7 orders"
    browser.sort.value = "createdAt,asc"
    assert browser.records[0]["displayName"] == "order 0"


def test_filters_and_the_empty_state(seeded: Any) -> None:
    browser = OrderBrowser(seeded, online=False, scheduler=ImmediateScheduler(), page_size=50)
    browser.tags.value = "farm"  # sent when the user presses Enter (continuous_update=False)
    assert {tuple(o["tags"]) for o in browser.records} == {("farm",)} and browser.total == 3
    assert text(browser.count.value) == "3 orders"
    browser.tags.value = "no-such-tag"
    assert browser.records == [] and browser.total == 0
    assert "gn-order-empty" in browser.count.value
    assert text(browser.count.value) == "No orders match these filters."
    assert browser.more_button.disabled and rows(browser) == 0
    browser.tags.value = ""
    browser.type.value = "ARCHIVE"
    assert browser.records == [] and browser.more_button.disabled
    browser.type.value = "TASKING"
    browser.status.value = "PLACED"
    assert len(browser.records) == 7 and not browser.error
    assert browser.filters() == {"status": "PLACED", "type": "TASKING"}


def test_an_org_without_orders(client: Any) -> None:
    browser = OrderBrowser(client, online=False, scheduler=ImmediateScheduler())
    assert text(browser.count.value) == "No orders yet." and browser.more_button.disabled


def test_selecting_an_order_zooms_to_its_aoi(seeded: Any) -> None:
    browser = OrderBrowser(seeded, online=False, scheduler=ImmediateScheduler())
    order = browser.records[2]
    browser.picker.value = order["id"]  # the browser's <select> change
    assert browser.selected == order["id"]
    assert browser.map.center[0] == pytest.approx(-29.95, abs=0.01)
    assert browser.map.center[1] == pytest.approx(order_center_lon(order), abs=0.01)
    assert browser.map.zoom >= 10
    assert browser.selected_layer.data["properties"]["id"] == order["id"]
    assert order["id"] in browser.details.value
    assert f'gn-order-row gn-order-selected" data-order-id="{order["id"]}"' in browser.table.value
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
    assert browser.selected == other["id"] and browser.picker.value == other["id"]


def order_center_lon(order: dict[str, Any]) -> float:
    xs = [x for x, _ in order["geometry"]["coordinates"][0]]
    return (min(xs) + max(xs)) / 2


def test_css_hooks(seeded: Any) -> None:
    browser = OrderBrowser(seeded, online=False, scheduler=ImmediateScheduler())
    for widget, css in [(browser.table, "gn-order-table"), (browser, "gn-order-browser"),
                        (browser.count, "gn-order-count"), (browser.sort, "gn-order-sort"),
                        (browser.picker, "gn-order-pick"), (browser.more_button, "gn-load-more")]:
        assert css in widget._dom_classes
