"""The assets frame from NDJSON bytes: fast path == per-record path, trailers, STAC."""

from __future__ import annotations

import orjson
import pandas as pd
import pystac
import pytest
import shapely
from stac_items import ORDER_ID, item, items, ndjson

from geopera_nb.errors import ServerError, TruncatedStreamError
from geopera_nb.frames import (
    _assets_fast,
    assets_frame_from_items,
    assets_frame_from_ndjson,
    assets_frame_from_stac,
    empty_frame,
    to_stac,
)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert dict(a.dtypes) == dict(b.dtypes)
    for col in a.columns:
        if col == "geometry":
            assert shapely.equals(a.geometry.values, b.geometry.values).all() or all(
                (x is None and y is None) or (x is not None and x.equals(y))
                for x, y in zip(a.geometry, b.geometry, strict=True))
        elif col == "stac_item":
            assert [orjson.loads(x) for x in a[col]] == [orjson.loads(x) for x in b[col]]
        else:
            pd.testing.assert_series_equal(a[col], b[col], check_names=False)


def test_fast_path_matches_per_record_path() -> None:
    records = items(500)
    fast = assets_frame_from_ndjson(ndjson(records))
    slow = assets_frame_from_items(records)
    assert len(fast) == 500
    _same(fast, slow)
    row = fast.iloc[3]
    src = records[3]
    assert row["id"] == src["id"]
    assert row["order_id"] == ORDER_ID
    assert row["visual_checksum"] == src["assets"]["visual"]["file:checksum"]
    assert row["visual_size"] == src["assets"]["visual"]["file:size"]
    assert row["cloud_cover"] == src["properties"]["eo:cloud_cover"]
    assert row["datetime"] == pd.Timestamp(src["properties"]["datetime"])
    assert fast.crs.to_epsg() == 4326


def test_fast_path_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(_items: object) -> None:
        raise AssertionError("fell back to the per-record path")

    monkeypatch.setattr("geopera_nb.frames.assets.assets_frame_from_items", boom)
    assert len(assets_frame_from_ndjson(ndjson(items(300)))) == 300


def test_mixed_and_odd_geometries() -> None:
    records = [item(0), item(1, geometry="multipolygon"), item(2, geometry="collection"),
               item(3, geometry=None), *items(100, seed=5)]
    frame = assets_frame_from_ndjson(ndjson(records))
    types = [g.geom_type if g is not None else None for g in frame.geometry[:4]]
    assert types == ["Polygon", "MultiPolygon", "GeometryCollection", None]
    assert frame.geometry[0].equals(shapely.geometry.shape(records[0]["geometry"]))


def test_extra_asset_keys_get_columns_and_unknown_fields_stay_in_stac_item() -> None:
    records = items(3)
    records[1]["assets"]["cloudmask"] = {"href": "https://x/mask.tif", "file:size": 5}
    records[2]["properties"]["sat:orbit_state"] = "descending"
    records[2]["custom"] = {"a": 1}
    for frame in (assets_frame_from_ndjson(ndjson(records)), assets_frame_from_items(records)):
        assert frame["cloudmask_href"].tolist() == [pd.NA, "https://x/mask.tif", pd.NA]
        assert str(frame["cloudmask_size"].dtype) == "Int64"
        kept = orjson.loads(frame["stac_item"].iloc[2])
        assert kept["properties"]["sat:orbit_state"] == "descending"
        assert kept["custom"] == {"a": 1}


def test_unexpected_types_fall_back_to_per_record_parsing() -> None:
    records = items(5)
    records[4]["properties"]["gsd"] = "0.3 m"  # a string where a number is declared
    with pytest.raises(_assets_fast.FastPathUnavailable):
        _assets_fast.columns_from_ndjson(ndjson(records, trailer=False))
    frame = assets_frame_from_ndjson(ndjson(records))
    assert len(frame) == 5
    assert frame["gsd"].isna().iloc[4]
    assert frame["gsd"].iloc[0] == 0.3


def test_trailer_is_required_and_checked() -> None:
    data = ndjson(items(3), trailer=False)
    with pytest.raises(TruncatedStreamError):
        assets_frame_from_ndjson(data)
    assert len(assets_frame_from_ndjson(data, require_trailer=False)) == 3
    wrong = data + orjson.dumps({"stream": {"status": "complete", "count": 4}}) + b"\n"
    with pytest.raises(TruncatedStreamError, match="4"):
        assets_frame_from_ndjson(wrong)
    failed = data + orjson.dumps({"stream": {"status": "error", "problem": {
        "title": "Internal", "status": 500, "detail": "disk on fire"}}}) + b"\n"
    with pytest.raises(ServerError, match="disk on fire"):
        assets_frame_from_ndjson(failed)


def test_empty_stream_gives_the_empty_frame() -> None:
    frame = assets_frame_from_ndjson(ndjson([]))
    assert dict(frame.dtypes) == dict(empty_frame("assets").dtypes)
    assert frame.crs.to_epsg() == 4326


def test_blank_lines_and_crlf_are_tolerated() -> None:
    records = items(3)
    data = b"\r\n\r\n".join(orjson.dumps(r) for r in records) + b"\r\n"
    frame = assets_frame_from_ndjson(data, require_trailer=False)
    assert frame["id"].tolist() == [r["id"] for r in records]


def test_to_stac_round_trip() -> None:
    records = items(20)
    frame = assets_frame_from_ndjson(ndjson(records))
    collection = to_stac(frame)
    assert isinstance(collection, pystac.ItemCollection)
    assert [i.id for i in collection] == frame["id"].tolist()
    assert collection.items[0].to_dict(transform_hrefs=False) == pystac.Item.from_dict(
        records[0]).to_dict(transform_hrefs=False)
    again = assets_frame_from_stac(collection)
    _same(again.drop(columns="stac_item"), frame.drop(columns="stac_item"))
    subset = to_stac(frame[frame["group_index"] == 1])
    assert {i.properties["geopera:group_index"] for i in subset} == {1}


def test_to_stac_rebuilds_items_without_stac_item_column() -> None:
    frame = assets_frame_from_ndjson(ndjson(items(2))).drop(columns="stac_item")
    collection = to_stac(frame)
    first = collection.items[0]
    assert first.id == frame["id"].iloc[0]
    assert first.assets["visual"].href == frame["visual_href"].iloc[0]
    assert first.assets["visual"].extra_fields["file:checksum"] == frame["visual_checksum"].iloc[0]
    assert shapely.geometry.shape(first.geometry).equals(frame.geometry.iloc[0])


def test_from_feature_collection_dict() -> None:
    records = items(4)
    frame = assets_frame_from_stac({"type": "FeatureCollection", "features": records})
    assert frame["id"].tolist() == [r["id"] for r in records]


def test_all_polygons_are_read_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(_raw: object) -> None:
        raise AssertionError("regex footprint path used")

    monkeypatch.setattr(_assets_fast, "footprints", boom)
    records = [item(i) for i in range(300)]
    frame = assets_frame_from_ndjson(ndjson(records))
    assert frame.geometry.iloc[7].equals(shapely.geometry.shape(records[7]["geometry"]))


def test_a_late_different_geometry_type_still_parses() -> None:
    records = [item(i) for i in range(1200)]
    records[1100] = item(1100, geometry="multipolygon")
    records[1150] = item(1150, geometry=None)
    frame = assets_frame_from_ndjson(ndjson(records))
    assert frame.geometry.iloc[1100].geom_type == "MultiPolygon"
    assert frame.geometry.iloc[1150] is None
    for i in (0, 1100, 1199):
        assert frame.geometry.iloc[i].equals(shapely.geometry.shape(records[i]["geometry"]))


def test_3d_positions_and_holes() -> None:
    records = [item(i) for i in range(100)]
    ring = records[5]["geometry"]["coordinates"][0]
    records[5]["geometry"]["coordinates"] = [[[x, y, 10.0] for x, y in ring]]
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[2, 2], [2, 4], [4, 4], [4, 2], [2, 2]]
    records[6]["geometry"]["coordinates"] = [outer, hole]
    frame = assets_frame_from_ndjson(ndjson(records))
    assert frame.geometry.iloc[5].has_z
    assert frame.geometry.iloc[6].area == pytest.approx(96.0)
    assert frame.geometry.iloc[7].equals(shapely.geometry.shape(records[7]["geometry"]))


def test_missing_assets_and_properties_are_null() -> None:
    records = items(300)
    del records[2]["assets"]["thumbnail"]
    del records[3]["assets"]
    del records[4]["properties"]["eo:cloud_cover"]
    frame = assets_frame_from_ndjson(ndjson(records))
    assert frame["thumbnail_href"].isna().tolist()[:5] == [False, False, True, True, False]
    assert frame["visual_size"].isna().iloc[3]
    assert frame["cloud_cover"].isna().iloc[4]
    slow = assets_frame_from_items(records)
    _same(frame, slow)


def test_accessor_to_stac() -> None:
    frame = assets_frame_from_ndjson(ndjson(items(3)))
    assert [i.id for i in frame.geopera.to_stac()] == frame["id"].tolist()
