"""The hostile-input corpus: bad AOIs, bad bodies and their expected faults.

Each geometry case is a raw GeoJSON *geometry* as bytes-ready text (so ``NaN`` and
``1e999`` can appear as JSON tokens exactly as a careless client would send them);
the operation builders wrap it where that operation carries an AOI.
"""

from __future__ import annotations

import math
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
        BadTaskingField("start_9999_no_end", {"start": "9999-12-31T23:00:00Z", "end": None},
                        "start"),
        BadTaskingField("window_in_9999", {"start": "9999-12-30T00:00:00Z",
                                           "end": "9999-12-31T00:00:00Z"}, "start"),
        BadTaskingField("end_9999", {"end": "9999-12-31T23:59:59Z"}, "end"),
        BadTaskingField("start_before_1970", {"start": "1969-12-31T00:00:00Z"}, "start"),
        BadTaskingField("start_year_1", {"start": "0001-01-01T00:00:00Z"}, "start"),
        BadTaskingField("start_not_a_string", {"start": 1_700_000_000}, "start"),
    ]
