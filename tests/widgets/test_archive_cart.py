"""ArchiveCart: catalogue search, AOI-clipped price per capture, placement once."""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import box, shape

from geopera_nb.widgets import AOIDrawer, ArchiveCart, ImmediateScheduler
from geopera_nb.widgets.testing import DrawFrontend, ManualScheduler

from .helpers import Spy


@pytest.fixture
def catalog(client: Any) -> list[dict[str, Any]]:
    return list(client.catalog.search(host_name="geopera", limit=20)["features"])


def inner_box(feature: dict[str, Any]) -> dict[str, Any]:
    """A box in the middle of a capture's footprint (a quarter of its bbox)."""
    minx, miny, maxx, maxy = shape(feature["geometry"]).bounds
    dx, dy = (maxx - minx) / 4, (maxy - miny) / 4
    return box(minx + dx, miny + dy, maxx - dx, maxy - dy).__geo_interface__


def test_cart_price_equals_the_archive_estimate(
    spy: Spy, client: Any, catalog: list[dict[str, Any]]
) -> None:
    drawer = AOIDrawer(online=False)
    cart = ArchiveCart(spy, drawer=drawer, scheduler=ImmediateScheduler())
    target = catalog[0]
    DrawFrontend(drawer.draw_control).create(inner_box(target))
    cart.search()
    sent = spy.ops("catalog.search")[-1]
    assert sent["intersects"]["type"] == "Polygon" and sent["host_name"] == "geopera"
    ids = [c["id"] for c in cart.captures]
    assert target["id"] in ids
    assert len(cart.capture_list.options) == len(cart.captures)
    assert len(cart.footprints.data["features"]) == len(cart.captures)

    cart.capture_list.value = (target["id"],)  # the user picks it in the list
    assert cart.cart == [target["id"]]
    expected = client.orders.archive.estimate(captures=cart.line_items(), splitByDate=True)
    assert cart.estimate["total_credits"] == expected["total_credits"] > 0
    assert f'data-credits="{expected["total_credits"]}"' in cart.price.value
    clipped = expected["groups"][0]["captures"][0]
    assert clipped["areaKm2"] < shape(target["geometry"]).area * 12_000  # clipped, not whole
    assert cart.table.value.count("gn-capture-price") == 1
    assert len(cart.cart_layer.data["features"]) == 1
    # editing the AOI re-prices
    before = cart.estimate["total_credits"]
    drawer.clear()
    assert cart.estimate["total_credits"] >= before  # no AOI: the whole footprint


def test_split_by_date_groups_and_place_once(
    spy: Spy, client: Any, catalog: list[dict[str, Any]]
) -> None:
    cart = ArchiveCart(spy, online=False, scheduler=ImmediateScheduler())
    cart.set_captures({"type": "FeatureCollection", "features": catalog})
    dates: dict[str, str] = {}
    for feature in catalog:
        dates.setdefault(feature["properties"]["datetime"][:10], feature["id"])
    picked = list(dates.values())[:2]
    assert len(picked) == 2, "the catalogue sample has two acquisition dates"
    cart.cart = picked
    assert tuple(cart.capture_list.value) == tuple(picked)
    assert len(cart.estimate["groups"]) == 2
    credits = cart.estimate["total_credits"]
    cart.order_name.value = "cart"
    cart.place_button.click()
    assert f"{credits:,} credits" in cart.confirm.message.value
    cart.confirm.yes_button.click()
    cart.confirm.yes_button.click()
    assert len(spy.ops("orders.archive.place")) == 1
    assert spy.ops("orders.archive.place")[0]["idempotency_key"] == cart.last_idempotency_key
    orders = client.orders.list(type="ARCHIVE", size=50)["content"]
    assert sorted(o["id"] for o in orders) == sorted(cart.placed)
    assert len(cart.placed) == 2
    assert sum(o["credits"]["reserved"] for o in orders) == credits
    # the result is each order as the server answers orders.get, in words, with its money
    assert sorted(o["id"] for o in cart.placed_orders) == sorted(cart.placed)
    assert {o["status"] for o in cart.placed_orders} == {"PLACED"}
    shown = cart.place_result.value
    assert shown.count('data-status="PLACED"') == 2 and "Sent 2 orders; the server says" in shown
    for order in orders:
        assert f"{order['credits']['reserved']:,} credits reserved" in shown


def test_capture_outside_the_aoi_is_an_inline_error(
    spy: Spy, catalog: list[dict[str, Any]]
) -> None:
    far = catalog[0]
    minx, miny, _, _ = shape(far["geometry"]).bounds
    cart = ArchiveCart(
        spy,
        aoi=box(minx - 5, miny - 5, minx - 4.9, miny - 4.9),
        online=False,
        scheduler=ImmediateScheduler(),
    )
    cart.set_captures([far])
    cart.cart = [far["id"]]
    assert cart.estimate["errors"] and "⚠" in cart.table.value
    # the headline never reads 0 credits: it says the capture cannot be priced, and why
    assert "gn-price-total" not in cart.price.value and "0 credits" not in cart.price.value
    assert "No price" in cart.price.value and "1 capture cannot be priced: " in cart.price.value
    cart.place_button.click()
    assert "Cannot place" in cart.confirm.message.value and cart.confirm.yes_button.disabled


def test_debounced_and_stale_dropped(spy: Spy, catalog: list[dict[str, Any]]) -> None:
    clock = ManualScheduler(defer_jobs=True)
    cart = ArchiveCart(spy, online=False, scheduler=clock)
    cart.set_captures(catalog)
    clock.advance(1.0)
    cart.cart = [catalog[0]["id"]]  # request 1, at once
    clock.advance(0.05)
    cart.cart = [catalog[0]["id"], catalog[1]["id"]]
    clock.advance(0.05)
    cart.cart = [catalog[1]["id"]]
    clock.advance(0.15)  # request 2 (the last cart) when the changes stop
    assert len(clock.jobs) == 2  # two requests in flight
    clock.run_jobs(order=[1, 0])  # the newest answer first, the older one arrives late
    assert len(spy.ops("orders.archive.estimate")) == 2
    assert [c["id"] for c in cart.estimate["groups"][0]["captures"]] == [catalog[1]["id"]]
    assert cart.stale_dropped == 1


def test_empty_cart(spy: Spy) -> None:
    cart = ArchiveCart(spy, online=False, scheduler=ImmediateScheduler())
    cart.place_button.click()
    assert "empty" in cart.error
    assert (
        "gn-archive-cart" in cart._dom_classes and "gn-place-cart" in cart.place_button._dom_classes
    )


def test_one_drawer_feeds_a_planner_and_a_cart(client: Any, catalog: list[dict[str, Any]]) -> None:
    from geopera_nb.widgets import TaskingPlanner

    drawer = AOIDrawer(online=False)
    planner = TaskingPlanner(client, drawer=drawer, scheduler=ImmediateScheduler())
    cart = ArchiveCart(client, drawer=drawer, scheduler=ImmediateScheduler())
    assert planner.map is cart.map is drawer.map
    cart.set_captures(catalog[:1])
    cart.cart = [catalog[0]["id"]]
    DrawFrontend(drawer.draw_control).create(inner_box(catalog[0]))
    assert planner.sensor.value == "geo-owl-30"  # the first sensor by default
    assert planner.estimate is not None, planner.price.value + planner.error
    clipped = cart.estimate["groups"][0]["captures"][0]["areaKm2"]
    assert clipped == pytest.approx(float(drawer.aois.area_km2.iloc[0]), rel=0.01)


def test_map_zooms_to_the_captures_and_the_aoi(client: Any, catalog: list[dict[str, Any]]) -> None:
    cart = ArchiveCart(client, online=False, scheduler=ImmediateScheduler())
    assert list(cart.map.center) == [0.0, 0.0] and cart.map.zoom == 2
    picked = catalog[:1]  # one footprint: a few tens of km across
    cart.set_captures({"type": "FeatureCollection", "features": picked})
    minx = min(shape(f["geometry"]).bounds[0] for f in picked)
    miny = min(shape(f["geometry"]).bounds[1] for f in picked)
    maxx = max(shape(f["geometry"]).bounds[2] for f in picked)
    maxy = max(shape(f["geometry"]).bounds[3] for f in picked)
    lat, lon = cart.map.center
    assert lat == pytest.approx((miny + maxy) / 2) and lon == pytest.approx((minx + maxx) / 2)
    assert cart.map.zoom > 2

    # a fixed AOI: the map starts on it
    aoi = box(176.0, -37.05, 176.2, -36.9)
    fixed = ArchiveCart(client, aoi=aoi, online=False, scheduler=ImmediateScheduler())
    lat, lon = fixed.map.center
    assert lat == pytest.approx(-36.975) and lon == pytest.approx(176.1)
    assert fixed.map.zoom >= 8
    # no geometry anywhere: the view is left alone
    empty = ArchiveCart(client, online=False, scheduler=ImmediateScheduler())
    empty.set_captures([{"type": "Feature", "id": "x", "geometry": None, "properties": {}}])
    assert list(empty.map.center) == [0.0, 0.0]


def test_the_capture_minimum_is_explained(spy: Spy, catalog: list[dict[str, Any]]) -> None:
    target = catalog[0]
    minimum = target["properties"]["price"]["minKm2"]
    centre = shape(target["geometry"]).representative_point()
    tiny = box(centre.x - 0.004, centre.y - 0.004, centre.x + 0.004, centre.y + 0.004)
    cart = ArchiveCart(spy, aoi=tiny, online=False, scheduler=ImmediateScheduler())
    cart.set_captures([target])
    cart.cart = [target["id"]]
    line = cart.estimate["groups"][0]["captures"][0]
    assert line["areaKm2"] < minimum == line["billableKm2"]
    assert f"billed as {minimum:g} km², the capture minimum" in cart.table.value
