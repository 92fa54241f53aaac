"""Every operation in both URL forms, routing, problems, bodies and /openapi.json."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_support import Api, fc, owl_product, problem_ok, tasking_group, window

from geopera_nb.contract import OPERATIONS

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def minimal_call(op_id: str, sandbox: Any, org: Any, owl: str) -> tuple[dict[str, Any], int]:
    """A body for ``op_id`` and the status it must answer."""
    win = window(sandbox)
    calls: dict[str, tuple[dict[str, Any], int]] = {
        "orders.archive.estimate": ({"captures": []}, 200),
        "orders.archive.place": ({"captures": [{"id": "no-such-capture"}]}, 422),
        "orders.cancel": ({"order_id": UNKNOWN}, 404),
        "orders.coverage.get": ({"order_id": UNKNOWN}, 404),
        "orders.coverage.groups.list": ({"order_id": UNKNOWN}, 404),
        "orders.estimate": ({"dataProduct": owl, "featureCollection": fc(), "params": win}, 200),
        "orders.get": ({"order_id": UNKNOWN}, 404),
        "orders.get_schema": ({"data_product_id": owl}, 200),
        "orders.list": ({}, 200),
        "orders.list_assets": ({"order_id": UNKNOWN}, 404),
        "orders.place": ({"workspaceId": org.workspace_id, "dataProduct": owl,
                          "featureCollection": fc(), "params": win}, 200),
        "orders.tasking.decisions.pending": ({}, 200),
        "orders.tasking.estimate": ({"groups": [tasking_group(sandbox)]}, 200),
        "orders.tasking.feasibility_check": ({"dataProduct": owl, "featureCollection": fc()}, 200),
        "orders.tasking.feasibility_decide": ({"study_id": UNKNOWN, "acceptedOptionId": "x"}, 404),
        "orders.tasking.feasibility_studies.list": ({}, 200),
        "orders.tasking.opportunities_list": ({"dataProduct": owl, "featureCollection": fc()}, 200),
        "orders.tasking.place": ({"groups": [tasking_group(sandbox)]}, 202),
        "orders.tasking.quotation_decide": ({"quotation_id": UNKNOWN, "decision": "ACCEPTED"}, 404),
        "orders.tasking.quotations.list": ({}, 200),
        "orders.tasking.sensors": ({}, 200),
        "orders.tasking.templates.delete": ({"template_id": UNKNOWN}, 404),
        "orders.tasking.templates.list": ({}, 200),
        "orders.tasking.templates.save": ({"name": "t", "resolution": "0.3", "sensor": "geo-owl-30",
                                           "capture_frequency": "once", "datum": "WGS84",
                                           "file_format": "GeoTIFF"}, 200),
        "orders.update": ({"order_id": UNKNOWN, "tags": ["x"]}, 404),
        "catalog.search": ({"host_name": "geopera", "limit": 2}, 200),
    }
    return calls[op_id]


@pytest.mark.parametrize("op_id", [op.id for op in OPERATIONS])
def test_every_operation_answers_in_both_url_forms(op_id: str, sandbox: Any, org: Any,
                                                    api: Api, anon: Api) -> None:
    owl = owl_product(api)
    body, status = minimal_call(op_id, sandbox, org, owl)
    answers = []
    for form in ("op", "resource"):
        r = api.op(op_id, body, form=form)
        assert r.status_code == status, (form, r.status_code, r.text[:800])
        if status >= 400 and status != 422:
            problem_ok(r, status)
        answers.append(r)
        problem_ok(anon.op(op_id, body, form=form), 401)
    if status == 200 and op_id not in ("orders.place", "orders.tasking.templates.save"):
        assert answers[0].json() == answers[1].json()


def test_success_codes_follow_the_contract() -> None:
    codes = {op.id: op.success_status for op in OPERATIONS}
    assert codes["orders.archive.place"] == codes["orders.tasking.place"] == 202
    assert {c for k, c in codes.items() if not k.endswith("archive.place")
            and not k.endswith("tasking.place")} == {200}


@pytest.mark.parametrize(("method", "path", "status"), [
    ("POST", "/v1/op/orders.nope", 404), ("GET", "/nothing/here", 404),
    ("POST", "/v1/orders", 404), ("GET", "/v1/op/orders.get", 405),
    ("PUT", "/v1/orders/get", 405), ("TRACE", "/v1/op/orders.list", 405),
    ("DELETE", "/openapi.json", 405),
])
def test_unknown_routes_404_and_wrong_methods_405(method: str, path: str, status: int,
                                                  sandbox: Any) -> None:
    r = httpx.request(method, sandbox.url + path, json={})
    problem_ok(r, status)
    if status == 405:
        assert "POST" in r.headers["allow"] or "GET" in r.headers["allow"]


def test_bad_token_beats_bad_body(anon: Api) -> None:
    r = anon.http.post("/v1/op/orders.get", content=b"{not json",
                       headers={"Authorization": "Bearer gpra_wrong"})
    problem_ok(r, 401)


@pytest.mark.parametrize(("content", "fragment"), [
    (b"{not json", "invalid JSON"),
    (b'{"order_id": "\xff\xfe"}', "UTF-8"),
    (b"[1, 2, 3]", "JSON object"),
    (b'"just a string"', "JSON object"),
    (b"[" * 5000 + b"]" * 5000, ""),
    (b'{"order_id": NaN}', "invalid JSON"),
])
def test_unparseable_bodies_are_422_at_body(api: Api, content: bytes, fragment: str) -> None:
    r = api.http.post("/v1/op/orders.get", content=content,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text[:300]
    detail = r.json()["detail"]
    assert detail[0]["loc"] == ["body"]
    assert fragment in detail[0]["msg"]


def test_deeply_nested_json_objects_do_not_crash(api: Api) -> None:
    nested = b'{"a":' * 900 + b"1" + b"}" * 900
    body = b'{"order_id": "x", "extra": ' + nested + b"}"
    r = api.http.post("/v1/op/orders.get", content=body)
    assert r.status_code == 422
    r = api.http.post("/v1/op/orders.tasking.estimate",
                      content=b'{"groups": [{"featureCollection": ' + nested + b"}]}")
    assert r.status_code in (200, 422)
    assert api.op("orders.list").status_code == 200  # still up


def test_extra_fields_and_wrong_types_are_422_with_loc(api: Api) -> None:
    r = api.op("orders.get", {"order_id": "x", "orderId": "y"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "orderId"]
    r = api.op("orders.list", {"page": "first"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "page"]
    r = api.op("orders.get", {})
    assert r.json()["detail"][0]["loc"] == ["body", "order_id"]
    r = api.op("orders.tasking.quotation_decide", {"quotation_id": "q", "decision": "MAYBE"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "decision"]


def test_bodies_over_the_limit_are_413(api: Api) -> None:
    big = b'{"order_id": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    problem_ok(api.http.post("/v1/op/orders.get", content=big), 413)


def test_an_aoi_of_10000_vertices_fits(api: Api, sandbox: Any) -> None:
    import math

    n = 9_999
    ring = [[150 + 0.05 * math.cos(2 * math.pi * i / n), -34 + 0.05 * math.sin(2 * math.pi * i / n)]
            for i in range(n)]
    ring.append(ring[0])
    group = tasking_group(sandbox, featureCollection=fc({"type": "Feature", "properties": {},
                          "geometry": {"type": "Polygon", "coordinates": [ring]}}))
    est = api.ok("orders.tasking.estimate", {"groups": [group]})
    assert est["errors"] == [] and est["totalCredits"] > 0


def test_errors_never_echo_credentials(sandbox: Any) -> None:
    secret = "gpra_this-is-not-a-valid-key-but-looks-like-one"
    r = httpx.post(sandbox.url + "/v1/op/orders.list", json={},
                   headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401 and secret not in r.text


def test_openapi_document(sandbox: Any) -> None:
    doc = httpx.get(sandbox.url + "/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    ops = {p: v["post"] for p, v in doc["paths"].items()}
    assert len(ops) == len(OPERATIONS) == 26
    for op in OPERATIONS:
        spec = ops[op.op_path]
        assert spec["operationId"] == op.id
        assert spec["x-required-scope"] == op.scope
        assert str(op.success_status) in spec["responses"]
        schema = spec["requestBody"]["content"]["application/json"]["schema"]
        assert schema
    place = ops["/v1/op/orders.tasking.place"]["requestBody"]["content"]["application/json"]
    assert place["schema"]["$ref"].endswith("/TaskingPlaceBody")
    assert doc["components"]["schemas"]["OrdersListInput"]["properties"]["size"]["maximum"] == 500


def test_ping_is_unauthenticated(sandbox: Any) -> None:
    r = httpx.get(sandbox.url + "/sandbox/ping")
    assert r.status_code == 200 and r.json() == {"ok": True}
