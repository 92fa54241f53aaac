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
    # the order's AOI is on the map
    assert inbox.aoi_layer.data["features"][0]["properties"]["decision"] == inbox.pending[0]["id"]

    buttons[0].click()
    assert inbox.confirm.is_open
    assert f"{options[0]['credits']:,} credits" in inbox.confirm.message.value
    inbox.confirm.yes_button.click()
    assert inbox.error == ""
    study = org_client.orders.tasking.feasibility_studies.list(orderId=order_id)["content"][0]
    assert study["decision"] == "ACCEPTED" and study["acceptedOptionId"] == options[0]["id"]
    assert inbox.pending == [] and inbox.items.children == ()
    assert inbox.decided[-1]["id"] == study["id"]


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
    assert inbox.error.startswith("feasibility decision: 409")
    assert "409" in inbox.error_html.value
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
    reject = next(
        b
        for b in inbox.items.children[0].children[1].children
        if "gn-reject-quotation" in b._dom_classes
    )
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
    assert "402" in inbox.error
    assert len(inbox.pending) == 1  # still pending: nothing was decided


def test_expired_quotation_shows_410(own_sandbox: Any, org_client: Any) -> None:
    place(org_client, sensor="geo-owl-30", name="Late")
    own_sandbox.advance(hours=1)
    inbox = inbox_for(org_client)
    own_sandbox.advance(hours=73)
    row = next(r for r in inbox.items.children if "Late" in r.children[0].value)
    next(b for b in row.children[1].children if "gn-accept-quotation" in b._dom_classes).click()
    inbox.confirm.yes_button.click()
    assert "410" in inbox.error


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
