"""gn.load on the sandbox's own deliveries: real COGs in UTM, optical and SAR.

The shared session sandbox (tests/conftest.py) renders each delivered capture as a
Cloud-Optimized GeoTIFF; these tests order, fulfil, load and compare the pixels with
what rasterio reads from the downloaded files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from shapely.geometry import box, shape

import geopera_nb as gn
import geopera_nb.pixels as px
from geopera_nb.export import download_assets, read_local_catalog

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.timeout(600)]

OPTICAL_AOI = box(146.02, -34.33, 146.12, -34.25)
SAR_AOI = box(145.60, -34.40, 145.68, -34.34)


@dataclass
class Delivered:
    client: Any
    order_id: str
    items: list[dict[str, Any]]


def _fulfil(client: Any, sensor: str, aoi: Any) -> str:
    now = dt.datetime.fromisoformat(client.sandbox.now())
    start = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    placed = client.orders.tasking.place(groups=[{
        "sensor": sensor, "featureCollection": aoi,
        "start": start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "end": (start + dt.timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}])
    order_id = placed["results"][0]["id"]
    order = client.wait_for(order_id, until=lambda o: o["subStatus"] in {
        "FEASIBILITY_WAITING_RESPONSE", "QUOTATION_WAITING_RESPONSE"}, timeout=24 * 3600,
        poll=600, progress=False)
    if order["subStatus"] == "FEASIBILITY_WAITING_RESPONSE":
        study = next(client.stream("orders.tasking.feasibility_studies.list",
                                   {"orderId": order_id}))
        option = next(o for o in study["options"] if o.get("priority") == "standard")
        client.orders.tasking.feasibility_decide(study_id=study["id"],
                                                 acceptedOptionId=option["id"])
        client.wait_for(order_id, until=("QUOTATION_WAITING_RESPONSE",), timeout=24 * 3600,
                        poll=600, progress=False)
    quote = next(client.stream("orders.tasking.quotations.list", {"orderId": order_id}))
    client.orders.tasking.quotation_decide(quotation_id=quote["id"], decision="ACCEPTED")
    client.wait_for(order_id, until=("FULFILLED",), timeout=20 * 24 * 3600, poll=3600,
                    progress=False)
    return order_id


@pytest.fixture(scope="module")
def pixels_client(sandbox: Any) -> Any:
    org = sandbox.create_org(name="Pixels", credits=50_000_000)
    client = sandbox.client(org)
    yield client
    client.close()


@pytest.fixture(scope="module")
def optical(pixels_client: Any) -> Delivered:
    oid = _fulfil(pixels_client, "geo-heron-1m", OPTICAL_AOI)
    return Delivered(pixels_client, oid, pixels_client.orders.list_assets(order_id=oid)["features"])


def test_an_optical_order_loads_with_its_bands_crs_and_pixels(optical: Delivered,
                                                              tmp_path: Path) -> None:
    ds = gn.load(optical.client, optical.order_id, groupby="id", catalog=False)
    visual = optical.items[0]["assets"]["visual"]
    epsg = optical.items[0]["properties"].get("proj:epsg") or visual.get("proj:epsg")
    assert list(ds.data_vars) == [b["name"] for b in visual["eo:bands"]]
    assert list(ds.data_vars) == ["blue", "green", "red", "rededge", "nir"]
    assert ds.odc.crs.epsg == epsg and 32700 < epsg < 32761  # UTM south
    assert ds.odc.geobox.resolution.x == abs(visual["proj:transform"][0])
    assert ds.sizes["time"] == len(optical.items) >= 2
    assert ds.red.dtype == np.uint16 and ds.red.attrs["nodata"] == 0
    # each time step is its capture's file, pixel for pixel (same grid: no resampling)
    report = download_assets(gn.assets_frame(optical.client, optical.order_id),
                             tmp_path, assets=["visual"], progress=False)
    by_time = sorted(optical.items, key=lambda i: (i["properties"]["datetime"], i["id"]))
    for k, item in enumerate(by_time):
        with rasterio.open(tmp_path / item["id"] / "visual.tif") as src:
            data = src.read()
            xs = src.transform.c + src.res[0] * (np.arange(src.width) + 0.5)
            ys = src.transform.f - src.res[1] * (np.arange(src.height) + 0.5)
        loaded = ds.isel(time=k).sel(x=xs, y=ys)
        for b, name in enumerate(ds.data_vars):
            np.testing.assert_array_equal(loaded[name].values, data[b])
    assert set(report.status) == {"downloaded"}


def test_the_order_aoi_clips_and_the_local_catalogue_loads_offline(optical: Delivered,
                                                                   tmp_path: Path) -> None:
    clipped = gn.load(optical.client, optical.order_id, aoi=True, catalog=False)
    full = gn.load(optical.client, optical.order_id, catalog=False)
    assert clipped.sizes["x"] < full.sizes["x"] and clipped.sizes["y"] < full.sizes["y"]
    order = optical.client.orders.get(order_id=optical.order_id)
    assert shape(order["geometry"]).equals_exact(OPTICAL_AOI, 1e-9) or \
        shape(order["geometry"]).symmetric_difference(OPTICAL_AOI).area < 1e-12
    nir = clipped.nir.max("time")
    assert float((nir > 0).mean()) > 0.6  # the captures cover the AOI; outside it is 0
    download_assets(gn.assets_frame(optical.client, optical.order_id), tmp_path,
                    progress=False)
    assert len(read_local_catalog(tmp_path)) == len(optical.items)
    offline = gn.load(None, optical.order_id, aoi=OPTICAL_AOI, catalog=tmp_path)
    assert offline.attrs["geopera:source"] == "local"
    for band in clipped.data_vars:
        np.testing.assert_array_equal(offline[band].values, clipped[band].values)
    local = gn.load(optical.client, optical.order_id, aoi=True, catalog=tmp_path)
    assert local.attrs["geopera:source"] == "local"


def test_errors_on_the_sandbox(optical: Delivered, sandbox: Any) -> None:
    with pytest.raises(px.UnknownBandsError, match="have blue, green, red, rededge, nir"):
        gn.load(optical.client, optical.order_id, bands=["swir16"], catalog=False)
    with pytest.raises(px.GridError, match="does not fit EPSG:4326"):
        gn.load(optical.client, optical.order_id, crs="EPSG:4326", resolution=30,
                catalog=False)
    stranger = sandbox.client(sandbox.create_org(name="Stranger", credits=0))
    with pytest.raises(px.OrderNotFoundError, match="was not found in your organisation"):
        gn.load(stranger, optical.order_id, catalog=False)
    stranger.close()


def test_a_placed_order_has_nothing_to_load_yet(pixels_client: Any) -> None:
    now = dt.datetime.fromisoformat(pixels_client.sandbox.now())
    start = now + dt.timedelta(days=3)
    placed = pixels_client.orders.tasking.place(groups=[{
        "sensor": "geo-heron-1m", "featureCollection": OPTICAL_AOI,
        "start": start.strftime("%Y-%m-%dT00:00:00.000Z"),
        "end": (start + dt.timedelta(days=4)).strftime("%Y-%m-%dT00:00:00.000Z")}])
    oid = placed["results"][0]["id"]
    with pytest.raises(px.NoDeliveredItemsError, match=r"has no delivered captures yet \(.* is "
                                                        r"PLACED\)"):
        gn.load(pixels_client, oid, catalog=False)


def test_a_sar_order_loads_backscatter(pixels_client: Any) -> None:
    oid = _fulfil(pixels_client, "geo-petrel-sar-1m", SAR_AOI)
    ds = gn.load(pixels_client, oid, aoi=True, catalog=False)
    items = pixels_client.orders.list_assets(order_id=oid)["features"]
    names = [b["name"] for b in items[0]["assets"]["visual"]["eo:bands"]]
    assert list(ds.data_vars) == names and names[0] == "VV"
    vv = ds.VV
    assert vv.dtype == np.float32
    seen = vv.values[np.isfinite(vv.values)]
    assert seen.size and (seen >= 0).all()  # linear sigma-nought; NaN outside
    assert np.isnan(vv.values).any()
