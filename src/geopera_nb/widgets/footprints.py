"""Read-only footprint layers at any scale: ipyleaflet below a threshold, lonboard above.

Leaflet draws every GeoJSON feature as an SVG path; past a few thousand polygons
panning stutters and the first render takes seconds (ipyleaflet #410, leafmap #268;
``benchmarks/widgets.py`` measures it). lonboard (deck.gl over GeoArrow, an anywidget)
draws them on the GPU from Parquet buffers and stays smooth at 100,000. It cannot edit
shapes, so drawing stays on ipyleaflet (:class:`~geopera_nb.widgets.AOIDrawer`); layers
that only show things (delivered footprints, archive orders, coverage of thousands of
orders) switch engine at :data:`LONBOARD_THRESHOLD` features (why that number:
``docs/widgets.md``).

Both engines get the same style dicts (Leaflet's ``color``, ``weight``, ``fillColor``,
``fillOpacity``, ``opacity``), so a layer looks the same on either.

Examples
--------
>>> choose_engine(10), choose_engine(LONBOARD_THRESHOLD + 1), choose_engine(10, "lonboard")
('leaflet', 'lonboard', 'lonboard')
>>> rgba("#2c7bb6", 0.5)
[44, 123, 182, 128]
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal

import geopandas as gpd
import ipyleaflet as L
import numpy as np
import pandas as pd
import shapely

from geopera_nb.geo import to_geojson

from .basemap import WORLD_STYLE, make_map, network_available, view_for_bounds, zoom_to_bounds

__all__ = [
    "LONBOARD_THRESHOLD",
    "Engine",
    "choose_engine",
    "footprint_map",
    "geojson_features",
    "lonboard_layer",
    "lonboard_map",
    "preload_lonboard",
    "rgba",
]

#: Features above which read-only layers are drawn with lonboard (see docs/widgets.md).
LONBOARD_THRESHOLD = 2_000

Engine = Literal["leaflet", "lonboard"]


def choose_engine(n_features: int, engine: str = "auto") -> Engine:
    """``"lonboard"`` above :data:`LONBOARD_THRESHOLD` features (or when asked)."""
    if engine in ("leaflet", "lonboard"):
        return engine  # type: ignore[return-value]
    if engine != "auto":
        raise ValueError(f"engine must be 'auto', 'leaflet' or 'lonboard', not {engine!r}")
    return "lonboard" if n_features > LONBOARD_THRESHOLD else "leaflet"


def rgba(color: str, opacity: float = 1.0) -> list[int]:
    """``"#rrggbb"`` and an opacity as deck.gl's ``[r, g, b, a]`` (0-255)."""
    text = color.lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    r, g, b = (int(text[i:i + 2], 16) for i in (0, 2, 4))
    return [r, g, b, round(255 * max(0.0, min(1.0, float(opacity))))]


def _json_value(value: Any) -> Any:
    if value is None or (not isinstance(value, list | dict | str) and pd.isna(value)):
        return None
    if isinstance(value, float | int | str | bool):
        return value
    return str(value)


def geojson_features(frame: gpd.GeoDataFrame | None, props: Iterable[str]) -> list[dict[str, Any]]:
    """JSON-safe GeoJSON features of ``frame`` (timestamps and NA become text / None).

    Examples
    --------
    >>> import shapely
    >>> frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)])
    >>> geojson_features(frame, ["name"])[0]["properties"]
    {'name': 'a'}
    """
    if frame is None or not len(frame):
        return []
    names = [p for p in props if p in frame.columns]
    out = []
    for values, geom in zip(frame[names].itertuples(index=False, name=None), frame.geometry,
                            strict=True):
        if geom is None or geom.is_empty:
            continue
        out.append({"type": "Feature",
                    "properties": {n: _json_value(v) for n, v in zip(names, values, strict=True)},
                    "geometry": to_geojson(geom)})
    return out


#: Fill opacity a lonboard layer uses for a Leaflet style that only has outlines.
OUTLINE_FILL_OPACITY = 0.25


def lonboard_layer(frame: gpd.GeoDataFrame, style: Mapping[str, Any], *,
                   props: Sequence[str] = (), pickable: bool = False) -> Any:
    """A :class:`lonboard.SolidPolygonLayer` of ``frame``'s polygons, coloured like Leaflet.

    Filled, never stroked: deck.gl draws outlines with its path layer, which costs an
    order of magnitude more per frame (``benchmarks/widgets.py``: 1-3 s per pan frame
    for 1,000 outlines in software WebGL, 50-160 ms for the same polygons filled). A
    Leaflet style with outlines only (``fillOpacity`` 0) is drawn with a light fill
    (:data:`OUTLINE_FILL_OPACITY`), so overlaps read as density, never as a solid block.
    Only polygonal rows are kept (a lonboard layer holds one geometry type).

    Not pickable by default: deck.gl picks on every pointer move over a pickable layer
    (lonboard always listens to hover), drawing the layer again into a picking buffer
    and reading pixels back, a GPU sync that stalls the page (``docs/benchmarks.md``).
    ``props`` are sent only with ``pickable=True``, the only way lonboard shows them
    (tooltip, side panel); otherwise they would cost the kernel and the page for
    nothing (+1.2 s of kernel time for one text column of 100,000 rows).
    """
    import lonboard

    values = frame.geometry.to_numpy()
    keep = (~(shapely.is_missing(values) | shapely.is_empty(values))
            & np.isin(shapely.get_type_id(values), (3, 6)))  # Polygon, MultiPolygon
    polygons = frame[keep]
    columns = [p for p in props if p in polygons.columns] if pickable else []
    data = gpd.GeoDataFrame(polygons[columns].astype("string"), geometry=polygons.geometry.values,
                            crs=frame.crs or "EPSG:4326")
    fill_opacity = float(style.get("fillOpacity", 0.2)) or OUTLINE_FILL_OPACITY
    fill = rgba(str(style.get("fillColor", style.get("color", "#3388ff"))), fill_opacity)
    with warnings.catch_warnings():  # lonboard's own pandas calls (convert_dtypes) warn
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return lonboard.SolidPolygonLayer.from_geopandas(
            data, get_fill_color=fill, filled=True, pickable=pickable, auto_highlight=pickable)


def lonboard_map(layers: Sequence[Any], *, online: bool | None = None,
                 bounds: Sequence[float] | None = None, height: int = 450) -> Any:
    """A lonboard map that needs no CDN; offline its basemap is the shipped world outline.

    Online it uses lonboard's default vector basemap (CARTO Positron, no labels).
    """
    from ._lonboard_offline import offline_map_class

    if online is None:
        online = network_available()
    base: list[Any] = []
    if not online:
        base = [lonboard_layer(_world_frame(), WORLD_STYLE, pickable=False)]
    kwargs: dict[str, Any] = {"height": height, "show_side_panel": False}
    if not online:
        kwargs["basemap"] = None
    m = offline_map_class()([*base, *layers], **kwargs)
    if bounds is not None:
        m.view_state = _view_state(bounds)
    m.add_class("gn-map")
    m.add_class("gn-lonboard")
    return m


@lru_cache(maxsize=1)
def _world_frame() -> gpd.GeoDataFrame:
    from ..data import world_outline

    return gpd.GeoDataFrame.from_features(world_outline()["features"], crs="EPSG:4326")


def preload_lonboard() -> None:
    """Import lonboard in a background thread (about 1 s), before a map needs it."""
    threading.Thread(target=lambda: __import__("lonboard"), daemon=True,
                     name="gn-import-lonboard").start()


def _view_state(bounds: Sequence[float]) -> dict[str, float]:
    lat, lon, zoom = view_for_bounds(bounds)
    return {"longitude": lon, "latitude": lat, "zoom": zoom - 0.5}


def footprint_map(frame: gpd.GeoDataFrame, *, style: Mapping[str, Any] | None = None,
                  engine: str = "auto", online: bool | None = None,
                  props: Sequence[str] = ("id",), name: str = "Footprints") -> Any:
    """A read-only map of ``frame``'s footprints on the engine that suits its size.

    Examples
    --------
    >>> import shapely
    >>> frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    >>> m = footprint_map(frame, online=False)
    >>> [layer.name for layer in m.layers][-1]
    'Footprints'
    """
    style = dict(style or {"color": "#2c7bb6", "weight": 1, "fillOpacity": 0.05})
    bounds = frame.total_bounds if len(frame) else None
    if choose_engine(len(frame), engine) == "lonboard":
        return lonboard_map([lonboard_layer(frame, style, props=props)], online=online,
                            bounds=bounds)
    m = make_map(online=online)
    m.add(L.GeoJSON(data={"type": "FeatureCollection", "features": geojson_features(frame, props)},
                    style=style, name=name))
    if bounds is not None:
        zoom_to_bounds(m, bounds)
    return m
