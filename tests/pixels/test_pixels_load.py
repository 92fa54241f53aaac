"""gn.load: dims, CRS and values of a three-capture order, over HTTP and from disk."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from pixels_fixtures import FakeClient, Served
from rasterio.features import geometry_mask
from shapely.geometry import mapping, shape
from synthetic_cogs import BANDS, HEIGHT, ORDER_ID, WIDTH, expected_value, make_capture

import geopera_nb as gn
import geopera_nb.pixels as px
from geopera_nb.errors import ConnectError, NotFoundError
from geopera_nb.export import download_assets
from geopera_nb.frames.assets import assets_frame_from_items

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.geo"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:odc.geo")]


def _expected(capture_index: int, band: str, transform, footprint) -> np.ndarray:
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    value = expected_value(BANDS.index(band), capture_index, rows, cols).astype(np.uint16)
    outside = geometry_mask([mapping(footprint)], (HEIGHT, WIDTH), transform)
    value[outside] = 0
    return value


def test_gn_load_is_the_pixels_load() -> None:
    assert gn.load is px.load
    assert "load" in gn.__all__ and "pixels" in gn.__all__


def test_over_http_dims_crs_and_values(served: Served) -> None:
    ds = gn.load(served.client, ORDER_ID, catalog=False)
    assert dict(ds.sizes) == {"time": 3, "y": HEIGHT, "x": WIDTH}
    assert list(ds.data_vars) == list(BANDS)
    assert ds.odc.crs.epsg == 32756
    assert ds.odc.geobox.resolution.x == 10.0
    assert ds.odc.geobox.affine == served.captures[0].transform
    assert [str(t)[:10] for t in ds.time.values] == ["2026-12-02", "2026-12-03", "2026-12-04"]
    for k, cap in enumerate(served.captures):
        for band in BANDS:
            np.testing.assert_array_equal(ds[band].isel(time=k).values,
                                          _expected(k, band, cap.transform, cap.footprint_utm))
    assert ds.red.attrs["nodata"] == 0
    assert ds.attrs == {"geopera:order_ids": ORDER_ID, "geopera:source": "http",
                        "geopera:items": 3}
    visual = [r for r in served.server.requests if r[0].endswith("visual.tif")]
    assert sum(1 for r in visual if r[2] and r[2].startswith("bytes=")) >= 3  # ranged reads
    assert all("sig=" in r[1] for r in visual)  # the signed hrefs, as they are
    assert not [r for r in served.server.requests if not r[0].endswith("visual.tif")]


def test_bands_subset_and_unknown_bands(served: Served) -> None:
    ds = gn.load(served.client, ORDER_ID, bands=["nir", "red"], catalog=False)
    assert list(ds.data_vars) == ["nir", "red"]
    one = gn.load(served.client, ORDER_ID, bands="green", catalog=False)
    assert list(one.data_vars) == ["green"]
    with pytest.raises(px.UnknownBandsError) as caught:
        gn.load(served.client, ORDER_ID, bands=["red", "swir16"], catalog=False)
    assert str(caught.value) == ("unknown band 'swir16': the delivered items have red, "
                                 "green, blue, nir")
    assert caught.value.available == list(BANDS) and isinstance(caught.value, ValueError)
    with pytest.raises(px.UnknownBandsError, match="no band asked for"):
        gn.load(served.client, ORDER_ID, bands=[], catalog=False)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"crs": "EPSG:4326", "resolution": 10},
     r"resolution 10 does not fit EPSG:4326: a geographic CRS counts pixels in degrees"),
    ({"resolution": 0.0001}, r"resolution 0.0001 does not fit EPSG:32756: .* metres"),
    ({"crs": "EPSG:99999"}, r"unknown CRS 'EPSG:99999' \(.*crs not found"),
    ({"crs": "not a crs", "resolution": 10}, r"unknown CRS 'not a crs'"),
    ({"crs": "EPSG:3857"}, r"crs=EPSG:3857 differs from the items' CRS: give resolution="),
    ({"resolution": -5}, r"resolution must be a positive pixel size"),
    ({"resolution": "fine"}, r"resolution must be a number"),
])
def test_a_crs_or_resolution_that_does_not_fit(served: Served, kwargs, message) -> None:
    with pytest.raises(px.GridError, match=message):
        gn.load(served.client, ORDER_ID, catalog=False, **kwargs)
    assert not [r for r in served.server.requests if r[0].endswith("visual.tif")]  # no read


def test_reprojected_to_a_geographic_grid(served: Served) -> None:
    ds = gn.load(served.client, ORDER_ID, crs="EPSG:4326", resolution=0.0002, bands=["red"],
                 catalog=False)
    assert ds.odc.crs.epsg == 4326 and set(ds.red.dims) == {"time", "latitude", "longitude"}
    assert ds.odc.geobox.resolution.x == pytest.approx(0.0002)
    red = ds.red.isel(time=0).values
    inside = red[red != 0]
    assert inside.min() >= 1000 and inside.max() <= 1049  # capture 0's red: 1000 + (r+c)%50
    ds_utm = gn.load(served.client, ORDER_ID, crs="utm", resolution=20, bands=["red"],
                     catalog=False)
    assert ds_utm.odc.crs.epsg == 32756 and ds_utm.odc.geobox.resolution.x == 20


def test_clipped_to_the_orders_aoi(served: Served) -> None:
    ds = gn.load(served.client, ORDER_ID, aoi=True, catalog=False)
    aoi = shape(served.client.geometry[ORDER_ID])
    full = gn.load(served.client, ORDER_ID, catalog=False)
    assert ds.sizes["x"] < full.sizes["x"] and ds.sizes["y"] < full.sizes["y"]
    # the grid covers the AOI's bounding box, on the items' own pixel grid
    west, south, east, north = ds.odc.geobox.extent.to_crs("EPSG:4326").boundingbox
    a_west, a_south, a_east, a_north = aoi.bounds
    pixel = 5e-4  # a few 10 m pixels (1e-4 degrees each): UTM bbox of a lon/lat box
    assert a_west - pixel <= west <= a_west and a_south - pixel <= south <= a_south + pixel
    assert a_east <= east <= a_east + pixel and a_north - pixel <= north <= a_north + pixel
    assert ds.odc.crs.epsg == 32756 and ds.odc.geobox.resolution.x == 10
    assert float(ds.x[1] - ds.x[0]) == 10.0 and float(ds.x[0] - full.x[0]) % 10 == 0
    # values inside are the captures' own pixels
    sub = full.sel(x=ds.x, y=ds.y)
    inside = ds.red.values != 0
    np.testing.assert_array_equal(ds.red.values[inside], sub.red.values[inside])
    assert "orders.get" in served.client.calls


def test_clipped_to_a_given_outline_sets_nodata_outside(served: Served) -> None:
    from shapely.geometry import Polygon

    aoi = shape(served.client.geometry[ORDER_ID])
    x0, y0, x1, y1 = aoi.bounds
    triangle = Polygon([(x0, y0), (x1, y0), (x0, y1)])
    ds = gn.load(served.client, ORDER_ID, aoi=triangle, bands=["nir"], catalog=False)
    assert ds.nir.dtype == np.uint16 and ds.nir.attrs["nodata"] == 0
    from pyproj import Transformer

    to_utm = Transformer.from_crs(4326, 32756, always_xy=True)
    other_half = Polygon([(x1, y0), (x1, y1), (x0, y1)])

    def at(point) -> int:
        x, y = to_utm.transform(point.x, point.y)
        return int(ds.nir.isel(time=0).sel(x=x, y=y, method="nearest"))

    assert at(triangle.centroid) >= 4000  # inside: the capture's nir
    assert at(other_half.centroid) == 0  # outside the outline: nodata
    full = gn.load(served.client, ORDER_ID, bands=["nir"], aoi=aoi, catalog=False)
    assert int((full.nir.isel(time=0) == 0).sum()) < int((ds.nir.isel(time=0) == 0).sum())
    with pytest.raises(px.GridError, match="does not overlap any delivered capture"):
        gn.load(served.client, ORDER_ID, aoi=Polygon([(0, 0), (1, 0), (1, 1)]), catalog=False)
    with pytest.raises(gn.errors.AOIError):
        gn.load(served.client, ORDER_ID, aoi=42, catalog=False)


def test_lazy_with_chunks_gives_the_same_numbers(served: Served) -> None:
    lazy = gn.load(served.client, ORDER_ID, chunks={"x": 128, "y": 64}, catalog=False)
    assert not [r for r in served.server.requests if r[2]]  # no pixel read until computed
    eager = gn.load(served.client, ORDER_ID, catalog=False)
    assert lazy.red.chunks is not None and lazy.red.data.chunksize == (1, 64, 128)
    computed = lazy.compute()
    for band in BANDS:
        np.testing.assert_array_equal(computed[band].values, eager[band].values)
    clipped = gn.load(served.client, ORDER_ID, chunks={"x": 64, "y": 64}, aoi=True,
                      catalog=False)
    assert clipped.red.chunks is not None
    np.testing.assert_array_equal(clipped.compute().red.values,
                                  gn.load(served.client, ORDER_ID, aoi=True,
                                          catalog=False).red.values)


def test_captures_of_one_solar_day_are_one_time_step(tmp_path: Path) -> None:
    import datetime as dt

    t0 = dt.datetime(2026, 12, 2, 0, 30)
    caps = [make_capture(tmp_path, 0, when=t0),
            make_capture(tmp_path, 1, when=t0 + dt.timedelta(hours=2), offset=(1200.0, 0.0)),
            make_capture(tmp_path, 2, when=t0 + dt.timedelta(days=1))]
    client = FakeClient(items={ORDER_ID: [c.item for c in caps]})
    ds = gn.load(client, ORDER_ID, catalog=False)
    assert ds.sizes["time"] == 2 and ds.sizes["x"] == WIDTH + 120  # the two grids, side by side
    by_item = gn.load(client, ORDER_ID, groupby="id", catalog=False)
    assert by_item.sizes["time"] == 3


def test_no_delivered_items_yet(served: Served) -> None:
    client = FakeClient(items={"o-empty": []}, status="BEING_FULFILLED")
    with pytest.raises(px.NoDeliveredItemsError, match=(
            r"order 'o-empty' has no delivered captures yet \(o-empty is BEING_FULFILLED\); "
            r"wait for them with client.wait_for")) as caught:
        gn.load(client, "o-empty", catalog=False)
    assert isinstance(caught.value, LookupError)
    no_raster = copy.deepcopy(served.items[:1])
    del no_raster[0]["assets"]["visual"]
    with pytest.raises(px.NoDeliveredItemsError, match="no raster data to load"):
        gn.load(FakeClient(items={ORDER_ID: no_raster}), ORDER_ID, catalog=False)
    with pytest.raises(px.NoDeliveredItemsError, match="no order id given"):
        gn.load(client, [], catalog=False)
    with pytest.raises(TypeError, match="non-empty strings"):
        gn.load(client, [None], catalog=False)
    with pytest.raises(px.LoadTooLargeError, match="1,001 orders in one load, more than 1,000"):
        gn.load(client, [f"o-{i}" for i in range(1001)], catalog=False)
    assert client.calls == ["orders.list_assets", "orders.get"]  # nothing asked for those


def test_an_order_that_is_not_yours(served: Served) -> None:
    with pytest.raises(px.OrderNotFoundError) as caught:
        gn.load(served.client, "someone-elses-order", catalog=False)
    err = caught.value
    assert isinstance(err, NotFoundError) and isinstance(err, px.PixelsError)
    assert err.status == 404 and err.order_id == "someone-elses-order"
    assert "order 'someone-elses-order' was not found in your organisation" in str(err)


def test_loads_past_their_bounds(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    from geopera_nb.contract import limits

    with pytest.raises(px.LoadTooLargeError, match=r"output grid would be .* pixels"):
        gn.load(served.client, ORDER_ID, resolution=0.011, catalog=False)
    monkeypatch.setattr(limits, "LOAD_EAGER_MAX_BYTES", 100_000)
    with pytest.raises(px.LoadTooLargeError, match=(
            r"would hold up to 1.1 MiB in memory, more than the 97.7 KiB of an eager load: "
            r"pass chunks=")) as caught:
        gn.load(served.client, ORDER_ID, catalog=False)
    assert isinstance(caught.value, px.GridError)
    lazy = gn.load(served.client, ORDER_ID, chunks={"x": 64, "y": 64}, catalog=False)
    assert lazy.sizes["time"] == 3  # lazy loads are not held to the eager bound
    with pytest.raises(ValueError, match="pool must be 1 to 64 threads, not 0"):
        gn.load(served.client, ORDER_ID, chunks={"x": 64, "y": 64}, pool=0, catalog=False)


def test_items_with_different_bands_are_refused(served: Served, tmp_path: Path) -> None:
    sar = copy.deepcopy(served.items[0])
    sar["id"] = "sar-1"
    sar["assets"]["visual"]["eo:bands"] = [{"name": "vv"}]
    sar["assets"]["visual"]["raster:bands"] = [{"nodata": 0, "data_type": "uint16"}]
    client = FakeClient(items={ORDER_ID: [*served.items, sar]})
    with pytest.raises(px.MixedBandsError, match=(
            r"red, green, blue, nir \(3 items\); vv \(1 item\). Load them in separate calls")):
        gn.load(client, ORDER_ID, catalog=False)


def test_an_unreadable_raster_names_no_signature(served: Served) -> None:
    broken = copy.deepcopy(served.items)
    broken[1]["assets"]["visual"]["href"] = broken[1]["assets"]["visual"]["href"].replace(
        "sig=", "sig=expired")
    with pytest.raises(px.PixelReadError) as caught:
        gn.load(FakeClient(items={ORDER_ID: broken}), ORDER_ID, catalog=False)
    text = str(caught.value)
    assert "signed hrefs expire" in text
    assert served.server.signature("x")[:4] not in text and "sig=" not in text


def test_local_copies_are_read_instead_of_http(served: Served, tmp_path: Path) -> None:
    frame = assets_frame_from_items(served.items)
    download_assets(frame, tmp_path / "imagery", progress=False)
    served.server.requests.clear()
    ds = gn.load(served.client, ORDER_ID, catalog=tmp_path / "imagery")
    assert ds.attrs["geopera:source"] == "local"
    assert served.server.requests == []  # only the item list came from the "server"
    http = gn.load(served.client, ORDER_ID, catalog=False)
    for band in BANDS:
        np.testing.assert_array_equal(ds[band].values, http[band].values)
    # a local copy that no longer matches the server's checksum is not used
    changed = copy.deepcopy(served.items)
    changed[0]["assets"]["visual"]["file:checksum"] = "1220" + "00" * 32
    mixed = gn.load(FakeClient(items={ORDER_ID: changed}), ORDER_ID,
                    catalog=tmp_path / "imagery" / "collection.json")
    assert mixed.attrs["geopera:source"] == "mixed"


def test_the_default_download_dir_is_where_load_looks(served: Served, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    report = download_assets(assets_frame_from_items(served.items), progress=False)
    assert Path(report.attrs["catalog"]) == Path("geopera-imagery") / "collection.json"
    served.server.requests.clear()
    ds = gn.load(served.client, ORDER_ID)
    assert ds.attrs["geopera:source"] == "local" and served.server.requests == []


def test_offline_the_local_catalogue_is_enough(served: Served, tmp_path: Path) -> None:
    download_assets(assets_frame_from_items(served.items), tmp_path, progress=False)
    offline = gn.load(None, ORDER_ID, catalog=tmp_path)
    assert offline.attrs["geopera:source"] == "local" and offline.sizes["time"] == 3
    down = FakeClient(items=served.client.items, fail=ConnectError("refused"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = gn.load(down, ORDER_ID, catalog=tmp_path)
    assert [w.category for w in caught if issubclass(w.category, UserWarning)] == [
        px.OfflineWarning]
    np.testing.assert_array_equal(again.nir.values, offline.nir.values)
    with pytest.raises(ConnectError):
        gn.load(down, ORDER_ID, catalog=False)
    with pytest.raises(px.NoDeliveredItemsError, match="no client to ask the server"):
        gn.load(None, "other-order", catalog=tmp_path)
    with pytest.raises(px.GridError, match="aoi=True needs the orders' geometry"):
        gn.load(None, ORDER_ID, catalog=tmp_path, aoi=True)


def test_the_assets_frame_verb(served: Served, tmp_path: Path) -> None:
    frame = assets_frame_from_items(served.items)
    assert "load" in dir(frame.gn)
    ds = frame.gn.load(bands=["red"], catalog=False)
    assert dict(ds.sizes) == {"time": 3, "y": HEIGHT, "x": WIDTH}
    first = frame[frame["datetime"] == frame["datetime"].min()]
    one = first.gn.load(bands=["red"], catalog=False)
    assert one.sizes["time"] == 1
    np.testing.assert_array_equal(one.red.isel(time=0).values, ds.red.isel(time=0).values)
    clipped = frame.gn.load(aoi=True, client=served.client, catalog=False)
    assert clipped.sizes["x"] < WIDTH
    with pytest.raises(px.GridError, match="pass a client"):
        frame.gn.load(aoi=True, catalog=False)
    with pytest.raises(px.NoDeliveredItemsError):
        frame.iloc[:0].gn.load(catalog=False)
    assert isinstance(frame, pd.DataFrame)


def test_a_downloaded_cog_is_what_rasterio_reads(served: Served, tmp_path: Path) -> None:
    download_assets(assets_frame_from_items(served.items), tmp_path, progress=False)
    cap = served.captures[0]
    with rasterio.open(tmp_path / cap.item["id"] / "visual.tif") as src:
        assert src.crs.to_epsg() == 32756 and src.count == 4 and src.overviews(1)
        assert src.profile["tiled"] and src.nodata == 0
