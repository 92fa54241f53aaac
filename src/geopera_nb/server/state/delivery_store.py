"""Deliveries in the store: the planned captures of each order, delivered as time passes.

The domain plans deliveries (:func:`..domain.deliveries.plan_deliveries`) as
``Delivery`` objects; here they are stored as JSON documents (geometries as GeoJSON,
datetimes as ISO strings) and rebuilt when the domain needs them again.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geopera_nb.contract.timestamps import format_instant, from_ms, parse_ms, to_ms

from ..domain.deliveries import Delivery
from .store import Tx, dumps, loads

if TYPE_CHECKING:
    from .order_store import Reader


# --- Delivery <-> JSON ------------------------------------------------------------------


def delivery_doc(delivery: Any) -> dict[str, Any]:
    """A domain ``Delivery`` as a JSON-able document that :func:`delivery_obj` rebuilds."""
    fields: dict[str, Any] = {}
    geo: list[str] = []
    dts: list[str] = []
    for f in dataclasses.fields(delivery):
        value = getattr(delivery, f.name)
        if isinstance(value, BaseGeometry):
            fields[f.name] = shapely.geometry.mapping(value)
            geo.append(f.name)
        elif isinstance(value, datetime):
            fields[f.name] = format_instant(value)
            dts.append(f.name)
        else:
            fields[f.name] = value
    return {"fields": loads(dumps(fields)), "geo": geo, "dt": dts}


def delivery_obj(doc: dict[str, Any]) -> Delivery:
    """Rebuild the domain ``Delivery`` stored by :func:`delivery_doc`."""
    fields = dict(doc["fields"])
    for name in doc["geo"]:
        fields[name] = shape(fields[name])
    for name in doc["dt"]:
        fields[name] = from_ms(parse_ms(fields[name]))
    return Delivery(**fields)


def footprint(delivery: Delivery) -> BaseGeometry:
    """The footprint geometry of a delivery."""
    return delivery.footprint


# --- storing ----------------------------------------------------------------------------


def insert_deliveries(tx: Tx, order: dict[str, Any], deliveries: list[Any],
                      delivered: bool) -> None:
    """Store planned (or, for archive orders, already delivered) deliveries."""
    for d in deliveries:
        tx.execute("INSERT OR IGNORE INTO deliveries (id, order_id, org_id, seq, at_ms,"
                   " delivered, doc) VALUES (?,?,?,?,?,?,?)",
                   (d.capture_id, order["id"], order["organizationId"], tx.next_seq(),
                    to_ms(d.datetime), int(delivered), dumps(delivery_doc(d))))


def deliver_due(tx: Tx, order_id: str, at: int) -> None:
    """Mark the deliveries acquired at or before ``at`` as delivered."""
    tx.execute("UPDATE deliveries SET delivered = 1 WHERE order_id = ? AND at_ms <= ?",
               (order_id, at))


def delivered(db: Reader, order_id: str) -> list[Delivery]:
    """The delivered ``Delivery`` objects of an order, in acquisition order."""
    rows = db.all("SELECT doc FROM deliveries WHERE order_id = ? AND delivered = 1"
                  " ORDER BY at_ms, seq", (order_id,))
    return [delivery_obj(loads(r["doc"])) for r in rows]


def next_pending_ms(db: Reader, order_id: str) -> int | None:
    """When the order's next planned (not yet delivered) capture is acquired, if any."""
    row = db.one("SELECT MIN(at_ms) FROM deliveries WHERE order_id = ? AND delivered = 0",
                 (order_id,))
    return None if row is None or row[0] is None else int(row[0])


def load_delivered(db: Reader, capture_id: str) -> Delivery | None:
    """The delivered capture with this id (of any order), or ``None``."""
    row = db.one("SELECT doc FROM deliveries WHERE id = ? AND delivered = 1 LIMIT 1",
                 (capture_id,))
    return None if row is None else delivery_obj(loads(row["doc"]))


def delivered_for_org(db: Reader, org_id: str, capture_id: str) -> tuple[Delivery, str] | None:
    """``(delivery, order id)`` of a capture delivered to an org's order, or ``None``.

    (An archive capture may be delivered to several orders, of several orgs.)
    """
    row = db.one("SELECT doc, order_id FROM deliveries WHERE id = ? AND org_id = ?"
                 " AND delivered = 1 ORDER BY at_ms, seq LIMIT 1", (capture_id, org_id))
    return None if row is None else (delivery_obj(loads(row["doc"])), str(row["order_id"]))
