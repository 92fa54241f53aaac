"""Geometry rules of semantics.md: every rejection, both windings, antimeridian, areas."""

from __future__ import annotations

import math
from typing import Any

import pytest
import shapely
from pyproj import Geod
from shapely.geometry import box

from geopera_nb.contract.limits import VERTICES_MAX as MAX_VERTICES
from geopera_nb.geo import (
    GeometryRejected,
    geodesic_area_km2,
    geodesic_areas_km2,
    geojson_bbox,
    parse_feature_collection,
    parse_geometry,
    split_antimeridian,
    to_geojson,
    validate_geometry,
)

SQUARE = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]


def fc(*geoms: Any, **extra: Any) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": g} for g in geoms],
        **extra,
    }


def poly(*rings: list[list[Any]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def rejected(body: Any) -> GeometryRejected:
    with pytest.raises(GeometryRejected) as info:
        parse_feature_collection(body)
    assert info.value.problems, "a rejection must carry problems"
    for p in info.value.problems:
        assert p.loc[0] == "featureCollection"
        assert p.type == "value_error.geometry"
        assert p.msg
    return info.value


def test_valid_square_both_windings() -> None:
    ccw = parse_feature_collection(fc(poly(SQUARE)))[0]
    cw = parse_feature_collection(fc(poly(SQUARE[::-1])))[0]
    assert ccw.area_km2 == pytest.approx(cw.area_km2)
    for aoi in (ccw, cw):
        assert aoi.geometry.exterior.is_ccw  # normalised to RFC 7946 winding


def test_equator_cell_area_matches_pyproj() -> None:
    area = geodesic_area_km2(box(0, 0, 1, 1))
    ref, _ = Geod(ellps="WGS84").polygon_area_perimeter([0, 1, 1, 0], [0, 0, 1, 1])
    assert area == pytest.approx(abs(ref) / 1e6, rel=1e-9)
    assert area == pytest.approx(12309, abs=1.0)
    # edges are geodesics: a 2x1 box is not two cells, but a cell shifted in lon is the same
    assert geodesic_areas_km2([box(0, 0, 1, 1), box(57, 0, 58, 1)]).tolist() == pytest.approx(
        [area, area], rel=1e-9
    )


@pytest.mark.parametrize(
    ("geometry", "loc_tail", "needle"),
    [
        (poly([[0, 0], [1, 0], [1, 1], [0, 1]]), ("coordinates", 0), "not closed"),
        (poly([[0, 0], [1, 0], [0, 0]]), ("coordinates", 0), "at least 4"),
        (poly([[0, 0], [1, 0], [1, 91], [0, 0]]), ("coordinates", 0, 2), "latitude"),
        (poly([[0, 0], [1, 0], [1, -90.5], [0, 0]]), ("coordinates", 0, 2), "latitude"),
        (poly([[0, 0], [181, 0], [1, 1], [0, 0]]), ("coordinates", 0, 1), "longitude"),
        (poly([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]), ("coordinates",), "Self-intersection"),
        (poly([[0, 0], [math.nan, 0], [1, 1], [0, 0]]), ("coordinates", 0, 1), "finite"),
        (poly([[0, 0], [math.inf, 0], [1, 1], [0, 0]]), ("coordinates", 0, 1), "finite"),
        (poly([[0, 0], [10**400, 0], [1, 1], [0, 0]]), ("coordinates", 0, 1), "huge"),
        (poly([[0, 0], [1e300, 0], [1, 1], [0, 0]]), ("coordinates", 0, 1), "huge"),
        (poly([[0, 0], ["1", 0], [1, 1], [0, 0]]), ("coordinates", 0, 1), "number"),
        (poly([[0, 0], [True, 0], [1, 1], [0, 0]]), ("coordinates", 0, 1), "number"),
        (poly([[0, 0], [[[[[1]]]], 0], [1, 1], [0, 0]]), ("coordinates", 0, 1), "number"),
        (poly([[0, 0], [1], [1, 1], [0, 0]]), ("coordinates", 0, 1), "2 or 3"),
        ({"type": "Polygon", "coordinates": []}, ("coordinates",), "empty"),
        ({"type": "Polygon", "coordinates": "x"}, ("coordinates",), "empty"),
        ({"type": "MultiPolygon", "coordinates": []}, ("coordinates",), "empty"),
        (poly([[0, 0], [1, 0], [2, 0], [0, 0]]), ("coordinates",), "invalid geometry"),
        ({"type": "Point", "coordinates": [0, 0]}, ("type",), "areal"),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, ("type",), "areal"),
        ({"type": "MultiPoint", "coordinates": [[0, 0]]}, ("type",), "areal"),
        ({"type": "GeometryCollection", "geometries": []}, ("type",), "areal"),
        ({"type": "Circle", "coordinates": [0, 0]}, ("type",), "Polygon"),
        ({**poly(SQUARE), "crs": {"type": "name"}}, ("crs",), "crs"),
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", (), "GeoJSON"),
        (None, (), "GeoJSON"),
    ],
)
def test_each_rejection(geometry: Any, loc_tail: tuple[Any, ...], needle: str) -> None:
    exc = rejected(fc(geometry))
    base = ("featureCollection", "features", 0, "geometry")
    assert any(p.loc == (*base, *loc_tail) and needle in p.msg for p in exc.problems), exc.problems


def test_too_many_vertices() -> None:
    n = MAX_VERTICES + 5
    ring = [[math.cos(2 * math.pi * k / n), math.sin(2 * math.pi * k / n)] for k in range(n)]
    ring.append(ring[0])
    exc = rejected(fc(poly(ring)))
    assert "vertices" in exc.problems[0].msg
    ok = [*ring[:-1:2], ring[0]]
    assert parse_feature_collection(fc(poly(ok)))  # ~5000 vertices is fine


def test_collection_level_rejections() -> None:
    assert rejected(None).problems[0].loc == ("featureCollection",)
    assert rejected([]).problems[0].loc == ("featureCollection",)
    assert rejected({"type": "FeatureCollection"}).problems[0].loc[-1] == "features"
    assert rejected({"type": "FeatureCollection", "features": []}).problems[0].loc[-1] == "features"
    exc = rejected(fc(poly(SQUARE), crs={"type": "name"}))
    assert exc.problems[0].loc == ("featureCollection", "crs")
    exc = rejected({"type": "Feature", "features": [1]})
    locs = {p.loc for p in exc.problems}
    assert ("featureCollection", "type") in locs and ("featureCollection", "features", 0) in locs
    body = fc(poly(SQUARE))
    body["features"][0]["crs"] = {}
    assert rejected(body).problems[0].loc == ("featureCollection", "features", 0, "crs")


def test_all_problems_collected_across_features() -> None:
    exc = rejected(
        fc(poly(SQUARE), {"type": "Point", "coordinates": [0, 0]}, poly([[0, 0], [1, 0]]))
    )
    features = {p.loc[2] for p in exc.problems}
    assert features == {1, 2}


def test_custom_loc_prefix() -> None:
    with pytest.raises(GeometryRejected) as info:
        parse_feature_collection(fc(None), loc=("groups", 3, "featureCollection"))
    assert info.value.problems[0].loc[:4] == ("groups", 3, "featureCollection", "features")


@pytest.mark.parametrize(
    "junk",
    [1, "x", [[[[[]]]]], {"type": "FeatureCollection", "features": [[[[[[[]]]]]]]},
     {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon",
      "coordinates": [[[[[[[[[[0]]]]]]]]]]}}]},
     {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": 5,
      "geometry": poly(SQUARE)}]},
     {"type": "FeatureCollection", "features": [{"type": "Feature",
      "geometry": {"type": "MultiPolygon", "coordinates": [[[1, 2]]]}}]}],
)  # fmt: skip
def test_hostile_input_never_crashes(junk: Any) -> None:
    rejected(junk)


def test_deeply_nested_coordinates() -> None:
    deep: Any = [0.0, 0.0]
    for _ in range(5000):
        deep = [deep]
    rejected(fc({"type": "Polygon", "coordinates": deep}))


def test_antimeridian_split_two_parts_same_area() -> None:
    crossing = poly([[179.5, -10], [-179.5, -10], [-179.5, -9], [179.5, -9], [179.5, -10]])
    [aoi] = parse_feature_collection(fc(crossing))
    assert aoi.geometry.geom_type == "MultiPolygon"
    parts = list(aoi.geometry.geoms)
    assert len(parts) == 2
    bounds = sorted(p.bounds for p in parts)
    assert bounds[0][0] == -180.0 and bounds[0][2] == pytest.approx(-179.5)
    assert bounds[1][0] == pytest.approx(179.5) and bounds[1][2] == 180.0
    # the same polygon moved to lon 0, with the vertices the cut adds (edges are geodesics)
    moved = shapely.Polygon([(-0.5, -10), (0, -10), (0.5, -10), (0.5, -9), (0, -9), (-0.5, -9)])
    assert aoi.area_km2 == pytest.approx(geodesic_area_km2(moved), rel=1e-9)
    assert aoi.area_km2 == pytest.approx(geodesic_area_km2(box(-0.5, -10, 0.5, -9)), rel=1e-4)
    # never wrapped round the globe: the split AOI is ~1 deg wide, not ~359
    assert aoi.area_km2 < 1.1 * geodesic_area_km2(box(0, -10, 1, -9))
    assert geojson_bbox(aoi.geometry) == pytest.approx([179.5, -10, -179.5, -9])


def test_antimeridian_split_with_hole_and_multipolygon() -> None:
    shell = [[179, -1], [-179, -1], [-179, 1], [179, 1], [179, -1]]
    hole = [[179.8, -0.2], [179.8, 0.2], [-179.8, 0.2], [-179.8, -0.2], [179.8, -0.2]]
    g = split_antimeridian(poly(shell, hole))
    ref = geodesic_area_km2(box(-1, -1, 1, 1)) - geodesic_area_km2(box(-0.2, -0.2, 0.2, 0.2))
    assert geodesic_area_km2(g) == pytest.approx(ref, rel=1e-3)
    assert all(-180 <= x <= 180 for x in (g.bounds[0], g.bounds[2]))
    assert not g.contains(shapely.Point(179.9, 0)) and g.contains(shapely.Point(179.5, 0))
    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE], [shell]]}
    m = split_antimeridian(multi)
    assert len(shapely.get_parts(m)) == 3


def test_overlapping_multipolygon_rejected() -> None:
    multi = {
        "type": "MultiPolygon",
        "coordinates": [[SQUARE], [[[0.5, 0.5], [2, 0.5], [2, 2], [0.5, 2], [0.5, 0.5]]]],
    }
    exc = rejected(fc(multi))
    assert "invalid geometry" in exc.problems[0].msg


def test_validate_geometry_and_helpers() -> None:
    assert validate_geometry(poly(SQUARE)) is None
    assert "Self-intersection" in (
        validate_geometry(poly([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]])) or ""
    )
    assert to_geojson(shapely.Polygon()) == {"type": "GeometryCollection", "geometries": []}
    assert to_geojson(box(0, 0, 1, 1))["coordinates"][0][0] == [1.0, 0.0]
    pt = parse_geometry({"type": "Point", "coordinates": [10, 20]}, areal_only=False)
    assert (pt.x, pt.y) == (10, 20)
    with pytest.raises(GeometryRejected):
        parse_geometry({"type": "Point", "coordinates": [500, 20]}, areal_only=False)


def test_feature_name_and_properties_kept() -> None:
    body = fc(poly(SQUARE))
    body["features"][0]["properties"] = {"name": "Farm A", "crop": "wheat"}
    [aoi] = parse_feature_collection(body)
    assert aoi.name == "Farm A" and aoi.properties["crop"] == "wheat" and aoi.index == 0


def test_ring_round_a_pole_is_rejected() -> None:
    ring = [[0, 80], [90, 80], [180, 80], [-90, 80], [0, 80]]
    exc = rejected(fc(poly(ring)))
    assert "pole" in exc.problems[0].msg


def test_parse_feature_points_into_the_features_array() -> None:
    from geopera_nb.geo import parse_feature

    ok = {"type": "Feature", "properties": None, "geometry": poly(SQUARE)}
    assert parse_feature(ok, 4).index == 4
    with pytest.raises(GeometryRejected) as info:
        parse_feature({"type": "Feature", "geometry": poly(SQUARE[:3])}, 2)
    assert info.value.problems[0].loc[:3] == ("featureCollection", "features", 2)
