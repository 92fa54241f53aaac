"""Predicted passes and feasibility checks / study options."""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
import pytest
import shapely
from sgp4.api import Satrec, jday
from shapely.geometry import shape

from conftest import square_fc
from geopera_nb.contract.timestamps import format_instant as iso
from geopera_nb.contract.timestamps import parse_instant as parse_datetime
from geopera_nb.geo import parse_feature_collection
from geopera_nb.server.domain import (
    Catalogue,
    DomainError,
    check_feasibility,
    normalise_tasking_group,
    opportunities,
    study_options,
)
from geopera_nb.server.domain.astro import EARTH_RADIUS_KM, gmst_rad

PROPS = {"datetime", "satellite", "sensor", "offNadirDeg", "direction", "featureIndex",
         "sunElevationDeg"}  # fmt: skip


def _ground_point(tle: list[str], when: str) -> tuple[float, float]:
    t = parse_datetime(when)
    jd, fr = jday(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond / 1e6)
    _, r, _ = Satrec.twoline2rv(*tle).sgp4(jd, fr)
    th = float(gmst_rad(jd + fr))
    x = np.cos(th) * r[0] + np.sin(th) * r[1]
    y = -np.sin(th) * r[0] + np.cos(th) * r[1]
    return float(np.degrees(np.arctan2(y, x))), float(
        np.degrees(np.arcsin(r[2] / np.linalg.norm(r)))
    )


def test_aoi_under_the_ground_track_is_seen(cat: Catalogue) -> None:
    sensor = cat.sensor("geo-owl-30")
    tle = sensor["orbit"]["satellites"][0]["tle"]
    # put the AOI right under OWL-1 at a daylight moment of the window
    lon, lat = _ground_point(tle, "2026-12-02T00:30:00Z")
    aois = parse_feature_collection(square_fc(lon - 0.05, lat - 0.05, 0.1))
    passes = opportunities(sensor, aois, cat.now, cat.now + timedelta(days=7))
    assert passes
    for p in passes:
        assert set(p["properties"]) == PROPS and p["type"] == "Feature"
        assert 0 <= p["properties"]["offNadirDeg"] <= sensor["maxOffNadirDeg"]
        assert p["properties"]["direction"] in ("ascending", "descending")
        assert p["properties"]["sunElevationDeg"] >= 10
        assert cat.now <= parse_datetime(p["properties"]["datetime"]) <= cat.now + timedelta(days=7)
        strip = shape(p["geometry"])
        assert strip.is_valid and strip.contains(aois[0].geometry.centroid)
    near = [p for p in passes if abs(parse_datetime(p["properties"]["datetime"]) - parse_datetime("2026-12-02T00:30:00Z")) < timedelta(minutes=2)]  # fmt: skip
    assert len(near) == 1
    assert near[0]["properties"]["satellite"] == "OWL-1"
    assert near[0]["properties"]["offNadirDeg"] < 3.0  # straight under the track
    times = [p["properties"]["datetime"] for p in passes]
    assert times == sorted(times)
    assert len({p["id"] for p in passes}) == len(passes)
    again = opportunities(sensor, aois, cat.now, cat.now + timedelta(days=7))
    assert again == passes  # deterministic


def test_off_nadir_limit_and_speed(cat: Catalogue) -> None:
    sensor = cat.sensor("geo-swift-3m")
    aois = parse_feature_collection(square_fc(150, -34, 0.1))
    t = time.perf_counter()
    wide = opportunities(sensor, aois, cat.now, cat.now + timedelta(days=7))
    elapsed = time.perf_counter() - t
    assert elapsed < 1.0, elapsed
    narrow = opportunities(sensor, aois, cat.now, cat.now + timedelta(days=7), max_off_nadir=8)
    assert len(narrow) < len(wide)
    assert all(p["properties"]["offNadirDeg"] <= 8 for p in narrow)
    assert {p["id"] for p in narrow} <= {p["id"] for p in wide}


def test_manual_sensor_and_window_rules(cat: Catalogue) -> None:
    aois = parse_feature_collection(square_fc(150, -34, 0.1))
    assert (
        opportunities(cat.sensor("geo-condor-40"), aois, cat.now, cat.now + timedelta(days=7)) == []
    )
    with pytest.raises(DomainError) as info:
        opportunities(cat.sensor("geo-owl-30"), aois, cat.now, cat.now + timedelta(days=32))
    assert info.value.status == 422


def test_antimeridian_aoi_passes(cat: Catalogue) -> None:
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
          "geometry": {"type": "Polygon", "coordinates": [[[179.9, -17], [-179.9, -17],
          [-179.9, -16.9], [179.9, -16.9], [179.9, -17]]]}}]}  # fmt: skip
    aois = parse_feature_collection(fc)
    passes = opportunities(cat.sensor("geo-kite-50"), aois, cat.now, cat.now + timedelta(days=7))
    assert passes
    for p in passes:
        strip = shape(p["geometry"])
        assert strip.is_valid and strip.bounds[0] >= -180 and strip.bounds[2] <= 180
        assert strip.intersects(aois[0].geometry)


def test_feasibility_rules(cat: Catalogue) -> None:
    owl = cat.sensor("geo-owl-30")
    aois = parse_feature_collection(square_fc(150, -34, 0.1))
    ok = check_feasibility(
        owl, aois, {"start": iso(cat.now), "end": iso(cat.now + timedelta(days=10))}, cat.now
    )
    assert ok["sensor"] == "geo-owl-30" and ok["dataProduct"] == owl["dataProductId"]
    [f] = ok["features"]
    assert f["feasible"] and not f["studyRequired"] and f["reason"].startswith("feasible")
    assert set(f) == {"index", "feasible", "studyRequired", "reason", "areaKm2"}

    def one(params: dict, sensor: dict | None = None, fc: dict | None = None) -> dict:
        a = parse_feature_collection(fc) if fc else aois
        return check_feasibility(sensor or owl, a, params, cat.now)["features"][0]

    short = one({"end": iso(cat.now + timedelta(hours=48))})
    assert not short["feasible"] and "shorter" in short["reason"]
    cloudy = one({"maxCloudCoverage": 3})
    assert not cloudy["feasible"] and "maxCloudCoverage" in cloudy["reason"]
    stiff = one({"maxOffNadir": 2})
    assert not stiff["feasible"] and "maxOffNadir" in stiff["reason"]
    huge = one({}, fc=square_fc(10, 45, 0.6))  # ~3,100 km2 > 2,000
    assert not huge["feasible"] and "maximum" in huge["reason"]
    tight = one({"end": iso(cat.now + timedelta(hours=100))})  # < 2x the 72 h minimum
    assert tight["feasible"] and tight["studyRequired"] and "short window" in tight["reason"]
    large = one({}, fc=square_fc(10, 45, 0.4))  # > half of maxKm2
    assert large["studyRequired"] and "large area" in large["reason"]
    manual = one({}, sensor=cat.sensor("geo-condor-40"))
    assert manual["feasible"] and manual["studyRequired"]
    with pytest.raises(DomainError):
        one({"maxCloudCoverage": "low"})


def test_study_options_price_the_requested_priority_exactly(cat: Catalogue) -> None:
    fc = square_fc(10, 45, 0.1)
    for prio in ("standard", "priority", "rush"):
        req = normalise_tasking_group({"sensor": "geo-condor-40", "featureCollection": fc,
                                       "priority": prio}, 0, cat, cat.now)  # fmt: skip
        opts = study_options("order-1", req, 123_457, 0, cat.now)
        assert 2 <= len(opts) <= 3
        [same] = [o for o in opts if o["priority"] == prio]
        assert same["credits"] == 123_457 and same["aud"] == 1234.57
        assert len({o["id"] for o in opts}) == len(opts)
        assert opts == study_options("order-1", req, 123_457, 0, cat.now)
        for o in opts:
            assert set(o) == {
                "id",
                "description",
                "priority",
                "start",
                "end",
                "passes",
                "credits",
                "aud",
            }
            assert o["start"] < o["end"]
    req = normalise_tasking_group({"sensor": "geo-condor-40", "featureCollection": fc,
                                   "end": iso(cat.now + timedelta(days=8))}, 0, cat, cat.now)  # fmt: skip
    assert [o["priority"] for o in study_options("o", req, 100, 0, cat.now)] == [
        "standard",
        "priority",
    ]


def test_spherical_model_constant() -> None:
    assert EARTH_RADIUS_KM == 6371.0
    assert shapely.Point(0, 0).is_valid
