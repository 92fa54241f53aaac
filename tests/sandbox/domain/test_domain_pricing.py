"""Prices: tasking formula, minKm2 floor, priority factors, errors, archive, orders.estimate."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from shapely.geometry import box

from conftest import square_fc
from geopera_nb.contract.timestamps import format_instant as iso
from geopera_nb.geo import geodesic_area_km2, parse_feature_collection
from geopera_nb.server.domain import (
    Catalogue,
    DomainError,
    price_archive,
    price_provider_estimate,
    price_tasking,
    price_tasking_group,
)


def group(**kw: Any) -> dict[str, Any]:
    return {"sensor": "geo-owl-30", "featureCollection": square_fc(10, 45, 0.1), **kw}


@pytest.mark.parametrize(
    ("priority", "factor"), [("standard", 1.0), ("priority", 1.5), ("rush", 2.0)]
)
def test_tasking_formula(cat: Catalogue, priority: str, factor: float) -> None:
    row = price_tasking_group(group(priority=priority), 0, cat, cat.now)
    area = parse_feature_collection(square_fc(10, 45, 0.1))[0].area_km2
    assert row["areaKm2"] == pytest.approx(area) and area > 25
    assert row["billableKm2"] == row["areaKm2"]
    assert row["priorityFactor"] == factor
    assert row["credits"] == math.ceil(area * 2400 * factor)
    assert row["aud"] == row["credits"] / 100
    assert row["features"] == [{"index": 0, "areaKm2": pytest.approx(area)}]


def test_min_km2_floor(cat: Catalogue) -> None:
    row = price_tasking_group(group(featureCollection=square_fc(10, 45, 0.01)), 0, cat, cat.now)
    assert row["areaKm2"] < 2 and row["billableKm2"] == 25.0
    assert row["credits"] == 25 * 2400


def test_data_product_and_union_area(cat: Catalogue) -> None:
    pid = cat.sensor("geo-kite-50")["dataProductId"]
    fc = square_fc(10, 45, 0.1)
    fc["features"].append(square_fc(10.05, 45, 0.1)["features"][0])  # overlaps half
    row = price_tasking_group({"dataProduct": pid, "featureCollection": fc}, 2, cat, cat.now)
    assert row["sensor"] == "geo-kite-50" and row["index"] == 2
    one = geodesic_area_km2(box(10, 45, 10.15, 45.1))
    assert row["areaKm2"] == pytest.approx(one, rel=1e-3)  # overlap paid once
    assert len(row["features"]) == 2


def test_estimate_collects_group_errors(cat: Catalogue) -> None:
    big = square_fc(10, 45, 1.0)  # ~8,700 km2 > Owl's 2000 maxKm2
    groups = [
        group(),
        group(sensor="nope"),
        group(featureCollection=big),
        group(start="2026-12-10T00:00:00Z", end="2026-12-05T00:00:00Z"),
        group(priority="asap"),
        group(featureCollection={"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}}]}),
        group(maxCloudCoverage=120),
        group(end=iso(cat.now - timedelta(days=1)), start=iso(cat.now - timedelta(days=3))),
        {"dataProduct": next(p for p in cat.products.values() if p["kind"] == "archive")["id"],
         "featureCollection": square_fc(0, 0)},
    ]  # fmt: skip
    out = price_tasking(groups, cat, cat.now)
    assert [g["index"] for g in out["groups"]] == [0]
    assert [e["index"] for e in out["errors"]] == list(range(1, len(groups)))
    locs = {e["index"]: e["loc"] for e in out["errors"]}
    assert locs[1] == ["groups", 1, "sensor"]
    assert locs[2] == ["groups", 2, "featureCollection"]
    assert locs[3] == ["groups", 3, "end"]
    assert locs[4] == ["groups", 4, "priority"]
    assert locs[5][:5] == ["groups", 5, "featureCollection", "features", 0]
    assert locs[6] == ["groups", 6, "maxCloudCoverage"]
    assert "km2" in out["errors"][1]["message"]
    assert out["totalCredits"] == out["groups"][0]["credits"]
    assert out["totalAud"] == out["totalCredits"] / 100
    assert set(out) == {"groups", "errors", "totalAud", "totalCredits"}


def test_malformed_groups_body_is_422(cat: Catalogue) -> None:
    for bad in ("x", [1], [group(), "g"]):
        with pytest.raises(DomainError) as info:
            price_tasking(bad, cat, cat.now)
        assert info.value.status == 422
    assert price_tasking([], cat, cat.now)["totalCredits"] == 0


def _line(cat: Catalogue, i: int, aoi: dict[str, Any] | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"id": str(cat.captures.ids[i])}
    if aoi is not None:
        line["featureCollection"] = aoi
    return line


def test_archive_whole_footprint_and_aoi(cat: Catalogue) -> None:
    fp = cat.captures.footprints[0]
    price = cat.capture_price(0)
    out = price_archive([_line(cat, 0)], False, cat)
    [g] = out["groups"]
    [row] = g["captures"]
    area = geodesic_area_km2(fp)
    assert g["date"] is None and row["areaKm2"] == pytest.approx(area)
    assert row["credits"] == math.ceil(max(area, price["minKm2"]) * price["creditsPerKm2"])
    # a tiny AOI inside the footprint is floored at the product minimum
    c = fp.centroid
    tiny = square_fc(c.x, c.y, 0.001)
    out = price_archive([_line(cat, 0, tiny)], False, cat)
    row = out["groups"][0]["captures"][0]
    assert row["billableKm2"] == price["minKm2"] and row["areaKm2"] < 0.1
    assert row["credits"] == math.ceil(price["minKm2"] * price["creditsPerKm2"])
    assert set(out) == {"groups", "errors", "total_aud", "total_credits"}


def test_archive_split_by_date_and_errors(cat: Catalogue) -> None:
    dates = [cat.capture_feature(i)["properties"]["datetime"][:10] for i in range(0, 400, 40)]
    lines = [_line(cat, i) for i in range(0, 400, 40)]
    lines += [{"id": "missing"}, _line(cat, 0, square_fc(-170, -80, 0.1)), "junk"]
    split = price_archive(lines, True, cat)
    assert [g["date"] for g in split["groups"]] == sorted(set(dates))
    for g in split["groups"]:
        assert g["credits"] == sum(c["credits"] for c in g["captures"])
        assert all(c["datetime"][:10] == g["date"] for c in g["captures"])
    whole = price_archive(lines, False, cat)
    assert len(whole["groups"]) == 1 and whole["total_credits"] == split["total_credits"]
    assert split["total_aud"] == split["total_credits"] / 100
    errs = {e["index"]: e for e in split["errors"]}
    assert set(errs) == {10, 11, 12}
    assert errs[10]["id"] == "missing" and "unknown" in errs[10]["message"]
    assert "overlap" in errs[11]["message"]
    assert sorted(c["index"] for g in split["groups"] for c in g["captures"]) == list(range(10))


def test_provider_estimate_tasking_and_archive(cat: Catalogue) -> None:
    sensor = cat.sensor("geo-heron-1m")
    fc = square_fc(10, 45, 0.1)
    fc["features"].append(square_fc(12, 45, 0.01)["features"][0])
    fc["features"].append({"type": "Feature", "geometry": None})
    params = {
        "start": iso(cat.now),
        "end": iso(cat.now + timedelta(days=5)),
        "priority": "priority",
    }
    out = price_provider_estimate({"dataProduct": sensor["dataProductId"], "params": params,
                                   "featureCollection": fc}, cat, cat.now)  # fmt: skip
    assert [r["index"] for r in out["results"]] == [0, 1]
    assert [e["index"] for e in out["errors"]] == [2]
    area = parse_feature_collection(square_fc(10, 45, 0.1))[0].area_km2
    assert out["results"][0]["credits"] == math.ceil(max(area, 50) * 600 * 1.5)
    assert out["results"][1]["size"] == 50.0  # floored
    assert out["summary"]["totalCredits"] == sum(r["credits"] for r in out["results"])
    assert out["summary"]["unit"] == "SQ_KM"
    with pytest.raises(DomainError) as info:
        price_provider_estimate({"dataProduct": sensor["dataProductId"], "params": {"x": 1},
                                 "featureCollection": fc}, cat, cat.now)  # fmt: skip
    assert info.value.loc[0] == "params"
    with pytest.raises(DomainError):
        price_provider_estimate({"dataProduct": "nope", "featureCollection": fc}, cat, cat.now)
    f = cat.capture_feature(0)
    pid = f["properties"]["dataProductId"]
    c = cat.captures.footprints[0].centroid
    out = price_provider_estimate({"dataProduct": pid, "params": {"captureId": f["id"]},
                                   "featureCollection": square_fc(c.x, c.y, 0.01)}, cat, cat.now)  # fmt: skip
    assert out["results"][0]["credits"] > 0 and not out["errors"]
