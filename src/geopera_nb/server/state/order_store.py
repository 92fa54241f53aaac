"""Orders in the store: the Order document, its columns, reads and filtered lists.

An order is stored twice over: its JSON document (exactly the Order shape of
``docs/api-shapes.md``, served as is) and the columns that filtering and sorting need.
``state`` holds what the lifecycle needs and clients never see.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import orjson

from geopera_nb.contract.limits import FILTER_MAX_LENGTH, FILTER_VALUES_MAX
from geopera_nb.contract.timestamps import format_instant

from ..problems import Invalid, Problem
from .store import Tx, dumps, loads

SORT_PATTERN = r"^(createdAt|updatedAt|displayName|status)(,(asc|desc|ASC|DESC))?$"
KINDS_PATTERN = r"^[ ,]*((feasibility|quotation)[ ,]*)*$"
SORT_COLUMNS = {"createdAt": "seq", "updatedAt": "updated_ms", "displayName": "display_name",
                "status": "status"}
FILTER_COLUMNS = {"type": "type", "status": "status", "subStatus": "sub_status",
                  "dataProductIds": "data_product_id", "orderIds": "id",
                  "workspaceId": "workspace_id"}


class Reader(Protocol):
    """Anything that can run a read query (:class:`~.store.Store` or :class:`~.store.Tx`)."""

    def one(self, sql: str, params: Any = ...) -> Any: ...

    def all(self, sql: str, params: Any = ...) -> list[Any]: ...


def new_order(*, order_id: str, org_id: str, workspace_id: str, order_type: str,
              display_name: str, data_product_id: str | None, sensor: str | None,
              tags: list[str], geometry: dict[str, Any], aoi_km2: float,
              details: dict[str, Any], estimated: int, now_ms: int, status: str,
              sub_status: str | None, status_reason: str | None = None) -> dict[str, Any]:
    """A fresh Order document in the state ``lifecycle`` chose for it."""
    now = format_instant(now_ms)
    return {
        "id": order_id, "displayName": display_name, "workspaceId": workspace_id,
        "organizationId": org_id, "type": order_type, "status": status, "subStatus": sub_status,
        "statusReason": status_reason, "dataProductId": data_product_id, "sensor": sensor,
        "tags": list(tags), "createdAt": now, "updatedAt": now, "geometry": geometry,
        "aoiKm2": round(float(aoi_km2), 6), "orderDetails": details,
        "credits": {"estimated": int(estimated), "reserved": 0, "charged": 0, "refunded": 0},
    }


def insert(tx: Tx, order: dict[str, Any], state: dict[str, Any], next_event_ms: int | None,
           now_ms: int) -> None:
    """Store a new order."""
    tx.execute(
        "INSERT INTO orders (id, seq, org_id, workspace_id, type, status, sub_status,"
        " display_name, data_product_id, sensor, tags, created_ms, updated_ms, next_event_ms,"
        " doc, state) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (order["id"], tx.next_seq(), order["organizationId"], order["workspaceId"],
         order["type"], order["status"], order["subStatus"], order["displayName"],
         order["dataProductId"], order["sensor"], dumps(order["tags"]), now_ms, now_ms,
         next_event_ms, dumps(order), dumps(state)))


def save(tx: Tx, order: dict[str, Any], state: dict[str, Any], next_event_ms: int | None,
         now_ms: int) -> None:
    """Write back a changed order (``updatedAt`` becomes ``now_ms``)."""
    order["updatedAt"] = format_instant(now_ms)
    tx.execute(
        "UPDATE orders SET status = ?, sub_status = ?, display_name = ?, tags = ?,"
        " updated_ms = ?, next_event_ms = ?, doc = ?, state = ? WHERE id = ?",
        (order["status"], order["subStatus"], order["displayName"], dumps(order["tags"]),
         now_ms, next_event_ms, dumps(order), dumps(state), order["id"]))


def load(db: Reader, org_id: str, order_id: str) -> tuple[dict[str, Any], dict[str, Any],
                                                          int | None]:
    """``(order, state, next_event_ms)`` of an org's order; 404 for missing or foreign."""
    row = db.one("SELECT doc, state, next_event_ms FROM orders WHERE id = ? AND org_id = ?",
                 (order_id, org_id))
    if row is None:
        raise Problem(404, f"order {order_id!r} not found", order_id=order_id)
    return loads(row["doc"]), loads(row["state"]), row["next_event_ms"]


def load_raw(db: Reader, org_id: str, order_id: str) -> bytes:
    """The stored JSON document of an org's order (404 for missing or foreign)."""
    row = db.one("SELECT doc FROM orders WHERE id = ? AND org_id = ?", (order_id, org_id))
    if row is None:
        raise Problem(404, f"order {order_id!r} not found", order_id=order_id)
    doc = row["doc"]
    return doc.encode() if isinstance(doc, str) else bytes(doc)


def split_values(text: str | None, field: str = "filter") -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``; 422 past ``FILTER_MAX_LENGTH`` characters
    or ``FILTER_VALUES_MAX`` values.

    A filter never silently drops values (that would answer a different question), and
    never reaches the database with more terms than it can plan. Every comma-separated
    filter of every list operation (orders, studies, quotations, the decisions inbox)
    is read here.

    Examples
    --------
    >>> split_values("a, b,,c")
    ['a', 'b', 'c']
    >>> try:
    ...     split_values(",".join(["t"] * 101), "tags")
    ... except Invalid as exc:
    ...     print(exc.errors[0]["loc"], exc.errors[0]["msg"])
    ['body', 'tags'] tags holds 101 values; at most 100 are allowed
    """
    if not text:
        return []
    if len(text) > FILTER_MAX_LENGTH:
        raise Invalid.at(["body", field], f"{field} is {len(text)} characters long; at most "
                                          f"{FILTER_MAX_LENGTH} are allowed", "string_too_long")
    values = [v.strip() for v in text.split(",") if v.strip()]
    if len(values) > FILTER_VALUES_MAX:
        raise Invalid.at(["body", field], f"{field} holds {len(values)} values; at most "
                                          f"{FILTER_VALUES_MAX} are allowed")
    return values


def _sort_clause(sort: str) -> str:
    field, _, direction = sort.partition(",")
    column = SORT_COLUMNS.get(field)
    direction = (direction or "asc").lower()
    if column is None or not re.fullmatch(SORT_PATTERN, sort):
        raise Invalid.at(["body", "sort"], "sort must be '<createdAt|updatedAt|displayName|"
                                           "status>,<asc|desc>'")
    if column == "seq":
        return f"seq {direction}"
    return f"{column} {direction}, seq {direction}"


def list_orders(db: Reader, org_id: str, filters: dict[str, Any], page: int, size: int | None,
                sort: str) -> tuple[list[orjson.Fragment], int]:
    """One page (``size=None``: all) of an org's orders as raw JSON fragments, and the total.

    ``filters`` holds the OrdersListInput string filters (comma-separated values).
    """
    where = ["org_id = ?"]
    params: list[Any] = [org_id]
    for name, column in FILTER_COLUMNS.items():
        values = split_values(filters.get(name), name)
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    names = split_values(filters.get("displayName"), "displayName")
    if names:
        where.append("(" + " OR ".join("instr(lower(display_name), ?) > 0" for _ in names) + ")")
        params.extend(n.lower() for n in names)
    for tag in split_values(filters.get("tags"), "tags"):
        where.append("EXISTS (SELECT 1 FROM json_each(orders.tags) WHERE value = ?)")
        params.append(tag)
    clause = " AND ".join(where)
    order_by = _sort_clause(sort)
    total = int(db.one(f"SELECT COUNT(*) FROM orders WHERE {clause}", params)[0])
    sql = f"SELECT doc FROM orders WHERE {clause} ORDER BY {order_by}"
    if size is not None:
        sql += " LIMIT ? OFFSET ?"
        params = [*params, size, page * size]
    rows = db.all(sql, params)
    return [orjson.Fragment(r[0]) for r in rows], total


def due_orders(db: Reader, now_ms: int, org_id: str | None = None) -> list[tuple[str, str]]:
    """``(org_id, order_id)`` of the orders with a step due at or before ``now_ms``, in order.

    ``org_id`` narrows to one organisation.
    """
    sql = "SELECT org_id, id FROM orders WHERE next_event_ms <= ?"
    params: list[Any] = [now_ms]
    if org_id is not None:
        sql += " AND org_id = ?"
        params.append(org_id)
    return [(r["org_id"], r["id"]) for r in db.all(sql + " ORDER BY next_event_ms, seq", params)]


def has_due(db: Reader, org_id: str, now_ms: int) -> bool:
    """Whether one of the org's orders has a step due (an indexed look-up, no scan)."""
    return db.one("SELECT 1 FROM orders WHERE org_id = ? AND next_event_ms <= ? LIMIT 1",
                  (org_id, now_ms)) is not None
