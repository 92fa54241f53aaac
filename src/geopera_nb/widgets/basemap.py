"""Maps that work offline: the shipped world outline, or OSM tiles when a network exists.

Examples
--------
>>> from geopera_nb.widgets.basemap import make_map
>>> m = make_map(online=False)
>>> [layer.name for layer in m.layers]
['World outline', 'Graticule']
>>> "gn-map" in m._dom_classes, any(isinstance(c, L.ScaleControl) for c in m.controls)
(True, True)

Offline there are no tiles: the map has no base tile layer at all (so the layers
control has no unlabelled radio), the shipped world outline, a graticule whose labelled
lines follow the view (so a zoomed-in view is not an empty tint), and a scale bar.
"""

from __future__ import annotations

import math
import os
import socket
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import ipyleaflet as L

from ..contract import environment
from ..data import world_outline
from ._graticule import Graticule

__all__ = [
    "OSM_HOST",
    "Graticule",
    "make_map",
    "network_available",
    "osm_layer",
    "view_for_bounds",
    "world_layer",
    "zoom_to_bounds",
]

OSM_HOST = "tile.openstreetmap.org"
WORLD_STYLE = {"color": "#8a8a8a", "weight": 0.7, "fillColor": "#f2efe9", "fillOpacity": 1.0}


@lru_cache(maxsize=4)
def _probe(host: str, port: int, timeout: float) -> bool:
    result: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    # name resolution ignores socket timeouts: run the probe in a thread and stop waiting
    probe = threading.Thread(target=connect, daemon=True)
    probe.start()
    probe.join(timeout)
    return bool(result and result[0])


def network_available(timeout: float = 0.5, host: str = OSM_HOST) -> bool:
    """Whether online tiles can load: a quick, cached TCP check (``False`` under CI).

    ``GEOPERA_NB_ONLINE=1`` / ``0`` forces the answer; ``CI`` set means offline.

    Parameters
    ----------
    timeout
        Seconds to wait for the connection (name resolution included).
    host
        The tile host to probe on port 443.

    Examples
    --------
    >>> import os
    >>> os.environ["GEOPERA_NB_ONLINE"] = "0"
    >>> network_available()
    False
    >>> del os.environ["GEOPERA_NB_ONLINE"]
    """
    forced = os.environ.get(environment.NB_ONLINE)
    if forced is not None:
        return forced.strip().lower() in {"1", "true", "yes", "on"}
    if os.environ.get("CI"):
        return False
    return _probe(host, 443, timeout)


def world_layer() -> L.GeoJSON:
    """The offline basemap: country outlines (Natural Earth 110m) as a GeoJSON layer.

    Examples
    --------
    >>> world_layer().name
    'World outline'
    """
    return L.GeoJSON(data=world_outline(), style=WORLD_STYLE, name="World outline")


def osm_layer() -> L.TileLayer:
    """The OpenStreetMap tile layer (needs a network).

    Examples
    --------
    >>> osm_layer().name
    'OpenStreetMap'
    """
    layer = L.basemap_to_tiles(L.basemaps.OpenStreetMap.Mapnik)
    layer.name = "OpenStreetMap"
    return layer


def make_map(
    online: bool | None = None,
    center: Sequence[float] = (0.0, 0.0),
    zoom: float = 2,
    **kwargs: Any,
) -> L.Map:
    """A map with the right basemap: OSM tiles online, the world outline offline.

    Every map gets a metric scale bar. Offline it has no base tile layer (nothing to
    load, and no unlabelled radio in a layers control), the world outline and a
    :class:`Graticule` (``map.graticule``).

    Parameters
    ----------
    online
        ``None`` decides with :func:`network_available`.
    center, zoom
        The initial view (lat, lon).
    **kwargs
        Passed to :class:`ipyleaflet.Map`.

    Examples
    --------
    >>> m = make_map(online=False, center=(-35.3, 149.1), zoom=8)
    >>> m.center, [layer.base for layer in m.layers]
    ([-35.3, 149.1], [False, False])
    """
    if online is None:
        online = network_available()
    kwargs.setdefault("scroll_wheel_zoom", True)
    if online:
        m = L.Map(basemap=L.basemaps.OpenStreetMap.Mapnik, center=center, zoom=zoom, **kwargs)
    else:
        m = L.Map(basemap={}, center=center, zoom=zoom, **kwargs)
        for layer in [la for la in m.layers if getattr(la, "base", False) and not la.name]:
            m.remove(layer)  # the blank tile layer basemap={} leaves behind
        m.add(world_layer())
        m.graticule = Graticule(m)
    m.add(L.ScaleControl(position="bottomleft", imperial=False))
    m.add_class("gn-map")
    return m


def view_for_bounds(
    bounds: Sequence[float], width_px: int = 700, height_px: int = 400
) -> tuple[float, float, int]:
    """``(lat, lon, zoom)`` that shows ``(minx, miny, maxx, maxy)`` in a map of that size.

    Examples
    --------
    >>> view_for_bounds((149.0, -35.4, 149.2, -35.2))
    (-35.3, 149.1, 11)
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    lon_span = max(maxx - minx, 1e-6)

    def merc(lat: float) -> float:
        lat = max(min(lat, 85.0), -85.0)
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    y_span = max(abs(merc(maxy) - merc(miny)), 1e-9)
    zoom_x = math.log2(width_px * 360.0 / (256.0 * lon_span))
    zoom_y = math.log2(height_px * 2 * math.pi / (256.0 * y_span))
    zoom = int(max(1, min(18, math.floor(min(zoom_x, zoom_y)))))
    return round((miny + maxy) / 2.0, 9), round((minx + maxx) / 2.0, 9), zoom


def zoom_to_bounds(
    m: L.Map, bounds: Sequence[float], width_px: int = 700, height_px: int = 400
) -> None:
    """Centre ``m`` on ``bounds`` and pick the largest zoom that shows them.

    Unlike :meth:`ipyleaflet.Map.fit_bounds` this needs no event loop and no browser
    round trip, so it works from worker threads and in headless tests.

    Parameters
    ----------
    m
        The map.
    bounds
        ``(minx, miny, maxx, maxy)`` in lon/lat.
    width_px, height_px
        The map's assumed size on screen.

    Examples
    --------
    >>> m = make_map(online=False)
    >>> zoom_to_bounds(m, (149.0, -35.4, 149.2, -35.2))
    >>> [round(v, 1) for v in m.center], int(m.zoom)
    ([-35.3, 149.1], 11)
    """
    lat, lon, zoom = view_for_bounds(bounds, width_px, height_px)
    with m.hold_trait_notifications():
        m.center = [lat, lon]
        m.zoom = zoom
