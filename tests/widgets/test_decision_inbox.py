"""DecisionInbox: accept options and quotations by clicking, errors shown, list refreshed."""

from __future__ import annotations

from typing import Any

import pytest

from geopera_nb.widgets import DecisionInbox, ImmediateScheduler

from .helpers import Spy, square


def place(client: Any, sensor: str = "geo-condor-40", name: str = "Study me") -> str:
    group = {
        "sensor": sensor,
        "maxCloudCoverage": 20,
        "featureCollection": {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {}, "geometry": square(149.0, -35.4, 0.1)}
            ],
        },
    }
    return str(client.orders.tasking.place(groups=[group], displayName=name)["results"][0]["id"])


@pytest.fixture
def org_client(own_sandbox: Any) -> Any:
    return own_sandbox.client(own_sandbox.create_org(name="inbox", credits=1_000_000))


def inbox_for(client: Any) -> DecisionInbox:
    return DecisionInbox(Spy(client), online=False, scheduler=ImmediateScheduler())


def test_study_options_are_listed_and_accepted_by_click(own_sandbox: Any, org_client: Any) -> None:
    order_id = place(org_client)
    own_sandbox.advance(hours=1)
    inbox = inbox_for(org_client)
    assert len(inbox.pending) == 1 and inbox.pending[0]["kind"] == "feasibility"
    [row] = inbox.items.children
    assert "gn-decision" in row._dom_classes and "gn-decision-feasibility" in row._dom_classes
    buttons = [b for b in row.children[2].children if "gn-accept-option" in b._dom_classes]
    options = inbox.pending[0]["options"]
    assert len(buttons) == len(options) >= 2
    assert "gn-options" in row.children[1].value
    assert "Condor 40 cm" in row.children[0].value  # the sensor by name
    # the order's AOI is on the map
    assert inbox.aoi_layer.data["features"][0]["properties"]["decision"] == inbox.pending[0]["id"]

    buttons[0].click()
    assert inbox.confirm.is_open
    assert f"{options[0]['credits']:,} credits" in inbox.confirm.message.value
    inbox.confirm.yes_button.click()
    assert inbox.error == ""
    study = org_client.orders.tasking.feasibility_studies.list(orderId=order_id)["content"][0]
    assert study["decision"] == "ACCEPTED" and study["acceptedOptionId"] == options[0]["id"]
    assert inbox.pending == []
    assert inbox.decided[-1]["id"] == study["id"]
    # where the row was, the order's state as the server answers it (orders.get)
    order = org_client.orders.get(order_id=order_id)
    assert inbox.decided[-1]["order"]["subStatus"] == order["subStatus"]
    [note] = inbox.items.children
    assert "gn-decision-result" in note._dom_classes
    assert "Placed: the quotation is being prepared" in note.value
    assert f"{options[0]['credits']:,} credits reserved" in note.value


def test_already_decided_shows_409_and_refreshes(own_sandbox: Any, org_client: Any) -> None:
    place(org_client)
    own_sandbox.advance(hours=1)
    inbox = inbox_for(org_client)
    study, option = inbox.pending[0], inbox.pending[0]["options"][0]
    org_client.orders.tasking.feasibility_decide(
        study_id=study["id"], acceptedOptionId=option["id"]
    )
    # the inbox still shows the stale row: clicking it must surface the conflict
    button = next(
        b
        for b in inbox.items.children[0].children[2].children
        if "gn-accept-option" in b._dom_classes
    )
    button.click()
    inbox.confirm.yes_button.click()
    assert inbox.error.startswith("Accepting the option: Feasibility study already decided")
    assert inbox.error.endswith("(409)") and "409" in inbox.error_html.value
    assert inbox.pending == []  # refreshed after the error, error kept on screen
    assert inbox.error


def test_quotation_accept_and_reject(own_sandbox: Any, org_client: Any) -> None:
    place(org_client, sensor="geo-owl-30", name="Quote A")
    place(org_client, sensor="geo-owl-30", name="Quote B")
    own_sandbox.advance(hours=1)
    inbox = inbox_for(org_client)
    quotes = [p for p in inbox.pending if p["kind"] == "quotation"]
    assert {q["orderDisplayName"] for q in quotes} == {"Quote A", "Quote B"}
    row = next(r for r in inbox.items.children if "Quote A" in r.children[0].value)
    assert "gn-decision-quotation" in row._dom_classes
    assert "gn-quotation-price" in row.children[0].value
    accept = next(b for b in row.children[1].children if "gn-accept-quotation" in b._dom_classes)
    accept.click()
    assert "reserves" in inbox.confirm.message.value
    inbox.confirm.yes_button.click()
    assert [p["orderDisplayName"] for p in inbox.pending] == ["Quote B"]
    row = next(r for r in inbox.items.children if "gn-decision" in r._dom_classes)
    reject = next(b for b in row.children[1].children if "gn-reject-quotation" in b._dom_classes)
    reject.click()
    inbox.confirm.yes_button.click()
    assert inbox.pending == [] and inbox.error == ""
    decisions = {
        q["orderId"]: q["decision"] for q in org_client.orders.tasking.quotations.list()["content"]
    }
    assert sorted(decisions.values()) == ["ACCEPTED", "REJECTED"]


def test_insufficient_credits_shows_402(own_sandbox: Any) -> None:
    poor = own_sandbox.client(own_sandbox.create_org(name="poor", credits=10))
    place(poor)
    own_sandbox.advance(hours=1)
    inbox = inbox_for(poor)
    inbox.items.children[0].children[2].children[0].click()
    inbox.confirm.yes_button.click()
    assert inbox.error.startswith("Accepting the option: ") and inbox.error.endswith("(402)")
    assert len(inbox.pending) == 1  # still pending: nothing was decided


def test_expired_quotation_shows_410(own_sandbox: Any, org_client: Any) -> None:
    place(org_client, sensor="geo-owl-30", name="Late")
    own_sandbox.advance(hours=1)
    inbox = inbox_for(org_client)
    own_sandbox.advance(hours=73)
    row = next(r for r in inbox.items.children if "Late" in r.children[0].value)
    next(b for b in row.children[1].children if "gn-accept-quotation" in b._dom_classes).click()
    inbox.confirm.yes_button.click()
    assert inbox.error.startswith("Accepting the quotation: ") and inbox.error.endswith("(410)")


def test_refresh_button_and_cancelled_confirm(own_sandbox: Any, org_client: Any) -> None:
    inbox = inbox_for(org_client)
    assert inbox.pending == [] and "0 pending" in inbox.header.value
    place(org_client)
    own_sandbox.advance(hours=1)
    inbox.refresh_button.click()
    assert len(inbox.pending) == 1
    inbox.items.children[0].children[2].children[0].click()
    inbox.confirm.no_button.click()
    assert len(inbox.pending) == 1
    assert "gn-inbox" in inbox._dom_classes


def test_the_confirm_opens_in_the_row_that_asked(own_sandbox: Any, org_client: Any) -> None:
    """Defect 2: with 12 studies, Accept on the last row asked at the top of the inbox."""
    for i in range(12):
        place(org_client, name=f"Study {i:02d}")
    own_sandbox.advance(hours=1)
    inbox = inbox_for(org_client)
    rows = list(inbox.items.children)
    assert len(rows) == 12
    last = rows[-1]
    dialog = last.children[-1]
    sent: list[Any] = []
    dialog.no_button.send = lambda content, buffers=None: sent.append(content)
    next(b for b in last.children[2].children if "gn-accept-option" in b._dom_classes).click()
    assert inbox.confirm is dialog and dialog.is_open  # inside the row, under its buttons
    assert "gn-confirm" in dialog._dom_classes and dialog.layout.display is None
    assert all(r.children[-1].layout.display == "none" for r in rows[:-1])
    assert dialog not in inbox.children
    assert sent == [{"do": "focus"}]  # the browser scrolls the question into view
    # asking in another row closes the first question
    next(b for b in rows[0].children[2].children if "gn-accept-option" in b._dom_classes).click()
    assert not dialog.is_open and inbox.confirm is rows[0].children[-1]
    inbox.confirm.no_button.click()


def test_the_list_follows_the_sandbox_clock(own_sandbox: Any, org_client: Any) -> None:
    """Issue 11: the inbox did not refresh when the sandbox clock moved."""
    inbox = inbox_for(org_client)
    assert inbox.clock_watch is not None and not inbox.clock_watch.running  # tests poll
    assert inbox.pending == []
    place(org_client, name="Clock")
    assert inbox.clock_watch.check() is False  # the clock has not moved: no call
    assert inbox.pending == []
    own_sandbox.advance(hours=1)
    assert inbox.clock_watch.check() is True
    assert [p["orderDisplayName"] for p in inbox.pending] == ["Clock"]
    # while a question is open the list stays put; it refreshes once the question closes
    button = next(b for b in inbox.items.children[0].children[2].children
                  if "gn-accept-option" in b._dom_classes)
    button.click()
    place(org_client, name="Later")
    own_sandbox.advance(hours=1)
    inbox.clock_watch.check()
    assert len(inbox.pending) == 1 and inbox.confirm.is_open
    inbox.confirm.no_button.click()
    assert {p["orderDisplayName"] for p in inbox.pending} == {"Clock", "Later"}


def test_the_clock_watch_runs_on_its_own_timer_and_stops(own_sandbox: Any,
                                                        org_client: Any) -> None:
    import time

    from geopera_nb.widgets import ThreadScheduler

    inbox = DecisionInbox(org_client, online=False, scheduler=ThreadScheduler(),
                          watch_clock=0.05)
    assert inbox.wait_idle(10)  # the watch never holds wait_idle up
    assert inbox.clock_watch is not None and inbox.clock_watch.running
    place(org_client, name="Threaded")
    own_sandbox.advance(hours=1)
    deadline = time.monotonic() + 10
    while not any(p["orderDisplayName"] == "Threaded" for p in inbox.pending):
        assert time.monotonic() < deadline, "the clock move was never noticed"
        time.sleep(0.05)
    assert inbox.clock_watch.duration == 3600.0  # bounded
    inbox.close()
    assert not inbox.clock_watch.running
