"""The tasking path over real HTTP, checking the ledger after every step.

check -> estimate -> place -> study -> accept option -> quotation -> accept ->
deliveries over the advanced clock -> coverage -> STAC assets -> download + checksum.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from sandbox_support import Api, balanced, fc, feature, problem_ok, square, tasking_group, window


def product_of(api: Api, sensor_id: str) -> str:
    sensors = api.ok("orders.tasking.sensors")["sensors"]
    return str(next(s for s in sensors if s["id"] == sensor_id)["dataProductId"])


def test_manual_sensor_full_path(api: Api, sandbox: Any, org: Any) -> None:
    granted = sandbox.ledger(org)["granted"]
    product = product_of(api, "geo-condor-40")
    aoi = fc(feature(square(150.0, -34.0, 0.08), name="North paddock"),
             feature(square(150.2, -34.0, 0.05), name="South paddock"))
    win = window(sandbox, start_days=2, days=20)

    check = api.ok("orders.tasking.feasibility_check",
                   {"dataProduct": product, "featureCollection": aoi, "params": win})
    assert check["studyRequired"] is True
    assert [f["index"] for f in check["features"]] == [0, 1]
    assert sandbox.ledger(org)["reserved"] == 0

    group = {"dataProduct": product, "featureCollection": aoi, **win, "displayName": "Paddocks"}
    est = api.ok("orders.tasking.estimate", {"groups": [group]})
    credits = est["totalCredits"]
    assert est["errors"] == [] and credits == est["groups"][0]["credits"] > 0
    assert sandbox.ledger(org) == {"granted": granted, "balance": granted, "reserved": 0,
                                   "charged": 0}

    placed = api.op("orders.tasking.place", {"groups": [group], "tags": ["farm"]})
    assert placed.status_code == 202
    result = placed.json()["results"][0]
    order_id = result["id"]
    assert result["estimatedCredits"] == credits
    order = api.ok("orders.get", {"order_id": order_id})
    assert (order["status"], order["subStatus"]) == ("PLACED", "FEASIBILITY_WAITING_UPLOAD")
    assert order["type"] == "TASKING" and order["tags"] == ["farm"]
    assert sandbox.ledger(org)["reserved"] == 0

    problem_ok(api.op("orders.coverage.get", {"order_id": order_id}), 409)
    sandbox.advance(hours=1)
    order = api.ok("orders.get", {"order_id": order_id})
    assert order["subStatus"] == "FEASIBILITY_WAITING_RESPONSE"
    studies = api.ok("orders.tasking.feasibility_studies.list", {"orderId": order_id})
    study = studies["content"][0]
    assert study["decision"] == "NOT_DECIDED"
    inbox = api.ok("orders.tasking.decisions.pending", {"kinds": "feasibility"})
    assert [i["id"] for i in inbox["content"]] == [study["id"]]
    assert inbox["content"][0]["kind"] == "feasibility"
    assert inbox["content"][0]["orderDisplayName"] == "Paddocks"
    standard = next(o for o in study["options"] if o["priority"] == "standard")
    assert standard["credits"] == credits  # the option at the order's priority = the estimate

    bad = api.op("orders.tasking.feasibility_decide",
                 {"study_id": study["id"], "acceptedOptionId": "nope"})
    assert bad.status_code == 422
    decided = api.ok("orders.tasking.feasibility_decide",
                     {"study_id": study["id"], "acceptedOptionId": standard["id"]})
    assert decided["decision"] == "ACCEPTED" and decided["acceptedOptionId"] == standard["id"]
    ledger = sandbox.ledger(org)
    assert ledger["reserved"] == credits and balanced(ledger)
    problem_ok(api.op("orders.tasking.feasibility_decide",
                      {"study_id": study["id"], "acceptedOptionId": standard["id"]}), 409)

    sandbox.advance(hours=1)
    quotes = api.ok("orders.tasking.quotations.list", {"orderId": order_id})["content"]
    assert len(quotes) == 1 and quotes[0]["credits"] == credits
    inbox = api.ok("orders.tasking.decisions.pending", {})
    assert [i["kind"] for i in inbox["content"]] == ["quotation"]
    accepted = api.ok("orders.tasking.quotation_decide",
                      {"quotation_id": quotes[0]["id"], "decision": "ACCEPTED"})
    assert accepted["decision"] == "ACCEPTED"
    assert sandbox.ledger(org)["reserved"] == credits  # reserved once, not twice
    problem_ok(api.op("orders.tasking.quotation_decide",
                      {"quotation_id": quotes[0]["id"], "decision": "REJECTED"}), 409)
    assert api.ok("orders.get", {"order_id": order_id})["subStatus"] == "QUOTATION_ACCEPTED"

    fraction = 0.0
    for _ in range(30):
        sandbox.advance(hours=24)
        order = api.ok("orders.get", {"order_id": order_id})
        if order["status"] == "BEING_FULFILLED":
            cov = api.ok("orders.coverage.get", {"order_id": order_id})
            assert cov["coveredFraction"] >= fraction
            fraction = cov["coveredFraction"]
            assert [f["properties"]["part"] for f in cov["features"]] == [
                "requested", "covered", "remainder"]
            problem_ok(api.op("orders.cancel", {"order_id": order_id}), 409)
        if order["status"] == "FULFILLED":
            break
    assert order["status"] == "FULFILLED"
    cov = api.ok("orders.coverage.get", {"order_id": order_id})
    assert cov["orderId"] == order_id and cov["captureCount"] >= 1
    groups = api.ok("orders.coverage.groups.list", {"order_id": order_id})["groups"]
    assert [g["name"] for g in groups] == ["North paddock", "South paddock"]
    ledger = sandbox.ledger(org)
    assert ledger["reserved"] == 0 and balanced(ledger)
    assert ledger["charged"] == order["credits"]["charged"]
    assert order["credits"]["charged"] + order["credits"]["refunded"] == credits

    assets = api.ok("orders.list_assets", {"order_id": order_id})
    assert assets["type"] == "FeatureCollection" and assets["features"]
    item = assets["features"][0]
    assert item["stac_version"] == "1.0.0"
    for asset in item["assets"].values():
        r = httpx.get(asset["href"])
        assert r.status_code == 200
        assert "1220" + hashlib.sha256(r.content).hexdigest() == asset["file:checksum"]
        assert len(r.content) == asset["file:size"]
    tampered = item["assets"]["visual"]["href"].replace("sig=", "sig=x")
    problem_ok(httpx.get(tampered), 403)  # a forged signature (issue 13 item 4)


def test_auto_sensor_goes_straight_to_quotation(api: Api, sandbox: Any, org: Any) -> None:
    group = tasking_group(sandbox)
    check = api.ok("orders.tasking.feasibility_check",
                   {"dataProduct": product_of(api, "geo-owl-30"), "featureCollection": fc(),
                    "params": window(sandbox)})
    assert check["features"][0]["feasible"] is True
    credits = api.ok("orders.tasking.estimate", {"groups": [group]})["totalCredits"]
    order_id = api.ok("orders.tasking.place", {"groups": [group]})["results"][0]["id"]
    assert api.ok("orders.get", {"order_id": order_id})["subStatus"] == "QUOTATION_WAITING_UPLOAD"
    sandbox.advance(hours=1)
    quote = api.ok("orders.tasking.quotations.list", {"orderId": order_id})["content"][0]
    assert quote["credits"] == credits
    api.ok("orders.tasking.quotation_decide", {"quotation_id": quote["id"],
                                               "decision": "ACCEPTED"})
    assert sandbox.ledger(org)["reserved"] == credits


def test_rejecting_the_quotation_cancels_and_refunds(api: Api, sandbox: Any, org: Any) -> None:
    order_id = api.ok("orders.tasking.place",
                      {"groups": [tasking_group(sandbox)]})["results"][0]["id"]
    sandbox.advance(hours=1)
    quote = api.ok("orders.tasking.quotations.list", {"orderId": order_id})["content"][0]
    api.ok("orders.tasking.quotation_decide", {"quotation_id": quote["id"],
                                               "decision": "REJECTED"})
    order = api.ok("orders.get", {"order_id": order_id})
    assert (order["status"], order["subStatus"]) == ("CANCELED", "QUOTATION_REJECTED")
    ledger = sandbox.ledger(org)
    assert ledger["reserved"] == 0 and ledger["balance"] == ledger["granted"]


def test_quotation_expires_after_72_hours(api: Api, sandbox: Any) -> None:
    group = {**tasking_group(sandbox), **window(sandbox, start_days=5)}
    order_id = api.ok("orders.tasking.place", {"groups": [group]})["results"][0]["id"]
    sandbox.advance(hours=1)
    quote = api.ok("orders.tasking.quotations.list", {"orderId": order_id})["content"][0]
    sandbox.advance(hours=72)
    problem_ok(api.op("orders.tasking.quotation_decide",
                      {"quotation_id": quote["id"], "decision": "ACCEPTED"}), 410)
    order = api.ok("orders.get", {"order_id": order_id})
    assert (order["status"], order["subStatus"]) == ("CANCELED", "QUOTATION_REJECTED")
    assert order["statusReason"] == "quotation expired"
    problem_ok(api.op("orders.cancel", {"order_id": order_id}), 409)


def test_expired_quotation_cancels_and_refunds_the_accepted_option(
    api: Api, sandbox: Any, org: Any
) -> None:
    """A study option's reservation is voided when the quotation lapses undecided."""
    granted = sandbox.ledger(org)["granted"]
    group = {"dataProduct": product_of(api, "geo-condor-40"), "featureCollection": fc(),
             **window(sandbox, start_days=5, days=20)}
    order_id = api.ok("orders.tasking.place", {"groups": [group]})["results"][0]["id"]
    sandbox.advance(hours=1)
    study = api.ok("orders.tasking.feasibility_studies.list", {"orderId": order_id})["content"][0]
    option = study["options"][0]
    api.ok("orders.tasking.feasibility_decide",
           {"study_id": study["id"], "acceptedOptionId": option["id"]})
    assert sandbox.ledger(org)["reserved"] == option["credits"] > 0
    sandbox.advance(hours=1)
    quote = api.ok("orders.tasking.quotations.list", {"orderId": order_id})["content"][0]
    inbox = api.ok("orders.tasking.decisions.pending", {"kinds": "quotation"})["content"]
    assert [i["id"] for i in inbox] == [quote["id"]]

    sandbox.advance(hours=71.5)  # not yet
    assert api.ok("orders.get", {"order_id": order_id})["status"] == "PLACED"
    sandbox.advance(hours=0.5)  # validUntil
    order = api.ok("orders.get", {"order_id": order_id})
    assert (order["status"], order["subStatus"]) == ("CANCELED", "QUOTATION_REJECTED")
    assert order["statusReason"] == "quotation expired"
    assert order["credits"]["reserved"] == 0
    assert order["credits"]["refunded"] == option["credits"]
    quote = api.ok("orders.tasking.quotations.list", {"orderId": order_id})["content"][0]
    assert quote["decision"] == "REJECTED" and quote["expired"] is True
    assert quote["decidedAt"] == quote["validUntil"]
    assert api.ok("orders.tasking.decisions.pending", {})["content"] == []
    ledger = sandbox.ledger(org)
    assert ledger == {"granted": granted, "balance": granted, "reserved": 0, "charged": 0}
    assert balanced(ledger)
    problem_ok(api.op("orders.tasking.quotation_decide",
                      {"quotation_id": quote["id"], "decision": "ACCEPTED"}), 410)
    assert sandbox.ledger(org) == ledger


def test_infeasible_requests_fail_before_money_moves(api: Api, sandbox: Any, org: Any) -> None:
    group = tasking_group(sandbox, maxCloudCoverage=1)
    order_id = api.ok("orders.tasking.place", {"groups": [group]})["results"][0]["id"]
    order = api.ok("orders.get", {"order_id": order_id})
    assert order["status"] == "FAILED" and "maxCloudCoverage" in order["statusReason"]
    assert sandbox.ledger(org)["balance"] == sandbox.ledger(org)["granted"]
    short = {**tasking_group(sandbox), **window(sandbox, start_days=1, days=1)}
    order = api.ok("orders.get", {"order_id": api.ok(
        "orders.tasking.place", {"groups": [short]})["results"][0]["id"]})
    assert order["status"] == "FAILED" and "window" in order["statusReason"]


def test_place_rejects_any_bad_group_and_places_nothing(api: Api, sandbox: Any) -> None:
    bad = tasking_group(sandbox, sensor="geo-nope")
    r = api.op("orders.tasking.place", {"groups": [tasking_group(sandbox), bad]})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:3] == ["body", "groups", 1]
    assert api.ok("orders.list")["totalElements"] == 0
    est = api.ok("orders.tasking.estimate", {"groups": [tasking_group(sandbox), bad]})
    assert [g["index"] for g in est["groups"]] == [0]
    assert [e["index"] for e in est["errors"]] == [1]


def test_opportunities_and_provider_operations(api: Api, sandbox: Any, org: Any) -> None:
    owl = product_of(api, "geo-owl-30")
    opp = api.ok("orders.tasking.opportunities_list",
                 {"dataProduct": owl, "featureCollection": fc(), "params": window(sandbox, 0, 7)})
    assert opp["type"] == "FeatureCollection" and opp["features"]
    props = opp["features"][0]["properties"]
    assert {"datetime", "satellite", "offNadirDeg", "featureIndex"} <= set(props)
    manual = api.ok("orders.tasking.opportunities_list",
                    {"dataProduct": product_of(api, "geo-condor-40"), "featureCollection": fc()})
    assert manual["features"] == []
    too_long = api.op("orders.tasking.opportunities_list",
                      {"dataProduct": owl, "featureCollection": fc(),
                       "params": window(sandbox, 0, 40)})
    assert too_long.status_code == 422
    schema = api.ok("orders.get_schema", {"data_product_id": owl})
    assert schema["type"] == "object"
    problem_ok(api.op("orders.get_schema", {"data_product_id": "nope"}), 404)
    body = {"dataProduct": owl, "params": window(sandbox),
            "featureCollection": fc(feature(), feature(square(151, -33), name="B"),
                                    feature(square(0, 95), name="bad"))}
    est = api.ok("orders.estimate", body)
    assert [r["index"] for r in est["results"]] == [0, 1]
    assert [e["index"] for e in est["errors"]] == [2]
    placed = api.ok("orders.place", {"workspaceId": org.workspace_id, **body})
    assert [r["index"] for r in placed["results"]] == [0, 1]
    assert [e["index"] for e in placed["errors"]] == [2]
    for row, priced in zip(placed["results"], est["results"], strict=True):
        order = api.ok("orders.get", {"order_id": row["id"]})
        assert order["credits"]["estimated"] == priced["credits"]
    bad_params = api.op("orders.place", {**body, "workspaceId": org.workspace_id,
                                         "params": {"start": 5}})
    assert bad_params.status_code == 422
    assert bad_params.json()["detail"][0]["loc"][:2] == ["body", "params"]


def test_templates_and_update(api: Api, sandbox: Any) -> None:
    saved = api.ok("orders.tasking.templates.save", {
        "name": "Weekly", "resolution": "0.3", "sensor": "geo-owl-30",
        "capture_frequency": "weekly", "datum": "WGS84", "file_format": "GeoTIFF",
        "max_cloud_coverage": 20})
    listed = api.ok("orders.tasking.templates.list")["templates"]
    assert [t["id"] for t in listed] == [saved["id"]] and listed[0]["max_cloud_coverage"] == 20
    assert api.ok("orders.tasking.templates.delete", {"template_id": saved["id"]}) == {
        "template_id": saved["id"], "deleted": True}
    problem_ok(api.op("orders.tasking.templates.delete", {"template_id": saved["id"]}), 410)
    assert api.ok("orders.tasking.templates.list")["templates"] == []
    order_id = api.ok("orders.tasking.place",
                      {"groups": [tasking_group(sandbox)]})["results"][0]["id"]
    updated = api.ok("orders.update", {"order_id": order_id, "tags": ["b", "a", "b"]})
    assert updated["tags"] == ["b", "a"]
    assert api.ok("orders.update", {"order_id": order_id})["tags"] == ["b", "a"]
