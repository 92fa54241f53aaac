"""Everything a coverage view of many orders needs, asked only of orders that can answer.

:func:`collect_coverage` is what :class:`geopera_nb.widgets.CoverageMap` and
:func:`geopera_nb.export.export_coverage` run. From the order records (listed first,
or given), it plans the calls that can succeed:

============================================  =============================================
order                                         calls
============================================  =============================================
tasking, being fulfilled or fulfilled         ``orders.coverage.get``,
                                              ``orders.coverage.groups.list``,
                                              ``orders.list_assets``
archive, being fulfilled or fulfilled         ``orders.list_assets`` if ``archive_assets``
                                              (the export), else none: the map draws the
                                              order's geometry from the list
any other (placed, failed, cancelled)         none; described with ``states.describe``
============================================  =============================================

and runs them concurrently (:func:`~geopera_nb.frames._batch.run_batch`: counts,
ETA, cancel). ``calls`` says how many requests it made, lookups included.

Examples
--------
>>> plan_calls([{"id": "t", "type": "TASKING", "status": "FULFILLED"},
...             {"id": "a", "type": "ARCHIVE", "status": "FULFILLED"},
...             {"id": "p", "type": "TASKING", "status": "PLACED"}])
[('t', 'orders.coverage.get'), ('t', 'orders.coverage.groups.list'), ('t', 'orders.list_assets')]
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geopera_nb.contract.states import COVERAGE_STATUSES, OrderType, coverage_available
from geopera_nb.frames._batch import ProgressCallback, run_batch
from geopera_nb.frames._orders_in import OrdersInput, display_name, order_records
from geopera_nb.frames._source import DEFAULT_CONCURRENCY, call, iter_records, ndjson_lines
from geopera_nb.frames.assets import assets_frame_from_lines
from geopera_nb.frames.coverage import coverage_from_answers, coverage_groups_from_answers

__all__ = ["CoverageBatch", "collect_coverage", "plan_calls"]

COVERAGE_OPS = ("orders.coverage.get", "orders.coverage.groups.list", "orders.list_assets")


@dataclass
class CoverageBatch:
    """The frames of a coverage view, and what was (not) asked.

    Attributes
    ----------
    orders : GeoDataFrame
        The orders frame of every order (geometry = its AOI, from the order list).
    coverage, groups, assets : GeoDataFrame
        :func:`coverage_frame`, :func:`coverage_groups_frame`, :func:`assets_frame`
        rows of the orders that answer.
    without_coverage : list of dict
        Records of the orders with no coverage to ask for (archive, placed, failed...).
    calls : int
        Requests made (lookups and per-order calls).
    """

    orders: gpd.GeoDataFrame
    coverage: gpd.GeoDataFrame
    groups: gpd.GeoDataFrame
    assets: gpd.GeoDataFrame
    without_coverage: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0


def plan_calls(records: Sequence[Mapping[str, Any]], *,
               archive_assets: bool = False) -> list[tuple[str, str]]:
    """``(order id, operation id)`` for every call that can answer, in order."""
    plan: list[tuple[str, str]] = []
    for record in records:
        order_id, kind, status = str(record.get("id")), record.get("type"), record.get("status")
        if coverage_available(kind, status):
            plan += [(order_id, op) for op in COVERAGE_OPS]
        elif archive_assets and kind == OrderType.ARCHIVE and status in COVERAGE_STATUSES:
            plan.append((order_id, "orders.list_assets"))
    return plan


def _ask(client: Any, order_id: str, op_id: str) -> Any:
    """One call's raw answer (frames are built once for all, after the batch)."""
    body = {"order_id": order_id}
    if op_id == "orders.coverage.get":
        return call(client, op_id, body)
    if op_id == "orders.coverage.groups.list":
        return list(iter_records(client, op_id, body))
    return ndjson_lines(client, op_id, body)


def _assets(answers: list[tuple[str, list[bytes]]]) -> gpd.GeoDataFrame:
    lines = [line for _oid, part in answers for line in part]
    frame = assets_frame_from_lines(lines)
    if len(frame) == len(lines):  # items without geopera:order_id get the order asked
        asked = pd.Series([oid for oid, part in answers for _ in part], dtype="string")
        frame["order_id"] = frame["order_id"].fillna(asked)
    return frame


def collect_coverage(
    client: Any,
    orders: OrdersInput,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    archive_assets: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    on_plan: Any = None,
) -> CoverageBatch:
    """Coverage, groups and delivered assets of ``orders`` (see module doc).

    Parameters
    ----------
    client : geopera_nb.Client
    orders : str, iterable of str, order records or an orders frame
        Records (``orders.list`` content, an orders frame) save the lookup.
    concurrency : int
        Calls in flight at once.
    archive_assets : bool
        Also read the delivered STAC items of archive orders (one call each).
    progress : callable, optional
        ``progress(done, total)`` after every per-order call.
    cancel : threading.Event, optional
        Set it to stop (:class:`~geopera_nb.frames._batch.BatchCancelled`).
    on_plan : callable, optional
        ``on_plan(n_calls, n_orders)`` once the calls are planned (before the first).
    """
    counted = _Counting(client)
    records = order_records(counted, orders)
    plan = plan_calls(records, archive_assets=archive_assets)
    if on_plan is not None:
        on_plan(len(plan), len(records))
    parts = run_batch(lambda job: _ask(counted, *job), plan, concurrency=concurrency,
                      progress=progress, cancel=cancel)
    by_op: dict[str, list[Any]] = {op: [] for op in COVERAGE_OPS}
    for (order_id, op_id), part in zip(plan, parts, strict=True):
        by_op[op_id].append((order_id, part))
    covering = {order_id for order_id, op in plan if op == "orders.coverage.get"}
    return CoverageBatch(
        orders=orders_light_frame(records),
        coverage=coverage_from_answers(by_op["orders.coverage.get"]),
        groups=coverage_groups_from_answers(by_op["orders.coverage.groups.list"]),
        assets=_assets(by_op["orders.list_assets"]),
        without_coverage=[r for r in records if str(r.get("id")) not in covering],
        calls=counted.requests,
    )


#: the order fields a coverage view uses (the full orders frame is ~10x slower to build)
LIGHT_COLUMNS = ("id", "displayName", "type", "status", "subStatus", "statusReason",
                 "createdAt", "updatedAt")


def orders_light_frame(records: Sequence[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """Orders as a small frame: :data:`LIGHT_COLUMNS`, ``aoi_km2``, geometry = the AOI.

    Examples
    --------
    >>> frame = orders_light_frame([{"id": "a", "type": "ARCHIVE", "aoiKm2": 2.5,
    ...     "geometry": {"type": "Point", "coordinates": [1, 2]}}])
    >>> frame.loc[0, "type"], float(frame.loc[0, "aoi_km2"]), frame.crs.to_epsg()
    ('ARCHIVE', 2.5, 4326)
    """
    data: dict[str, Any] = {c: pd.array([r.get(c) for r in records], dtype="string")
                            for c in LIGHT_COLUMNS}
    data["aoi_km2"] = pd.array([r.get("aoiKm2") for r in records], dtype="Float64")
    geoms = [_shape(r.get("geometry")) for r in records]
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"),
                            crs="EPSG:4326")


def _shape(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        try:
            return shapely.geometry.shape(value)
        except (ValueError, TypeError, AttributeError):
            return None
    return value  # already a shapely geometry (records from a frame)


class _Counting:
    """A client proxy counting requests (``call``, ``stream``, ``stream_bytes``: one
    request each; a paged ``iter_records`` counts as one)."""

    _COUNTED = frozenset({"call", "stream", "stream_bytes", "iter_records"})

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.requests = 0

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._client, name)
        if name not in self._COUNTED or not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.requests += 1
            return value(*args, **kwargs)

        return counted


def names_by_id(frame: pd.DataFrame) -> dict[str, str]:
    """``{order id: display name}`` of an orders frame (short id when unnamed)."""
    return {str(i): display_name({"id": i, "displayName": n})
            for i, n in zip(frame["id"], frame["displayName"], strict=True)}
