"""Deliveries made here with rasterio: COGs and standard STAC Items, as the sandbox sends.

Each capture is a 4-band (red, green, blue, nir) uint16 Cloud-Optimized GeoTIFF in UTM
zone 56S (EPSG:32756) at 10 m, 240 columns x 200 rows, nodata 0 outside its footprint
(the raster minus its north-east corner triangle). Its STAC Item carries ``proj:epsg``,
``proj:shape``, ``proj:transform`` (on the asset), ``eo:bands``, ``raster:bands``,
``file:checksum`` and ``file:size``, plus a PNG thumbnail and a JSON metadata asset
(neither is a band).

Pixel values are a formula, so tests can check them exactly::

    value(band b, capture k, row r, col c) = 1000 * (b + 1) + 100 * k + (r + c) % 50

inside the footprint (b = 0 red, 1 green, 2 blue, 3 nir), and 0 outside.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pystac
import rasterio
from affine import Affine
from PIL import Image
from pyproj import Transformer
from rasterio.features import geometry_mask
from shapely.geometry import Polygon, mapping

EPSG = 32756
RES = 10.0
WIDTH, HEIGHT = 240, 200
#: the upper-left corner of capture 0 (UTM 56S metres, near 150.1 E, 34.0 S)
X0, Y0 = 287_000.0, 6_236_000.0
BANDS = ("red", "green", "blue", "nir")
ORDER_ID = "0a0a0a0a-1111-4222-8333-444444444444"
EXTENSIONS = [
    "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
    "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    "https://stac-extensions.github.io/file/v2.1.0/schema.json",
]
COG_MEDIA = "image/tiff; application=geotiff; profile=cloud-optimized"


def expected_value(band: int, capture: int, row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """The formula above (rows/cols of the capture's own grid)."""
    return 1000 * (band + 1) + 100 * capture + (row + col) % 50


@dataclass
class Capture:
    """One made capture: its Item (hrefs as given) and its files."""

    item: dict[str, Any]
    files: dict[str, Path]
    transform: Affine
    footprint_utm: Polygon


def _footprint(transform: Affine) -> Polygon:
    """The raster minus its north-east corner triangle (in UTM metres)."""
    x0, y0 = transform.c, transform.f
    x1, y1 = x0 + WIDTH * RES, y0 - HEIGHT * RES
    cut = 0.4
    return Polygon([(x0, y0), (x1 - cut * WIDTH * RES, y0), (x1, y0 - cut * HEIGHT * RES),
                    (x1, y1), (x0, y1), (x0, y0)])


def _cog_bytes(data: np.ndarray, transform: Affine) -> bytes:
    with rasterio.MemoryFile() as mem:
        with mem.open(driver="COG", width=WIDTH, height=HEIGHT, count=len(BANDS),
                      dtype="uint16", crs=f"EPSG:{EPSG}", transform=transform, nodata=0,
                      compress="deflate", blocksize=128, overview_resampling="average") as dst:
            dst.write(data)
            for i, name in enumerate(BANDS, start=1):
                dst.set_band_description(i, name)
        return bytes(mem.read())


def _png(rgb: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="PNG")
    return out.getvalue()


def make_capture(folder: Path, k: int, *, when: dt.datetime, order_id: str = ORDER_ID,
                 offset: tuple[float, float] = (0.0, 0.0), item_id: str | None = None,
                 href: Any = None) -> Capture:
    """Write capture ``k`` (COG, PNG, JSON) into ``folder/<item id>/`` and make its Item.

    ``href(item_id, file_name) -> str`` builds asset hrefs (default: absolute paths).
    """
    item_id = item_id or f"cap-{k:02d}-{hashlib.sha256(str(k).encode()).hexdigest()[:8]}"
    transform = Affine(RES, 0.0, X0 + offset[0], 0.0, -RES, Y0 + offset[1])
    foot = _footprint(transform)
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    outside = geometry_mask([mapping(foot)], (HEIGHT, WIDTH), transform, invert=False)
    data = np.stack([expected_value(b, k, rows, cols) for b in range(len(BANDS))]).astype(np.uint16)
    data[:, outside] = 0
    cog = _cog_bytes(data, transform)
    rgb = (data[:3, ::4, ::4] // 16).astype(np.uint8).transpose(1, 2, 0)
    thumb = _png(np.ascontiguousarray(rgb))
    meta = json.dumps({"id": item_id, "bands": list(BANDS)}).encode()
    here = folder / item_id
    here.mkdir(parents=True, exist_ok=True)
    files = {"visual": here / "visual.tif", "thumbnail": here / "thumbnail.png",
             "metadata": here / "metadata.json"}
    for key, content in (("visual", cog), ("thumbnail", thumb), ("metadata", meta)):
        files[key].write_bytes(content)
    to_ll = Transformer.from_crs(EPSG, 4326, always_xy=True)
    ring = [to_ll.transform(x, y) for x, y in foot.exterior.coords]
    lonlat = Polygon(ring)
    make_href = href or (lambda i, name: str(here / name))
    assets: dict[str, Any] = {
        "visual": {
            "href": make_href(item_id, "visual.tif"), "type": COG_MEDIA, "roles": ["data"],
            "proj:epsg": EPSG, "proj:shape": [HEIGHT, WIDTH],
            "proj:transform": list(transform)[:6],
            "eo:bands": [{"name": n, "common_name": n} for n in BANDS],
            "raster:bands": [{"nodata": 0, "data_type": "uint16", "spatial_resolution": RES}
                             for _ in BANDS],
            "file:checksum": "1220" + hashlib.sha256(cog).hexdigest(), "file:size": len(cog),
        },
        "thumbnail": {"href": make_href(item_id, "thumbnail.png"), "type": "image/png",
                      "roles": ["thumbnail"],
                      "file:checksum": "1220" + hashlib.sha256(thumb).hexdigest(),
                      "file:size": len(thumb)},
        "metadata": {"href": make_href(item_id, "metadata.json"), "type": "application/json",
                     "roles": ["metadata"],
                     "file:checksum": "1220" + hashlib.sha256(meta).hexdigest(),
                     "file:size": len(meta)},
    }
    item = {
        "type": "Feature", "stac_version": "1.0.0", "stac_extensions": list(EXTENSIONS),
        "id": item_id, "geometry": mapping(lonlat), "bbox": list(lonlat.bounds),
        "properties": {"datetime": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "gsd": RES,
                       "platform": "OWL-1", "constellation": "owl", "eo:cloud_cover": 5.0,
                       "geopera:order_id": order_id, "geopera:sensor": "geo-owl-30"},
        "links": [], "assets": assets,
    }
    return Capture(item=item, files=files, transform=transform, footprint_utm=foot)


def make_order(folder: Path, n: int = 3, *, order_id: str = ORDER_ID,
               start: dt.datetime = dt.datetime(2026, 12, 2, 0, 30),
               offsets: Sequence[tuple[float, float]] | None = None,
               href: Any = None) -> list[Capture]:
    """``n`` captures one day apart (distinct solar days), optionally shifted in space."""
    offsets = offsets or [(0.0, 0.0)] * n
    return [make_capture(folder, k, when=start + dt.timedelta(days=k), order_id=order_id,
                         offset=offsets[k], href=href) for k in range(n)]


def as_items(captures: Sequence[Capture]) -> list[pystac.Item]:
    return [pystac.Item.from_dict(c.item) for c in captures]
