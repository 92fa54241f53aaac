"""Delivered imagery as STAC 1.0.0 Items, and the bytes of their assets.

An Item's ``file:checksum`` (multihash ``1220`` + sha256) and ``file:size`` are computed
from :func:`render_asset`, which renders deterministically from (item id, asset name,
seed, bbox): the server serves exactly those bytes later with :func:`render_item_asset`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from geopera_nb.contract.timestamps import format_instant
from geopera_nb.geo import geojson_bbox, to_geojson

from .deliveries import Delivery
from .raster import encode_geotiff, encode_png, synthetic_rgb
from .rejections import DomainError

__all__ = [
    "ASSET_FILES",
    "STAC_EXTENSIONS",
    "asset_checksum",
    "render_asset",
    "render_item_asset",
    "stac_item",
]

STAC_EXTENSIONS = [
    "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "https://stac-extensions.github.io/file/v2.1.0/schema.json",
]
#: asset name -> (file name used in hrefs, media type, roles)
ASSET_FILES: dict[str, tuple[str, str, list[str]]] = {
    "visual": ("visual.tif", "image/tiff; application=geotiff; profile=cloud-optimized", ["data"]),
    "thumbnail": ("thumbnail.png", "image/png", ["thumbnail"]),
    "metadata": ("metadata.json", "application/json", ["metadata"]),
}
_BY_FILE = {f: name for name, (f, _, _) in ASSET_FILES.items()}


def asset_checksum(data: bytes) -> str:
    """Multihash of ``data``: ``1220`` (sha2-256, 32 bytes) + the sha256 hex digest.

    Examples
    --------
    >>> asset_checksum(b"")[:12]
    '1220e3b0c442'
    """
    return "1220" + hashlib.sha256(data).hexdigest()


def render_asset(
    item_id: str, name: str, seed: int, *, bbox: Sequence[float] | None = None
) -> tuple[bytes, str]:
    """The bytes and media type of one asset of an item (deterministic).

    Parameters
    ----------
    item_id
        The STAC item id (the capture id).
    name
        ``"visual"``, ``"thumbnail"``, ``"metadata"`` or their file names
        (``"visual.tif"``, ...).
    seed
        The sandbox seed.
    bbox
        The item's bbox (georeferences the GeoTIFF; pass the item's ``bbox``).

    Raises
    ------
    DomainError
        404 for an unknown asset name.

    Examples
    --------
    >>> data, media = render_asset("abc", "thumbnail", 0)
    >>> media, data[:4]
    ('image/png', b'\\x89PNG')
    """
    key = _BY_FILE.get(name, name)
    if key not in ASSET_FILES:
        raise DomainError(404, ("asset",), f"no asset {name!r}")
    box = [float(v) for v in bbox] if bbox is not None else [0.0, 0.0, 0.01, 0.01]
    media = ASSET_FILES[key][1]
    if key == "visual":
        return encode_geotiff(synthetic_rgb(item_id, seed), box), media
    if key == "thumbnail":
        rgb = synthetic_rgb(item_id, seed).astype(np.uint16)
        small = (rgb[0::2, 0::2] + rgb[1::2, 0::2] + rgb[0::2, 1::2] + rgb[1::2, 1::2]) // 4
        return encode_png(small.astype(np.uint8)), media
    meta = {"id": item_id, "bbox": box, "crs": "EPSG:4326", "width": 64, "height": 64,
            "bands": ["red", "green", "blue"], "generator": "geopera-nb sandbox",
            "seed": seed}  # fmt: skip
    return json.dumps(meta, sort_keys=True, separators=(",", ":")).encode(), media


def render_item_asset(item: dict[str, Any], name: str, seed: int) -> tuple[bytes, str]:
    """:func:`render_asset` for a STAC item dict (uses its ``id`` and ``bbox``)."""
    return render_asset(item["id"], name, seed, bbox=item.get("bbox"))


def stac_item(
    delivery: Delivery,
    order: dict[str, Any],
    sensor: dict[str, Any],
    asset_href: Callable[[str, str], str],
    *,
    seed: int = 0,
) -> dict[str, Any]:
    """The STAC 1.0.0 Item of a delivered capture (eo, view, file extensions).

    Parameters
    ----------
    delivery
        The capture.
    order
        The order (``id`` is used).
    sensor
        The Sensor object.
    asset_href
        ``asset_href(item_id, file_name)`` -> signed URL, with file names
        ``visual.tif``, ``thumbnail.png``, ``metadata.json``.
    seed
        The sandbox seed (the assets' bytes depend on it).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from geopera_nb.server.domain.seeding import SANDBOX_EPOCH
    >>> d = Delivery("cap-1", SANDBOX_EPOCH, box(0, 0, 0.1, 0.1), 5.0, 10.0, 0.5, 0, "OWL-1")
    >>> item = stac_item(d, {"id": "o1"}, {"id": "geo-owl-30"}, lambda i, f: f"/a/{i}/{f}")
    >>> item["assets"]["visual"]["href"], item["properties"]["constellation"]
    ('/a/cap-1/visual.tif', 'owl')
    """
    bbox = geojson_bbox(delivery.footprint)
    assets: dict[str, Any] = {}
    for name, (file_name, media, roles) in ASSET_FILES.items():
        data, _ = render_asset(delivery.capture_id, name, seed, bbox=bbox)
        assets[name] = {
            "href": asset_href(delivery.capture_id, file_name),
            "type": media,
            "roles": list(roles),
            "file:checksum": asset_checksum(data),
            "file:size": len(data),
        }
    sid = str(sensor["id"])
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": list(STAC_EXTENSIONS),
        "id": delivery.capture_id,
        "geometry": to_geojson(delivery.footprint),
        "bbox": bbox,
        "properties": {
            "datetime": format_instant(delivery.datetime),
            "platform": delivery.platform or sid,
            "constellation": sid.split("-")[1] if sid.count("-") >= 1 else sid,
            "gsd": delivery.gsd,
            "eo:cloud_cover": delivery.cloud_cover,
            "view:off_nadir": delivery.off_nadir,
            "geopera:order_id": order["id"],
            "geopera:sensor": sid,
            "geopera:group_index": delivery.group_index,
        },
        "links": [],
        "assets": assets,
    }
