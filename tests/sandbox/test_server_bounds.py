"""Issue 13, items 1, 2, 3, 7 and 8: every bound explicit, on the inputs that exposed them.

- placement tags, names and counts are bounded (422 at the offending member), and the
  work a placement does runs outside the write transaction: another org's write is not
  delayed by more than 1 s while a maximal valid placement runs;
- ``orders.list`` (and every comma-separated filter) refuses what the database cannot
  plan (the 498-value input answered 500);
- admin key lifetimes are validated before anything is stored;
- leniencies: empty priorities, non-JSON media types, ``1.0`` for an integer;
- archive 422s point into the geometry, one problem per reason.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import httpx
import pytest
from sandbox_support import Api, fc, feature, problem_ok, tasking_group

from geopera_nb.contract.limits import (
    CAPTURE_LINES_MAX,
    CATALOG_COLLECTIONS_MAX,
    CATALOG_IDS_MAX,
    FILTER_MAX_LENGTH,
    FILTER_VALUES_MAX,
    ID_MAX_LENGTH,
    KEY_LIFETIME_MAX_HOURS,
    NAME_MAX_LENGTH,
    PLACEMENT_GROUPS_MAX,
    TAG_MAX_LENGTH,
    TAGS_MAX,
)


def _locs(r: httpx.Response) -> list[list[Any]]:
    assert r.status_code == 422, (r.status_code, r.text[:500])
    return [item["loc"] for item in r.json()["detail"]]


def _capture(api: Api) -> dict[str, Any]:
    found: dict[str, Any] = api.ok("catalog.search", {"host_name": "geopera",
                                                      "limit": 1})["features"][0]
    return found


def _inside(capture: dict[str, Any], size: float = 0.01) -> list[list[float]]:
    ring = capture["geometry"]["coordinates"][0]
    cx = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
    cy = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    return [[cx, cy], [cx + size, cy], [cx + size, cy + size], [cx, cy + size], [cx, cy]]


def _placements(api: Api, sandbox: Any, org: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """A valid body of each placement (tags to be merged in)."""
    capture = _capture(api)
    owl = next(s["dataProductId"] for s in api.ok("orders.tasking.sensors")["sensors"]
               if s["id"] == "geo-owl-30")
    group = tasking_group(sandbox)
    return {
        "tasking": ("orders.tasking.place", {"groups": [group]}),
        "archive": ("orders.archive.place", {"captures": [{"id": capture["id"]}]}),
        "provider": ("orders.place", {"workspaceId": org.workspace_id, "dataProduct": owl,
                                      "featureCollection": fc(),
                                      "params": {k: group[k] for k in ("start", "end")}}),
    }


# --- item 1: tags, names and counts of every placement --------------------------------------


@pytest.mark.parametrize("kind", ["tasking", "archive", "provider"])
def test_placement_tags_are_bounded_at_the_tag(kind: str, api: Api, sandbox: Any,
                                               org: Any) -> None:
    op_id, body = _placements(api, sandbox, org)[kind]
    before = sandbox.ledger(org)
    too_many = [f"t{i}" for i in range(TAGS_MAX + 1)]
    assert _locs(api.op(op_id, {**body, "tags": too_many})) == [["body", "tags"]]
    long_tag = ["ok", "x" * (TAG_MAX_LENGTH + 1)]
    assert _locs(api.op(op_id, {**body, "tags": long_tag})) == [["body", "tags", 1]]
    # the 80,000-tag body that once took 51 s inside the write lock: refused at once
    huge = [f"tag-{i}" for i in range(80_000)]
    assert _locs(api.op(op_id, {**body, "tags": huge})) == [["body", "tags"]]
    long_name = "n" * (NAME_MAX_LENGTH + 1)
    assert _locs(api.op(op_id, {**body, "displayName": long_name})) == [["body", "displayName"]]
    assert api.ok("orders.list")["totalElements"] == 0
    assert sandbox.ledger(org) == before
    placed = api.op(op_id, {**body, "tags": [f"t{i % 50}" for i in range(TAGS_MAX)]})
    assert placed.status_code in (200, 202), placed.text[:500]
    order = api.ok("orders.get", {"order_id": placed.json()["results"][0]["id"]})
    assert order["tags"] == [f"t{i}" for i in range(50)]  # de-duplicated, in order


def test_tasking_group_tags_and_names_are_bounded(api: Api, sandbox: Any) -> None:
    group = tasking_group(sandbox)
    r = api.op("orders.tasking.place", {"groups": [
        group, {**group, "tags": ["a", "y" * (TAG_MAX_LENGTH + 1)]},
        {**group, "displayName": "d" * (NAME_MAX_LENGTH + 1)}]})
    assert _locs(r) == [["body", "groups", 1, "tags", 1], ["body", "groups", 2, "displayName"]]
    top = [f"top{i}" for i in range(60)]
    own = [f"own{i}" for i in range(60)]
    r = api.op("orders.tasking.place", {"tags": top, "groups": [{**group, "tags": own}]})
    assert _locs(r) == [["body", "groups", 0, "tags"]]
    assert "120 tags" in r.json()["detail"][0]["msg"]
    assert api.ok("orders.list")["totalElements"] == 0


def test_placement_counts_are_bounded(api: Api, sandbox: Any, org: Any) -> None:
    kinds = _placements(api, sandbox, org)
    group = kinds["tasking"][1]["groups"][0]
    r = api.op("orders.tasking.place", {"groups": [group] * (PLACEMENT_GROUPS_MAX + 1)})
    assert _locs(r) == [["body", "groups"]]
    r = api.op("orders.tasking.estimate", {"groups": [group] * (PLACEMENT_GROUPS_MAX + 1)})
    assert _locs(r) == [["body", "groups"]]
    line = kinds["archive"][1]["captures"][0]
    for op_id in ("orders.archive.place", "orders.archive.estimate"):
        r = api.op(op_id, {"captures": [line] * (CAPTURE_LINES_MAX + 1)})
        assert _locs(r) == [["body", "captures"]]
    provider = kinds["provider"][1]
    many = fc(*[feature()] * (PLACEMENT_GROUPS_MAX + 1))
    for op_id in ("orders.place", "orders.estimate"):
        body = {**provider, "featureCollection": many}
        if op_id == "orders.estimate":
            body.pop("workspaceId")
        assert _locs(api.op(op_id, body)) == [["body", "featureCollection", "features"]]
    assert api.ok("orders.list")["totalElements"] == 0


def _circle(lon: float, lat: float, n: int, r: float = 0.02) -> list[list[float]]:
    ring = [[lon + r * math.cos(2 * math.pi * i / n), lat + r * math.sin(2 * math.pi * i / n)]
            for i in range(n)]
    return [*ring, ring[0]]


def _other_org_writes(sandbox: Any, stop: threading.Event, delays: list[float]) -> None:
    other = sandbox.create_org(name="bystander", credits=1_000_000)
    bystander = Api(sandbox.url, other.api_key)
    try:
        order_id = bystander.ok("orders.tasking.place", {"groups": [tasking_group(
            sandbox)]})["results"][0]["id"]
        i = 0
        while not stop.is_set():
            started = time.perf_counter()
            r = bystander.op("orders.update", {"order_id": order_id, "tags": [f"n{i}"]})
            delays.append(time.perf_counter() - started)
            assert r.status_code == 200, r.text
            i += 1
            time.sleep(0.05)
    finally:
        bystander.close()


@pytest.mark.parametrize("kind", ["tasking", "archive"])
def test_a_maximal_placement_does_not_block_another_orgs_write(kind: str, api: Api,
                                                               sandbox: Any) -> None:
    """Tags, names and counts at their bounds, AOIs as large as the body allows."""
    tags = [f"{i:03d}" + "t" * (TAG_MAX_LENGTH - 3) for i in range(TAGS_MAX)]
    name = "n" * NAME_MAX_LENGTH
    if kind == "tasking":
        groups = [{**tasking_group(sandbox), "displayName": name, "tags": tags[:50],
                   "featureCollection": fc(feature(_circle(150.0 + 0.1 * (i % 10),
                                                           -34.0 + 0.1 * (i // 10), 500)))}
                  for i in range(PLACEMENT_GROUPS_MAX)]
        op_id, body = "orders.tasking.place", {"groups": groups, "tags": tags[50:],
                                               "displayName": name}
    else:
        capture = _capture(api)
        line = {"id": capture["id"], "featureCollection": fc(feature(_inside(capture)))}
        op_id, body = "orders.archive.place", {"captures": [line] * CAPTURE_LINES_MAX,
                                               "tags": tags, "displayName": name,
                                               "splitByDate": True}
    stop, delays = threading.Event(), []
    writer = threading.Thread(target=_other_org_writes, args=(sandbox, stop, delays))
    writer.start()
    try:
        while not delays:  # the bystander is writing
            time.sleep(0.01)
        placed = api.op(op_id, body)
    finally:
        stop.set()
        writer.join(60)
    assert placed.status_code == 202, placed.text[:500]
    assert len(delays) >= 3
    assert max(delays) < 1.0, sorted(delays)[-5:]


# --- item 2: filters the database cannot plan ------------------------------------------------


def test_the_498_value_filter_is_a_422_not_a_500(api: Api) -> None:
    values = ",".join(f"v{i}" for i in range(498))
    r = api.op("orders.list", {"tags": values, "displayName": values})
    assert r.status_code == 422, r.text[:300]
    assert {tuple(loc) for loc in _locs(r)} <= {("body", "tags"), ("body", "displayName")}
    assert "at most 100" in r.json()["detail"][0]["msg"]


def test_every_filter_at_its_bound_answers(api: Api) -> None:
    values = ",".join(f"v{i}" for i in range(FILTER_VALUES_MAX))
    body = {name: values for name in ("type", "status", "subStatus", "displayName",
                                      "dataProductIds", "orderIds", "tags")}
    r = api.op("orders.list", body)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["totalElements"] == 0


@pytest.mark.parametrize(("op_id", "field"), [
    ("orders.list", "tags"), ("orders.list", "displayName"), ("orders.list", "orderIds"),
    ("orders.list", "status"), ("orders.tasking.feasibility_studies.list", "id"),
    ("orders.tasking.feasibility_studies.list", "orderId"),
    ("orders.tasking.quotations.list", "decision"),
    ("orders.tasking.decisions.pending", "kinds"),
])
def test_every_filter_path_is_bounded(op_id: str, field: str, api: Api) -> None:
    word = "quotation" if field == "kinds" else "v"
    too_many = ",".join([word] * (FILTER_VALUES_MAX + 1))
    assert _locs(api.op(op_id, {field: too_many})) == [["body", field]]
    too_long = "x" * (FILTER_MAX_LENGTH + 1)
    r = api.op(op_id, {field: too_long})
    assert _locs(r) == [["body", field]]
    assert len(r.content) < 4_000  # the value is not echoed back in full


@pytest.mark.parametrize(("field", "most"), [("ids", CATALOG_IDS_MAX),
                                             ("collections", CATALOG_COLLECTIONS_MAX)])
def test_catalog_search_lists_are_bounded(field: str, most: int, api: Api) -> None:
    capture = _capture(api)
    wanted = capture["id"] if field == "ids" else capture["collection"]
    at_bound = [wanted] + [f"v{i}" for i in range(most - 1)]
    r = api.op("catalog.search", {"host_name": "geopera", field: at_bound})
    assert r.status_code == 200, r.text[:300]
    assert capture["id"] in [f["id"] for f in r.json()["features"]]
    r = api.op("catalog.search", {"host_name": "geopera", field: [*at_bound, "one more"]})
    assert _locs(r) == [["body", field]]
    assert f"at most {most:,}" in r.json()["detail"][0]["msg"]
    r = api.op("catalog.search", {"host_name": "geopera",
                                  field: [wanted, "x" * (ID_MAX_LENGTH + 1)]})
    assert _locs(r) == [["body", field, 1]]
    assert len(r.content) < 4_000


# --- item 3: admin key lifetimes ----------------------------------------------------------


@pytest.mark.parametrize("hours", [1e15, 2.5e12, True, 0, -1, "24", KEY_LIFETIME_MAX_HOURS + 1])
def test_admin_key_lifetime_is_validated_before_anything_is_stored(hours: Any, sandbox: Any,
                                                                   org: Any) -> None:
    def keys() -> int:
        return int(sandbox.backend.store.one("SELECT COUNT(*) FROM api_keys WHERE org_id = ?",
                                             (org.org_id,))[0])

    before = keys()
    r = httpx.post(sandbox.url + "/sandbox/keys", json={"org_id": org.org_id,
                                                        "expires_in_hours": hours},
                   headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "expires_in_hours"]
    assert keys() == before
    ok = httpx.post(sandbox.url + "/sandbox/keys", json={"org_id": org.org_id,
                                                         "expires_in_hours": KEY_LIFETIME_MAX_HOURS},
                    headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    assert ok.status_code == 201 and keys() == before + 1


# --- item 7: leniencies ---------------------------------------------------------------------


@pytest.mark.parametrize("priority", ["", 0, [], {}, False])
def test_an_empty_priority_is_not_the_default(priority: Any, api: Api, sandbox: Any) -> None:
    group = {**tasking_group(sandbox), "priority": priority}
    est = api.ok("orders.tasking.estimate", {"groups": [group]})
    assert est["groups"] == [] and est["errors"][0]["loc"] == ["groups", 0, "priority"]
    assert _locs(api.op("orders.tasking.place", {"groups": [group]})) == [
        ["body", "groups", 0, "priority"]]
    assert api.ok("orders.tasking.estimate", {"groups": [
        {**tasking_group(sandbox), "priority": None}]})["errors"] == []  # null: not given


@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded",
                                        "multipart/form-data; boundary=x", "application/xml"])
def test_a_json_body_needs_a_json_media_type(media_type: str, api: Api) -> None:
    r = api.http.post("/v1/op/orders.list", content=b"{}", headers={"Content-Type": media_type})
    body = problem_ok(r, 415)
    assert "application/json" in body["detail"]


@pytest.mark.parametrize("media_type", [None, "application/json", "application/json; charset=utf-8",
                                        "APPLICATION/JSON", "application/merge-patch+json"])
def test_json_media_types_are_accepted(media_type: str | None, api: Api) -> None:
    headers = {} if media_type is None else {"Content-Type": media_type}
    r = api.http.post("/v1/op/orders.list", content=b"{}", headers=headers)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("op_id", "body", "loc"), [
    ("orders.list", {"page": 1.0}, "page"), ("orders.list", {"page": "1"}, "page"),
    ("orders.list", {"page": True}, "page"), ("orders.list", {"size": 20.0}, "size"),
    ("catalog.search", {"host_name": "geopera", "limit": 5.0}, "limit"),
    ("orders.archive.estimate", {"captures": [], "splitByDate": 1}, "splitByDate"),
])
def test_no_silent_coercion(op_id: str, body: dict[str, Any], loc: str, api: Api) -> None:
    assert _locs(api.op(op_id, body)) == [["body", loc]]


# --- item 8: archive 422s point into the geometry ------------------------------------------


def test_archive_geometry_problems_point_into_the_geometry(api: Api, sandbox: Any,
                                                          org: Any) -> None:
    capture = _capture(api)
    (x, y), d = _inside(capture)[0], 0.01
    bowtie = [[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]
    unclosed = [[x, y], [x + d, y], [x + d, y + d]]
    geometry_loc = ["body", "captures", 0, "featureCollection", "features", 0, "geometry",
                    "coordinates"]
    r = api.op("orders.archive.place", {"captures": [
        {"id": capture["id"], "featureCollection": fc(feature(bowtie))}]})
    detail = r.json()["detail"]
    assert r.status_code == 422 and [p["loc"] for p in detail] == [geometry_loc], detail
    assert detail[0]["type"] == "value_error.geometry" and "Self-intersection" in detail[0]["msg"]
    r = api.op("orders.archive.place", {"captures": [
        {"id": capture["id"]},
        {"id": capture["id"], "featureCollection": fc(feature(unclosed))}]})
    detail = r.json()["detail"]
    assert r.status_code == 422
    ring = ["body", "captures", 1, *geometry_loc[3:], 0]
    assert [p["loc"] for p in detail] == [ring, ring], detail
    assert [p["msg"] for p in detail] == [
        "ring has 3 positions; a linear ring needs at least 4",
        "ring is not closed (first and last positions differ)"]
    r = api.op("orders.archive.place", {"captures": [{"id": "no-such-capture"}]})
    assert _locs(r) == [["body", "captures", 0, "id"]]
    assert api.ok("orders.list")["totalElements"] == 0 and sandbox.ledger(org)["reserved"] == 0


def test_tasking_geometry_problems_are_separate_too(api: Api, sandbox: Any) -> None:
    unclosed = [[150.0, -34.0], [150.05, -34.0], [150.05, -33.95]]
    r = api.op("orders.tasking.place", {"groups": [
        {**tasking_group(sandbox), "featureCollection": fc(feature(unclosed))}]})
    detail = r.json()["detail"]
    assert r.status_code == 422
    assert [p["msg"] for p in detail] == [
        "ring has 3 positions; a linear ring needs at least 4",
        "ring is not closed (first and last positions differ)"]
