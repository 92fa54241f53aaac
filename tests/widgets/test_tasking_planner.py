"""TaskingPlanner against the real sandbox, driven like the browser drives it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from geopera_nb.widgets import ImmediateScheduler, TaskingPlanner, ThreadScheduler
from geopera_nb.widgets.testing import DrawFrontend, ManualScheduler

from .helpers import BOWTIE, Spy, square

CANBERRA = square(149.0, -35.4, 0.1)  # ~101 km2


def make(spy: Spy, scheduler: Any = None, **kwargs: Any) -> tuple[TaskingPlanner, DrawFrontend]:
    planner = TaskingPlanner(
        spy, online=False, scheduler=scheduler or ImmediateScheduler(), **kwargs
    )
    planner.sensor.value = "geo-owl-30"
    return planner, DrawFrontend(planner.drawer.draw_control)


def group_for(geometry: dict[str, Any], **params: Any) -> dict[str, Any]:
    body = {
        "sensor": "geo-owl-30",
        "maxCloudCoverage": 20,
        "maxOffNadir": 25.0,
        "priority": "standard",
        **params,
        "featureCollection": {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": geometry}],
        },
    }
    return body


def test_catalogue_is_loaded_into_the_pickers(spy: Spy) -> None:
    planner, _ = make(spy)
    assert "geo-owl-30" in [value for _, value in planner.sensor.options]
    assert planner.template.options[0] == ("—", None)
    assert "credits/km²" in planner.sensor_info.value
    assert planner.nadir.max == 30.0  # the sensor's maxOffNadirDeg


def test_price_appears_when_a_polygon_is_drawn_and_equals_the_api(spy: Spy, client: Any) -> None:
    planner, browser = make(spy)
    assert "Draw a valid AOI" in planner.price.value
    browser.create(CANBERRA)
    expected = client.orders.tasking.estimate(groups=[group_for(CANBERRA)])
    assert planner.estimate is not None
    assert planner.estimate["totalCredits"] == expected["totalCredits"]
    assert f'data-credits="{expected["totalCredits"]}"' in planner.price.value
    assert f"{expected['totalCredits']:,} credits" in planner.price.value
    assert "gn-price" in planner.price._dom_classes
    assert planner.price_table.value.count("gn-shape-price") == 1
    # feasibility per feature and predicted passes came with it
    assert planner.feasibility["features"][0]["index"] == 0
    assert "feasible" in planner.feasibility_html.value
    assert planner.opportunities["type"] == "FeatureCollection"
    assert planner.passes_layer.name == "Predicted passes"
    assert len(planner.passes_layer.data["features"]) == len(planner.opportunities["features"])
    assert "Predicted passes" in planner.passes_html.value


def test_edit_changes_the_price_delete_empties_everything(spy: Spy) -> None:
    planner, browser = make(spy)
    browser.create(CANBERRA)
    first = planner.estimate["totalCredits"]
    browser.edit(0, square(149.0, -35.4, 0.2))
    assert planner.estimate["totalCredits"] > 3 * first
    browser.create(square(150.0, -35.4, 0.1))
    assert len(planner.estimate["groups"]) == 2
    assert planner.price_table.value.count("gn-shape-price") == 2
    browser.delete(0)
    browser.delete(0)
    assert planner.drawer.aois.empty
    assert planner.estimate is None
    assert "Draw a valid AOI" in planner.price.value


def test_parameters_change_the_price(spy: Spy) -> None:
    planner, browser = make(spy)
    browser.create(CANBERRA)
    standard = planner.estimate["totalCredits"]
    planner.priority.value = "rush"
    assert planner.estimate["totalCredits"] == pytest.approx(2 * standard, abs=2)
    assert spy.ops("orders.tasking.estimate")[-1]["groups"][0]["priority"] == "rush"


def test_invalid_shapes_are_not_sent_and_show_their_reason(spy: Spy) -> None:
    planner, browser = make(spy)
    browser.create(BOWTIE)
    assert spy.ops("orders.tasking.estimate") == []
    assert "the outline crosses itself near 10.05° E, 10.05° N" in planner.price_table.value
    assert "Self-intersection[" not in planner.price_table.value
    assert "1 AOI drawn, none valid" in planner.price.value
    browser.create(CANBERRA)
    assert len(spy.ops("orders.tasking.estimate")[-1]["groups"]) == 1


def test_server_side_group_errors_are_shown_inline(spy: Spy) -> None:
    planner, browser = make(spy)
    browser.create(square(140.0, -30.0, 1.0))  # ~11,000 km2 > maxKm2 2000 of geo-owl-30
    assert planner.estimate["errors"]
    assert "⚠" in planner.price_table.value
    planner.start.value = dt.date(2026, 12, 10)
    planner.end.value = dt.date(2026, 12, 5)  # end before start
    assert "⚠" in planner.price_table.value or "⚠" in planner.price.value


def test_debounce_prices_a_new_shape_at_once_and_a_burst_of_edits_once(spy: Spy) -> None:
    clock = ManualScheduler()
    planner, browser = make(spy, scheduler=clock, debounce=0.15)
    clock.advance(1.0)  # quiet
    before = len(spy.ops("orders.tasking.estimate"))
    browser.create(CANBERRA)  # after a quiet period: priced without waiting
    assert len(spy.ops("orders.tasking.estimate")) == before + 1
    assert planner.estimate is not None
    clock.advance(0.05)
    browser.edit(0, square(149.0, -35.4, 0.12))
    clock.advance(0.05)
    browser.edit(0, square(149.0, -35.4, 0.15))
    assert len(spy.ops("orders.tasking.estimate")) == before + 1
    clock.advance(0.15)
    sent = spy.ops("orders.tasking.estimate")[before + 1 :]
    assert len(sent) == 1  # the burst of edits: one request, with the final shape
    assert sent[0]["groups"][0]["featureCollection"]["features"][0]["geometry"]["coordinates"][0][
        1
    ][0] == pytest.approx(149.15)


def test_a_slow_stale_answer_is_dropped(spy: Spy) -> None:
    """Request 1 stalls on the server; request 2 answers first; 1 must not overwrite 2."""
    planner, browser = make(spy, scheduler=ThreadScheduler(), debounce=0.0)
    assert planner.wait_idle(10)
    release = spy.stall("orders.tasking.estimate")
    browser.create(CANBERRA)  # request 1: stalled
    deadline = dt.datetime.now() + dt.timedelta(seconds=10)
    while not spy.ops("orders.tasking.estimate") and dt.datetime.now() < deadline:
        planner.wait_idle(0.02)
    assert spy.ops("orders.tasking.estimate"), "request 1 never sent"
    browser.edit(0, square(149.0, -35.4, 0.2))  # request 2: answers
    deadline = dt.datetime.now() + dt.timedelta(seconds=10)
    while (planner.estimate is None) and dt.datetime.now() < deadline:
        planner.wait_idle(0.05)
    big = planner.estimate["totalCredits"]
    release.set()
    assert planner.wait_idle(10)
    assert planner.estimate["totalCredits"] == big  # the late small answer was dropped
    assert planner.stale_dropped >= 1


def test_template_apply_and_save(spy: Spy, client: Any) -> None:
    client.orders.tasking.templates.save(
        name="kite cloudy",
        resolution="0.5 m",
        sensor="geo-kite-50",
        capture_frequency="once",
        datum="WGS84",
        file_format="GeoTIFF",
        max_cloud_coverage=40,
        max_nadir_angle=15,
    )
    planner, _browser = make(spy)
    tpl_id = next(value for label, value in planner.template.options if label == "kite cloudy")
    planner.template.value = tpl_id
    assert (planner.sensor.value, planner.cloud.value, planner.nadir.value) == (
        "geo-kite-50",
        40,
        15.0,
    )
    planner.template_name.value = "mine"
    planner.cloud.value = 33
    planner.save_button.click()
    saved = [t for t in client.orders.tasking.templates.list()["templates"] if t["name"] == "mine"]
    assert saved and saved[0]["max_cloud_coverage"] == 33 and saved[0]["sensor"] == "geo-kite-50"
    assert planner.template.label == "mine"
    planner.template_name.value = ""
    planner.save_button.click()
    assert "name" in planner.error


def test_place_order_confirms_credits_and_orders_once_on_double_click(
    spy: Spy, client: Any
) -> None:
    planner, browser = make(spy, display_name="Farm A", tags=["demo"])
    browser.create(CANBERRA)
    credits = planner.estimate["totalCredits"]
    planner.place_button.click()
    assert planner.confirm.is_open
    assert f"{credits:,} credits" in planner.confirm.message.value
    key = planner.last_idempotency_key
    planner.confirm.yes_button.click()
    planner.confirm.yes_button.click()  # double click
    assert len(spy.ops("orders.tasking.place")) == 1
    assert len(planner.placed) == 1
    orders = client.orders.list(size=50)["content"]
    assert [o["id"] for o in orders] == planner.placed
    assert orders[0]["tags"] == ["demo"] and orders[0]["credits"]["estimated"] == credits
    assert planner.placed[0] in planner.place_result.value
    # the result is the server's word on the order, read back with orders.get
    assert spy.ops("orders.get")[-1] == {"order_id": planner.placed[0]}
    assert planner.placed_orders[0]["status"] == orders[0]["status"] == "PLACED"
    assert "Placed: the quotation is being prepared" in planner.place_result.value
    assert 'data-status="PLACED"' in planner.place_result.value
    # the same key sent again (a retried click) cannot order twice either
    again = spy.orders.tasking.place(
        groups=planner.groups(), displayName="Farm A", idempotency_key=key
    )
    assert [r["id"] for r in again["results"]] == planner.placed
    assert client.orders.list(size=50)["totalElements"] == 1


def test_cancel_in_the_confirm_step_places_nothing(spy: Spy) -> None:
    planner, browser = make(spy)
    browser.create(CANBERRA)
    planner.place_button.click()
    planner.confirm.no_button.click()
    assert spy.ops("orders.tasking.place") == []
    planner.drawer.clear()
    planner.place_button.click()
    assert "valid AOI" in planner.error and not planner.confirm.is_open


def test_widget_tree_has_the_browser_hooks(spy: Spy) -> None:
    planner, _ = make(spy)
    for widget, css in [
        (planner, "gn-tasking-planner"),
        (planner.price, "gn-price"),
        (planner.place_button, "gn-place-order"),
        (planner.sensor, "gn-sensor"),
        (planner.confirm, "gn-confirm"),
        (planner.drawer.map, "gn-map"),
    ]:
        assert css in widget._dom_classes


def test_controls_are_laid_out_uncut(spy: Spy) -> None:
    """'Priority' sits beside its buttons; buttons and pickers are as wide as their text."""
    planner, _ = make(spy)
    assert planner.priority.description == ""  # ToggleButtons wraps its own label above
    row = next(box for box in planner.form.box.children
               if planner.priority in getattr(box, "children", ()))
    assert ">Priority<" in row.children[0].value
    assert planner.save_button.layout.width == "auto"  # never "Save as tem…"
    assert planner.sensor.layout.width == "100%"  # "Owl 30 cm (geo-owl-30)" fits
    assert "km2" not in planner.sensor_info.value and "km²" in planner.sensor_info.value
