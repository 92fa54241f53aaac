"""Coverage and money over time, from what the API says, as a figure for the report.

- **Coverage**: each delivered capture (``orders.list_assets``, its ``datetime``) adds the
  part of its footprint inside its order's requested area (``orders.coverage.get``'s
  ``requested`` part) to the covered area; the curve is the geodesic km² covered so far,
  next to the km² requested.
- **Money**: credits *estimated* when each order was placed (``createdAt``) and
  *charged* when it was fulfilled (``updatedAt`` of a ``FULFILLED`` order), as running
  totals; credits *reserved* at each moment: an order's reservation starts when its
  feasibility option or quotation was accepted (``decidedAt``) and ends when the order
  settles (charged, the rest refunded).

Examples
--------
>>> series = money_series([{"id": "o", "createdAt": "2026-12-01T00:00:00.000Z",
...     "updatedAt": "2026-12-05T00:00:00.000Z", "status": "FULFILLED",
...     "credits": {"estimated": 10, "reserved": 0, "charged": 8}}],
...     {"o": "2026-12-02T00:00:00.000Z"})
>>> [(kind, [v for _t, v in points]) for kind, points in series.items()]
[('estimated', [10.0]), ('reserved', [8.0, 0.0]), ('charged', [8.0])]
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import geopandas as gpd
import shapely

from geopera_nb.contract.states import Decision, OrderStatus, is_final
from geopera_nb.contract.timestamps import parse_instant
from geopera_nb.geo import geodesic_areas_km2

__all__ = ["coverage_series", "decision_times", "money_series", "timeline_png"]

Series = list[tuple[datetime, float]]


def coverage_series(coverage: gpd.GeoDataFrame, assets: gpd.GeoDataFrame) -> tuple[Series, float]:
    """``([(capture time, km² covered so far), ...], km² requested)``."""
    requested = coverage[coverage["part"] == "requested"] if len(coverage) else coverage
    areas = {str(r.order_id): r.geometry for r in requested.itertuples()}
    total = float(sum(geodesic_areas_km2(requested.geometry))) if len(requested) else 0.0
    covered: dict[str, Any] = {}
    points: Series = []
    rows = assets[assets["order_id"].astype(str).isin(areas)] if len(assets) else assets
    for row in rows.sort_values("datetime").itertuples():
        order_id = str(row.order_id)
        inside = shapely.intersection(row.geometry, areas[order_id])
        so_far = covered.get(order_id)
        covered[order_id] = inside if so_far is None else shapely.union(so_far, inside)
        km2 = float(sum(geodesic_areas_km2(gpd.GeoSeries(list(covered.values()), crs=4326))))
        points.append((parse_instant(str(row.datetime).replace(" ", "T")), km2))
    return points, total


def decision_times(studies: Sequence[Mapping[str, Any]],
                   quotations: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``{order id: when its credits were first reserved}``: the earliest accepted
    feasibility option or quotation of each order."""
    out: dict[str, str] = {}
    for item in [*studies, *quotations]:
        if item.get("decision") != Decision.ACCEPTED or not item.get("decidedAt"):
            continue
        order_id, when = str(item.get("orderId")), str(item["decidedAt"])
        if order_id not in out or when < out[order_id]:
            out[order_id] = when
    return out


def money_series(orders: Sequence[Mapping[str, Any]],
                 reserved_at: Mapping[str, str]) -> dict[str, Series]:
    """Credits over time: ``estimated`` and ``charged`` as running totals, ``reserved`` as
    the credits held at each moment.

    An order's reservation (``reserved + charged + refunded``: what it held before
    fulfilment settled it) starts when its option or quotation was accepted and ends
    when it reached a final status (``updatedAt``): then ``charged`` is charged and the
    rest refunded.
    """
    events: dict[str, list[tuple[datetime, float]]] = {"estimated": [], "reserved": [],
                                                       "charged": []}
    for order in orders:
        credits = order.get("credits") or {}
        charged = float(credits.get("charged") or 0)
        settled = charged + float(credits.get("refunded") or 0)
        held = float(credits.get("reserved") or 0) + settled
        if order.get("createdAt"):
            events["estimated"].append((parse_instant(order["createdAt"]),
                                        float(credits.get("estimated") or 0)))
        decided = reserved_at.get(str(order.get("id")))
        if decided and held:
            events["reserved"].append((parse_instant(decided), held))
        final = is_final(order.get("status")) and order.get("updatedAt")
        if final and decided and settled:
            events["reserved"].append((parse_instant(str(order["updatedAt"])), -settled))
        if final and order.get("status") == OrderStatus.FULFILLED:
            events["charged"].append((parse_instant(str(order["updatedAt"])), charged))
    series: dict[str, Series] = {}
    for kind, items in events.items():
        total, points = 0.0, []
        for at, value in sorted(items, key=lambda e: e[0]):
            total += value
            points.append((at, total))
        series[kind] = points
    return series


def timeline_png(coverage: Series, requested_km2: float, money: Mapping[str, Series],
                 *, title: str = "Coverage and money over time") -> bytes:
    """The two-panel figure (km² covered; credits) as PNG bytes (matplotlib, Agg)."""
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 6), dpi=100, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    every = [t for t, _v in coverage] + [t for points in money.values() for t, _v in points]
    start, end = (min(every), max(every)) if every else (None, None)

    def extended(points: Series) -> tuple[list[datetime], list[float]]:
        """From 0 at the first event of any series to the last value at the last one."""
        times = [start, points[0][0], *(t for t, _v in points), end]
        values = [0.0, 0.0, *(v for _t, v in points), points[-1][1]]
        return times, values  # type: ignore[return-value]

    if coverage:
        times, values = extended(coverage)
        top.step(times, values, where="post", color="#1a9641", label="covered")
        top.plot(times[2:-1], values[2:-1], "o", color="#1a9641", markersize=3)
    top.axhline(requested_km2, color="#4d4d4d", linestyle="--", label="requested")
    top.set_ylabel("km²")
    top.set_title(title)
    top.legend(loc="lower right")
    colours = {"estimated": "#999999", "reserved": "#e08214", "charged": "#2c7bb6"}
    for kind, points in money.items():
        if points:
            times, values = extended(points)
            bottom.step(times, values, where="post", color=colours[kind], label=kind)
    top.set_ylim(bottom=0)
    bottom.set_ylim(bottom=0)
    bottom.set_ylabel("credits")
    bottom.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    bottom.xaxis.set_major_formatter(DateFormatter("%d %b %H:%M"))
    bottom.legend(loc="upper left")
    for axis in (top, bottom):
        axis.grid(alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
