"""``orders.list_assets``: STAC Items with signed hrefs, and the bytes behind them.

An href is ``{base}/v1/assets/{item_id}/{name}?sig=...``: the signature (HMAC under
the server secret) is the capability, so a download needs no auth header, exactly like
a cloud-storage signed URL. The bytes come from the domain renderer, deterministic per
(item, asset, seed), so their ``file:checksum`` never changes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from geopera_nb.geo import geojson_bbox

from ..domain.rejections import DomainError
from ..domain.stac import render_asset, stac_item
from ..problems import Problem
from ..state import delivery_store, order_store
from ..state.backend import Backend
from .call import Call

#: Where an asset's bytes are served (the ``http`` layer routes it).
ASSET_PATH = "/v1/assets/{item_id}/{name}"


def signed_href(backend: Backend, base_url: str, item_id: str, name: str) -> str:
    """The signed download URL of one asset."""
    sig = backend.auth.sign(f"{item_id}/{name}")
    return f"{base_url.rstrip('/')}/v1/assets/{quote(item_id, safe='')}/{quote(name)}?sig={sig}"


def list_assets(call: Call) -> dict[str, Any]:
    """``orders.list_assets``: a FeatureCollection of STAC Items of the delivered captures."""
    order, _, _ = order_store.load(call.db, call.org_id, call.body["order_id"])
    backend, base = call.backend, call.base_url
    sensor = _sensor_of(backend, order)

    def href(item_id: str, name: str) -> str:
        return signed_href(backend, base, item_id, name)

    items = [stac_item(d, order, sensor, href, seed=backend.seed)
             for d in delivery_store.delivered(call.db, order["id"])]
    return {"type": "FeatureCollection", "features": items}


def _sensor_of(backend: Backend, order: dict[str, Any]) -> dict[str, Any]:
    """The sensor of a tasking order, or of an archive order's data product."""
    cat = backend.catalogue
    sensor_id = order.get("sensor")
    if not sensor_id:
        product = cat.product(order.get("dataProductId")) or {}
        sensor_id = product.get("sensor")
    sensor: dict[str, Any] | None = cat.sensor(sensor_id) if sensor_id else None
    return sensor or {"id": str(sensor_id or "geo-unknown")}


def asset_bytes(backend: Backend, item_id: str, name: str, signature: str) -> tuple[bytes, str]:
    """``(bytes, media type)`` of a delivered asset whose href signature is good (else 404)."""
    if not signature or not backend.auth.check_signature(f"{item_id}/{name}", signature):
        raise Problem(404, "asset not found")
    delivery = delivery_store.load_delivered(backend.store, item_id)
    if delivery is None:
        raise Problem(404, "asset not found")
    try:
        return render_asset(item_id, name, backend.seed, bbox=geojson_bbox(delivery.footprint))
    except DomainError as exc:
        raise Problem(404, "asset not found") from exc
