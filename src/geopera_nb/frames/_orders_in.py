"""Which orders a batch is about, with their type and status, before any per-order call.

Batch frames ask ``orders.coverage.get`` only of orders that can answer it
(:func:`geopera_nb.contract.states.coverage_available`). The order list says which
those are, so a batch starts from order *records*: given as dicts (``orders.list``
content, ``orders.get`` answers) or an orders frame, they are used as they are; given
as ids, they are looked up with :func:`geopera_nb.frames._source.lookup_orders` (a call
per 100 ids, or one for the whole org).

Examples
--------
>>> records = order_records(None, [{"id": "a", "type": "ARCHIVE", "status": "FULFILLED"}])
>>> records[0]["type"], is_order_records([{"id": "a"}]), is_order_records(["a"])
('ARCHIVE', True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import shapely

from geopera_nb.frames._source import lookup_orders, order_ids

__all__ = ["OrdersInput", "display_name", "is_order_records", "order_records"]

#: What batch frames and widgets accept as "the orders": one id, ids, records, a frame.
OrdersInput = str | Iterable[str] | Iterable[Mapping[str, Any]] | pd.DataFrame

_RECORD_KEYS = ("id", "displayName", "type", "status", "subStatus", "statusReason",
                "geometry", "aoiKm2", "createdAt", "credits")


def is_order_records(orders: Any) -> bool:
    """Whether ``orders`` already carries records (a frame, or mappings), not just ids."""
    if isinstance(orders, pd.DataFrame):
        return True
    if isinstance(orders, str | bytes) or not isinstance(orders, list | tuple):
        return False
    return bool(orders) and all(isinstance(o, Mapping) for o in orders)


def _frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for row in frame.to_dict("records"):
        record = {k: row[k] for k in _RECORD_KEYS if k in row}
        geom = record.get("geometry")
        if geom is not None and not isinstance(geom, Mapping):
            record["geometry"] = shapely.geometry.mapping(geom) if not geom.is_empty else None
        rows.append({k: (None if _is_na(v) else v) for k, v in record.items()})
    return rows


def _is_na(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def order_records(client: Any, orders: OrdersInput) -> list[dict[str, Any]]:
    """One record per distinct order, in the given order.

    Records given are kept (deduplicated by id); ids are looked up. An id the order
    list does not know comes back as ``{"id": id}`` (no type, no status).
    """
    if isinstance(orders, pd.DataFrame):
        given = _frame_records(orders)
    elif is_order_records(orders):
        given = [dict(o) for o in orders if isinstance(o, Mapping)]
    else:
        ids = order_ids(orders)  # type: ignore[arg-type]
        found = lookup_orders(client, ids)
        return [found.get(i, {"id": i}) for i in ids]
    seen: dict[str, dict[str, Any]] = {}
    for record in given:
        seen.setdefault(str(record.get("id")), record)
    return list(seen.values())


def display_name(record: Mapping[str, Any]) -> str:
    """The order's display name, or its short id when it has none.

    Examples
    --------
    >>> display_name({"id": "d5f291e0-2d94", "displayName": ""})
    'd5f291e0'
    """
    name = record.get("displayName")
    if isinstance(name, str) and name.strip():
        return name.strip()
    return str(record.get("id", "?")).split("-")[0]
