"""A delivered capture's files: a valid COG in UTM over the footprint, nodata outside it,
the sensor's bands, deterministic bytes, a thumbnail Pillow decodes, and pixels with
structure an analyst can compute on (NDVI, a water mask, clouds as catalogued)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import shapely
from PIL import Image
from rasterio.io import MemoryFile
from rio_cogeo.cogeo import cog_validate
from shapely.geometry import MultiPolygon, box

from geopera_nb.contract.limits import IMAGERY_MAX_PIXELS, THUMBNAIL_MAX_PIXELS
from geopera_nb.server.domain import Catalogue, Delivery, plan_deliveries, render_capture
from geopera_nb.server.domain.grid import CaptureGrid, capture_grid, project_footprint, utm_epsg
from geopera_nb.server.domain.landscape import CLASSES, synthesize
from geopera_nb.server.domain.seeding import SANDBOX_EPOCH
from geopera_nb.server.domain.sensors import SENSOR_TABLE

AOI = box(10, 45, 10.2, 45.1)


def _plan(cat: Catalogue, sensor_id: str, aoi: Any = AOI, order: str = "o-img") -> list[Delivery]:
    return plan_deliveries(order, aoi, cat.sensor(sensor_id), cat.now,
                           cat.now + timedelta(days=9), 0)


@pytest.fixture(scope="module")
def owl(cat: Catalogue) -> tuple[list[Delivery], list[Any]]:
    plan = _plan(cat, "geo-owl-30")
    return plan, [render_capture(0, d, cat.sensor("geo-owl-30")) for d in plan]


def _open(data: bytes) -> Any:
    return MemoryFile(data).open()


def test_utm_zone_of_a_point() -> None:
    assert utm_epsg(10.1, 45.0) == 32632 and utm_epsg(-70.6, -33.4) == 32719
    assert utm_epsg(179.99, 10.0) == 32660 and utm_epsg(-179.99, 10.0) == 32601
    assert utm_epsg(190.0, 10.0) == 32602 == utm_epsg(-170.0, 10.0)  # longitudes wrap
    assert utm_epsg(7.0, 60.0) == 32632 and utm_epsg(10.0, 78.0) == 32633  # Norway, Svalbard
    assert utm_epsg(0.0, 85.0) == 32661 and utm_epsg(0.0, -85.0) == 32761  # UPS


def test_data_file_is_a_valid_cog_in_utm_over_the_footprint(
        owl: tuple[list[Delivery], list[Any]], tmp_path: Path) -> None:
    plan, files = owl
    for d, f in zip(plan, files, strict=True):
        path = tmp_path / f"{d.capture_id}.tif"
        path.write_bytes(f.data)
        valid, errors, warnings = cog_validate(str(path), quiet=True)
        assert valid and not errors and not warnings, (errors, warnings)
        with rasterio.open(path) as src:
            centre = d.footprint.centroid
            assert src.crs.to_epsg() == utm_epsg(centre.x, centre.y) == 32632
            assert src.crs.is_projected and src.crs.linear_units == "metre"
            assert src.profile["tiled"] and src.block_shapes[0] == (256, 256)
            assert src.compression.value == "DEFLATE" and src.overviews(1) == [2]
            assert max(src.width, src.height) <= IMAGERY_MAX_PIXELS
            assert src.res == (f.grid.resolution, f.grid.resolution)
            assert f.grid.resolution == 0.3 * f.grid.scale  # the sensor's gsd x 2**k
            # the raster's bounds hold the reprojected footprint, within one pixel
            fp = project_footprint(d.footprint, 32632)
            west, south, east, north = fp.bounds
            b = src.bounds
            px = f.grid.resolution
            assert b.left <= west < b.left + px and b.right - px < east <= b.right
            assert b.bottom <= south < b.bottom + px and b.top - px < north <= b.top


def test_nodata_outside_the_footprint_and_data_inside(
        owl: tuple[list[Delivery], list[Any]]) -> None:
    plan, files = owl
    for d, f in zip(plan, files, strict=True):
        with _open(f.data) as src:
            assert src.nodata == 0
            pixels = src.read()
            rows, cols = np.mgrid[0:src.height, 0:src.width]
            xs, ys = rasterio.transform.xy(src.transform, rows.ravel(), cols.ravel())
            inside = shapely.contains_xy(project_footprint(d.footprint, 32632), xs, ys)
            inside = inside.reshape(rows.shape)
        assert 0.3 < inside.mean() < 1.0  # a rotated strip: corners of the grid are empty
        assert (pixels[:, ~inside] == 0).mean() > 0.99  # edge pixels may differ by a centre
        assert (pixels[:, inside] > 0).mean() > 0.99


@pytest.mark.parametrize("row", SENSOR_TABLE, ids=[r["id"] for r in SENSOR_TABLE])
def test_bands_are_the_sensors(row: dict[str, Any], cat: Catalogue) -> None:
    sensor = cat.sensor(row["id"])
    d = _plan(cat, row["id"])[0]
    f = render_capture(0, d, sensor)
    with _open(f.data) as src:
        assert list(src.descriptions) == row["bands"]
        sar = row["bands"] == ["VV", "VH"]
        assert src.dtypes == ("float32" if sar else "uint16",) * len(row["bands"])
        if sar:
            assert np.isnan(src.nodata)
        else:
            assert src.nodata == 0 and src.scales == (0.0001,) * len(row["bands"])
        assert f.grid.resolution == row["resolutionM"] * f.grid.scale
    meta = json.loads(f.metadata)
    assert [b["name"] for b in meta["bands"]] == row["bands"]
    assert meta["crs"] == f"EPSG:{f.grid.epsg}" and meta["pixel_scale"] == f.grid.scale


def test_bytes_are_deterministic_from_the_seed(cat: Catalogue) -> None:
    sensor = cat.sensor("geo-swift-3m")
    d = _plan(cat, "geo-swift-3m")[0]
    a, b = render_capture(0, d, sensor), render_capture(0, d, sensor)
    assert (a.data, a.thumbnail, a.metadata) == (b.data, b.thumbnail, b.metadata)
    c = render_capture(7, d, sensor)
    assert c.data != a.data and c.thumbnail != a.thumbnail


def test_thumbnail_is_a_png_pillow_decodes(owl: tuple[list[Delivery], list[Any]]) -> None:
    _, files = owl
    for f in files:
        image = Image.open(io.BytesIO(f.thumbnail))
        image.load()
        assert image.format == "PNG" and image.mode == "RGBA"
        assert max(image.size) <= THUMBNAIL_MAX_PIXELS
        w, h = image.size
        assert abs(w / h - f.grid.width / f.grid.height) < 0.05
        alpha = np.asarray(image)[..., 3]
        assert alpha.min() == 0 and alpha.max() == 255  # transparent outside the footprint


def _reflectance(f: Any) -> dict[str, np.ndarray]:
    with _open(f.data) as src:
        scale = src.scales[0]
        return {name: src.read(i + 1).astype(float) * scale
                for i, name in enumerate(src.descriptions)}


def test_pixels_show_vegetation_water_and_the_catalogued_clouds(
        owl: tuple[list[Delivery], list[Any]]) -> None:
    plan, files = owl
    for d, f in zip(plan, files, strict=True):
        bands = _reflectance(f)
        valid = bands["red"] > 0
        ndvi = (bands["nir"] - bands["red"]) / np.where(valid, bands["nir"] + bands["red"], 1)
        cloud = valid & (bands["blue"] > 0.4)  # at least half cloud: blue >= ~0.41
        assert cloud.sum() / valid.sum() == pytest.approx(d.cloud_cover / 100, abs=0.02)
        assert f.fractions["cloud"] == pytest.approx(d.cloud_cover / 100, abs=0.002)
        clear = valid & ~cloud
        vegetation = (ndvi > 0.6) & clear
        water = (ndvi < -0.05) & clear
        assert 0.1 < vegetation.sum() / clear.sum() < 0.8
        assert 0.02 < water.sum() / clear.sum() < 0.5
        assert abs(float(np.median(ndvi[cloud]))) < 0.05 if cloud.any() else True
        assert set(f.fractions) == {*CLASSES, "cloud"}
        assert sum(f.fractions[c] for c in CLASSES) == pytest.approx(1.0, abs=1e-3)


def test_sar_water_is_dark_and_towns_bright(cat: Catalogue) -> None:
    sensor = cat.sensor("geo-petrel-sar-1m")
    d = _plan(cat, "geo-petrel-sar-1m")[0]
    f = render_capture(0, d, sensor)
    with _open(f.data) as src:
        vv, vh = src.read(1), src.read(2)
    valid = ~np.isnan(vv)
    assert 0.5 < valid.mean() < 1.0 and np.isnan(vh[~valid]).all()
    db = 10 * np.log10(vv[valid])
    assert (db < -20).mean() > 0.03 and (db > -5).mean() > 0.01  # water, urban
    assert np.median(vh[valid]) < np.median(vv[valid])  # cross-pol is weaker


def test_the_ground_is_the_same_where_two_captures_overlap() -> None:
    a = CaptureGrid(32632, 40.0, 1, 600_000.0, 5_000_000.0, 200, 150)
    b = CaptureGrid(32632, 40.0, 1, 600_000.0 + 80 * 40.0, 5_000_000.0 - 50 * 40.0, 200, 150)
    sa = synthesize(0, "cap-a", a, ["red", "nir"], np.ones((150, 200), bool), 0.0)
    sb = synthesize(0, "cap-b", b, ["red", "nir"], np.ones((150, 200), bool), 0.0)
    overlap_a, overlap_b = sa.classes[50:, 80:], sb.classes[:100, :120]
    assert (overlap_a == overlap_b).mean() > 0.98  # the land cover does not move
    crops = overlap_a == CLASSES.index("cropland")
    assert crops.any()


def test_captures_of_one_order_share_a_pixel_grid(cat: Catalogue) -> None:
    grids = [capture_grid(d.footprint, 0.3) for d in _plan(cat, "geo-owl-30")]
    assert len({g.resolution for g in grids}) == 1 and len({g.epsg for g in grids}) == 1
    for g in grids:
        assert g.west / g.resolution == pytest.approx(round(g.west / g.resolution), abs=1e-6)
        assert g.north / g.resolution == pytest.approx(round(g.north / g.resolution), abs=1e-6)


def test_a_footprint_across_the_antimeridian_renders_in_one_piece(cat: Catalogue) -> None:
    split = MultiPolygon([box(179.9, -17.1, 180.0, -17.0), box(-180.0, -17.1, -179.95, -17.0)])
    d = Delivery("cap-am", SANDBOX_EPOCH, split, 10.0, 5.0, 3.0, 0, "SWIFT-1")
    f = render_capture(0, d, cat.sensor("geo-swift-3m"))
    assert f.grid.epsg in (32760, 32701)
    with _open(f.data) as src:
        width_m = src.bounds.right - src.bounds.left
        assert width_m == pytest.approx(0.15 * 111_320 * np.cos(np.radians(17.05)), rel=0.05)
        assert (src.read(1) > 0).mean() > 0.9  # one rectangle: nearly all data


def test_grid_rejects_a_resolution_that_is_not_positive_or_an_empty_footprint() -> None:
    with pytest.raises(ValueError, match="positive"):
        capture_grid(AOI, 0.0)
    with pytest.raises(ValueError, match="empty"):
        capture_grid(shapely.Polygon(), 1.0)
