"""Delivered imagery as a GeoDataFrame: one row per STAC Item, and back to STAC.

Examples
--------
>>> import orjson
>>> from geopera_nb.frames.assets import assets_frame_from_ndjson, to_stac
>>> item = {"type": "Feature", "stac_version": "1.0.0", "id": "cap-1",
...         "geometry": {"type": "Polygon",
...                      "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
...         "bbox": [0, 0, 1, 1], "links": [],
...         "properties": {"datetime": "2026-12-02T10:00:00.000Z", "gsd": 0.3,
...                        "geopera:order_id": "o-1", "eo:cloud_cover": 4.0},
...         "assets": {"visual": {"href": "https://x/visual.tif",
...                               "file:checksum": "1220ab", "file:size": 10}}}
>>> frame = assets_frame_from_ndjson(orjson.dumps(item) + b"\\n", require_trailer=False)
>>> frame.loc[0, "id"], frame.loc[0, "order_id"], float(frame.loc[0, "cloud_cover"])
('cap-1', 'o-1', 4.0)
>>> to_stac(frame).items[0].id
'cap-1'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pystac
import shapely

from geopera_nb.client.streams import check_trailer, split_trailer
from geopera_nb.contract.timestamps import format_instant
from geopera_nb.frames._assets_fast import FastPathUnavailable, columns_from_ndjson, split_lines
from geopera_nb.frames._build import dig, geometries_from_geojson
from geopera_nb.frames._source import DEFAULT_CONCURRENCY, map_orders, ndjson_lines, order_ids
from geopera_nb.frames.schema import (
    ASSET_FIELDS,
    ASSET_KEYS,
    ASSETS,
    as_dtype,
    conform,
    empty_frame,
)

OPERATION = "orders.list_assets"


def _records_columns(items: Sequence[Mapping[str, Any]]) -> tuple[dict[str, list[Any]], list[str]]:
    """Assets-frame columns from item dicts (the per-record path)."""
    data: dict[str, list[Any]] = {}
    for col in ASSETS.columns:
        if col.path:
            data[col.name] = [dig(item, col.path) for item in items]
    keys: dict[str, None] = dict.fromkeys(ASSET_KEYS)
    for item in items:
        assets = item.get("assets")
        if isinstance(assets, Mapping):
            for key in assets:
                keys.setdefault(key, None)
    extra: list[str] = []
    for key in keys:
        for suffix, (source, _dtype) in ASSET_FIELDS.items():
            name = f"{key}_{suffix}"
            data[name] = [dig(item, ("assets", key, source)) for item in items]
            if key not in ASSET_KEYS:
                extra.append(name)
    data["stac_item"] = [orjson.dumps(item).decode() for item in items]
    return data, extra


def _conform_extra(frame: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    for name in extra:
        suffix = name.rsplit("_", 1)[1]
        dtype = ASSET_FIELDS[suffix][1]
        frame[name] = as_dtype(frame[name], dtype)
    return frame


def assets_frame_from_items(items: Iterable[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """Build the assets frame from STAC Item dicts (the per-record path).

    Parameters
    ----------
    items : iterable of dict
        STAC Items (``orders.list_assets`` features).

    Returns
    -------
    GeoDataFrame
        The ``assets`` schema (see :mod:`geopera_nb.frames.schema`), plus
        ``<key>_href/_type/_checksum/_size`` for asset keys beyond the standard three.
    """
    rows = [dict(item) for item in items]
    if not rows:
        return empty_frame("assets")
    data, extra = _records_columns(rows)
    geoms = geometries_from_geojson(item.get("geometry") for item in rows)
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})
    out = conform(frame, "assets", geometry=geoms, extra_columns=extra)
    return _conform_extra(out, extra)


def assets_frame_from_ndjson(
    data: bytes, *, require_trailer: bool = True, order_id: str | None = None
) -> gpd.GeoDataFrame:
    """Build the assets frame from raw NDJSON bytes, never making a dict per item.

    Parameters
    ----------
    data : bytes
        STAC Items, one JSON object per line, optionally followed by the stream
        trailer ``{"stream": {...}}``.
    require_trailer : bool
        Raise :class:`~geopera_nb.errors.TruncatedStreamError` when the trailer is
        missing or its count differs (default); ``False`` for plain NDJSON files.
    order_id : str, optional
        Fills ``order_id`` where an item lacks ``geopera:order_id``.

    Returns
    -------
    GeoDataFrame
    """
    _end, trailer = split_trailer(data)
    lines = split_lines(data)
    if trailer is not None:
        lines.pop()  # the trailer: the last non-blank line
    if require_trailer or trailer is not None:
        check_trailer(trailer, len(lines), OPERATION)
    frame = assets_frame_from_lines(lines, data)
    if order_id is not None:
        frame["order_id"] = frame["order_id"].fillna(order_id)
    return frame


def assets_frame_from_lines(lines: list[bytes], body: bytes | None = None) -> gpd.GeoDataFrame:
    """The assets frame from NDJSON record lines (bytes without newlines).

    ``body``, if given, is bytes starting with the lines, one newline after each
    (saves a copy; checked, and joined afresh when it does not hold).
    Falls back to per-record parsing when the columnar path cannot read the lines.
    """
    if not lines:
        return empty_frame("assets")
    try:
        columns, geoms, extra = columns_from_ndjson(body, lines)
        return conform(columns, "assets", geometry=geoms, extra_columns=extra)
    except FastPathUnavailable:
        return assets_frame_from_items([orjson.loads(line) for line in lines])


def assets_frame_from_stac(
    items_or_collection: pystac.ItemCollection | Iterable[pystac.Item | Mapping[str, Any]]
    | Mapping[str, Any],
) -> gpd.GeoDataFrame:
    """Build the assets frame from pystac Items, an ItemCollection or a FeatureCollection.

    The inverse of :func:`to_stac`.

    Examples
    --------
    >>> item = pystac.Item("c1", {"type": "Point", "coordinates": [1, 2]}, [1, 2, 1, 2],
    ...                    pd.Timestamp("2026-12-01", tz="UTC").to_pydatetime(), {})
    >>> assets_frame_from_stac([item]).loc[0, "id"]
    'c1'
    """
    if isinstance(items_or_collection, Mapping):
        features = items_or_collection.get("features", [])
    elif isinstance(items_or_collection, pystac.ItemCollection):
        features = items_or_collection.items
    else:
        features = list(items_or_collection)
    dicts = [f.to_dict(transform_hrefs=False) if isinstance(f, pystac.Item) else dict(f) for f in features]
    return assets_frame_from_items(dicts)


def _item_from_row(row: pd.Series) -> dict[str, Any]:
    """A minimal STAC Item rebuilt from a row without ``stac_item``."""
    geometry = row.get("geometry")
    when = row.get("datetime")
    props: dict[str, Any] = {
        "datetime": format_instant(when.to_pydatetime()) if pd.notna(when) else None,
    }
    for col in ASSETS.columns:
        if col.path[:1] == ("properties",) and col.name != "datetime" and pd.notna(row.get(col.name)):
            value = row[col.name]
            props[col.path[1]] = value.item() if hasattr(value, "item") else value
    assets: dict[str, Any] = {}
    for name in row.index:
        key, _, suffix = str(name).rpartition("_")
        if suffix == "href" and pd.notna(row[name]):
            asset: dict[str, Any] = {"href": row[name]}
            for suf, (source, _dtype) in ASSET_FIELDS.items():
                value = row.get(f"{key}_{suf}")
                if suf != "href" and value is not None and pd.notna(value):
                    asset[source] = value.item() if hasattr(value, "item") else value
            assets[key] = asset
    geo = shapely.geometry.mapping(geometry) if geometry is not None else None
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": row["id"],
        "geometry": geo,
        "bbox": list(geometry.bounds) if geometry is not None else None,
        "properties": props,
        "links": [],
        "assets": assets,
    }


def to_stac(frame: pd.DataFrame) -> pystac.ItemCollection:
    """The frame's rows as a :class:`pystac.ItemCollection`.

    Rows keep their original Item (``stac_item``) verbatim, so filtering a frame and
    calling ``to_stac`` gives back exactly the API's Items for the kept rows. Rows
    without it (a frame read back from a file without the column) are rebuilt from
    the columns.

    Examples
    --------
    >>> from geopera_nb.frames.schema import empty_frame
    >>> len(to_stac(empty_frame("assets")))
    0
    """
    items: list[pystac.Item] = []
    has_raw = "stac_item" in frame.columns
    for i in range(len(frame)):
        raw = frame["stac_item"].iloc[i] if has_raw else None
        if isinstance(raw, str) and raw.strip():
            item = orjson.loads(raw)
        else:
            item = _item_from_row(frame.iloc[i])
        items.append(pystac.Item.from_dict(item, preserve_dict=False))
    return pystac.ItemCollection(items)


def assets_frame(
    client: Any, order_id_or_ids: str | Iterable[str], *, concurrency: int = DEFAULT_CONCURRENCY
) -> gpd.GeoDataFrame:
    """Delivered STAC Items of one or many orders, one row per Item.

    Reads ``orders.list_assets`` as NDJSON (orders fetched concurrently) and builds
    the frame column-wise with pyarrow and vectorised shapely.

    Parameters
    ----------
    client : geopera_nb.Client
        Or anything with ``stream_bytes`` / ``stream``.
    order_id_or_ids : str or iterable of str
    concurrency : int
        Orders fetched at once.

    Returns
    -------
    GeoDataFrame
        Columns: ``id, order_id, collection, datetime, sensor, platform, constellation,
        cloud_cover, off_nadir, gsd, group_index``, ``{visual,thumbnail,metadata}_{href,
        type,checksum,size}``, ``stac_item``, ``geometry`` (footprint, EPSG:4326).
    """
    ids = order_ids(order_id_or_ids)
    if not ids:
        return empty_frame("assets")

    def fetch(order_id: str) -> list[bytes]:
        return ndjson_lines(client, OPERATION, {"order_id": order_id})

    parts = map_orders(fetch, ids, concurrency)
    lines = [line for part in parts for line in part]
    frame = assets_frame_from_lines(lines)
    requested = np.repeat(np.array(ids, dtype=object), [len(part) for part in parts])
    if len(requested) == len(frame):
        frame["order_id"] = frame["order_id"].fillna(pd.Series(requested, dtype="string"))
    return frame
