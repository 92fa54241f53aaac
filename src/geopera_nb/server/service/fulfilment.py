"""Captures of an order: planned over a tasking window, delivered for an archive order,
and how much of the AOI the delivered ones cover. (What that does to the order's status
is :mod:`.lifecycle`'s decision.)"""

from __future__ import annotations

import dataclasses
from typing import Any

from shapely.geometry import shape

from geopera_nb.contract.timestamps import from_ms, parse_ms

from ..domain.coverage import coverage
from ..domain.deliveries import Delivery, plan_deliveries
from ..state import delivery_store
from ..state.backend import Backend
from ..state.order_store import Reader
from ..state.store import Tx

__all__ = ["covered_fraction", "deliver_archive", "plan_tasking"]


def plan_tasking(backend: Backend, tx: Tx, order: dict[str, Any]) -> None:
    """Plan the captures of a tasking order over its window and store them."""
    window = order["orderDetails"]["window"]
    params = order["orderDetails"].get("params") or {}
    sensor = backend.catalogue.sensor(order["sensor"])
    if sensor is None:  # pragma: no cover - a tasking order names a catalogued sensor
        raise LookupError(f"order {order['id']} names an unknown sensor {order['sensor']!r}")
    deliveries = plan_deliveries(
        order["id"], shape(order["geometry"]), sensor,
        from_ms(parse_ms(window["start"])), from_ms(parse_ms(window["end"])),
        backend.seed, max_cloud=params.get("maxCloudCoverage"),
    )
    delivery_store.insert_deliveries(tx, order, list(deliveries), delivered=False)


def deliver_archive(backend: Backend, tx: Tx, order: dict[str, Any]) -> None:
    """Deliver an archive order's captures (whole scenes, as catalogued)."""
    names = {f.name for f in dataclasses.fields(Delivery)}
    out = []
    for line in order["orderDetails"].get("captures") or []:
        feature = backend.catalogue.capture(line.get("id"))
        if feature is None:
            continue
        props = feature["properties"]
        values: dict[str, Any] = {
            "capture_id": feature["id"], "id": feature["id"],
            "datetime": from_ms(parse_ms(props["datetime"])),
            "footprint": shape(feature["geometry"]), "geometry": shape(feature["geometry"]),
            "cloud_cover": props.get("eo:cloud_cover"), "off_nadir": props.get("view:off_nadir"),
            "gsd": props.get("gsd"), "group_index": int(line.get("index", 0) or 0),
            "platform": props.get("platform"), "satellite": props.get("platform"),
            "constellation": props.get("constellation"),
        }
        out.append(Delivery(**{k: v for k, v in values.items() if k in names}))
    delivery_store.insert_deliveries(tx, order, out, delivered=True)


def covered_fraction(db: Reader, order: dict[str, Any]) -> float:
    """Fraction of the order's AOI covered by its delivered footprints (geodesic)."""
    footprints = [d.footprint for d in delivery_store.delivered(db, order["id"])]
    result = coverage(shape(order["geometry"]), footprints)
    return float(result.get("coveredFraction", 0.0))
