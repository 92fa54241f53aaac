"""TaskingPlanner says what the server says: failed orders, verdicts, totals, minimums, words.

Issue 11: "Placed" for an order the server FAILED; a bold "Total: 0 credits" above an
oversize AOI; 1.58 km² billed as 25 km² without a word; raw messages shown twice; a window
in the past listing passes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from geopera_nb import errors
from geopera_nb.contract.timestamps import parse_instant
from geopera_nb.widgets import ImmediateScheduler, TaskingPlanner
from geopera_nb.widgets.testing import DrawFrontend

from .helpers import Spy, square

CANBERRA = square(149.0, -35.4, 0.1)  # ~101 km²
TINY = square(149.0, -35.4, 0.012)  # ~1.45 km², under Owl's 25 km² minimum
OVERSIZE = square(140.0, -30.0, 1.0)  # ~11,000 km², over Owl's 2,000 km²


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def make(spy: Any, sensor: str = "geo-owl-30") -> tuple[TaskingPlanner, DrawFrontend]:
    planner = TaskingPlanner(spy, online=False, scheduler=ImmediateScheduler())
    planner.sensor.value = sensor
    return planner, DrawFrontend(planner.drawer.draw_control)


def today(sandbox: Any) -> dt.date:
    return parse_instant(sandbox.now()).date()


def screen(planner: TaskingPlanner) -> str:
    return " ".join(text(x.value) for x in (planner.price, planner.price_table,
                                             planner.feasibility_html, planner.passes_html,
                                             planner.error_html))


def test_an_order_the_server_failed_is_shown_failed_with_its_reason(
        spy: Spy, client: Any, sandbox: Any) -> None:
    """Defect 1: Owl needs a 72 h window; 48 h is predicted infeasible and FAILS."""
    planner, browser = make(spy)
    planner.start.value = today(sandbox) + dt.timedelta(days=2)
    planner.end.value = planner.start.value + dt.timedelta(days=2)  # 48 h
    browser.create(CANBERRA)
    reason = "the window of 48 h is shorter than the 72 h Owl 30 cm needs"
    assert "✖ not feasible" in planner.feasibility_html.value
    assert reason in planner.feasibility_html.value  # the sensor by name, not id

    planner.place_button.click()
    dialog = planner.confirm
    # the confirm shows the verdict in red and asks twice: Yes is off until acknowledged
    assert dialog.warned and "not feasible" in dialog.warning.value and reason in dialog.warning.value
    assert "#b00020" in dialog.warning.value
    assert dialog.yes_button.disabled and dialog.yes_button.description == "Place order anyway"
    dialog.yes_button.click()
    assert spy.ops("orders.tasking.place") == []
    dialog.ack.value = True
    dialog.yes_button.click()
    assert len(spy.ops("orders.tasking.place")) == 1

    [order_id] = planner.placed
    assert client.orders.get(order_id=order_id)["status"] == "FAILED"
    assert planner.placed_orders[0]["status"] == "FAILED"
    shown = text(planner.place_result.value)
    assert f"Failed: {reason}" in shown, shown
    assert 'data-status="FAILED"' in planner.place_result.value
    assert "Placed:" not in shown and "Placed " not in shown


def test_a_feasible_order_confirms_without_a_warning(spy: Spy) -> None:
    planner, browser = make(spy)
    browser.create(CANBERRA)
    planner.place_button.click()
    assert not planner.confirm.warned and not planner.confirm.yes_button.disabled
    assert "Feasibility: ✔ feasible" in planner.confirm.message.value


def test_an_oversize_aoi_never_reads_total_0(spy: Spy) -> None:
    planner, browser = make(spy)
    browser.create(OVERSIZE)
    price = text(planner.price.value)
    assert "Total: 0" not in price and "gn-price-total" not in planner.price.value
    assert price.startswith("No price ⚠ 1 AOI cannot be priced: The AOI covers "), price
    assert re.search(r"covers \d{1,2},\d{3}\.\d km²; Owl 30 cm takes at most 2,000 km²", price)
    assert "km2" not in screen(planner)
    # the reason is said once, in the headline; the row says "not priced"
    assert screen(planner).count("takes at most") == 1
    # one good AOI beside it: the total is for 1 of 2 AOIs, and says why the other is out
    browser.create(CANBERRA)
    price = text(planner.price.value)
    credits = planner.estimate["totalCredits"]
    assert price.startswith(f"Total: {credits:,} credits"), price
    assert "for 1 of 2 AOIs · ⚠ 1 AOI cannot be priced: The AOI covers" in price


def test_the_sensor_minimum_is_explained(spy: Spy) -> None:
    planner, browser = make(spy)
    browser.create(TINY)
    group = planner.estimate["groups"][0]
    assert group["areaKm2"] < 25 and group["billableKm2"] == 25
    assert "billed as 25 km², the Owl 30 cm minimum" in planner.price_table.value
    assert "smaller AOIs are billed as 25 km²" in planner.sensor_info.value
    browser.edit(0, CANBERRA)
    assert "billed as" not in planner.price_table.value


def test_a_window_problem_is_said_once_in_words(spy: Spy, sandbox: Any) -> None:
    planner, browser = make(spy)
    browser.create(CANBERRA)
    browser.create(square(150.0, -35.4, 0.1))
    planner.start.value = today(sandbox) + dt.timedelta(days=10)
    planner.end.value = today(sandbox) + dt.timedelta(days=5)
    shown = screen(planner)
    assert "2 AOIs cannot be priced: End date: must be after the start" in shown
    assert shown.count("must be after") == 1, shown  # not once per row, nor per check
    assert "body." not in shown and "422" not in shown
    assert planner.feasibility is None and planner.opportunities is None


def test_a_window_in_the_past_lists_no_passes(spy: Spy, sandbox: Any) -> None:
    planner, browser = make(spy)
    planner.start.value = today(sandbox) - dt.timedelta(days=30)
    planner.end.value = today(sandbox) - dt.timedelta(days=10)
    browser.create(CANBERRA)
    shown = screen(planner)
    assert "End date: the acquisition window is already over" in shown
    assert shown.count("already over") == 1
    assert "Predicted passes" not in shown
    assert planner.passes_layer.data["features"] == []
    assert spy.ops("orders.tasking.opportunities_list") == []


def test_the_same_error_of_both_checks_is_shown_once(spy: Spy) -> None:
    """Feasibility and passes failing alike (a 422 on params) show one message."""
    problem = {"detail": [{"loc": ["body", "params", "end"], "msg": "end must be after start",
                           "type": "value_error"}]}

    class Failing:
        def __init__(self, target: Any) -> None:
            self._target = target

        def __getattr__(self, name: str) -> Any:
            if name in ("feasibility_check", "opportunities_list"):
                def fail(**_kwargs: Any) -> Any:
                    raise errors.from_problem(problem, f"orders.tasking.{name}", status=422)
                return fail
            return getattr(self._target, name)

    class Client:
        def __init__(self, target: Any) -> None:
            self._target = target
            self.orders = type("Orders", (), {"tasking": Failing(target.orders.tasking)})()

        def __getattr__(self, name: str) -> Any:
            return getattr(self._target, name)

    planner, browser = make(Client(spy))
    browser.create(CANBERRA)
    shown = screen(planner)
    assert shown.count("End date: must be after the start (422)") == 1, shown
    assert "body.params" not in shown
