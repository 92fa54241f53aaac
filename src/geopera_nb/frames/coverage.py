"""Coverage of tasking orders: per AOI group, and requested/covered/remainder parts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd

from geopera_nb.contract.states import OrderType, coverage_available, describe
from geopera_nb.errors import ConflictError
from geopera_nb.frames._batch import ProgressCallback, tqdm_progress
from geopera_nb.frames._build import build_frame
from geopera_nb.frames._orders_in import OrdersInput, order_records
from geopera_nb.frames._source import (
    DEFAULT_CONCURRENCY,
    call,
    iter_records,
    map_orders,
)
from geopera_nb.frames.schema import conform
from geopera_nb.geo import geodesic_areas_km2

T = TypeVar("T")

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
    return coverage_groups_from_answers([(order_id, groups)])


def coverage_groups_from_answers(
    answers: Iterable[tuple[str, Iterable[Mapping[str, Any]]]],
) -> gpd.GeoDataFrame:
    """The coverage-groups frame of many ``(order id, groups records)`` pairs, built once."""
    rows: list[dict[str, Any]] = []
    owner: dict[int, str] = {}
    for order_id, groups in answers:
        for group in groups:
            row = dict(group)
            owner[id(row)] = order_id
            rows.append(row)
    return build_frame(rows, "coverage_groups", derived={"order_id": lambda r: owner[id(r)]})


def coverage_groups_frame(
    client: Any,
    order_id_or_ids: OrdersInput,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    skip_unavailable: bool = False,
    progress: bool | ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> gpd.GeoDataFrame:
    """One row per AOI group of one or many tasking orders.

    ``orders.coverage.groups.list`` answers for tasking orders only; for many orders
    (or with ``skip_unavailable``) the order list is read first (or taken from the
    records given) and archive orders are never asked.

    Parameters
    ----------
    client : geopera_nb.Client
    order_id_or_ids : str, iterable of str, order records or an orders frame
    concurrency : int
        Orders fetched at once.
    skip_unavailable : bool
        Leave out archive orders instead of raising :class:`ConflictError`.
    progress : bool or callable, optional
        ``True``: a tqdm bar with counts and ETA; a callable gets ``(done, total)``.
    cancel : threading.Event, optional
        Set it to stop (:class:`~geopera_nb.frames._batch.BatchCancelled`).

    Returns
    -------
    GeoDataFrame
        ``order_id, index, name, requested_km2, delivered_km2, covered_fraction,
        capture_count, extra``, geometry = the group's requested AOI.
    """

    def one(order_id: str) -> list[dict[str, Any]]:
        return list(iter_records(client, "orders.coverage.groups.list", {"order_id": order_id}))

    ids = _answerable(client, order_id_or_ids, skip_unavailable, "orders.coverage.groups.list",
                      lambda r: r.get("type") == OrderType.TASKING)
    parts = _run(one, ids, concurrency, progress, cancel, "coverage groups")
    return coverage_groups_from_answers(list(zip(ids, parts, strict=True)))


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
    return coverage_from_answers([(order_id or answer.get("orderId"), answer)])


def coverage_from_answers(
    answers: Iterable[tuple[str | None, Mapping[str, Any]]],
) -> gpd.GeoDataFrame:
    """The coverage frame of many ``(order id, orders.coverage.get answer)`` pairs, built
    once (one frame of many rows costs about what one frame of three does)."""
    rows: list[dict[str, Any]] = []
    owner: dict[int, tuple[Any, Mapping[str, Any]]] = {}
    for oid, answer in answers:
        order_id = oid or answer.get("orderId")
        top_extra = {k: v for k, v in answer.items() if k not in _COVERAGE_KNOWN} or None
        for feature in [dict(f) for f in answer.get("features") or []]:
            props = dict(feature.get("properties") or {})
            extra = {k: v for k, v in props.items() if k not in ("part", "areaKm2")}
            extra.update({k: v for k, v in feature.items()
                          if k not in ("type", "properties", "geometry")})
            if top_extra:
                extra.update(top_extra)
            row = {**props, "geometry": feature.get("geometry"), "_extra": extra or None}
            owner[id(row)] = (order_id, answer)
            rows.append(row)
    frame = build_frame(
        rows,
        "coverage",
        derived={
            "order_id": lambda r: owner[id(r)][0],
            "status": lambda r: owner[id(r)][1].get("status"),
            "covered_fraction": lambda r: owner[id(r)][1].get("coveredFraction"),
            "capture_count": lambda r: owner[id(r)][1].get("captureCount"),
            "extra": lambda r: r["_extra"],
        },
    )
    frame["area_km2"] = pd.array(geodesic_areas_km2(frame.geometry, missing=float("nan")),
                                 dtype="Float64")
    return conform(frame, "coverage", geometry=frame.geometry)


def coverage_frame(
    client: Any,
    order_id_or_ids: OrdersInput,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    skip_unavailable: bool = False,
    progress: bool | ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> gpd.GeoDataFrame:
    """Requested, covered and remainder parts of one or many tasking orders.

    ``orders.coverage.get`` answers for tasking orders being fulfilled or fulfilled
    (:func:`~geopera_nb.contract.states.coverage_available`). For many orders (or with
    ``skip_unavailable``) the order list is read first (or taken from the records
    given), and only those orders are asked: no call that must fail.

    Parameters
    ----------
    client : geopera_nb.Client
    order_id_or_ids : str, iterable of str, order records or an orders frame
    concurrency : int
        Orders fetched at once.
    skip_unavailable : bool
        Leave out orders without coverage (archive orders, tasking orders not yet being
        fulfilled, failed or cancelled ones) instead of raising :class:`ConflictError`.
    progress : bool or callable, optional
        ``True``: a tqdm bar with counts and ETA; a callable gets ``(done, total)``.
    cancel : threading.Event, optional
        Set it to stop (:class:`~geopera_nb.frames._batch.BatchCancelled`).

    Returns
    -------
    GeoDataFrame
        Three rows per order: ``order_id, part, area_km2`` (geodesic, recomputed),
        ``api_area_km2`` (the server's), ``status, covered_fraction, capture_count,
        extra``; geometry = the part (an empty part has an empty geometry).
    """

    def one(order_id: str) -> dict[str, Any]:
        return call(client, "orders.coverage.get", {"order_id": order_id})

    ids = _answerable(client, order_id_or_ids, skip_unavailable, "orders.coverage.get",
                      lambda r: coverage_available(r.get("type"), r.get("status")))
    answers = _run(one, ids, concurrency, progress, cancel, "coverage")
    return coverage_from_answers(list(zip(ids, answers, strict=True)))


def _answerable(client: Any, orders: OrdersInput, skip: bool, op_id: str,
                can_answer: Callable[[Mapping[str, Any]], bool]) -> list[str]:
    """The ids of ``orders`` that ``op_id`` answers for.

    One id, not skipping: asked as it is (the server's 409 is the answer). Otherwise
    the records decide: the others are left out (``skip``) or raise
    :class:`ConflictError` before any call.
    """
    if isinstance(orders, str) and not skip:
        return [orders]
    records = order_records(client, orders)
    ok = [r for r in records if can_answer(r)]
    if not skip and len(ok) < len(records):
        refused = [r for r in records if not can_answer(r)]
        words = "; ".join(f"{r.get('id')}: {r.get('type') or 'unknown'} order, {describe(r)}"
                          for r in refused[:5])
        more = f" (and {len(refused) - 5} more)" if len(refused) > 5 else ""
        raise ConflictError({"title": "Conflict", "status": 409,
                             "detail": f"{op_id} does not answer for {len(refused)} of these "
                                       f"orders, so they were not asked: {words}{more}"},
                            operation=op_id)
    return [str(r["id"]) for r in ok]


def _run(fn: Callable[[str], T], ids: list[str], concurrency: int,
         progress: bool | ProgressCallback | None, cancel: threading.Event | None,
         desc: str) -> list[T]:
    if progress is True and ids:
        callback, bar = tqdm_progress(len(ids), desc, unit="order")
        try:
            return map_orders(fn, ids, concurrency, progress=callback, cancel=cancel)
        finally:
            bar.close()
    plain = progress if callable(progress) else None
    return map_orders(fn, ids, concurrency, progress=plain, cancel=cancel)
