"""Serving delivered files over real HTTP: checksums of the served bytes, byte ranges as
a COG reader sends them, validators (ETag, If-None-Match, HEAD), rasterio reading a
COG over ``/vsicurl/``, and files rendered once then served from the cache."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import rasterio
from assets_support import delivered_archive_items
from sandbox_support import Api, problem_ok

from geopera_nb.server.state.asset_cache import cache_for


@pytest.fixture(scope="module")
def module_org(sandbox: Any) -> Any:
    return sandbox.create_org(name="Assets", credits=10_000_000)


@pytest.fixture(scope="module")
def items(sandbox: Any, module_org: Any) -> Iterator[list[dict[str, Any]]]:
    api = Api(sandbox.url, module_org.api_key)
    try:
        yield delivered_archive_items(api, sandbox)
    finally:
        api.close()


@pytest.fixture(scope="module")
def visual(items: list[dict[str, Any]]) -> tuple[str, bytes, dict[str, Any]]:
    asset = items[0]["assets"]["visual"]
    data = httpx.get(asset["href"]).content
    return asset["href"], data, asset


def test_served_bytes_are_what_the_item_says(items: list[dict[str, Any]]) -> None:
    for item in items:
        for name, asset in item["assets"].items():
            r = httpx.get(asset["href"])
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == asset["type"]
            assert int(r.headers["content-length"]) == len(r.content) == asset["file:size"]
            assert "1220" + hashlib.sha256(r.content).hexdigest() == asset["file:checksum"]
            assert r.headers["etag"] == f'"{asset["file:checksum"][4:]}"'
            assert r.headers["accept-ranges"] == "bytes" and "last-modified" in r.headers
            if name == "visual":
                assert r.content[:4] == b"II*\x00"


def test_byte_ranges(visual: tuple[str, bytes, dict[str, Any]]) -> None:
    href, data, asset = visual
    size = asset["file:size"]
    r = httpx.get(href, headers={"Range": "bytes=0-16383"})  # GDAL's first read
    assert r.status_code == 206 and r.content == data[:16384]
    assert r.headers["content-range"] == f"bytes 0-16383/{size}"
    assert r.headers["content-length"] == "16384"
    r = httpx.get(href, headers={"Range": "bytes=100-"})
    assert r.status_code == 206 and r.content == data[100:]
    r = httpx.get(href, headers={"Range": "bytes=-500"})  # suffix range
    assert r.status_code == 206 and r.content == data[-500:]
    assert r.headers["content-range"] == f"bytes {size - 500}-{size - 1}/{size}"
    r = httpx.get(href, headers={"Range": f"bytes={size - 10}-{size + 1000}"})  # clipped
    assert r.status_code == 206 and r.content == data[-10:]
    r = httpx.get(href, headers={"Range": f"bytes={size}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}"
    r = httpx.get(href, headers={"Range": "bytes=0-9,200-209"})  # several: multipart
    assert r.status_code == 206
    assert r.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert data[:10] in r.content and data[200:210] in r.content
    etag = httpx.head(href).headers["etag"]
    r = httpx.get(href, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert r.status_code == 206 and r.content == data[:10]
    r = httpx.get(href, headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert r.status_code == 200 and r.content == data  # the file changed: all of it


def test_validators_and_head(visual: tuple[str, bytes, dict[str, Any]]) -> None:
    href, data, _ = visual
    head = httpx.head(href)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(data)
    etag = head.headers["etag"]
    r = httpx.get(href, headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag
    assert httpx.get(href, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert httpx.get(href, headers={"If-None-Match": '"other"'}).status_code == 200
    max_age = int(head.headers["cache-control"].split("max-age=")[1])
    assert 0 < max_age <= 3600 + 300


def test_rasterio_reads_the_cog_over_http(visual: tuple[str, bytes, dict[str, Any]],
                                          items: list[dict[str, Any]]) -> None:
    href, data, asset = visual
    with rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR", GDAL_HTTP_MAX_RETRY="0",
                      CPL_VSIL_CURL_CACHE_SIZE="0"), rasterio.open("/vsicurl/" + href) as src:
        assert src.crs.to_epsg() == items[0]["properties"]["proj:epsg"]
        assert [src.height, src.width] == asset["proj:shape"]
        assert list(src.transform)[:6] == asset["proj:transform"]
        assert src.overviews(1)  # internal overviews, read through ranges
        window = src.read(1, window=((0, 64), (0, 64)))
        overview = src.read(1, out_shape=(src.height // 2, src.width // 2))
    with rasterio.MemoryFile(data) as mem, mem.open() as local:
        assert (window == local.read(1, window=((0, 64), (0, 64)))).all()
        assert (overview == local.read(1, out_shape=(local.height // 2, local.width // 2))).all()


def test_files_are_rendered_once(sandbox: Any, org: Any) -> None:
    cache = cache_for(sandbox.data_dir)
    api = Api(sandbox.url, org.api_key)
    try:
        before = cache.renders
        # captures no other test of the session asks for
        items = delivered_archive_items(api, sandbox, n=2, cloud={"gte": 61, "lte": 62})
        first = cache.renders - before
        assert first == len(items) == 2  # one render per capture, all its files at once
        for item in items:
            for asset in item["assets"].values():
                assert httpx.get(asset["href"]).status_code == 200
        order_id = items[0]["properties"]["geopera:order_id"]
        again = api.ok("orders.list_assets", {"order_id": order_id})["features"]
        assert cache.renders - before == first  # listing and serving again render nothing
        assert again[0]["assets"]["visual"]["file:checksum"] == (
            items[0]["assets"]["visual"]["file:checksum"])
        # a stored file that went missing is made again, byte for byte
        stored = next(p for p in cache.root.glob("*.tif")
                      if p.name.startswith(items[0]["assets"]["visual"]["file:checksum"][4:]))
        stored.unlink()
        r = httpx.get(items[0]["assets"]["visual"]["href"])
        assert r.status_code == 200 and cache.renders - before == first + 1
        assert "1220" + hashlib.sha256(r.content).hexdigest() == (
            items[0]["assets"]["visual"]["file:checksum"])
    finally:
        api.close()


def test_a_signature_names_one_file(items: list[dict[str, Any]]) -> None:
    href = items[0]["assets"]["visual"]["href"]
    # another file (or capture) under the same signature is a forgery
    problem_ok(httpx.get(href.replace("/visual.tif?", "/thumbnail.png?")), 403)
    other = items[1]["id"]
    problem_ok(httpx.get(href.replace(items[0]["id"], other)), 403)
