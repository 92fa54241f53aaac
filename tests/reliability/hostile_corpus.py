"""The hostile-input corpus: bad AOIs, bad bodies and their expected faults.

Each geometry case is a raw GeoJSON *geometry* as bytes-ready text (so ``NaN`` and
``1e999`` can appear as JSON tokens exactly as a careless client would send them);
the operation builders wrap it where that operation carries an AOI.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

# A point on land well inside the seeded catalogue's world; every AOI is near it.
LON, LAT = 151.0, -33.8
D = 0.03


def _ring(points: list[tuple[float, float]]) -> str:
    return "[" + ",".join(f"[{x!r},{y!r}]" for x, y in points) + "]"


def _poly(points: list[tuple[float, float]]) -> str:
    return '{"type":"Polygon","coordinates":[' + _ring(points) + "]}"


def square_points(lon: float = LON, lat: float = LAT, d: float = D) -> list[tuple[float, float]]:
    return [(lon - d, lat - d), (lon + d, lat - d), (lon + d, lat + d), (lon - d, lat + d),
            (lon - d, lat - d)]


def circle_points(n: int, lon: float = LON, lat: float = LAT, r: float = D) -> list[tuple[float, float]]:
    """A closed ring of ``n`` distinct vertices (``n + 1`` positions)."""
    pts = [(lon + r * math.cos(2 * math.pi * i / n), lat + r * math.sin(2 * math.pi * i / n))
           for i in range(n)]
    return [*pts, pts[0]]


def valid_geometry(x: float = LON, y: float = LAT) -> str:
    return _poly(square_points(x, y))


@dataclass(frozen=True)
class BadGeometry:
    """A geometry every AOI-taking operation must reject (or, if ``accept``, accept)."""

    name: str
    geometry: str  # raw JSON text of the geometry
    accept: bool = False
    fc_crs: bool = False  # put a ``crs`` member on the FeatureCollection instead
    invalid_json: bool = False  # not JSON at all (RFC 8259 has no NaN): a parse error


def bad_geometries(x: float = LON, y: float = LAT) -> list[BadGeometry]:
    """The corpus, centred on (``x``, ``y``) so the valid parts lie inside a footprint."""
    bowtie = [(x, y), (x + D, y + D), (x + D, y), (x, y + D), (x, y)]
    sq = square_points(x, y)
    valid = _poly(sq)
    unclosed = sq[:-1]
    three = [(x, y), (x + D, y), (x, y)]
    lat91 = [(x, 90.5), (x + D, 90.5), (x + D, 91.0), (x, 91.0), (x, 90.5)]
    lon181 = [(180.5, y), (181.0, y), (181.0, y + D), (180.5, y + D), (180.5, y)]
    many = circle_points(10_001, x, y)
    nan_ring = _ring(sq).replace(repr(x - D), "NaN", 1)
    huge_ring = _ring(sq).replace(repr(x + D), "1e308", 1)
    inf_ring = _ring(sq).replace(repr(x + D), "1e999", 1)
    anti = [(179.9, -17.0), (-179.9, -17.0), (-179.9, -17.2), (179.9, -17.2), (179.9, -17.0)]
    crs = ('{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:3857"}},'
           '"coordinates":[' + _ring(sq) + "]}")
    return [
        BadGeometry("bowtie", _poly(bowtie)),
        BadGeometry("unclosed_ring", _poly(unclosed)),
        BadGeometry("three_point_ring", _poly(three)),
        BadGeometry("lat_91", _poly(lat91)),
        BadGeometry("lon_181", _poly(lon181)),
        BadGeometry("empty_coordinates", '{"type":"Polygon","coordinates":[]}'),
        BadGeometry("empty_ring", '{"type":"Polygon","coordinates":[[]]}'),
        BadGeometry("point", f'{{"type":"Point","coordinates":[{x},{y}]}}'),
        BadGeometry("linestring", f'{{"type":"LineString","coordinates":[[{x},{y}],[{x + D},{y + D}]]}}'),
        BadGeometry("vertices_10001", _poly(many)),
        BadGeometry("crs_member_on_geometry", crs),
        BadGeometry("crs_member_on_collection", valid, fc_crs=True),
        BadGeometry("nan_token", '{"type":"Polygon","coordinates":[' + nan_ring + "]}",
                    invalid_json=True),
        BadGeometry("huge_1e308", '{"type":"Polygon","coordinates":[' + huge_ring + "]}"),
        BadGeometry("infinite_1e999", '{"type":"Polygon","coordinates":[' + inf_ring + "]}",
                    invalid_json=True),
        BadGeometry("string_coordinates", '{"type":"Polygon","coordinates":"151,-33"}'),
        BadGeometry("unknown_type", '{"type":"Hexagon","coordinates":[]}'),
        BadGeometry("null_geometry", "null"),
        BadGeometry(
            "nested_geometry_collection",
            '{"type":"GeometryCollection","geometries":[{"type":"GeometryCollection",'
            '"geometries":[' + valid + "]}]}",
        ),
        BadGeometry("antimeridian_crossing", _poly(anti), accept=True),
    ]


def feature_collection_text(geometry: str, *, crs: bool = False) -> str:
    fc = '{"type":"FeatureCollection",'
    if crs:
        fc += '"crs":{"type":"name","properties":{"name":"EPSG:3857"}},'
    return fc + '"features":[{"type":"Feature","properties":{},"geometry":' + geometry + "}]}"


def deep_nesting(levels: int = 10_000) -> str:
    return "[" * levels + "]" * levels


@dataclass(frozen=True)
class BadTaskingField:
    """A hostile value of a tasking window/priority member (``start``, ``end``, ``priority``).

    ``fields`` is merged into a well-formed TaskingGroup (orders.tasking.estimate /
    place) or into the ``params`` of feasibility_check / opportunities_list /
    orders.place; ``loc`` is the member the 422 (or the estimate's error row) must name.
    These once answered 500 (unhashable priority; dates past year 9999 overflowing).
    """

    name: str
    fields: dict[str, object]
    loc: str


def bad_tasking_fields() -> list[BadTaskingField]:
    """Hostile window and priority members; each must be a clear 4xx / error row."""
    return [
        BadTaskingField("priority_list", {"priority": ["rush"]}, "priority"),
        BadTaskingField("priority_object", {"priority": {"rush": True}}, "priority"),
        BadTaskingField("priority_number", {"priority": 2}, "priority"),
        # issue 13: these were taken as the default priority
        BadTaskingField("priority_empty_string", {"priority": ""}, "priority"),
        BadTaskingField("priority_zero", {"priority": 0}, "priority"),
        BadTaskingField("priority_empty_list", {"priority": []}, "priority"),
        BadTaskingField("priority_empty_object", {"priority": {}}, "priority"),
        BadTaskingField("start_9999_no_end", {"start": "9999-12-31T23:00:00Z", "end": None},
                        "start"),
        BadTaskingField("window_in_9999", {"start": "9999-12-30T00:00:00Z",
                                           "end": "9999-12-31T00:00:00Z"}, "start"),
        BadTaskingField("end_9999", {"end": "9999-12-31T23:59:59Z"}, "end"),
        BadTaskingField("start_before_1970", {"start": "1969-12-31T00:00:00Z"}, "start"),
        BadTaskingField("start_year_1", {"start": "0001-01-01T00:00:00Z"}, "start"),
        BadTaskingField("start_not_a_string", {"start": 1_700_000_000}, "start"),
    ]


@dataclass(frozen=True)
class BoundCase:
    """A body past one of the bounds of ``contract/limits.py`` (issue 13).

    ``build`` makes the body from the well-formed parts a test has (``sensor``,
    ``product``, ``capture``, ``start``, ``end``, ``workspace``); the answer must be a 422
    whose first ``loc`` is ``loc``, quickly, with nothing stored. Several once answered
    500 or held the write lock for tens of seconds.
    """

    name: str
    op_id: str
    build: Callable[[dict[str, str]], dict[str, object]]
    loc: tuple[str | int, ...]


def _group(c: dict[str, str], **extra: object) -> dict[str, object]:
    fc = json.loads(feature_collection_text(valid_geometry()))
    return {"sensor": c["sensor"], "featureCollection": fc, "start": c["start"],
            "end": c["end"], **extra}


def _provider(c: dict[str, str], **extra: object) -> dict[str, object]:
    return {"workspaceId": c["workspace"], "dataProduct": c["product"],
            "params": {"start": c["start"], "end": c["end"]},
            "featureCollection": json.loads(feature_collection_text(valid_geometry())), **extra}


def _values(n: int) -> str:
    return ",".join(f"v{i}" for i in range(n))


def bound_cases() -> list[BoundCase]:
    """Bodies past the placement, filter and type bounds."""
    tags_80k = [f"tag-{i}" for i in range(80_000)]
    tags_20k = [f"tag-{i}" for i in range(20_000)]
    return [
        BoundCase("tasking_place_80000_tags", "orders.tasking.place",
                  lambda c: {"groups": [_group(c)], "tags": tags_80k}, ("body", "tags")),
        BoundCase("tasking_group_80000_tags", "orders.tasking.place",
                  lambda c: {"groups": [_group(c, tags=tags_80k)]},
                  ("body", "groups", 0, "tags")),
        BoundCase("tasking_tag_of_201_chars", "orders.tasking.place",
                  lambda c: {"groups": [_group(c)], "tags": ["x" * 201]}, ("body", "tags", 0)),
        BoundCase("tasking_tags_merged_past_100", "orders.tasking.place",
                  lambda c: {"groups": [_group(c, tags=[f"g{i}" for i in range(60)])],
                             "tags": [f"t{i}" for i in range(60)]},
                  ("body", "groups", 0, "tags")),
        BoundCase("tasking_101_groups", "orders.tasking.place",
                  lambda c: {"groups": [_group(c)] * 101}, ("body", "groups")),
        BoundCase("tasking_estimate_101_groups", "orders.tasking.estimate",
                  lambda c: {"groups": [_group(c)] * 101}, ("body", "groups")),
        BoundCase("tasking_display_name_201", "orders.tasking.place",
                  lambda c: {"groups": [_group(c)], "displayName": "n" * 201},
                  ("body", "displayName")),
        BoundCase("provider_place_10x20000_tags", "orders.place",
                  lambda c: _provider(c, tags=tags_20k), ("body", "tags")),
        BoundCase("provider_place_101_features", "orders.place",
                  lambda c: {**_provider(c), "featureCollection": {
                      "type": "FeatureCollection",
                      "features": json.loads(feature_collection_text(valid_geometry()))[
                          "features"] * 101}},
                  ("body", "featureCollection", "features")),
        BoundCase("archive_place_20000_tags", "orders.archive.place",
                  lambda c: {"captures": [{"id": c["capture"]}], "tags": tags_20k},
                  ("body", "tags")),
        BoundCase("archive_place_501_captures", "orders.archive.place",
                  lambda c: {"captures": [{"id": c["capture"]}] * 501}, ("body", "captures")),
        BoundCase("orders_list_498_tags_and_names", "orders.list",
                  lambda c: {"tags": _values(498), "displayName": _values(498)},
                  ("body", "displayName")),
        BoundCase("orders_list_101_order_ids", "orders.list",
                  lambda c: {"orderIds": _values(101)}, ("body", "orderIds")),
        BoundCase("orders_list_filter_20001_chars", "orders.list",
                  lambda c: {"tags": "x" * 20_001}, ("body", "tags")),
        BoundCase("studies_list_101_ids", "orders.tasking.feasibility_studies.list",
                  lambda c: {"id": _values(101)}, ("body", "id")),
        BoundCase("quotations_list_101_orders", "orders.tasking.quotations.list",
                  lambda c: {"orderId": _values(101)}, ("body", "orderId")),
        BoundCase("page_as_float", "orders.list", lambda c: {"page": 1.0}, ("body", "page")),
        BoundCase("page_as_true", "orders.list", lambda c: {"page": True}, ("body", "page")),
        BoundCase("size_as_string", "orders.list", lambda c: {"size": "5"}, ("body", "size")),
    ]


#: ``expires_in_hours`` of ``POST /sandbox/keys`` that once answered 500 (1e15: overflow;
#: 2.5e12: after the key row was committed) or was taken as 1 hour (``true``).
BAD_KEY_LIFETIMES: tuple[object, ...] = (1e15, 2.5e12, True, 0, -1, "24", 87_841)

#: Media types a JSON body must not be sent under (415), and ones that are JSON.
NOT_JSON_MEDIA_TYPES = ("text/plain", "application/x-www-form-urlencoded",
                        "multipart/form-data; boundary=x", "application/xml", "image/png")
JSON_MEDIA_TYPES = ("application/json", "application/json; charset=utf-8",
                    "application/merge-patch+json")

