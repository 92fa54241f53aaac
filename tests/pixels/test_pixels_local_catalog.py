"""The local catalogue download_assets writes: relative hrefs that resolve with no server."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import numpy as np
import odc.stac
import pystac
import pytest
import rasterio
from pixels_fixtures import Served
from synthetic_cogs import BANDS, ORDER_ID, make_order

import geopera_nb as gn
from geopera_nb.export import DownloadError, download_assets, read_local_catalog
from geopera_nb.frames.assets import assets_frame_from_items

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.geo"),
              pytest.mark.filterwarnings("ignore::PendingDeprecationWarning:odc.geo")]


def _download(served: Served, dest: Path, **kw) -> object:
    return download_assets(assets_frame_from_items(served.items), dest, progress=False, **kw)


def test_the_catalogue_resolves_with_no_server_running(served: Served, tmp_path: Path) -> None:
    dest = tmp_path / "imagery"
    report = _download(served, dest)
    assert report.attrs["catalog"] == str(dest / "collection.json")
    served.server.__exit__(None, None, None)  # no server from here on
    moved = tmp_path / "elsewhere"
    shutil.move(dest, moved)  # self-contained: relative hrefs survive a move
    collection = pystac.read_file(str(moved / "collection.json"))
    assert isinstance(collection, pystac.Collection) and collection.id == "geopera-imagery"
    items = list(collection.get_items(recursive=True))
    assert sorted(i.id for i in items) == sorted(c.item["id"] for c in served.captures)
    raw = json.loads((moved / "collection.json").read_text())
    assert all(not link["href"].startswith(("/", "http")) for link in raw["links"])
    for item in items:
        on_disk = json.loads((moved / item.id / f"{item.id}.json").read_text())
        assert {k: a["href"] for k, a in on_disk["assets"].items()} == {
            "visual": "./visual.tif", "thumbnail": "./thumbnail.png",
            "metadata": "./metadata.json"}
        assert on_disk["properties"]["geopera:order_id"] == ORDER_ID
        # the server's Item as it came: no migration to other extension versions
        assert on_disk["assets"]["visual"]["proj:epsg"] == 32756
        assert on_disk["stac_version"] == "1.0.0" and on_disk["collection"] == "geopera-imagery"
        assert on_disk["assets"]["visual"]["proj:shape"] == [200, 240]
        visual = item.assets["visual"].get_absolute_href()
        assert visual is not None and Path(visual).is_file()
        with rasterio.open(visual) as src:
            assert src.crs.to_epsg() == 32756 and src.count == len(BANDS)
            assert src.read(1, window=((0, 1), (0, 1)))[0, 0] >= 1000
    # odc-stac, called directly on the local Items, and gn.load offline
    direct = odc.stac.load(items, bands=["red"], groupby="solar_day")
    ours = gn.load(None, ORDER_ID, bands=["red"], catalog=moved)
    assert ours.attrs["geopera:source"] == "local"
    np.testing.assert_array_equal(direct.red.values, ours.red.values)
    assert collection.extent.temporal.intervals[0][0].date().isoformat() == "2026-12-02"


def test_only_verified_files_are_in_the_catalogue(served: Served, tmp_path: Path) -> None:
    items = copy.deepcopy(served.items)
    items[1]["assets"]["thumbnail"]["file:checksum"] = "1220" + "00" * 32  # will not verify
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_assets(assets_frame_from_items(items), tmp_path, progress=False)
    local = {i.id: i for i in read_local_catalog(tmp_path)}
    assert set(local) == {i["id"] for i in items}
    assert set(local[items[1]["id"]].assets) == {"visual", "metadata"}
    assert set(local[items[0]["id"]].assets) == {"visual", "thumbnail", "metadata"}


def test_a_second_download_merges(served: Served, tmp_path: Path) -> None:
    frame = assets_frame_from_items(served.items)
    download_assets(frame.iloc[:1], tmp_path, assets=["visual"], progress=False)
    assert [i.id for i in read_local_catalog(tmp_path)] == [served.items[0]["id"]]
    other = make_order(tmp_path / "made", 1, order_id="another-order")
    served_other = copy.deepcopy(other[0].item)
    served_other["id"] = "another-capture"
    for key, path in other[0].files.items():
        served.server.publish("another-capture", path.name, path)
        served_other["assets"][key]["href"] = served.server.href("another-capture", path.name)
    download_assets(assets_frame_from_items([served_other]), tmp_path, progress=False)
    download_assets(frame, tmp_path, progress=False)  # the whole first order
    local = read_local_catalog(tmp_path)
    assert len(local) == 4
    assert {i.properties["geopera:order_id"] for i in local} == {ORDER_ID, "another-order"}
    by_id = {i.id: i for i in local}
    assert set(by_id[served.items[0]["id"]].assets) == {"visual", "thumbnail", "metadata"}
    # a file deleted since drops out of the catalogue on the next write
    (tmp_path / "another-capture" / "thumbnail.png").unlink()
    download_assets(frame.iloc[:1], tmp_path, progress=False)
    by_id = {i.id: i for i in read_local_catalog(tmp_path)}
    assert set(by_id["another-capture"].assets) == {"visual", "metadata"}


def test_catalog_false_writes_none(served: Served, tmp_path: Path) -> None:
    report = _download(served, tmp_path, catalog=False)
    assert "catalog" not in report.attrs and not (tmp_path / "collection.json").exists()
    assert read_local_catalog(tmp_path) == []


def test_items_and_item_collections_work_too(served: Served, tmp_path: Path) -> None:
    collection = pystac.ItemCollection([pystac.Item.from_dict(i) for i in served.items])
    download_assets(collection, tmp_path / "a", assets=["visual"], progress=False)
    assert len(read_local_catalog(tmp_path / "a")) == 3
    download_assets({"type": "FeatureCollection", "features": served.items}, tmp_path / "b",
                    assets=["visual"], progress=False)
    assert len(read_local_catalog(tmp_path / "b")) == 3
