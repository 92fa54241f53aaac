"""Draw or load areas of interest on a map; read them live as a GeoDataFrame.

Examples
--------
>>> from geopera_nb.widgets import AOIDrawer
>>> drawer = AOIDrawer(online=False)
>>> square = {"type": "Polygon", "coordinates": [[[149.0, -35.4], [149.1, -35.4],
...     [149.1, -35.3], [149.0, -35.3], [149.0, -35.4]]]}
>>> drawer.load(square)
>>> drawer.aois[["valid", "source"]].values.tolist()
[[True, 'loaded']]
>>> round(float(drawer.aois.area_km2.iloc[0]))
101
"""

from __future__ import annotations

import html
import json
import math
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import ipyleaflet as L
import ipywidgets as w
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ..geo import (
    geodesic_area_km2,
    parse_geometry,
    to_geojson,
    validate_geometry,
)
from ._base import Panel
from ._render import count, km2
from ._scheduler import Scheduler
from ._traits import FrameTrait
from .basemap import make_map, zoom_to_bounds
from .messages import tidy

__all__ = ["AOI_COLUMNS", "AOIDrawer", "aoi_features"]

#: Columns of :attr:`AOIDrawer.aois` (plus ``geometry``), in order.
AOI_COLUMNS = ("name", "area_km2", "valid", "reason", "source")

DRAW_STYLE = {"color": "#1f6feb", "weight": 2, "fillOpacity": 0.15}
INVALID_STYLE = {"color": "#d7263d", "weight": 3, "fillColor": "#d7263d", "fillOpacity": 0.35}
#: ipywidgets' FileUpload always writes "<description> (<files picked>)" on its button:
#: "Load file (1)" reads like state. The count is hidden and the label put back in CSS.
UPLOAD_CSS = (
    "<style>.gn-aoi-upload{font-size:0 !important}"
    ".gn-aoi-upload>i{font-size:var(--jp-widgets-font-size,13px);margin-right:4px}"
    '.gn-aoi-upload::after{content:"Load file";font-size:var(--jp-widgets-font-size,13px)}'
    "</style>"
)
LABEL_STYLE = ("color:#0b3d91;font-weight:bold;white-space:nowrap;"
               "text-shadow:0 0 3px #fff,0 0 3px #fff")


def _empty_aois() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": gpd.pd.Series(dtype="object"),
            "area_km2": gpd.pd.Series(dtype="float64"),
            "valid": gpd.pd.Series(dtype="bool"),
            "reason": gpd.pd.Series(dtype="object"),
            "source": gpd.pd.Series(dtype="object"),
        },
        geometry=gpd.GeoSeries([], crs="EPSG:4326"),
        crs="EPSG:4326",
    )


def _frame(records: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    if not records:
        return _empty_aois()
    columns = {name: [rec[name] for rec in records] for name in AOI_COLUMNS}
    return gpd.GeoDataFrame(columns, geometry=[rec["geometry"] for rec in records], crs="EPSG:4326")


def aoi_features(source: Any) -> list[dict[str, Any]]:
    """Any AOI input -> GeoJSON features in EPSG:4326, plain JSON (lists, not tuples).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> aoi_features(box(0, 0, 1, 1))[0]["geometry"]["type"]
    'Polygon'
    """
    features: list[dict[str, Any]] = json.loads(json.dumps(_raw_features(source), default=str))
    return features


def _raw_features(source: Any) -> list[dict[str, Any]]:
    if isinstance(source, gpd.GeoSeries):
        source = gpd.GeoDataFrame(geometry=source)
    if isinstance(source, gpd.GeoDataFrame):
        frame = source if source.crs is None else source.to_crs("EPSG:4326")
        names = frame["name"] if "name" in frame.columns else None
        feats = []
        for i, geom in enumerate(frame.geometry):
            if geom is None:
                continue
            name = None if names is None else names.iloc[i]
            props = {"name": str(name)} if name is not None and name == name else {}
            feats.append(
                {"type": "Feature", "properties": props, "geometry": geom.__geo_interface__}
            )
        return feats
    if isinstance(source, str | Path) and not str(source).lstrip().startswith("{"):
        return _raw_features(gpd.read_file(source))
    if hasattr(source, "__geo_interface__") and not isinstance(source, dict):
        source = source.__geo_interface__
    if isinstance(source, dict):
        kind = source.get("type")
        if kind == "FeatureCollection":
            return [dict(f) for f in source.get("features", [])]
        if kind == "Feature":
            return [dict(source)]
        return [{"type": "Feature", "properties": {}, "geometry": source}]
    raise TypeError(f"cannot read AOIs from {type(source).__name__}")


class AOIDrawer(Panel):
    """An ipyleaflet map with polygon/rectangle drawing and file loading.

    ``aois`` is a live GeoDataFrame (EPSG:4326), rebuilt from the DrawControl's ``data``
    on every draw, edit, delete and load (edit events are not trusted). Each row has the
    geodesic area and the server's validity rules (:mod:`geopera_nb.geo`);
    invalid shapes are drawn red on the map with the reason as a label.

    Parameters
    ----------
    map
        The map to draw on (default: :func:`~geopera_nb.widgets.basemap.make_map`).
    online
        Basemap choice when ``map`` is not given (``None``: check the network).
    scheduler
        Unused by the drawer itself; shared with composed widgets.

    Attributes
    ----------
    aois : geopandas.GeoDataFrame
        Columns ``name, area_km2, valid, reason, source, geometry``; one row per shape,
        in the DrawControl's order. Observe it: ``drawer.observe(fn, "aois")``.
    draw_control : ipyleaflet.DrawControl
    upload : ipywidgets.FileUpload
        ``.geojson``, ``.gpkg`` or a zipped shapefile.
    invalid_layer : ipyleaflet.LayerGroup
        Red outlines and reason labels (``gn-invalid-reason``) of invalid shapes.
    label_layer : ipyleaflet.LayerGroup
        The name and area of each valid shape on the map (``gn-aoi-label``).

    Examples
    --------
    >>> drawer = AOIDrawer(online=False)
    >>> bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    >>> drawer.load(bowtie)
    >>> bool(drawer.aois.valid.iloc[0]), drawer.aois.reason.iloc[0] is not None
    (False, True)
    """

    aois = FrameTrait(gpd.GeoDataFrame)

    def __init__(
        self,
        map: L.Map | None = None,
        online: bool | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        super().__init__(scheduler=scheduler)
        self._records: list[dict[str, Any]] = []
        self.aois = _empty_aois()
        self.map = map if map is not None else make_map(online=online)
        self.map.add_class("gn-aoi-map")
        self.draw_control = L.DrawControl(
            polygon={"shapeOptions": DRAW_STYLE},
            rectangle={"shapeOptions": DRAW_STYLE},
            polyline={},
            circlemarker={},
            circle={},
            marker={},
            edit=True,
            remove=True,
        )
        self.map.add(self.draw_control)
        self.invalid_layer = L.LayerGroup(name="Invalid AOIs")
        self.map.add(self.invalid_layer)
        self.label_layer = L.LayerGroup(name="AOI labels")
        self.map.add(self.label_layer)
        self.upload = w.FileUpload(
            accept=".geojson,.json,.gpkg,.zip", multiple=True, description="Load file"
        )
        self.upload.add_class("gn-aoi-upload")
        self._upload_css = w.HTML(UPLOAD_CSS, layout=w.Layout(display="none"))
        self.clear_button = w.Button(description="Clear", icon="trash")
        self.clear_button.add_class("gn-aoi-clear")
        self.summary = w.HTML()
        self.summary.add_class("gn-aoi-summary")
        self.children = [
            self.map,
            w.HBox([self.upload, self.clear_button, self._upload_css]),
            self.summary,
            self.error_html,
        ]
        self.add_class("gn-aoi-drawer")
        self.draw_control.observe(self._on_data_change, "data")
        self.upload.observe(self._on_upload, "value")
        self.clear_button.on_click(self._on_clear_click)
        self._render_summary([])

    # --- public API ------------------------------------------------------------------

    def load(self, source: Any, zoom: bool = True) -> None:
        """Add shapes from a GeoDataFrame/GeoSeries, a file path, GeoJSON or a geometry.

        The shapes join the drawing (editable on the map) with ``source="loaded"``.

        Parameters
        ----------
        source
            A GeoDataFrame or GeoSeries (any CRS), a path readable by pyogrio
            (``.geojson``, ``.gpkg``, ``.shp``, zipped shapefile), a GeoJSON dict
            (FeatureCollection, Feature or geometry) or an object with
            ``__geo_interface__`` (shapely).
        zoom
            Centre the map on the loaded shapes.
        """
        features = []
        for feature in aoi_features(source):
            props = dict(feature.get("properties") or {})
            props["gn_source"] = "loaded"
            props.setdefault("style", dict(DRAW_STYLE))
            features.append(
                {"type": "Feature", "properties": props, "geometry": feature["geometry"]}
            )
        self.draw_control.data = [*self.draw_control.data, *features]
        if zoom and len(self.aois):
            self.zoom_to_aois()

    def clear(self) -> None:
        """Remove every shape (drawn and loaded)."""
        self.draw_control.data = []

    def remove(self, index: int) -> None:
        """Remove the shape at row ``index`` of :attr:`aois`."""
        data = list(self.draw_control.data)
        del data[index]
        self.draw_control.data = data

    def feature_collection(self, valid_only: bool = True) -> dict[str, Any]:
        """The shapes as a GeoJSON FeatureCollection (``properties.name`` kept).

        Parameters
        ----------
        valid_only
            Leave out shapes that fail the server's geometry rules.
        """
        features = [
            {
                "type": "Feature",
                "properties": {"name": rec["name"]},
                "geometry": to_geojson(rec["geometry"]),
            }
            for rec in self.records
            if rec["geometry"] is not None and (rec["valid"] or not valid_only)
        ]
        return {"type": "FeatureCollection", "features": features}

    @property
    def records(self) -> list[dict[str, Any]]:
        """The rows of :attr:`aois` as plain dicts (same keys; cheap to read)."""
        return self._records

    def valid_rows(self) -> list[int]:
        """Row numbers of the valid shapes (the features of :meth:`feature_collection`)."""
        return [i for i, rec in enumerate(self._records) if rec["valid"]]

    def zoom_to_aois(self) -> None:
        """Centre the map on all shapes."""
        if len(self.aois):
            zoom_to_bounds(self.map, self.aois.total_bounds)

    def on_change(self, callback: Callable[[gpd.GeoDataFrame], None]) -> None:
        """Call ``callback(aois)`` after every change of :attr:`aois`."""
        self.observe(lambda change: callback(change["new"]), "aois")

    # --- observers -------------------------------------------------------------------

    def _on_data_change(self, change: dict[str, Any]) -> None:
        records: list[dict[str, Any]] = []
        for i, feature in enumerate(change["new"] or []):
            geometry = feature.get("geometry")
            if not geometry:
                continue
            props = feature.get("properties") or {}
            reason = validate_geometry(geometry)
            geom: BaseGeometry | None
            try:
                # valid: the server's normalised form (antimeridian split); else as drawn
                geom = parse_geometry(geometry) if reason is None else shape(geometry)
            except Exception as exc:  # malformed coordinates: keep the row, mark invalid
                geom, reason = None, reason or f"unreadable geometry: {exc}"
            area = geodesic_area_km2(geom) if reason is None and geom is not None else math.nan
            records.append(
                {
                    "name": props.get("name") or f"AOI {i}",
                    "area_km2": area,
                    "valid": reason is None,
                    "reason": reason,
                    "source": props.get("gn_source", "drawn"),
                    "geometry": geom,
                }
            )
        self._records = records
        self._render_invalid(records)
        self._render_labels(records)
        self._render_summary(records)
        self.aois = _frame(records)

    def _on_upload(self, change: dict[str, Any]) -> None:
        files: Sequence[dict[str, Any]] = change["new"] or ()
        if not files:
            return  # our own reset below
        self.clear_error()
        for item in files:
            try:
                self.load(self._read_upload(item))
            except Exception as exc:
                self.show_error(exc, f"could not read {item.get('name')}")
        # the loaded shapes are on the map: the button must not go on saying "Load file (1)"
        self.upload.value = ()

    def _on_clear_click(self, _button: w.Button | None = None) -> None:
        self.clear()

    # --- helpers ---------------------------------------------------------------------

    @staticmethod
    def _read_upload(item: dict[str, Any]) -> gpd.GeoDataFrame:
        name = Path(str(item.get("name") or "upload.geojson")).name
        with tempfile.TemporaryDirectory(prefix="gn-upload-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(bytes(item["content"]))
            frame = gpd.read_file(path)
            frame = frame if frame.crs is None else frame.to_crs("EPSG:4326")
            return frame

    def _render_invalid(self, records: list[dict[str, Any]]) -> None:
        layers: list[L.Layer] = []
        for idx, rec in enumerate(records):
            geom = rec["geometry"]
            if rec["valid"] or geom is None or geom.is_empty:
                continue
            reason = tidy(rec["reason"])
            layers.append(
                L.GeoJSON(
                    data={
                        "type": "Feature",
                        "properties": {"reason": reason},
                        "geometry": to_geojson(geom),
                    },
                    style=INVALID_STYLE,
                    name=f"Invalid AOI {idx}",
                )
            )
            point = geom.representative_point() if geom.is_valid else geom.centroid
            label = (
                f'<div class="gn-invalid-reason" style="color:#d7263d;font-weight:bold;'
                f'white-space:nowrap">✖ {html.escape(str(rec["name"]))}: {html.escape(reason)}</div>'
            )
            layers.append(
                L.Marker(
                    location=(point.y, point.x),
                    icon=L.DivIcon(html=label, icon_size=[0, 0]),
                    draggable=False,
                    title=reason,
                )
            )
        if layers or self.invalid_layer.layers:
            self.invalid_layer.layers = tuple(layers)

    def _render_labels(self, records: list[dict[str, Any]]) -> None:
        """Name and area beside each valid shape (invalid ones carry their reason)."""
        labels: list[L.Layer] = []
        for rec in records:
            geom = rec["geometry"]
            if not rec["valid"] or geom is None or geom.is_empty:
                continue
            point = geom.representative_point()
            text = f"{rec['name']} · {km2(rec['area_km2'])}"
            labels.append(L.Marker(
                location=(point.y, point.x), draggable=False, title=text,
                icon=L.DivIcon(html=(f'<div class="gn-aoi-label" style="{LABEL_STYLE}">'
                                     f"{html.escape(text)}</div>"), icon_size=[0, 0])))
        if labels or self.label_layer.layers:
            self.label_layer.layers = tuple(labels)

    def _render_summary(self, records: list[dict[str, Any]]) -> None:
        if not records:
            self.summary.value = "<i>Draw a polygon or rectangle, or load a file.</i>"
            return
        valid = [rec for rec in records if rec["valid"]]
        invalid = len(records) - len(valid)
        if not valid:
            head = f"{count(len(records), 'AOI')}, none valid"
        else:
            head = f"{count(len(valid), 'valid AOI')}, {km2(sum(r['area_km2'] for r in valid))}"
            if invalid:
                head += f"; {count(invalid, 'invalid AOI')} (not priced)"
        parts = [html.escape(head)]
        for rec in records:
            if not rec["valid"]:
                parts.append(
                    f'<span class="gn-aoi-invalid" style="color:#d7263d">✖ '
                    f"{html.escape(str(rec['name']))}: {html.escape(tidy(rec['reason']))}</span>"
                )
        self.summary.value = "<br>".join(parts)
