"""Spring paging, filters, sorting and NDJSON streams with their trailer."""

from __future__ import annotations

from typing import Any

import orjson
from sandbox_support import Api, fc, feature, owl_product, square, tasking_group

NDJSON = {"Accept": "application/x-ndjson"}


def place_many(api: Api, sandbox: Any, n: int) -> list[str]:
    groups = [tasking_group(sandbox, featureCollection=fc(feature(square(150 + i * 0.1, -34))),
                            displayName=f"Order {i:02d}", tags=["even" if i % 2 == 0 else "odd"])
              for i in range(n)]
    result = api.ok("orders.tasking.place", {"groups": groups, "tags": ["batch"]})
    return [r["id"] for r in result["results"]]


def ndjson(api: Api, op: str, body: Any = None) -> list[dict[str, Any]]:
    r = api.op(op, body, headers=NDJSON)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [orjson.loads(line) for line in r.content.splitlines()]
    assert lines[-1]["stream"]["status"] == "complete"
    assert lines[-1]["stream"]["count"] == len(lines) - 1
    return lines[:-1]


def test_orders_list_pages_filters_and_sort(api: Api, sandbox: Any) -> None:
    ids = place_many(api, sandbox, 7)
    first = api.ok("orders.list", {"size": 3})
    assert (first["totalElements"], first["totalPages"], first["size"], first["number"]) == (
        7, 3, 3, 0)
    pages = [api.ok("orders.list", {"size": 3, "page": p})["content"] for p in range(3)]
    seen = [o["id"] for page in pages for o in page]
    assert seen == list(reversed(ids))  # createdAt,desc by default
    assert api.ok("orders.list", {"size": 3, "page": 5})["content"] == []
    asc = api.ok("orders.list", {"sort": "displayName,asc", "size": 50})["content"]
    assert [o["displayName"] for o in asc] == [f"Order {i:02d}" for i in range(7)]
    assert api.ok("orders.list", {"tags": "batch,even"})["totalElements"] == 4
    assert api.ok("orders.list", {"orderIds": f"{ids[0]},{ids[3]}"})["totalElements"] == 2
    assert api.ok("orders.list", {"type": "ARCHIVE"})["totalElements"] == 0
    assert api.ok("orders.list", {"status": "PLACED,FAILED", "type": "TASKING"})[
        "totalElements"] == 7
    assert api.ok("orders.list", {"displayName": "order 0"})["totalElements"] == 7
    assert api.ok("orders.list", {"displayName": "Order 03"})["totalElements"] == 1
    for bad in ({"size": 0}, {"size": 501}, {"page": -1}, {"sort": "price,desc"},
                {"sort": "createdAt,sideways"}):
        r = api.op("orders.list", bad)
        assert r.status_code == 422, bad
        assert r.json()["detail"][0]["loc"][0] == "body"


def test_ndjson_streams_every_record_with_a_trailer(api: Api, sandbox: Any) -> None:
    ids = place_many(api, sandbox, 5)
    records = ndjson(api, "orders.list", {"size": 2})
    assert [r["id"] for r in records] == list(reversed(ids))
    sensors = ndjson(api, "orders.tasking.sensors")
    assert len(sensors) >= 6 and {s["feasibility"] for s in sensors} == {"auto", "manual"}
    assert ndjson(api, "orders.tasking.templates.list") == []
    assert ndjson(api, "orders.tasking.decisions.pending") == []
    search = api.op("catalog.search", {"host_name": "geopera", "limit": 3}, headers=NDJSON)
    lines = [orjson.loads(x) for x in search.content.splitlines()]
    assert len(lines) == 4 and lines[-1]["stream"]["next"]
    opp = ndjson(api, "orders.tasking.opportunities_list",
                 {"dataProduct": owl_product(api), "featureCollection": fc()})
    assert opp and all(o["type"] == "Feature" for o in opp)


def test_ndjson_is_only_for_list_like_operations(api: Api) -> None:
    r = api.op("orders.tasking.estimate", {"groups": []}, headers=NDJSON)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"


def test_studies_quotations_and_inbox_pages(api: Api, sandbox: Any) -> None:
    place_many(api, sandbox, 3)
    sandbox.advance(hours=1)
    quotes = api.ok("orders.tasking.quotations.list", {"size": 2})
    assert quotes["totalElements"] == 3 and len(quotes["content"]) == 2
    assert quotes["totalPages"] == 2
    assert api.ok("orders.tasking.quotations.list", {"decision": "ACCEPTED"})[
        "totalElements"] == 0
    inbox = api.ok("orders.tasking.decisions.pending", {"kinds": "quotation", "size": 1})
    assert inbox["totalElements"] == 3 and inbox["content"][0]["kind"] == "quotation"
    assert api.ok("orders.tasking.decisions.pending", {"kinds": "feasibility"})[
        "totalElements"] == 0
    assert api.op("orders.tasking.decisions.pending", {"kinds": "bogus"}).status_code == 422
    assert len(ndjson(api, "orders.tasking.quotations.list", {"size": 1})) == 3
