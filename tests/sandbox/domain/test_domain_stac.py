"""STAC items: pystac round trip, offline schema checks, assets' bytes and checksums."""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zlib
from datetime import timedelta
from typing import Any

import jsonschema
import numpy as np
import pystac
import pytest
import referencing
from pystac.validation.local_validator import get_local_schema_cache
from shapely.geometry import box

from geopera_nb.contract.timestamps import parse_instant as parse_datetime
from geopera_nb.server.domain import (
    Catalogue,
    DomainError,
    asset_checksum,
    plan_deliveries,
    render_asset,
    render_item_asset,
    stac_item,
)
from geopera_nb.server.domain.raster import synthetic_rgb


def href(item_id: str, file_name: str) -> str:
    return f"http://127.0.0.1:1/v1/assets/{item_id}/{file_name}?sig=abc"


@pytest.fixture(scope="module")
def items(cat: Catalogue) -> list[dict[str, Any]]:
    sensor = cat.sensor("geo-owl-30")
    plan = plan_deliveries(
        "order-1", box(10, 45, 10.2, 45.1), sensor, cat.now, cat.now + timedelta(days=9), 0
    )
    return [stac_item(d, {"id": "order-1"}, sensor, href, seed=0) for d in plan]


def test_shape_and_pystac_round_trip(items: list[dict[str, Any]]) -> None:
    for d in items:
        assert d["stac_version"] == "1.0.0" and d["type"] == "Feature" and d["links"] == []
        assert d["stac_extensions"] == [
            "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
            "https://stac-extensions.github.io/view/v1.0.0/schema.json",
            "https://stac-extensions.github.io/file/v2.1.0/schema.json",
        ]
        props = d["properties"]
        assert props["geopera:order_id"] == "order-1" and props["geopera:sensor"] == "geo-owl-30"
        assert props["constellation"] == "owl" and props["platform"].startswith("OWL-")
        assert 0 <= props["eo:cloud_cover"] <= 100 and 0 <= props["view:off_nadir"] <= 90
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", props["datetime"])
        item = pystac.Item.from_dict(d)
        assert item.id == d["id"] and item.bbox == d["bbox"]
        assert set(item.assets) == {"visual", "thumbnail", "metadata"}
        assert item.assets["visual"].media_type.startswith("image/tiff; application=geotiff")
        assert item.assets["thumbnail"].roles == ["thumbnail"]
        back = item.to_dict(include_self_link=False)["properties"]
        assert {k: v for k, v in back.items() if k != "datetime"} == {
            k: v for k, v in props.items() if k != "datetime"
        }
        assert item.datetime == parse_datetime(props["datetime"])  # pystac drops ".000"


def test_core_schema_offline(items: list[dict[str, Any]]) -> None:
    # pystac ships the STAC core schemas (v1.1.0) but not the extension schemas; the
    # 1.0.0 -> 1.1.0 item schema differences do not touch the fields we send
    cache = get_local_schema_cache()
    registry = referencing.Registry().with_resources(
        (uri, referencing.Resource.from_contents(schema, default_specification=referencing.jsonschema.DRAFT7))
        for uri, schema in cache.items()
    )  # fmt: skip
    schema = cache["https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json"]
    validator = jsonschema.Draft7Validator(schema, registry=registry)
    for d in items:
        errors = list(validator.iter_errors({**d, "stac_version": "1.1.0"}))
        assert not errors, [e.message for e in errors]


def test_asset_checksums_match_rendered_bytes(items: list[dict[str, Any]]) -> None:
    for d in items:
        for name, asset in d["assets"].items():
            data, media = render_item_asset(d, name, 0)
            assert media == asset["type"]
            assert asset["file:size"] == len(data)
            assert asset["file:checksum"] == "1220" + hashlib.sha256(data).hexdigest()
            assert asset["file:checksum"] == asset_checksum(data)
            file_name = asset["href"].split("/")[-1].split("?")[0]
            assert render_item_asset(d, file_name, 0)[0] == data  # file names work too
        other, _ = render_item_asset(d, "visual", 1)
        assert asset_checksum(other) != d["assets"]["visual"]["file:checksum"]  # seed matters
    with pytest.raises(DomainError) as info:
        render_asset("x", "nope", 0)
    assert info.value.status == 404


def _tiff_tags(data: bytes) -> dict[int, tuple[Any, ...]]:
    assert data[:4] == b"II*\x00"
    (ifd,) = struct.unpack_from("<I", data, 4)
    (n,) = struct.unpack_from("<H", data, ifd)
    sizes = {3: ("H", 2), 4: ("I", 4), 12: ("d", 8)}
    tags = {}
    for k in range(n):
        tag, typ, count, value = struct.unpack_from("<HHII", data, ifd + 2 + 12 * k)
        fmt, size = sizes[typ]
        where = ifd + 2 + 12 * k + 8 if count * size <= 4 else value
        tags[tag] = struct.unpack_from(f"<{count}{fmt}", data, where)
    return tags


def test_geotiff_is_georeferenced(items: list[dict[str, Any]]) -> None:
    d = items[0]
    data, _ = render_item_asset(d, "visual", 0)
    tags = _tiff_tags(data)
    assert tags[256] == (64,) and tags[257] == (64,) and tags[277] == (3,) and tags[262] == (2,)
    assert tags[258] == (8, 8, 8) and tags[322] == (64,) and tags[323] == (64,)
    west, south, east, north = d["bbox"]
    assert tags[33922][3:5] == pytest.approx((west, north))
    assert tags[33550][:2] == pytest.approx(((east - west) / 64, (north - south) / 64))
    geokeys = tags[34735]
    assert geokeys[:4] == (1, 1, 0, 3) and 4326 in geokeys
    off, count = tags[324][0], tags[325][0]
    pixels = np.frombuffer(data[off : off + count], np.uint8).reshape(64, 64, 3)
    assert (pixels == synthetic_rgb(d["id"], 0)).all()
    assert off + count == len(data)


def test_png_and_metadata(items: list[dict[str, Any]]) -> None:
    d = items[0]
    png, _ = render_item_asset(d, "thumbnail", 0)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(png):
        (length,) = struct.unpack_from(">I", png, pos)
        kind = png[pos + 4 : pos + 8]
        body = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", png, pos + 8 + length)
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = body
        pos += 12 + length
    w, h, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (w, h, depth, color) == (32, 32, 8, 2)
    raw = zlib.decompress(chunks[b"IDAT"])
    assert len(raw) == 32 * (1 + 32 * 3) and raw[0] == 0
    meta, media = render_item_asset(d, "metadata", 0)
    assert media == "application/json"
    assert json.loads(meta)["id"] == d["id"] and json.loads(meta)["bbox"] == d["bbox"]
