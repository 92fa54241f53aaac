"""Delivered assets: STAC Items with signed hrefs, and the route that serves the bytes.

An href is ``{base}/v1/assets/{item_id}/{name}?sig=...``: the signature (HMAC under
the server secret) is the capability, so a download needs no auth header, exactly like
a cloud-storage signed URL. The bytes come from the domain renderer, deterministic per
(item, asset, seed), so their ``file:checksum`` never changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from . import fulfilment, orders
from .errors import Problem
from .store import loads

if TYPE_CHECKING:
    from .backend import Backend
    from .handlers import Call

ASSET_PATH = "/v1/assets/{item_id}/{name}"


def signed_href(backend: Backend, base_url: str, item_id: str, name: str) -> str:
    """The signed download URL of one asset."""
    sig = backend.auth.sign(f"{item_id}/{name}")
    return f"{base_url.rstrip('/')}/v1/assets/{quote(item_id, safe='')}/{quote(name)}?sig={sig}"


def items_for_order(call: Call) -> dict[str, Any]:
    """``orders.list_assets``: a FeatureCollection of STAC Items of the delivered captures."""
    from .domain.stac import stac_item

    order, _, _ = orders.load(call.db, call.org_id, call.body["order_id"])
    backend, base = call.backend, call.base_url
    sensor = _sensor_of(backend, order)

    def href(item_id: str, name: str) -> str:
        return signed_href(backend, base, item_id, name)

    items = [stac_item(d, order, sensor, href, seed=backend.seed)
             for d in fulfilment.delivered(call.db, order["id"])]
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


def serve_asset(backend: Backend, request: Request) -> Response:
    """``GET /v1/assets/{item_id}/{name}?sig=...``: the asset bytes (bad signature: 404)."""
    from geopera_nb.contract.geometry import geojson_bbox

    from .domain.errors import DomainError
    from .domain.stac import render_asset

    item_id = str(request.path_params.get("item_id", ""))
    name = str(request.path_params.get("name", ""))
    sig = request.query_params.get("sig", "")
    if not sig or not backend.auth.check_signature(f"{item_id}/{name}", sig):
        raise Problem(404, "asset not found")
    row = backend.store.one("SELECT doc FROM deliveries WHERE id = ? AND delivered = 1 LIMIT 1",
                            (item_id,))
    if row is None:
        raise Problem(404, "asset not found")
    delivery = fulfilment.delivery_obj(loads(row["doc"]))
    try:
        data, media_type = render_asset(item_id, name, backend.seed,
                                        bbox=geojson_bbox(fulfilment.footprint(delivery)))
    except DomainError as exc:
        raise Problem(404, "asset not found") from exc
    return Response(content=data, media_type=media_type,
                    headers={"Cache-Control": "private, max-age=3600"})
