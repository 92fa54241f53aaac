"""Synthetic STAC Items shaped like ``orders.list_assets`` features (for offline tests)."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import orjson

EXTENSIONS = [
    "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "https://stac-extensions.github.io/view/v1.0.0/schema.json",
    "https://stac-extensions.github.io/file/v2.1.0/schema.json",
]
ORDER_ID = "11111111-2222-4333-8444-555555555555"


def item(i: int, rnd: random.Random | None = None, *, geometry: Any = "polygon",
         base: str = "http://127.0.0.1:8765") -> dict[str, Any]:
    """One realistic STAC Item (``geometry``: polygon, multipolygon, collection or None)."""
    rnd = rnd or random.Random(i)
    lon, lat = rnd.uniform(-179, 178), rnd.uniform(-80, 79)
    d = 0.05
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    geom: Any
    if geometry == "polygon":
        geom = {"type": "Polygon", "coordinates": [ring]}
    elif geometry == "multipolygon":
        geom = {"type": "MultiPolygon", "coordinates": [[ring]]}
    elif geometry == "collection":
        geom = {"type": "GeometryCollection",
                "geometries": [{"type": "Polygon", "coordinates": [ring]}]}
    else:
        geom = None
    item_id = f"{i:08x}-aaaa-4bbb-8ccc-{rnd.getrandbits(48):012x}"
    assets = {}
    for key, media, role, ext in (
        ("visual", "image/tiff; application=geotiff; profile=cloud-optimized", "data", "tif"),
        ("thumbnail", "image/png", "thumbnail", "png"),
        ("metadata", "application/json", "metadata", "json"),
    ):
        digest = hashlib.sha256(f"{item_id}/{key}".encode()).hexdigest()
        assets[key] = {"href": f"{base}/v1/assets/{item_id}/{key}.{ext}?sig={rnd.getrandbits(72):018x}",
                       "type": media, "roles": [role], "file:checksum": "1220" + digest,
                       "file:size": rnd.randint(1_000, 50_000_000)}
    return {
        "type": "Feature", "stac_version": "1.0.0", "stac_extensions": EXTENSIONS,
        "id": item_id, "geometry": geom, "bbox": [lon, lat, lon + d, lat + d],
        "properties": {
            "datetime": f"2026-12-{1 + i % 28:02d}T10:{i % 60:02d}:12.000Z",
            "platform": f"OWL-{1 + i % 2}", "constellation": "owl", "gsd": 0.3,
            "eo:cloud_cover": round(rnd.uniform(0, 30), 1),
            "view:off_nadir": round(rnd.uniform(0, 30), 1),
            "geopera:order_id": ORDER_ID, "geopera:sensor": "geo-owl-30",
            "geopera:group_index": i % 3,
        },
        "links": [], "assets": assets,
    }


def items(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` items, every tenth a MultiPolygon."""
    rnd = random.Random(seed)
    return [item(i, rnd, geometry="multipolygon" if i % 10 == 9 else "polygon") for i in range(n)]


def ndjson(records: list[dict[str, Any]], *, trailer: bool = True) -> bytes:
    """NDJSON bytes of ``records`` with the complete trailer."""
    lines = [orjson.dumps(r) for r in records]
    if trailer:
        lines.append(orjson.dumps({"stream": {"status": "complete", "count": len(records)}}))
    return b"\n".join(lines) + b"\n"
