"""The report's "coverage and money over time" series, from API-shaped records."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geopera_nb.report.timeline import (
    coverage_series,
    decision_times,
    money_series,
    timeline_png,
)


def test_coverage_grows_with_each_capture_inside_the_request() -> None:
    requested = shapely.box(150.0, -33.0, 150.1, -32.9)
    coverage = gpd.GeoDataFrame({"order_id": ["o"], "part": ["requested"]},
                                geometry=[requested], crs=4326)
    assets = gpd.GeoDataFrame(
        {"order_id": ["o", "o", "o"],
         "datetime": ["2026-12-03T00:00:00.000Z", "2026-12-02T00:00:00.000Z",
                      "2026-12-04T00:00:00.000Z"]},
        geometry=[shapely.box(150.05, -33.0, 151.0, -32.9),  # half of it, plus outside
                  shapely.box(149.0, -33.0, 150.05, -32.9),   # the other half
                  shapely.box(150.0, -33.0, 150.1, -32.9)],   # again: nothing new
        crs=4326)
    points, total = coverage_series(coverage, assets)
    assert [p[0].day for p in points] == [2, 3, 4]
    assert points[0][1] < points[1][1] == points[2][1]
    assert abs(points[-1][1] - total) / total < 1e-6


def test_money_is_estimated_then_reserved_until_charged() -> None:
    orders = [
        {"id": "a", "status": "FULFILLED", "createdAt": "2026-12-01T00:00:00.000Z",
         "updatedAt": "2026-12-06T00:00:00.000Z",
         "credits": {"estimated": 100, "reserved": 0, "charged": 90, "refunded": 10}},
        {"id": "b", "status": "PLACED", "createdAt": "2026-12-02T00:00:00.000Z",
         "updatedAt": "2026-12-02T00:00:00.000Z",
         "credits": {"estimated": 50, "reserved": 50, "charged": 0}},
    ]
    studies = [{"orderId": "a", "decision": "ACCEPTED", "decidedAt": "2026-12-01T02:00:00.000Z"}]
    quotes = [{"orderId": "a", "decision": "ACCEPTED", "decidedAt": "2026-12-01T04:00:00.000Z"},
              {"orderId": "b", "decision": "ACCEPTED", "decidedAt": "2026-12-02T04:00:00.000Z"},
              {"orderId": "c", "decision": "REJECTED", "decidedAt": "2026-12-02T04:00:00.000Z"}]
    reserved_at = decision_times(studies, quotes)
    assert reserved_at == {"a": "2026-12-01T02:00:00.000Z", "b": "2026-12-02T04:00:00.000Z"}
    series = money_series(orders, reserved_at)
    assert [v for _t, v in series["estimated"]] == [100, 150]
    assert [v for _t, v in series["reserved"]] == [100, 150, 50]  # a settles on 6 Dec
    assert [v for _t, v in series["charged"]] == [90]
    png = timeline_png([], 0.0, series)
    assert png.startswith(b"\x89PNG")
