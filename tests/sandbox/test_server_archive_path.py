"""The archive path over real HTTP: search -> estimate -> place -> cancel -> refund, and
fulfilment, with the ledger checked after every step."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from sandbox_support import Api, balanced, fc, feature, problem_ok


def search(api: Api, **body: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.ok("catalog.search", {"host_name": "geopera",
                                                            **body})["features"]
    return found


def test_search_estimate_place_cancel_refund(api: Api, sandbox: Any, org: Any) -> None:
    granted = sandbox.ledger(org)["granted"]
    hits = search(api, limit=4, query={"eo:cloud_cover": {"lte": 50}})
    assert len(hits) == 4 and all(h["properties"]["eo:cloud_cover"] <= 50 for h in hits)
    captures = [{"id": h["id"]} for h in hits[:2]]
    # one capture clipped to an AOI inside its footprint
    fp = hits[0]["geometry"]["coordinates"][0]
    cx = sum(p[0] for p in fp[:-1]) / (len(fp) - 1)
    cy = sum(p[1] for p in fp[:-1]) / (len(fp) - 1)
    aoi = [[cx - 0.01, cy - 0.01], [cx + 0.01, cy - 0.01], [cx + 0.01, cy + 0.01],
           [cx - 0.01, cy + 0.01], [cx - 0.01, cy - 0.01]]
    captures[0]["featureCollection"] = fc(feature(aoi))
    est = api.ok("orders.archive.estimate", {"captures": captures})
    assert est["errors"] == [] and len(est["groups"]) == 1
    total = est["total_credits"]
    assert est["total_aud"] == round(total / 100, 2)
    assert sandbox.ledger(org)["reserved"] == 0

    placed = api.op("orders.archive.place", {"captures": captures, "displayName": "Scenes"})
    assert placed.status_code == 202
    body = placed.json()
    assert body["total_credits"] == total and len(body["results"]) == 1
    order_id = body["results"][0]["id"]
    ledger = sandbox.ledger(org)
    assert ledger["reserved"] == total and ledger["balance"] == granted - total
    order = api.ok("orders.get", {"order_id": order_id})
    assert order["type"] == "ARCHIVE" and order["status"] == "PLACED"
    assert order["credits"] == {"estimated": total, "reserved": total, "charged": 0,
                                "refunded": 0}

    cancelled = api.ok("orders.cancel", {"order_id": order_id})
    assert cancelled == {"orderId": order_id, "status": "CANCELED", "refundedCredits": total}
    ledger = sandbox.ledger(org)
    assert ledger == {"granted": granted, "balance": granted, "reserved": 0, "charged": 0}
    problem_ok(api.op("orders.cancel", {"order_id": order_id}), 409)
    problem_ok(api.op("orders.coverage.groups.list", {"order_id": order_id}), 409)


def test_split_by_date_and_fulfilment(api: Api, sandbox: Any, org: Any) -> None:
    hits = search(api, limit=30)
    by_date: dict[str, str] = {}
    for h in hits:
        by_date.setdefault(h["properties"]["datetime"][:10], h["id"])
    captures = [{"id": cid} for cid in list(by_date.values())[:2]]
    est = api.ok("orders.archive.estimate", {"captures": captures, "splitByDate": True})
    assert len(est["groups"]) == len(captures) == 2
    placed = api.ok("orders.archive.place", {"captures": captures, "splitByDate": True})
    assert [r["index"] for r in placed["results"]] == [0, 1]
    ids = [r["id"] for r in placed["results"]]
    sandbox.advance(hours=1)
    assert api.ok("orders.get", {"order_id": ids[0]})["status"] == "BEING_FULFILLED"
    problem_ok(api.op("orders.cancel", {"order_id": ids[0]}), 409)
    sandbox.advance(hours=1)
    orders = [api.ok("orders.get", {"order_id": i}) for i in ids]
    assert [o["status"] for o in orders] == ["FULFILLED", "FULFILLED"]
    ledger = sandbox.ledger(org)
    assert ledger["charged"] == est["total_credits"] and ledger["reserved"] == 0
    assert balanced(ledger)
    items = api.ok("orders.list_assets", {"order_id": ids[0]})["features"]
    assert [i["id"] for i in items] == [c["id"] for c in est["groups"][0]["captures"]]
    meta = items[0]["assets"]["metadata"]
    data = httpx.get(meta["href"]).content
    assert "1220" + hashlib.sha256(data).hexdigest() == meta["file:checksum"]


def test_not_enough_credits_is_402_and_places_nothing(sandbox: Any) -> None:
    poor = sandbox.create_org(name="poor", credits=10)
    api = Api(sandbox.url, poor.api_key)
    try:
        captures = [{"id": h["id"]} for h in search(api, limit=2)]
        body = problem_ok(api.op("orders.archive.place", {"captures": captures}), 402)
        assert body["balance_credits"] == 10 and body["required_credits"] > 10
        assert api.ok("orders.list")["totalElements"] == 0
        assert sandbox.ledger(poor) == {"granted": 10, "balance": 10, "reserved": 0,
                                        "charged": 0}
    finally:
        api.close()


def test_capture_errors_are_422_with_loc_and_nothing_placed(api: Api) -> None:
    good = {"id": search(api, limit=1)[0]["id"]}
    r = api.op("orders.archive.place", {"captures": [good, {"id": "nope"}]})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:3] == ["body", "captures", 1]
    est = api.ok("orders.archive.estimate", {"captures": [good, {"id": "nope"}]})
    assert [e["index"] for e in est["errors"]] == [1] and est["errors"][0]["id"] == "nope"
    assert api.ok("orders.list")["totalElements"] == 0


def test_catalog_search_paging_and_filters(api: Api) -> None:
    page1 = api.ok("catalog.search", {"host_name": "geopera", "limit": 5})
    assert page1["numberReturned"] == 5 and page1["next"]
    page2 = api.ok("catalog.search", {"host_name": "geopera", "limit": 5, "next": page1["next"]})
    assert not {f["id"] for f in page1["features"]} & {f["id"] for f in page2["features"]}
    problem_ok(api.op("catalog.search", {"host_name": "someone-else"}), 404)
    r = api.op("catalog.search", {"host_name": "geopera", "limit": 501})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "limit"]
    one = page1["features"][0]
    by_id = api.ok("catalog.search", {"host_name": "geopera", "ids": [one["id"]]})
    assert [f["id"] for f in by_id["features"]] == [one["id"]]
