"""Catalogue: sensor shape, valid TLEs, products and schemas, determinism."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

import jsonschema
import numpy as np
import pytest
import shapely
from sgp4.api import Satrec, jday

from geopera_nb.geo import geodesic_areas_km2
from geopera_nb.server.domain import SANDBOX_EPOCH, Catalogue, build_catalogue

SENSOR_KEYS = {"id", "name", "dataProductId", "resolutionM", "bands", "pricePerKm2",
               "priceAudPerKm2", "minKm2", "maxKm2", "maxOffNadirDeg", "feasibility",
               "minWindowHours", "minCloudPct", "orbit"}  # fmt: skip


def test_sensor_shape(cat: Catalogue) -> None:
    assert len(cat.sensors) >= 6
    res = sorted(s["resolutionM"] for s in cat.sensors)
    assert res[0] == 0.3 and res[-1] == 10.0
    assert sum(s["feasibility"] == "auto" for s in cat.sensors) >= 3
    assert any(s["feasibility"] == "manual" for s in cat.sensors)
    for s in cat.sensors:
        assert set(s) == SENSOR_KEYS
        assert s["priceAudPerKm2"] == s["pricePerKm2"] / 100
        assert 0 < s["minKm2"] < s["maxKm2"]
        assert uuid.UUID(s["dataProductId"]).version == 4
        assert cat.product(s["dataProductId"])["sensor"] == s["id"]
        if s["feasibility"] == "manual":
            assert s["orbit"] is None
        else:
            assert set(s["orbit"]) == {"satellites", "altitudeKm", "inclinationDeg"}
            assert 500 <= s["orbit"]["altitudeKm"] <= 700
            assert 97 < s["orbit"]["inclinationDeg"] < 99


def test_tles_are_valid_and_match_the_orbit(cat: Catalogue) -> None:
    jd, fr = jday(2026, 12, 1, 0, 0, 0)
    for s in cat.sensors:
        if s["orbit"] is None:
            continue
        for sat in s["orbit"]["satellites"]:
            l1, l2 = sat["tle"]
            assert len(l1) == len(l2) == 69
            for line in (l1, l2):
                digits = sum(int(c) if c.isdigit() else c == "-" for c in line[:-1])
                assert digits % 10 == int(line[-1])
            rec = Satrec.twoline2rv(l1, l2)
            err, r, _ = rec.sgp4(jd, fr)
            assert err == 0
            altitude = math.dist(r, (0, 0, 0)) - 6371.0
            assert altitude == pytest.approx(s["orbit"]["altitudeKm"], abs=15)
            assert math.degrees(rec.inclo) == pytest.approx(s["orbit"]["inclinationDeg"], abs=0.01)
            epoch_days = (rec.jdsatepoch + rec.jdsatepochF) - (jd + fr)
            assert -1.0 <= epoch_days <= 0.0  # epoch within a day before the clock start


def test_product_schemas_validate(cat: Catalogue) -> None:
    kinds = {p["kind"] for p in cat.products.values()}
    assert kinds == {"tasking", "archive"}
    for p in cat.products.values():
        jsonschema.Draft202012Validator.check_schema(p["schema"])
        v = jsonschema.Draft202012Validator(p["schema"])
        if p["kind"] == "tasking":
            ok = {"start": "2026-12-01T00:00:00Z", "end": "2026-12-10T00:00:00Z",
                  "maxCloudCoverage": 20, "priority": "rush"}  # fmt: skip
            assert v.is_valid(ok)
            assert not v.is_valid({**ok, "priority": "asap"})
            assert not v.is_valid({**ok, "bogus": 1})
            assert p["schema"]["x-sensor"] == p["sensor"]
        else:
            assert v.is_valid({"captureId": "x"}) and not v.is_valid({})
    assert cat.product("nope") is None and cat.sensor("nope") is None


def test_captures_columnar_and_realistic(cat: Catalogue) -> None:
    c = cat.captures
    assert c.size == 3000 and len(set(c.ids.tolist())) == 3000
    # sorted (datetime desc, id asc), inside the 2 years before now
    order = np.lexsort((c.ids, -c.datetime_ms))
    assert (order == np.arange(c.size)).all()
    now_ms = int(SANDBOX_EPOCH.timestamp() * 1000)
    assert (c.datetime_ms < now_ms).all() and (c.datetime_ms > now_ms - 731 * 86_400_000).all()
    assert (c.cloud_cover >= 0).all() and (c.cloud_cover <= 100).all()
    assert (np.abs(shapely.get_y(shapely.centroid(c.footprints))) < 60).all()
    assert shapely.is_valid(c.footprints).all()
    areas = geodesic_areas_km2(c.footprints)
    assert areas.min() > 60 and areas.max() < 600  # ~10-20 km strips/quads
    f = cat.capture(str(c.ids[0]))
    assert f is not None and f["type"] == "Feature" and f["collection"] in cat.collections
    assert set(f["properties"]) == {"datetime", "constellation", "platform", "gsd",
                                    "eo:cloud_cover", "view:off_nadir", "dataProductId",
                                    "price"}  # fmt: skip
    assert cat.product(f["properties"]["dataProductId"])["kind"] == "archive"
    assert f["properties"]["datetime"].endswith("Z") and len(f["properties"]["datetime"]) == 24


def test_deterministic_from_seed() -> None:
    a, b, c = (
        build_catalogue(7, n_captures=200),
        build_catalogue(7, n_captures=200),
        build_catalogue(8, n_captures=200),
    )
    assert a.sensors == b.sensors
    assert a.captures.ids.tolist() == b.captures.ids.tolist()
    assert [a.capture_feature(i) for i in range(5)] == [b.capture_feature(i) for i in range(5)]
    assert set(a.products) != set(c.products)
    assert not set(a.captures.ids.tolist()) & set(c.captures.ids.tolist())


def test_now_moves_the_archive() -> None:
    later = SANDBOX_EPOCH + timedelta(days=100)
    a = build_catalogue(0, n_captures=50)
    b = build_catalogue(0, now=later, n_captures=50)
    assert b.captures.datetime_ms.max() > a.captures.datetime_ms.max()


def test_orbits_are_sun_synchronous_mid_morning(cat: Catalogue) -> None:
    from geopera_nb.server.domain.orbits import _ecef, _lonlat, _times

    secs = np.arange(0, 86400, 5.0)
    jd, fr = _times(cat.now, secs)
    for s in cat.sensors:
        if s["orbit"] is None:
            continue
        sat = Satrec.twoline2rv(*s["orbit"]["satellites"][0]["tle"])
        _, r, _ = sat.sgp4_array(jd, fr)
        lon, lat, _ = _lonlat(_ecef(jd, fr, r))
        nodes = np.flatnonzero((lat[:-1] > 0) & (lat[1:] <= 0))  # descending equator crossings
        assert len(nodes) >= 14  # ~15 orbits a day
        local = (secs[nodes] / 3600 + lon[nodes] / 15) % 24  # local mean solar time
        assert ((local > 9.25) & (local < 11.25)).all(), (s["id"], local)
