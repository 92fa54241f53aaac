"""STAC items of delivered captures: pystac round trip, offline schema checks (core and
every extension), the extension fields as pystac reads them, checksums of the rendered
bytes, and odc-stac loading the items with no special case."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pystac
import pytest
import referencing
from pystac.extensions.eo import EOExtension
from pystac.extensions.file import FileExtension
from pystac.extensions.projection import ProjectionExtension
from pystac.extensions.raster import RasterExtension
from pystac.validation.local_validator import get_local_schema_cache
from shapely.geometry import box

from geopera_nb.contract.timestamps import parse_instant as parse_datetime
from geopera_nb.server.domain import Catalogue, plan_deliveries, render_capture, stac_item
from geopera_nb.server.domain.stac import (
    ASSET_FILES,
    STAC_EXTENSIONS,
    AssetFile,
    asset_checksum,
    asset_name,
)

SCHEMAS = Path(__file__).parent / "stac_schemas"


def href(item_id: str, file_name: str) -> str:
    return f"http://127.0.0.1:1/v1/assets/{item_id}/{file_name}?exp=1&kid=k&sig=abc"


def _items(cat: Catalogue, sensor_id: str, order_id: str) -> list[tuple[dict[str, Any], Any]]:
    sensor = cat.sensor(sensor_id)
    plan = plan_deliveries(order_id, box(10, 45, 10.2, 45.1), sensor, cat.now,
                           cat.now + timedelta(days=9), 0)
    out = []
    for d in plan:
        files = render_capture(0, d, sensor)
        served = {name: AssetFile(len(data), asset_checksum(data))
                  for name, data in files.by_asset().items()}
        out.append((stac_item(d, {"id": order_id}, sensor, href, served), files))
    return out


@pytest.fixture(scope="module")
def rendered(cat: Catalogue) -> list[tuple[dict[str, Any], Any]]:
    return _items(cat, "geo-heron-1m", "order-1")


@pytest.fixture(scope="module")
def items(rendered: list[tuple[dict[str, Any], Any]]) -> list[dict[str, Any]]:
    return [item for item, _ in rendered]


@pytest.fixture(scope="module")
def sar_items(cat: Catalogue) -> list[dict[str, Any]]:
    return [item for item, _ in _items(cat, "geo-petrel-sar-1m", "order-sar")]


def test_shape_and_pystac_round_trip(items: list[dict[str, Any]]) -> None:
    for d in items:
        assert d["stac_version"] == "1.0.0" and d["type"] == "Feature" and d["links"] == []
        assert d["stac_extensions"] == STAC_EXTENSIONS
        assert {u.split("/")[3] for u in STAC_EXTENSIONS} == {"eo", "view", "file", "projection",
                                                               "raster"}
        props = d["properties"]
        assert props["geopera:order_id"] == "order-1" and props["geopera:sensor"] == "geo-heron-1m"
        assert props["constellation"] == "heron" and props["platform"].startswith("HERON-")
        assert 0 <= props["eo:cloud_cover"] <= 100 and 0 <= props["view:off_nadir"] <= 90
        assert props["proj:epsg"] == 32632  # UTM 32N holds 10 E, 45 N
        assert props["geopera:pixel_scale"] in (2**k for k in range(20))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", props["datetime"])
        item = pystac.Item.from_dict(d, migrate=False)
        assert item.id == d["id"] and item.bbox == d["bbox"]
        assert set(item.assets) == {"visual", "thumbnail", "metadata"}
        assert item.assets["visual"].media_type == (
            "image/tiff; application=geotiff; profile=cloud-optimized")
        assert item.assets["visual"].roles == ["data"]
        assert item.assets["thumbnail"].roles == ["thumbnail"]
        back = item.to_dict(include_self_link=False)
        assert {k: v for k, v in back["properties"].items() if k != "datetime"} == {
            k: v for k, v in props.items() if k != "datetime"}
        assert back["assets"] == d["assets"]
        assert item.datetime == parse_datetime(props["datetime"])  # pystac drops ".000"


def _validators() -> dict[str, jsonschema.Draft7Validator]:
    # pystac ships the STAC core schemas (v1.1.0) but not the extension schemas: those
    # are vendored beside this file (see stac_schemas/README.md)
    cache = dict(get_local_schema_cache())
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        cache[schema["$id"].rstrip("#")] = schema
    registry = referencing.Registry().with_resources(
        (uri, referencing.Resource.from_contents(
            schema, default_specification=referencing.jsonschema.DRAFT7))
        for uri, schema in cache.items())
    core = "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json"
    return {uri: jsonschema.Draft7Validator(cache[uri], registry=registry)
            for uri in [core, *STAC_EXTENSIONS]}


def test_core_and_extension_schemas_offline(items: list[dict[str, Any]],
                                            sar_items: list[dict[str, Any]]) -> None:
    validators = _validators()
    assert len(validators) == 1 + len(STAC_EXTENSIONS)
    for d in [*items, *sar_items]:
        for uri, validator in validators.items():
            # the 1.0.0 -> 1.1.0 core differences do not touch the fields we send
            doc = {**d, "stac_version": "1.1.0"} if "stacspec" in uri else d
            errors = [e.message for e in validator.iter_errors(doc)]
            assert not errors, (uri, errors)
    broken = json.loads(json.dumps(items[0]))
    broken["assets"]["visual"]["raster:bands"][0]["data_type"] = "uint13"
    raster = next(v for u, v in validators.items() if "raster" in u)
    assert list(raster.iter_errors(broken))  # the schemas do check what we send


def test_extension_fields_as_pystac_reads_them(rendered: list[tuple[dict[str, Any], Any]]) -> None:
    for d, files in rendered:
        item = pystac.Item.from_dict(d)  # migrated, as odc-stac reads it
        visual = item.assets["visual"]
        proj = ProjectionExtension.ext(visual)
        assert proj.epsg == 32632 == files.grid.epsg
        assert proj.shape == list(files.grid.shape)
        assert proj.transform == list(files.grid.transform)
        assert proj.bbox == pytest.approx(files.grid.bounds)
        eo = EOExtension.ext(visual)
        assert [b.name for b in eo.bands or []] == ["blue", "green", "red", "rededge", "nir"]
        assert [b.common_name for b in eo.bands or []] == [
            "blue", "green", "red", "rededge", "nir"]
        assert eo.bands is not None and eo.bands[4].center_wavelength == 0.842
        bands = RasterExtension.ext(visual).bands or []
        assert len(bands) == 5
        for band in bands:
            assert band.nodata == 0 and band.data_type == "uint16"
            assert band.scale == 0.0001 and band.offset == 0
            assert band.spatial_resolution == files.grid.resolution
        assert files.grid.resolution == 1.0 * d["properties"]["geopera:pixel_scale"]
        for name, data in files.by_asset().items():
            f = FileExtension.ext(item.assets[name])
            assert f.size == len(data) and f.checksum == asset_checksum(data)
        assert EOExtension.ext(item).cloud_cover == d["properties"]["eo:cloud_cover"]


def test_sar_items_say_linear_float_with_nan_nodata(sar_items: list[dict[str, Any]]) -> None:
    for d in sar_items:
        visual = d["assets"]["visual"]
        assert [b["name"] for b in visual["eo:bands"]] == ["VV", "VH"]
        assert all("linear" in b["description"] for b in visual["eo:bands"])
        assert [b["data_type"] for b in visual["raster:bands"]] == ["float32", "float32"]
        assert all(b["nodata"] == "nan" and "scale" not in b for b in visual["raster:bands"])
        bands = RasterExtension.ext(pystac.Item.from_dict(d).assets["visual"]).bands or []
        assert all(np.isnan(float(b.nodata or 0)) for b in bands)


def test_asset_checksums_are_of_the_rendered_bytes(
        rendered: list[tuple[dict[str, Any], Any]], cat: Catalogue) -> None:
    for d, files in rendered:
        for name, data in files.by_asset().items():
            asset = d["assets"][name]
            assert asset["file:size"] == len(data)
            assert asset["file:checksum"] == asset_checksum(data)
            file_name = asset["href"].split("/")[-1].split("?")[0]
            assert file_name == ASSET_FILES[name][0] and asset_name(file_name) == name
    assert asset_name("nope.tif") is None
    sensor = cat.sensor("geo-heron-1m")
    d0 = plan_deliveries("order-1", box(10, 45, 10.2, 45.1), sensor, cat.now,
                         cat.now + timedelta(days=9), 0)[0]
    other = render_capture(1, d0, sensor)  # the seed matters
    assert asset_checksum(other.data) != rendered[0][0]["assets"]["visual"]["file:checksum"]


def test_odc_stac_loads_the_items_with_no_special_case(
        rendered: list[tuple[dict[str, Any], Any]], tmp_path: Path) -> None:
    odc_stac = pytest.importorskip("odc.stac")
    items = []
    for d, files in rendered:
        local = json.loads(json.dumps(d))
        for name, data in files.by_asset().items():
            path = tmp_path / f"{d['id']}-{ASSET_FILES[name][0]}"
            path.write_bytes(data)
            local["assets"][name]["href"] = str(path)
        items.append(pystac.Item.from_dict(local))
    ds = odc_stac.load(items, bands=["red", "nir"], groupby="id")
    assert ds.odc.crs.epsg == 32632
    assert set(ds.data_vars) == {"red", "nir"} and ds.sizes["time"] == len(items)
    assert float(ds.odc.geobox.resolution.x) == rendered[0][1].grid.resolution
    red = ds["red"].values.astype(float)
    nir = ds["nir"].values.astype(float)
    valid = (red > 0) & (nir > 0)  # nodata 0 outside each footprint
    assert 0.2 < valid.mean() < 0.95
    ndvi = (nir[valid] - red[valid]) / (nir[valid] + red[valid])
    assert (ndvi > 0.6).mean() > 0.15 and (ndvi < 0.0).mean() > 0.03  # vegetation, water
