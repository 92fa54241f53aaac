"""Delivery plans and coverage math."""

from __future__ import annotations

from datetime import timedelta

import pytest
import shapely
from shapely.geometry import box, shape

from conftest import square_fc
from geopera_nb.geo import (
    geodesic_area_km2,
    parse_feature_collection,
    split_antimeridian,
)
from geopera_nb.server.domain import Catalogue, coverage, coverage_groups, plan_deliveries

AOIS = {
    "small": box(10, 45, 10.05, 45.04),
    "medium": box(150, -34, 150.3, -33.8),
    "concave": shapely.Polygon([(0, 0), (0.4, 0), (0.4, 0.1), (0.1, 0.1), (0.1, 0.3), (0, 0.3)]),
    "antimeridian": split_antimeridian({"type": "Polygon", "coordinates": [[[179.9, -17], [-179.9, -17], [-179.9, -16.9], [179.9, -16.9], [179.9, -17]]]}),
}  # fmt: skip


@pytest.mark.parametrize("name", list(AOIS))
@pytest.mark.parametrize("sensor_id", ["geo-owl-30", "geo-swift-3m"])
def test_plan_covers_partially_then_fully(cat: Catalogue, name: str, sensor_id: str) -> None:
    aoi = AOIS[name]
    start = cat.now + timedelta(days=2)
    end = start + timedelta(days=10)
    plan = plan_deliveries(f"order-{name}", aoi, cat.sensor(sensor_id), start, end, 0, max_cloud=15)
    assert 2 <= len(plan) <= 5
    times = [d.datetime for d in plan]
    assert times == sorted(times) and start <= times[0] and times[-1] <= end
    fractions = []
    for k in range(1, len(plan) + 1):
        cov = coverage(aoi, plan[:k])
        fractions.append(cov["coveredFraction"])
    assert all(0 < f < 0.999 for f in fractions[:-1]), fractions
    assert fractions[-1] == pytest.approx(1.0, abs=1e-9), fractions
    assert fractions == sorted(fractions)
    for d in plan:
        assert d.footprint.is_valid and d.footprint.intersects(aoi)
        assert not d.footprint.within(aoi)  # strips run past the AOI
        assert d.cloud_cover <= 15 and 0 <= d.off_nadir <= cat.sensor(sensor_id)["maxOffNadirDeg"]
    assert len({d.capture_id for d in plan}) == len(plan)


def test_plan_is_deterministic(cat: Catalogue) -> None:
    aoi, s = AOIS["medium"], cat.sensor("geo-owl-30")
    a = plan_deliveries("o1", aoi, s, cat.now, cat.now + timedelta(days=9), 3)
    b = plan_deliveries("o1", aoi, s, cat.now, cat.now + timedelta(days=9), 3)
    c = plan_deliveries("o2", aoi, s, cat.now, cat.now + timedelta(days=9), 3)
    key = lambda p: [(d.capture_id, d.datetime, d.footprint.wkb, d.cloud_cover) for d in p]  # noqa: E731
    assert key(a) == key(b) and key(a) != key(c)
    partial = plan_deliveries(
        "o1", aoi, s, cat.now, cat.now + timedelta(days=9), 3, full_coverage=False
    )
    assert coverage(aoi, partial)["coveredFraction"] < 0.999


def test_coverage_identities() -> None:
    req = box(0, 0, 1, 1)
    feet = [box(-0.5, -0.5, 0.5, 0.5), box(0.25, -1, 0.75, 2), box(5, 5, 6, 6)]
    cov = coverage(req, feet)
    assert cov["type"] == "FeatureCollection"
    assert cov["coveredKm2"] + cov["remainderKm2"] == pytest.approx(cov["requestedKm2"], rel=1e-12)
    assert cov["requestedKm2"] == pytest.approx(geodesic_area_km2(req))
    assert cov["captureCount"] == 2
    parts = {f["properties"]["part"]: f for f in cov["features"]}
    assert list(parts) == ["requested", "covered", "remainder"]
    covered, remainder = shape(parts["covered"]["geometry"]), shape(parts["remainder"]["geometry"])
    assert covered.intersection(remainder).area == pytest.approx(0, abs=1e-12)
    assert covered.union(remainder).symmetric_difference(req).area == pytest.approx(0, abs=1e-12)
    assert geodesic_area_km2(covered) + geodesic_area_km2(remainder) == pytest.approx(
        cov["requestedKm2"], rel=1e-4
    )
    assert cov["coveredFraction"] == pytest.approx(cov["coveredKm2"] / cov["requestedKm2"])
    assert parts["covered"]["properties"]["areaKm2"] == cov["coveredKm2"]
    none = coverage(req, [])
    assert none["coveredKm2"] == 0 and none["captureCount"] == 0
    assert none["features"][1]["geometry"] == {"type": "GeometryCollection", "geometries": []}
    full = coverage(req, [box(-1, -1, 2, 2)])
    assert full["remainderKm2"] == pytest.approx(0, abs=1e-9)
    assert full["features"][2]["geometry"] == {"type": "GeometryCollection", "geometries": []}


def test_coverage_groups(cat: Catalogue) -> None:
    fc = square_fc(10, 45, 0.1, name="Farm A")
    fc["features"].append(square_fc(11, 45, 0.1)["features"][0])
    aois = parse_feature_collection(fc)
    plan = plan_deliveries(
        "o9", aois[0].geometry, cat.sensor("geo-owl-30"), cat.now, cat.now + timedelta(days=9), 0
    )
    groups = coverage_groups(aois, plan)
    assert [g["name"] for g in groups] == ["Farm A", "AOI 1"]
    assert groups[0]["coveredFraction"] == pytest.approx(1.0) and groups[0]["captureCount"] == len(
        plan
    )
    assert groups[1]["deliveredKm2"] == 0 and groups[1]["captureCount"] == 0
    assert groups[0]["requestedKm2"] == pytest.approx(aois[0].area_km2)
    assert set(groups[0]) == {
        "index",
        "name",
        "requestedKm2",
        "deliveredKm2",
        "coveredFraction",
        "captureCount",
        "geometry",
    }
