"""The fast paths give the answers of the slow ones they replace.

- Ring checks: the numpy path of ``geo.coordinates.check_ring`` reports exactly the problems (``loc``,
  ``msg``, order, per-feature cap) of the per-value reference ``_ring_scalar``, on the
  hostile corpus of tests/reliability and on generated rings; accepted AOIs are equal.
- Areas: ``geodesic_area_km2`` is bit for bit pyproj's ``geometry_area_perimeter`` of the
  oriented geometry; ``AOI.area_km2`` (computed once at parse time) and the single-AOI
  union shortcut of ``union_area`` equal a fresh computation exactly.
- Passes: ``count_passes`` (coarse sweep + local refinement, used by
  ``check_feasibility``) counts exactly the passes ``opportunities`` lists.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.polygon import orient

from conftest import square_fc
from geopera_nb import geo
from geopera_nb.contract.timestamps import format_instant as iso
from geopera_nb.geo import (
    GeometryRejected,
    coordinates,
    geodesic_area_km2,
    parse_feature_collection,
    parse_geometry,
    validation,
)
from geopera_nb.server.domain import Catalogue, check_feasibility, opportunities
from geopera_nb.server.domain.orbits import _coarse_sweep, count_passes
from geopera_nb.server.domain.tasking_request import union_area

# --- ring checks: vectorised == per value ------------------------------------------------


def _reference_ring(raw: object, loc: Any, out: Any) -> Any:
    """``_ring`` as it was: the per-value check for every ring."""
    if not isinstance(raw, list):
        out.add(loc, "ring must be an array of positions")
        return None
    return coordinates._ring_scalar(raw, loc, out)


def _outcome(fn: Any, value: Any) -> Any:
    try:
        got = fn(value)
    except GeometryRejected as exc:
        return ("rejected", [(p.loc, p.msg, p.type) for p in exc.problems])
    if isinstance(got, list):
        return ("ok", [(a.index, a.geometry.wkb_hex, a.area_km2, a.name) for a in got])
    return ("ok", got.wkb_hex)


def _both(monkeypatch: pytest.MonkeyPatch, fn: Any, value: Any) -> tuple[Any, Any]:
    fast = _outcome(fn, value)
    with monkeypatch.context() as m:
        m.setattr(validation, "check_ring", _reference_ring)
        slow = _outcome(fn, value)
    return fast, slow


def _hostile_corpus() -> list[Any]:
    path = Path(__file__).parents[2] / "reliability" / "hostile_corpus.py"
    spec = importlib.util.spec_from_file_location("_hostile_corpus_for_domain", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    out = []
    for case in module.bad_geometries():
        # json.loads reads the NaN and 1e999 tokens a careless client sends (nan, inf)
        out.append(json.loads(module.feature_collection_text(case.geometry, crs=case.fc_crs)))
    return out


def _poly(*rings: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def _fc(*geoms: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": g} for g in geoms]}  # fmt: skip


SQ = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]
MULTI_WITH_BAD_PARTS = {
    "type": "MultiPolygon",
    "coordinates": [[SQ], [[[5, 5], [500, 5], [6, 6], [5, 5]]], [[[7, 7], "x", [8, 8], [7, 7]]]],
}
EXTRA = [
    _fc(_poly(SQ)),
    _fc(_poly([[x, y, 5.0] for x, y in SQ])),  # 3D positions
    _fc(_poly([[0, 0, 1], [1, 0], [1, 1], [0, 1, 2], [0, 0]])),  # mixed 2D/3D
    _fc(_poly([[0, 0], [1, 0, math.nan], [1, 1], [0, 0]])),  # a bad altitude
    _fc(_poly([[0, 0], [math.nan, 1e7], [1e7, math.nan], [1, 1], [0, 0]])),  # first bad wins
    _fc(_poly([[0, 0], [math.inf, -math.inf], [1, 1], [0, 0]])),
    _fc(_poly([[0, 0], [10**400, 0], [2**70, 0], [1, 1], [0, 0]])),  # ints beyond float range
    _fc(_poly([[0, 0], [True, 0], [1, False], [1, 1], [0, 0]])),
    _fc(_poly([[0, 0], [np.float64(1.0), 0], [1, 1], [0, 0]])),  # a float subclass
    _fc(_poly([[0, 0], [181, 91], [-181, -91], [180, 90], [0, 0]])),  # lon and lat both out
    _fc(_poly([[-0.0, 0.0], [1, 0], [1, 1], [0.0, -0.0]])),  # -0.0 == 0.0 closes
    _fc(_poly([[0, 0], [1, 0], [1, 1], [0, 1], [0, 1e-12]])),  # not closed
    _fc(_poly([[0, 0], [1, 0], [1, 1], [0, 1]], [[0.2, 0.2], [0.4, 0.2], [0.2, 0.4]])),
    _fc(_poly([[200 + k, 100] for k in range(40)])),  # 80 problems: the cap of 20
    _fc(_poly(SQ, [[0.2, 0.2], [0.4, 95], [0.2, 0.4], [0.2, 0.2]]), _poly([[0, 0]])),
    _fc(MULTI_WITH_BAD_PARTS),
    _fc(_poly([[179.5, -10], [-179.5, -10], [-179.5, -9], [179.5, -9], [179.5, -10]])),
    _fc(_poly([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0], [0, 0]])),
    _fc(_poly([[0, 0], [1, 0], [2, 0], [0, 0]])),  # zero area
    _fc(_poly([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]])),  # bow-tie
    _fc(_poly([])),
    _fc(_poly([[]])),
    _fc(_poly([[0, 0], [1, 0], [1, 1]])),  # too short and not closed
    _fc(_poly([[0, 0], [1, 0], [1, 1], [0, 0]], [[1, 2, 3, 4]], "ring")),
]


@pytest.mark.parametrize("body", _hostile_corpus() + EXTRA)
def test_vectorised_ring_checks_match_the_per_value_reference(
    monkeypatch: pytest.MonkeyPatch, body: Any
) -> None:
    fast, slow = _both(monkeypatch, parse_feature_collection, body)
    assert fast == slow
    geom = body["features"][0]["geometry"]
    fast, slow = _both(monkeypatch, lambda g: parse_geometry(g, areal_only=False), geom)
    assert fast == slow


numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-200, 200),
    st.floats(-2e6, 2e6),
    st.integers(-300, 300),
    st.integers(),
)
rings = st.lists(st.lists(numbers, min_size=2, max_size=3), min_size=0, max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(rings, min_size=1, max_size=3), st.booleans(), st.booleans())
def test_vectorised_ring_checks_match_on_generated_rings(
    ring_list: list[list[list[Any]]], close: bool, same_dims: bool
) -> None:
    fixed = []
    for ring in ring_list:
        r = [list(p) for p in ring]
        if same_dims and r:
            r = [p[:2] for p in r]
        if close and r:
            r.append(list(r[0]))
        fixed.append(r)
    body = _fc(_poly(*fixed))
    with pytest.MonkeyPatch.context() as m:
        fast, slow = _both(m, parse_feature_collection, body)
    assert fast == slow


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(-180, 180), st.floats(-89, 89)), min_size=3, max_size=40))
def test_vectorised_ring_checks_match_on_valid_looking_rings(
    points: list[tuple[float, float]],
) -> None:
    ring = [list(p) for p in points] + [list(points[0])]
    with pytest.MonkeyPatch.context() as m:
        fast, slow = _both(m, parse_feature_collection, _fc(_poly(ring)))
    assert fast == slow


# --- areas ---------------------------------------------------------------------------


def _pyproj_area_km2(geom: Any) -> float:
    """The former implementation: pyproj over ``ring.xy`` of each oriented polygon."""
    geod = Geod(ellps="WGS84")
    total = 0.0
    for part in shapely.get_parts(geom):
        area, _ = geod.geometry_area_perimeter(orient(part, sign=1.0))
        total += abs(area)
    return total / 1e6


def test_geodesic_area_is_pyprojs_bit_for_bit() -> None:
    rng = np.random.default_rng(7)
    geoms: list[Any] = [
        box(0, 0, 1, 1),
        box(0, 0, 1, 1).difference(box(0.2, 0.2, 0.4, 0.4)),  # a hole
        Polygon(list(box(3, 3, 5, 6).exterior.coords)[::-1]),  # clockwise
        MultiPolygon([box(179, 0, 180, 1), box(-180, 0, -179, 1)]),
    ]
    for _ in range(40):
        n = int(rng.integers(3, 300))
        t = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = rng.uniform(0.5, 3.0, n)
        cx, cy = rng.uniform(-170, 170), rng.uniform(-80, 80)
        geoms.append(Polygon(np.c_[cx + r * np.cos(t), np.clip(cy + r * np.sin(t), -89, 89)]))
    for g in geoms:
        assert geodesic_area_km2(g) == _pyproj_area_km2(g)


def test_area_computed_once_equals_a_fresh_computation() -> None:
    n = 999
    ring = [[150 + 0.05 * math.cos(2 * math.pi * k / n), -34 + 0.05 * math.sin(2 * math.pi * k / n)]
            for k in range(n)]  # fmt: skip
    bodies = [
        _fc(_poly([*ring, ring[0]])),
        _fc(_poly([*ring, ring[0]][::-1])),
        _fc(_poly([[179.5, -10], [-179.5, -10], [-179.5, -9], [179.5, -9], [179.5, -10]])),
        _fc(_poly(SQ, [[0.2, 0.2], [0.2, 0.4], [0.4, 0.4], [0.4, 0.2], [0.2, 0.2]])),
        _fc(_poly(SQ), _poly([[0.5, 0.5], [2, 0.5], [2, 2], [0.5, 2], [0.5, 0.5]])),
    ]
    for body in bodies:
        aois = parse_feature_collection(body)
        for a in aois:
            assert a.area_km2 == geodesic_area_km2(a.geometry) == _pyproj_area_km2(a.geometry)
        union, area = union_area([a.geometry for a in aois], [a.area_km2 for a in aois])
        fresh = geo.polygonal(shapely.union_all([a.geometry for a in aois]))
        assert union.equals_exact(fresh, 0.0)
        assert area == geodesic_area_km2(fresh)


def test_estimate_of_a_1000_vertex_aoi_is_fast(cat: Catalogue) -> None:
    from geopera_nb.server.domain.pricing import price_tasking

    n = 999
    ring = [[150 + 0.05 * math.cos(2 * math.pi * k / n), -34 + 0.05 * math.sin(2 * math.pi * k / n)]
            for k in range(n)]  # fmt: skip
    group = {"sensor": "geo-owl-30", "featureCollection": _fc(_poly([*ring, ring[0]]))}
    price_tasking([group], cat, cat.now)
    samples = []
    for _ in range(15):
        t = time.perf_counter()
        out = price_tasking([group], cat, cat.now)
        samples.append(time.perf_counter() - t)
    assert not out["errors"]
    assert sorted(samples)[7] < 0.015, samples  # ~1 ms on a quiet machine (was ~16 ms)


# --- passes: count_passes == len(opportunities) ----------------------------------------


def _sensor(cat: Catalogue, sid: str) -> dict[str, Any]:
    sensor = cat.sensor(sid)
    assert sensor is not None
    return sensor


PASS_CASES = [
    # sensor, lon, lat, start offset (h), window (h), maxOffNadir, min sun
    ("geo-owl-30", 150.0, -34.0, 24.0, 18 * 24.0, None, None),
    ("geo-kite-50", 2.3, 48.8, 3.5, 7 * 24.0, 12.0, None),
    ("geo-heron-1m", -70.6, -33.4, 0.0, 31 * 24.0, None, None),
    ("geo-swift-3m", 179.95, -17.0, 10.0, 5 * 24.0, None, -90.0),
    ("geo-gannet-10m", 18.0, 69.6, 0.25, 12 * 24.0, 9.0, None),
    ("geo-owl-30", -122.4, 37.7, 47.9, 0.9, None, None),  # under one hour
    ("geo-swift-3m", 25.0, 80.5, 1.0, 3 * 24.0, None, 30.0),
    ("geo-kite-50", 100.0, 0.0, 0.01, 2 * 24.0 + 0.37, None, -90.0),
]


@pytest.mark.parametrize(("sid", "lon", "lat", "off_h", "hours", "limit", "sun"), PASS_CASES)
def test_count_passes_equals_opportunities(
    cat: Catalogue, sid: str, lon: float, lat: float, off_h: float, hours: float,
    limit: float | None, sun: float | None,
) -> None:  # fmt: skip
    fc = square_fc(lon, lat, 0.05)
    fc["features"].append(square_fc(lon - 3.0, lat - 2.0, 0.05)["features"][0])
    aois = parse_feature_collection(fc)
    start = cat.now + timedelta(hours=off_h)
    end = start + timedelta(hours=hours)
    passes = opportunities(_sensor(cat, sid), aois, start, end, max_off_nadir=limit,
                           min_sun_elevation_deg=sun)  # fmt: skip
    expected: dict[int, int] = {}
    for p in passes:
        i = p["properties"]["featureIndex"]
        expected[i] = expected.get(i, 0) + 1
    _coarse_sweep.cache_clear()
    got = count_passes(_sensor(cat, sid), aois, start, end, max_off_nadir=limit,
                       min_sun_elevation_deg=sun)  # fmt: skip
    assert got == expected
    again = count_passes(_sensor(cat, sid), aois, start, end, max_off_nadir=limit,
                         min_sun_elevation_deg=sun)  # fmt: skip
    assert again == got  # the cached sweep answers the same
    finer = count_passes(_sensor(cat, sid), aois, start, end, max_off_nadir=limit,
                         min_sun_elevation_deg=sun, coarse_step_s=300.0)  # fmt: skip
    assert finer == got


def test_feasibility_reports_the_opportunities_count(cat: Catalogue) -> None:
    owl = _sensor(cat, "geo-owl-30")
    aois = parse_feature_collection(square_fc(150, -34, 0.1))
    start, end = cat.now + timedelta(days=1), cat.now + timedelta(days=19)
    n = len(opportunities(owl, aois, start, end))
    assert n >= 2
    _coarse_sweep.cache_clear()
    t = time.perf_counter()
    r = check_feasibility(owl, aois, {"start": iso(start), "end": iso(end)}, cat.now)
    elapsed = time.perf_counter() - t
    [f] = r["features"]
    assert f["feasible"] and not f["studyRequired"]
    assert f["reason"] == f"feasible: {n} passes within 30 deg"
    assert elapsed < 0.2, elapsed  # ~10-20 ms cold on a quiet machine (was ~300 ms)
    one = check_feasibility(owl, aois, {"start": iso(start), "end": iso(end),
                                        "maxOffNadir": 6}, cat.now)  # fmt: skip
    n6 = len(opportunities(owl, aois, start, end, max_off_nadir=6))
    assert one["features"][0]["studyRequired"] == (n6 < 2)
    assert (f" {n6} pass" in one["features"][0]["reason"]) or n6 == 0


def test_count_passes_guards(cat: Catalogue) -> None:
    aois = parse_feature_collection(square_fc(150, -34, 0.1))
    assert (
        count_passes(_sensor(cat, "geo-condor-40"), aois, cat.now, cat.now + timedelta(days=7))
        == {}
    )
    assert count_passes(_sensor(cat, "geo-owl-30"), aois, cat.now, cat.now) == {}
    with pytest.raises(ValueError, match="multiple of 30"):
        count_passes(_sensor(cat, "geo-owl-30"), aois, cat.now, cat.now + timedelta(days=1),
                     coarse_step_s=100.0)  # fmt: skip
    from geopera_nb.server.domain import DomainError

    with pytest.raises(DomainError):
        count_passes(_sensor(cat, "geo-owl-30"), aois, cat.now, cat.now + timedelta(days=32))
