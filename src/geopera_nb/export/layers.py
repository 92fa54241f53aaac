"""Make frames writable: lists/dicts to JSON text, polygonal geometry promoted to multi,
live signatures dropped from asset hrefs."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from geopera_nb.contract.hrefs import unsigned_href

_POLYGONAL = {"Polygon", "MultiPolygon"}


def _json_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _is_list_of_str(values: pd.Series) -> bool:
    present = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return bool(present) and all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in present
    )


def prepare_columns(frame: pd.DataFrame, *, keep_lists: bool) -> pd.DataFrame:
    """Object columns (lists, dicts) as JSON text; lists of str kept if ``keep_lists``.

    GeoPackage has no list or map fields, so both become JSON text there; GeoParquet
    keeps lists of strings as Arrow ``list<string>`` and writes dicts as JSON text.

    Examples
    --------
    >>> df = pd.DataFrame({"tags": [["a"], None], "extra": [{"k": 1}, None]})
    >>> prepare_columns(df, keep_lists=False).values.tolist()
    [['["a"]', '{"k":1}'], [<NA>, <NA>]]
    """
    out = frame.copy()
    for name in out.columns:
        if name == getattr(out, "_geometry_column_name", None):
            continue
        series = out[name]
        if series.dtype != object:
            continue
        if keep_lists and _is_list_of_str(series):
            continue
        holder = np.empty(len(series), dtype=object)
        holder[:] = [_json_text(v) for v in series]
        out[name] = pd.array(holder, dtype=pd.StringDtype())
    return out


def polygonal_layer(frame: gpd.GeoDataFrame) -> bool:
    """Whether every present geometry is (Multi)Polygon or empty (and the schema says so)."""
    geoms = frame.geometry.values
    types = {g.geom_type for g in geoms if g is not None and not g.is_empty}
    return types <= _POLYGONAL


def promote_polygons(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Polygons -> MultiPolygons and empty geometries -> ``MULTIPOLYGON EMPTY``."""
    out = frame.copy()
    geoms = np.asarray(out.geometry.values, dtype=object)
    fixed = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        if g is None:
            fixed[i] = None
        elif g.is_empty:
            fixed[i] = shapely.MultiPolygon()
        elif g.geom_type == "Polygon":
            fixed[i] = shapely.MultiPolygon([g])
        else:
            fixed[i] = g
    out[out.geometry.name] = gpd.GeoSeries(fixed, index=out.index, crs=out.crs)
    return out


def _unsigned_item(text: Any) -> Any:
    """A STAC Item (JSON text) with its asset and link hrefs unsigned."""
    if not isinstance(text, str) or not text.strip():
        return text
    try:
        item = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if not isinstance(item, dict):
        return text
    for holder in [*(item.get("assets") or {}).values(), *(item.get("links") or [])]:
        if isinstance(holder, dict) and isinstance(holder.get("href"), str):
            holder["href"] = unsigned_href(holder["href"])
    return orjson.dumps(item).decode()


def drop_signatures(frame: pd.DataFrame) -> pd.DataFrame:
    """``*_href`` columns (and the hrefs inside ``stac_item``) without live signatures.

    A signed href expires and hands out access while it lives; a file keeps the
    asset's stable address instead (see :func:`geopera_nb.contract.hrefs.unsigned_href`).

    Examples
    --------
    >>> df = pd.DataFrame({"visual_href": ["http://h/a/c1/visual.tif?exp=1&kid=k&sig=s"]})
    >>> drop_signatures(df)["visual_href"].iloc[0]
    'http://h/a/c1/visual.tif'
    """
    columns = [c for c in frame.columns if str(c).endswith("_href") or c == "stac_item"]
    if not columns:
        return frame
    out = frame.copy()
    for name in columns:
        fix = _unsigned_item if name == "stac_item" else (
            lambda v: unsigned_href(v) if isinstance(v, str) else v)
        holder = np.empty(len(out), dtype=object)
        holder[:] = [fix(v) for v in out[name]]
        out[name] = pd.Series(holder, index=out.index, dtype=out[name].dtype)
    return out
