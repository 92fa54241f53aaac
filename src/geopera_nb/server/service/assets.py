"""``orders.list_assets``: STAC Items with signed hrefs, and the files behind them.

An href is ``{public url}/v1/assets/{item_id}/{file}?exp=...&kid=...&sig=...`` (see
:mod:`..state.signing`): the signature is the capability, so a download needs no auth
header, like a cloud-storage signed URL, but it expires (wall clock), is bound to the
org and dies with the key that listed it. The base is the configured public URL of the
server, never the request's ``Host`` header.

A capture's files are rendered once (:func:`..domain.imagery.render_capture`) and kept
content-addressed in the data directory (:mod:`..state.asset_cache`); the Items'
``file:checksum`` / ``file:size`` are those of the stored files, which is what the
asset route serves.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from ..domain.deliveries import Delivery
from ..domain.imagery import IMAGERY_VERSION, render_capture
from ..domain.stac import ASSET_FILES, AssetFile, asset_name, stac_item
from ..problems import Problem
from ..state import delivery_store, order_store, signing
from ..state.asset_cache import CachedAsset, cache_for
from ..state.auth import Principal
from ..state.backend import Backend
from .call import Call

#: Where an asset's bytes are served (the ``http`` layer routes it).
ASSET_PATH = "/v1/assets/{item_id}/{name}"
_SUFFIX = {"visual": ".tif", "thumbnail": ".png", "metadata": ".json"}
#: Threads rendering the captures of one listing (numpy, GDAL and Pillow release the GIL).
_RENDER_WORKERS = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class ServedAsset:
    """A file to answer with, and how long the URL that asked for it stays good."""

    file: CachedAsset
    max_age_s: int


def _fingerprint(delivery: Delivery, sensor: dict[str, Any]) -> str:
    """What the pixels depend on besides seed and capture id (short sha256)."""
    doc = delivery_store.delivery_doc(delivery)
    doc["sensor"] = {k: sensor.get(k) for k in ("id", "bands", "resolutionM")}
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def capture_files(backend: Backend, delivery: Delivery,
                  sensor: dict[str, Any]) -> dict[str, CachedAsset]:
    """The stored files of a delivered capture (rendered now if they never were)."""
    base = (f"v{IMAGERY_VERSION}", backend.seed, delivery.capture_id,
            _fingerprint(delivery, sensor))

    def make() -> dict[str, tuple[bytes, str, str]]:
        files = render_capture(backend.seed, delivery, sensor).by_asset()
        return {name: (files[name], ASSET_FILES[name][1], _SUFFIX[name]) for name in ASSET_FILES}

    return cache_for(backend.config.data_dir).get_or_make(base, list(ASSET_FILES), make)


def signed_href(backend: Backend, principal: Principal, item_id: str, file_name: str,
                expires_s: int) -> str:
    """The signed download URL of one asset, for ``principal`` until ``expires_s``."""
    asset = f"{item_id}/{file_name}"
    query = signing.sign_query(backend.auth, asset, principal.org_id, principal.key_id,
                               expires_s)
    path = ASSET_PATH.format(item_id=quote(item_id, safe=""), name=quote(file_name, safe=""))
    return f"{backend.config.base_url}{path}?{query}"


def list_assets(call: Call) -> dict[str, Any]:
    """``orders.list_assets``: a FeatureCollection of STAC Items of the delivered captures."""
    order, _, _ = order_store.load(call.db, call.org_id, call.body["order_id"])
    backend, principal = call.backend, call.principal
    expires_s = signing.expiry(backend.auth.wall(), backend.config.signed_url_ttl_s)

    def href(item_id: str, file_name: str) -> str:
        return signed_href(backend, principal, item_id, file_name, expires_s)

    deliveries = delivery_store.delivered(call.db, order["id"])
    sensors = [_sensor_of(backend, order, d) for d in deliveries]

    def files_of(i: int) -> dict[str, CachedAsset]:
        return capture_files(backend, deliveries[i], sensors[i])

    if len(deliveries) > 1 and _RENDER_WORKERS > 1:
        with ThreadPoolExecutor(_RENDER_WORKERS, thread_name_prefix="sandbox-render") as pool:
            stored = list(pool.map(files_of, range(len(deliveries))))
    else:
        stored = [files_of(i) for i in range(len(deliveries))]
    items = []
    for d, sensor, files in zip(deliveries, sensors, stored, strict=True):
        served = {name: AssetFile(f.size, f.checksum) for name, f in files.items()}
        items.append(stac_item(d, order, sensor, href, served))
    return {"type": "FeatureCollection", "features": items}


def _sensor_of(backend: Backend, order: dict[str, Any], delivery: Delivery) -> dict[str, Any]:
    """The sensor that took a capture: the tasking order's, or the archive collection's.

    (An archive order may hold captures of several collections: each is rendered with
    the bands and resolution of its own collection's sensor.)
    """
    cat = backend.catalogue
    sensor_id = order.get("sensor")
    if not sensor_id:
        feature = cat.capture(delivery.capture_id) or {}
        collection = cat.collections.get(str(feature.get("collection", ""))) or {}
        sensor_id = collection.get("sensor")
    if not sensor_id:
        product = cat.product(order.get("dataProductId")) or {}
        sensor_id = product.get("sensor")
    sensor: dict[str, Any] | None = cat.sensor(sensor_id) if sensor_id else None
    return sensor or {"id": str(sensor_id or "geo-unknown")}


def asset_file(backend: Backend, item_id: str, file_name: str,
               query: dict[str, str]) -> ServedAsset:
    """The stored file behind a signed href (403 for a bad signature, else 404).

    Raises
    ------
    Problem
        403 when the signature is missing, wrong or expired or its key is dead; 404 when
        the signature is good but no such asset was delivered to its org.
    """
    grant = signing.verify(backend.auth, backend.store, f"{item_id}/{file_name}", query,
                           wall=backend.auth.wall, sandbox_now_ms=backend.now_ms)
    name = asset_name(file_name)
    found = delivery_store.delivered_for_org(backend.store, grant.org_id, item_id)
    if name is None or found is None:
        raise Problem(404, "asset not found")
    delivery, order_id = found
    order, _, _ = order_store.load(backend.store, grant.org_id, order_id)
    stored = capture_files(backend, delivery, _sensor_of(backend, order, delivery))[name]
    max_age = max(0, int(grant.expires_s - backend.auth.wall()))
    return ServedAsset(file=stored, max_age_s=max_age)
