"""Deliveries: planned captures stored per order, their coverage and STAC Items.

The domain layer plans deliveries (:func:`.domain.deliveries.plan_deliveries`) as
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

from .clock import from_datetime, parse_iso, to_datetime, to_iso
from .store import Tx, dumps, loads

if TYPE_CHECKING:
    from .backend import Backend
    from .domain.deliveries import Delivery
    from .orders import Reader


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
            fields[f.name] = to_iso(from_datetime(value))
            dts.append(f.name)
        else:
            fields[f.name] = value
    return {"fields": loads(dumps(fields)), "geo": geo, "dt": dts}


def delivery_obj(doc: dict[str, Any]) -> Any:
    """Rebuild the domain ``Delivery`` stored by :func:`delivery_doc`."""
    from .domain.deliveries import Delivery

    fields = dict(doc["fields"])
    for name in doc["geo"]:
        fields[name] = shape(fields[name])
    for name in doc["dt"]:
        fields[name] = to_datetime(parse_iso(fields[name]))
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
                    from_datetime(d.datetime), int(delivered), dumps(delivery_doc(d))))


def deliver_due(tx: Tx, order_id: str, at: int) -> None:
    """Mark the deliveries acquired at or before ``at`` as delivered."""
    tx.execute("UPDATE deliveries SET delivered = 1 WHERE order_id = ? AND at_ms <= ?",
               (order_id, at))


def delivered(db: Reader, order_id: str) -> list[Any]:
    """The delivered ``Delivery`` objects of an order, in acquisition order."""
    rows = db.all("SELECT doc FROM deliveries WHERE order_id = ? AND delivered = 1"
                  " ORDER BY at_ms, seq", (order_id,))
    return [delivery_obj(loads(r["doc"])) for r in rows]


# --- planning ---------------------------------------------------------------------------


def plan_tasking(backend: Backend, tx: Tx, order: dict[str, Any], state: dict[str, Any],
                 at: int) -> None:
    """Plan the captures of a tasking order over its window and store them."""
    from .domain.deliveries import plan_deliveries

    window = order["orderDetails"]["window"]
    params = order["orderDetails"].get("params") or {}
    deliveries = plan_deliveries(
        order["id"], shape(order["geometry"]), backend.catalogue.sensor(order["sensor"]),
        to_datetime(parse_iso(window["start"])), to_datetime(parse_iso(window["end"])),
        backend.seed, max_cloud=params.get("maxCloudCoverage"),
    )
    insert_deliveries(tx, order, list(deliveries), delivered=False)


def deliver_archive(backend: Backend, tx: Tx, order: dict[str, Any], at: int) -> None:
    """Deliver an archive order's captures (each capture clipped to nothing: whole scene)."""
    from .domain.deliveries import Delivery

    names = {f.name for f in dataclasses.fields(Delivery)}
    out = []
    for line in order["orderDetails"].get("captures") or []:
        feature = backend.catalogue.capture(line.get("id"))
        if feature is None:
            continue
        props = feature["properties"]
        values: dict[str, Any] = {
            "capture_id": feature["id"], "id": feature["id"],
            "datetime": to_datetime(parse_iso(props["datetime"])),
            "footprint": shape(feature["geometry"]), "geometry": shape(feature["geometry"]),
            "cloud_cover": props.get("eo:cloud_cover"), "off_nadir": props.get("view:off_nadir"),
            "gsd": props.get("gsd"), "group_index": int(line.get("index", 0) or 0),
            "platform": props.get("platform"), "satellite": props.get("platform"),
            "constellation": props.get("constellation"),
        }
        out.append(Delivery(**{k: v for k, v in values.items() if k in names}))
    insert_deliveries(tx, order, out, delivered=True)


def covered_fraction(db: Reader, order: dict[str, Any]) -> float:
    """Fraction of the order's AOI covered by its delivered footprints (geodesic)."""
    from .domain.coverage import coverage

    footprints = [footprint(d) for d in delivered(db, order["id"])]
    result = coverage(shape(order["geometry"]), footprints)
    return float(result.get("coveredFraction", 0.0))
