"""Delivered imagery as STAC 1.0.0 Items (eo, view, file, projection, raster extensions).

An Item describes a capture and its three assets: ``visual`` (the data file, a
Cloud-Optimized GeoTIFF in the UTM zone of the footprint, every band of the sensor),
``thumbnail`` (PNG) and ``metadata`` (JSON). The data asset carries ``proj:shape``,
``proj:transform``, ``proj:bbox``, ``eo:bands`` and ``raster:bands`` (nodata, data type,
scale/offset, the file's real pixel size as ``spatial_resolution``); the Item carries
``proj:epsg`` and ``geopera:pixel_scale`` (file pixel size / sensor resolution). Each
asset's ``file:checksum`` (multihash ``1220`` + sha256) and ``file:size`` are those of
the bytes the server serves: the caller passes them (see :class:`AssetFile`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from geopera_nb.contract.timestamps import format_instant
from geopera_nb.geo import geojson_bbox, to_geojson

from .deliveries import Delivery
from .imagery import band_specs, grid_of

__all__ = [
    "ASSET_FILES",
    "STAC_EXTENSIONS",
    "AssetFile",
    "asset_checksum",
    "asset_name",
    "stac_item",
]

STAC_EXTENSIONS = [
    "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "https://stac-extensions.github.io/file/v2.1.0/schema.json",
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
]
#: asset name -> (file name used in hrefs, media type, roles)
ASSET_FILES: dict[str, tuple[str, str, list[str]]] = {
    "visual": ("visual.tif", "image/tiff; application=geotiff; profile=cloud-optimized", ["data"]),
    "thumbnail": ("thumbnail.png", "image/png", ["thumbnail"]),
    "metadata": ("metadata.json", "application/json", ["metadata"]),
}
_BY_FILE = {f: name for name, (f, _, _) in ASSET_FILES.items()}


class AssetFile(NamedTuple):
    """What an Item says of one served file: its size and multihash checksum."""

    size: int
    checksum: str


def asset_checksum(data: bytes) -> str:
    """Multihash of ``data``: ``1220`` (sha2-256, 32 bytes) + the sha256 hex digest.

    Examples
    --------
    >>> asset_checksum(b"")[:12]
    '1220e3b0c442'
    """
    return "1220" + hashlib.sha256(data).hexdigest()


def asset_name(name_or_file: str) -> str | None:
    """The asset name of ``"visual"`` or ``"visual.tif"`` (``None`` when unknown).

    Examples
    --------
    >>> asset_name("thumbnail.png"), asset_name("visual"), asset_name("x.tif")
    ('thumbnail', 'visual', None)
    """
    key = _BY_FILE.get(name_or_file, name_or_file)
    return key if key in ASSET_FILES else None


def stac_item(
    delivery: Delivery,
    order: Mapping[str, Any],
    sensor: Mapping[str, Any],
    asset_href: Callable[[str, str], str],
    files: Mapping[str, AssetFile],
) -> dict[str, Any]:
    """The STAC 1.0.0 Item of a delivered capture.

    Parameters
    ----------
    delivery
        The capture.
    order
        The order (``id`` is used).
    sensor
        The Sensor object (``id``, ``bands``, ``resolutionM``).
    asset_href
        ``asset_href(item_id, file_name)`` -> URL, with file names ``visual.tif``,
        ``thumbnail.png``, ``metadata.json``.
    files
        Asset name -> :class:`AssetFile` of the bytes served for it.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from geopera_nb.server.domain.seeding import SANDBOX_EPOCH
    >>> d = Delivery("cap-1", SANDBOX_EPOCH, box(0, 0, 0.1, 0.1), 5.0, 10.0, 0.5, 0, "OWL-1")
    >>> files = dict.fromkeys(ASSET_FILES, AssetFile(1, "1220" + "0" * 64))
    >>> item = stac_item(d, {"id": "o1"}, {"id": "geo-owl-30", "resolutionM": 0.3,
    ...                  "bands": ["red", "nir"]}, lambda i, f: f"/a/{i}/{f}", files)
    >>> item["assets"]["visual"]["href"], item["properties"]["proj:epsg"]
    ('/a/cap-1/visual.tif', 32631)
    >>> [b["name"] for b in item["assets"]["visual"]["eo:bands"]]
    ['red', 'nir']
    """
    grid = grid_of(delivery, sensor)
    specs = band_specs(sensor)
    assets: dict[str, Any] = {}
    for name, (file_name, media, roles) in ASSET_FILES.items():
        served = files[name]
        asset: dict[str, Any] = {
            "href": asset_href(delivery.capture_id, file_name),
            "type": media,
            "roles": list(roles),
            "file:checksum": served.checksum,
            "file:size": served.size,
        }
        if name == "visual":
            asset.update({
                "proj:shape": list(grid.shape),
                "proj:transform": list(grid.transform),
                "proj:bbox": [round(v, 6) for v in grid.bounds],
                "eo:bands": [s.eo() for s in specs],
                "raster:bands": [s.raster(grid.resolution) for s in specs],
            })
        assets[name] = asset
    sid = str(sensor["id"])
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "stac_extensions": list(STAC_EXTENSIONS),
        "id": delivery.capture_id,
        "geometry": to_geojson(delivery.footprint),
        "bbox": geojson_bbox(delivery.footprint),
        "properties": {
            "datetime": format_instant(delivery.datetime),
            "platform": delivery.platform or sid,
            "constellation": sid.split("-")[1] if sid.count("-") >= 1 else sid,
            "gsd": delivery.gsd,
            "eo:cloud_cover": delivery.cloud_cover,
            "view:off_nadir": delivery.off_nadir,
            "proj:epsg": grid.epsg,
            "geopera:order_id": order["id"],
            "geopera:sensor": sid,
            "geopera:group_index": delivery.group_index,
            "geopera:pixel_scale": grid.scale,
        },
        "links": [],
        "assets": assets,
    }
