"""Orders as a GeoDataFrame: one row per order, geometry = its AOI."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd

from geopera_nb.frames._build import build_frame
from geopera_nb.frames._source import iter_records


def _joined(value: str | Iterable[str] | None) -> str | None:
    """``"A,B"`` from a string or an iterable of strings (the API's filter form)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return ",".join(str(v) for v in value)


def orders_frame_from_records(records: Iterable[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The orders frame from Order dicts (``orders.list`` content, ``orders.get``).

    Examples
    --------
    >>> frame = orders_frame_from_records([{"id": "o1", "status": "PLACED",
    ...     "credits": {"estimated": 10, "reserved": 0}, "createdAt": "2026-12-01T00:00:00.000Z",
    ...     "geometry": {"type": "Point", "coordinates": [1, 2]}, "colour": "red"}])
    >>> frame.loc[0, "credits_estimated"], frame.loc[0, "extra"], frame.crs.to_epsg()
    (np.int64(10), {'colour': 'red'}, 4326)
    """
    return build_frame(records, "orders")


def orders_frame(
    client: Any,
    status: str | Iterable[str] | None = None,
    type: str | Iterable[str] | None = None,
    tags: str | Iterable[str] | None = None,
    **filters: Any,
) -> gpd.GeoDataFrame:
    """Every order matching the filters (all pages), one row each.

    Parameters
    ----------
    client : geopera_nb.Client
    status, type : str or iterable of str, optional
        One value or several (any of them matches), e.g. ``["PLACED", "FULFILLED"]``.
    tags : str or iterable of str, optional
        Orders having *all* these tags.
    **filters
        Other ``orders.list`` filters: ``subStatus``, ``displayName``,
        ``dataProductIds``, ``orderIds``, ``workspaceId``, ``sort``. Iterables are
        comma-joined.

    Returns
    -------
    GeoDataFrame
        Columns ``id, displayName, type, status, subStatus, statusReason,
        dataProductId, sensor, tags, credits_estimated, credits_reserved,
        credits_charged, credits_refunded, aoi_km2, window_start, window_end,
        createdAt, updatedAt, workspaceId, organizationId, orderDetails, extra``,
        geometry = AOI (EPSG:4326).

    Examples
    --------
    >>> import geopera_nb as gn
    >>> with gn.sandbox.start(seed=0) as sb:  # doctest: +SKIP
    ...     client = sb.client(sb.create_org(name="Doc"))
    ...     orders_frame(client, status=["PLACED", "FULFILLED"]).shape[1]
    23
    """
    body: dict[str, Any] = {"status": _joined(status), "type": _joined(type), "tags": _joined(tags)}
    for key, value in filters.items():
        body[key] = value if isinstance(value, (int, float)) else _joined(value)
    body = {k: v for k, v in body.items() if v is not None}
    return orders_frame_from_records(iter_records(client, "orders.list", body))
