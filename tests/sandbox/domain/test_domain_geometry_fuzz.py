"""Hostile input never crashes the geometry rules: always a list of AOIs or GeometryRejected."""

from __future__ import annotations

import contextlib
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geopera_nb.geo import GeometryRejected, parse_feature_collection, parse_geometry

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=40,
)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.just("1"), st.none()
)
positions = st.lists(numbers, min_size=0, max_size=4)
rings = st.lists(positions, min_size=0, max_size=8)
geoms = st.fixed_dictionaries(
    {"type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString", "Foo"]),
     "coordinates": st.one_of(st.lists(rings, max_size=3), st.lists(st.lists(rings, max_size=2), max_size=2), json_values)}
)  # fmt: skip


def _check(value: Any) -> None:
    try:
        aois = parse_feature_collection(value)
    except GeometryRejected as exc:
        assert exc.problems
        return
    for aoi in aois:
        assert aoi.geometry.is_valid and math.isfinite(aoi.area_km2) and aoi.area_km2 > 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json(value: Any) -> None:
    _check(value)
    _check({"type": "FeatureCollection", "features": [value]})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(geoms)
def test_geometry_like_junk(geometry: dict[str, Any]) -> None:
    _check({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": geometry}]})
    with contextlib.suppress(GeometryRejected):
        parse_geometry(geometry, areal_only=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(-180, 180), st.floats(-89, 89)), min_size=3, max_size=12))
def test_random_rings(points: list[tuple[float, float]]) -> None:
    ring = [list(p) for p in points] + [list(points[0])]
    _check(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}}
            ],
        }
    )
