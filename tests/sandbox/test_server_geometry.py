"""Every geometry rejection class reaches the client as 422 with ``loc`` to the fault."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_support import FARM, Api, fc, owl_product, tasking_group

BOWTIE = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]


def geom(kind: str, coords: Any) -> dict[str, Any]:
    return {"type": kind, "coordinates": coords}


CASES: dict[str, tuple[dict[str, Any] | None, str]] = {
    "unclosed": (geom("Polygon", [[*FARM[:-1], [150.0, -33.96]]]), "clos"),
    "short ring": (geom("Polygon", [[[0, 0], [1, 0], [0, 0]]]), ""),
    "lat 91": (geom("Polygon", [[[0, 89], [1, 89], [1, 91], [0, 91], [0, 89]]]), "lat"),
    "lon 181": (geom("Polygon", [[[180, 0], [181, 0], [181, 1], [180, 1], [180, 0]]]), "lon"),
    "empty": (geom("Polygon", []), ""),
    "point": (geom("Point", [150, -34]), "areal"),
    "line": (geom("LineString", [[150, -34], [151, -34]]), "areal"),
    "bowtie": (geom("Polygon", [BOWTIE]), "elf"),
    "nested collection": ({"type": "GeometryCollection", "geometries": [
        {"type": "GeometryCollection", "geometries": [geom("Point", [0, 0])]}]}, ""),
    "strings": (geom("Polygon", [[["a", "b"], [1, 0], [1, 1], ["a", "b"]]]), ""),
    "huge numbers": (geom("Polygon", [[[1e300, 0], [1, 0], [1, 1], [1e300, 0]]]), ""),
    "no geometry": (None, ""),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_geometries_are_422_at_the_feature(api: Api, sandbox: Any, case: str) -> None:
    geometry, fragment = CASES[case]
    bad = fc({"type": "Feature", "properties": {}, "geometry": geometry})
    r = api.op("orders.tasking.feasibility_check",
               {"dataProduct": owl_product(api), "featureCollection": bad})
    assert r.status_code == 422, r.text[:500]
    detail = r.json()["detail"]
    assert detail[0]["loc"][:4] == ["body", "featureCollection", "features", 0]
    assert fragment.lower() in " ".join(d["msg"] for d in detail).lower()
    r = api.op("orders.tasking.place", {"groups": [tasking_group(sandbox, featureCollection=bad)]})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:6] == ["body", "groups", 0, "featureCollection",
                                                "features", 0]


def test_crs_member_and_too_many_vertices(api: Api) -> None:
    product = owl_product(api)
    with_crs = {**fc(), "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}}
    r = api.op("orders.tasking.feasibility_check",
               {"dataProduct": product, "featureCollection": with_crs})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == [
        "body", "featureCollection", "crs"]
    ring = [[150 + i * 1e-5, -34.0] for i in range(10_001)] + [[150.1, -33.9], [150.0, -34.0]]
    r = api.op("orders.tasking.feasibility_check", {
        "dataProduct": product,
        "featureCollection": fc({"type": "Feature", "properties": {},
                                 "geometry": geom("Polygon", [ring])})})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:4] == ["body", "featureCollection", "features", 0]


def test_nan_is_not_json(api: Api) -> None:
    r = api.http.post("/v1/op/orders.tasking.estimate",
                      content=b'{"groups": [{"featureCollection": {"type": "FeatureCollection",'
                              b' "features": [{"type": "Feature", "geometry": {"type": "Polygon",'
                              b' "coordinates": [[[NaN, 0], [1, 0], [1, 1], [NaN, 0]]]}}]}}]}')
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body"]


def test_antimeridian_aoi_is_split_not_wrapped(api: Api, sandbox: Any) -> None:
    ring = [[179.9, -17.0], [-179.9, -17.0], [-179.9, -16.9], [179.9, -16.9], [179.9, -17.0]]
    aoi = fc({"type": "Feature", "properties": {}, "geometry": geom("Polygon", [ring])})
    est = api.ok("orders.tasking.estimate",
                 {"groups": [tasking_group(sandbox, sensor="geo-swift-3m", featureCollection=aoi)]})
    area = est["groups"][0]["areaKm2"]
    assert 200 < area < 300  # about 21 km x 11 km, not most of the globe
    placed = api.ok("orders.tasking.place", {"groups": [tasking_group(
        sandbox, sensor="geo-swift-3m", featureCollection=aoi)]})
    order = api.ok("orders.get", {"order_id": placed["results"][0]["id"]})
    assert order["geometry"]["type"] == "MultiPolygon"
    assert abs(order["aoiKm2"] - area) < 1e-6


def test_either_winding_is_accepted(api: Api, sandbox: Any) -> None:
    cw = list(reversed(FARM))
    a = api.ok("orders.tasking.estimate", {"groups": [tasking_group(sandbox)]})
    b = api.ok("orders.tasking.estimate", {"groups": [tasking_group(
        sandbox, featureCollection=fc({"type": "Feature", "properties": {},
                                       "geometry": geom("Polygon", [cw])}))]})
    assert a["totalCredits"] == b["totalCredits"]


def test_provider_place_rejects_a_crs_on_the_collection(api: Api, sandbox: Any, org: Any) -> None:
    from sandbox_support import window

    with_crs = {**fc(), "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}}
    for op in ("orders.place", "orders.estimate"):
        r = api.op(op, {"workspaceId": org.workspace_id, "dataProduct": owl_product(api),
                        "featureCollection": with_crs, "params": window(sandbox)}
                   if op == "orders.place" else
                   {"dataProduct": owl_product(api), "featureCollection": with_crs,
                    "params": window(sandbox)})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["body", "featureCollection", "crs"]
    assert api.ok("orders.list")["totalElements"] == 0


def test_wrong_json_types_are_not_coerced(api: Api) -> None:
    for op, body, loc in (("orders.list", {"page": False}, ["body", "page"]),
                          ("orders.archive.estimate", {"captures": [], "splitByDate": 0},
                           ["body", "splitByDate"]),
                          ("orders.list", {"sort": ""}, ["body", "sort"])):
        r = api.op(op, body)
        assert r.status_code == 422, (op, body)
        assert r.json()["detail"][0]["loc"] == loc
