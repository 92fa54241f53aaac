"""Coverage of tasking orders: per AOI group, and requested/covered/remainder parts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from geopera_nb.errors import ConflictError
from geopera_nb.frames._area import geodesic_km2_many
from geopera_nb.frames._build import build_frame, concat_frames
from geopera_nb.frames._source import (
    DEFAULT_CONCURRENCY,
    call,
    iter_records,
    map_orders,
    order_ids,
)
from geopera_nb.frames.schema import conform, empty_frame

_COVERAGE_KNOWN = frozenset(
    {"type", "orderId", "status", "requestedKm2", "coveredKm2", "remainderKm2",
     "coveredFraction", "captureCount", "features"}
)


def coverage_groups_from_answer(order_id: str, groups: Iterable[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """The coverage-groups frame from one order's ``groups`` records.

    Examples
    --------
    >>> frame = coverage_groups_from_answer("o1", [{"index": 0, "name": "AOI 0",
    ...     "requestedKm2": 10.0, "deliveredKm2": 5.0, "coveredFraction": 0.5,
    ...     "captureCount": 2, "geometry": None}])
    >>> frame.loc[0, "order_id"], float(frame.loc[0, "covered_fraction"])
    ('o1', 0.5)
    """
    return build_frame(
        [dict(g) for g in groups], "coverage_groups", derived={"order_id": lambda _r: order_id}
    )


def coverage_groups_frame(
    client: Any,
    order_id_or_ids: str | Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    skip_unavailable: bool = False,
) -> gpd.GeoDataFrame:
    """One row per AOI group of one or many tasking orders.

    Parameters
    ----------
    client : geopera_nb.Client
    order_id_or_ids : str or iterable of str
    concurrency : int
        Orders fetched at once.
    skip_unavailable : bool
        Leave out orders the API answers 409 for (archive orders) instead of raising.

    Returns
    -------
    GeoDataFrame
        ``order_id, index, name, requested_km2, delivered_km2, covered_fraction,
        capture_count, extra``, geometry = the group's requested AOI.
    """

    def one(order_id: str) -> gpd.GeoDataFrame:
        try:
            records = list(iter_records(client, "orders.coverage.groups.list", {"order_id": order_id}))
        except ConflictError:
            if skip_unavailable:
                return empty_frame("coverage_groups")
            raise
        return coverage_groups_from_answer(order_id, records)

    return concat_frames(map_orders(one, order_ids(order_id_or_ids), concurrency), "coverage_groups")


def coverage_from_answer(answer: Mapping[str, Any], order_id: str | None = None) -> gpd.GeoDataFrame:
    """The coverage frame (3 rows) from one ``orders.coverage.get`` answer.

    ``area_km2`` is recomputed geodesically (pyproj, WGS84) from each part's geometry;
    the server's value is kept in ``api_area_km2``.

    Examples
    --------
    >>> answer = {"orderId": "o1", "status": "FULFILLED", "coveredFraction": 1.0,
    ...   "captureCount": 1, "features": [{"type": "Feature", "properties": {"part": "remainder",
    ...   "areaKm2": 0.0}, "geometry": {"type": "GeometryCollection", "geometries": []}}]}
    >>> coverage_from_answer(answer)[["order_id", "part", "area_km2"]].values.tolist()
    [['o1', 'remainder', 0.0]]
    """
    oid = order_id or answer.get("orderId")
    features = [dict(f) for f in answer.get("features") or []]
    top_extra = {k: v for k, v in answer.items() if k not in _COVERAGE_KNOWN} or None
    rows = []
    for feature in features:
        props = dict(feature.get("properties") or {})
        extra = {k: v for k, v in props.items() if k not in ("part", "areaKm2")}
        extra.update({k: v for k, v in feature.items() if k not in ("type", "properties", "geometry")})
        if top_extra:
            extra.update(top_extra)
        rows.append({**props, "geometry": feature.get("geometry"), "_extra": extra or None})
    frame = build_frame(
        rows,
        "coverage",
        derived={
            "order_id": lambda _r: oid,
            "status": lambda _r: answer.get("status"),
            "covered_fraction": lambda _r: answer.get("coveredFraction"),
            "capture_count": lambda _r: answer.get("captureCount"),
            "extra": lambda r: r["_extra"],
        },
    )
    frame["area_km2"] = pd.array(geodesic_km2_many(frame.geometry), dtype="Float64")
    return conform(frame, "coverage", geometry=frame.geometry)


def coverage_frame(
    client: Any,
    order_id_or_ids: str | Iterable[str],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    skip_unavailable: bool = False,
) -> gpd.GeoDataFrame:
    """Requested, covered and remainder parts of one or many tasking orders.

    Parameters
    ----------
    client : geopera_nb.Client
    order_id_or_ids : str or iterable of str
    concurrency : int
        Orders fetched at once.
    skip_unavailable : bool
        Leave out orders without coverage yet (the API's 409: not fulfilling, or
        archive) instead of raising.

    Returns
    -------
    GeoDataFrame
        Three rows per order: ``order_id, part, area_km2`` (geodesic, recomputed),
        ``api_area_km2`` (the server's), ``status, covered_fraction, capture_count,
        extra``; geometry = the part (an empty part has an empty geometry).
    """

    def one(order_id: str) -> gpd.GeoDataFrame:
        try:
            answer = call(client, "orders.coverage.get", {"order_id": order_id})
        except ConflictError:
            if skip_unavailable:
                return empty_frame("coverage")
            raise
        return coverage_from_answer(answer, order_id)

    return concat_frames(map_orders(one, order_ids(order_id_or_ids), concurrency), "coverage")
