"""Labelled latitude/longitude lines that follow the view: orientation without tiles.

Offline the map has no tiles, and zoomed in over land the world outline is one flat
tint. The graticule gives every view a few lines with their coordinates (``32.80°S``,
``151.25°E``) at a spacing that suits the zoom (3 to 8 lines across), rebuilt when the
map's ``center`` or ``zoom`` changes (from Python, or when the user pans in the browser).

Examples
--------
>>> import ipyleaflet as L
>>> m = L.Map(center=(-32.8, 151.2), zoom=11, basemap={})
>>> g = Graticule(m)
>>> g.step
0.05
>>> "151.20°E" in g.labels and "32.80°S" in g.labels
True
"""

from __future__ import annotations

import math
from typing import Any

import ipyleaflet as L

__all__ = ["GRATICULE_STYLE", "Graticule", "format_coordinate"]

GRATICULE_STYLE = {"color": "#7a7a7a", "weight": 0.8, "opacity": 0.8, "dashArray": "3 4"}
_STEPS = (30.0, 10.0, 5.0, 2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
_LABEL = ('<span class="gn-graticule-label" style="font:11px sans-serif;color:#444;'
          'white-space:nowrap">{}</span>')


def format_coordinate(value: float, step: float, *, latitude: bool) -> str:
    """``-32.8`` -> ``"32.80°S"`` with as many decimals as ``step`` needs.

    Examples
    --------
    >>> format_coordinate(-32.8, 0.05, latitude=True), format_coordinate(150, 10, latitude=False)
    ('32.80°S', '150°E')
    """
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if step < 1 and round(step * 10 ** decimals) % 1:
        decimals += 1
    hemisphere = ("N" if value >= 0 else "S") if latitude else ("E" if value >= 0 else "W")
    if abs(value) < 1e-12 or (not latitude and abs(abs(value) - 180) < 1e-12):
        hemisphere = ""
    return f"{abs(value):.{decimals}f}°{hemisphere}"


class Graticule:
    """A ``LayerGroup`` named "Graticule" on ``m``, kept in step with its view.

    Parameters
    ----------
    m
        The map (lines are added to it as a layer group).
    width_px, height_px
        The map's assumed size on screen (as :func:`~geopera_nb.widgets.zoom_to_bounds`).
    """

    def __init__(self, m: L.Map, width_px: int = 700, height_px: int = 400) -> None:
        self.map = m
        self.width_px, self.height_px = width_px, height_px
        self.layer = L.LayerGroup(name="Graticule")
        self.step = 0.0
        self.labels: list[str] = []
        self._key: tuple[float, ...] | None = None
        m.add(self.layer)
        m.observe(self._on_view_change, ["center", "zoom"])
        self.refresh()

    def _on_view_change(self, _change: dict[str, Any]) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the lines and labels for the map's current view (if it changed)."""
        lat, lon = (float(v) for v in self.map.center)
        zoom = float(self.map.zoom)
        lon_span = self.width_px * 360.0 / (256.0 * 2 ** zoom)
        lat_span = min(170.0, lon_span * self.height_px / self.width_px
                       * math.cos(math.radians(max(-80.0, min(80.0, lat)))))
        step = next((s for s in _STEPS if min(lon_span, lat_span) / s >= 3), _STEPS[-1])
        west, east = max(-180.0, lon - 1.5 * lon_span), min(180.0, lon + 1.5 * lon_span)
        south, north = max(-85.0, lat - 1.5 * lat_span), min(85.0, lat + 1.5 * lat_span)
        key = (step, math.floor(west / step), math.floor(south / step),
               math.ceil(east / step), math.ceil(north / step))
        if key == self._key:
            return
        self._key, self.step = key, step
        meridians = [i * step for i in range(key[1], key[3] + 1) if -180 <= i * step <= 180]
        parallels = [i * step for i in range(key[2], key[4] + 1) if -85 <= i * step <= 85]
        lines = [[[x, south], [x, north]] for x in meridians]
        lines += [[[west, y], [east, y]] for y in parallels]
        data = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {},
             "geometry": {"type": "MultiLineString", "coordinates": lines}}]}
        # labels along the view's lower and left edges (a little inside)
        label_lat = lat - 0.42 * lat_span
        label_lon = lon - 0.45 * lon_span
        markers: list[L.Layer] = []
        self.labels = []
        for x in meridians:
            if abs(x - lon) <= 0.5 * lon_span:
                self.labels.append(format_coordinate(x, step, latitude=False))
                markers.append(self._label(label_lat, x, self.labels[-1]))
        for y in parallels:
            if abs(y - lat) <= 0.5 * lat_span:
                self.labels.append(format_coordinate(y, step, latitude=True))
                markers.append(self._label(y, label_lon, self.labels[-1]))
        self.layer.layers = [L.GeoJSON(data=data, style=GRATICULE_STYLE, name="Graticule lines"),
                             *markers]

    @staticmethod
    def _label(lat: float, lon: float, text: str) -> L.Marker:
        icon = L.DivIcon(html=_LABEL.format(text), icon_size=[64, 14], icon_anchor=[32, 7])
        return L.Marker(location=(lat, lon), icon=icon, draggable=False, title=text)
