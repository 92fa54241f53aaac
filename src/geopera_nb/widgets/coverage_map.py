"""Requested / covered / remainder and the delivered captures of tasking orders.

Examples
--------
>>> from geopera_nb.widgets import CoverageMap
>>> cov = CoverageMap(client, ["<order id>"], online=False)   # doctest: +SKIP
>>> sorted(cov.layer_by_name)                                  # doctest: +SKIP
['Captures', 'Covered', 'Remainder', 'Requested']
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import ipyleaflet as L
import ipywidgets as w
import pandas as pd
import traitlets as t

from ..contract.geometry import to_geojson
from ._base import Panel, describe_error
from ._render import html_table
from ._scheduler import Scheduler
from .basemap import make_map, zoom_to_bounds

__all__ = ["LAYER_COLORS", "CoverageMap"]

#: Layer name -> colour (also the legend).
LAYER_COLORS: dict[str, str] = {
    "Requested": "#4d4d4d",
    "Covered": "#1a9641",
    "Remainder": "#d7191c",
    "Captures": "#2c7bb6",
}
_STYLES: dict[str, dict[str, Any]] = {
    "Requested": {
        "color": LAYER_COLORS["Requested"],
        "weight": 2,
        "dashArray": "4 4",
        "fillOpacity": 0.0,
    },
    "Covered": {
        "color": LAYER_COLORS["Covered"],
        "weight": 1,
        "fillColor": LAYER_COLORS["Covered"],
        "fillOpacity": 0.45,
    },
    "Remainder": {
        "color": LAYER_COLORS["Remainder"],
        "weight": 1,
        "fillColor": LAYER_COLORS["Remainder"],
        "fillOpacity": 0.45,
    },
    "Captures": {"color": LAYER_COLORS["Captures"], "weight": 1, "fillOpacity": 0.05},
}
_PART_LAYER = {"requested": "Requested", "covered": "Covered", "remainder": "Remainder"}


def _features(frame: gpd.GeoDataFrame | None, props: Iterable[str]) -> list[dict[str, Any]]:
    """JSON-safe GeoJSON features (timestamps and NA become text / None)."""
    if frame is None or not len(frame):
        return []
    out = []
    for _, row in frame.iterrows():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        values: dict[str, Any] = {}
        for name in props:
            if name in frame.columns:
                value = row[name]
                if value is None or (not isinstance(value, list | dict | str) and pd.isna(value)):
                    values[name] = None
                elif isinstance(value, float | int | str | bool):
                    values[name] = value
                else:
                    values[name] = str(value)
        out.append({"type": "Feature", "properties": values, "geometry": to_geojson(geom)})
    return out


class CoverageMap(Panel):
    """Coverage of one or more tasking orders on a map, with a legend and a group table.

    Layers (named as in the legend): ``Requested``, ``Covered``, ``Remainder`` (from
    ``orders.coverage.get``, via :func:`geopera_nb.frames.coverage_frame`) and
    ``Captures`` (delivered footprints, :func:`geopera_nb.frames.assets_frame`). The
    table (``gn-coverage-groups``) gives each group's covered fraction
    (:func:`geopera_nb.frames.coverage_groups_frame`). **Export** (``gn-export``) writes
    a GeoPackage with :func:`geopera_nb.export.export_coverage`.

    Parameters
    ----------
    client
        A :class:`geopera_nb.Client`.
    order_ids
        One order id or several.
    map, online
        The map (default: a new one; ``online`` picks its basemap).
    scheduler
        Background jobs (default: threads).
    export_path
        Default GeoPackage path in the export box.

    Attributes
    ----------
    coverage, groups, assets : geopandas.GeoDataFrame or None
        The frames shown, once loaded.
    layer_by_name : dict
        ``{"Requested": GeoJSON, ...}``.
    exported : str
        Path of the last export (empty before).
    """

    order_ids = t.List(t.Unicode())
    exported = t.Unicode("")

    def __init__(
        self,
        client: Any,
        order_ids: str | Iterable[str],
        map: L.Map | None = None,
        online: bool | None = None,
        scheduler: Scheduler | None = None,
        export_path: str | Path = "coverage.gpkg",
        auto_load: bool = True,
    ) -> None:
        super().__init__(scheduler=scheduler)
        self.client = client
        self.coverage: gpd.GeoDataFrame | None = None
        self.groups: gpd.GeoDataFrame | None = None
        self.assets: gpd.GeoDataFrame | None = None
        self.notes: list[str] = []
        self.map = map if map is not None else make_map(online=online)
        self.map.add_class("gn-coverage-map")
        self.layer_by_name: dict[str, L.GeoJSON] = {}
        for name in ("Requested", "Covered", "Remainder", "Captures"):
            layer = L.GeoJSON(
                data={"type": "FeatureCollection", "features": []}, style=_STYLES[name], name=name
            )
            self.layer_by_name[name] = layer
            self.map.add(layer)
        self.legend = L.LegendControl(dict(LAYER_COLORS), title="Coverage", position="bottomright")
        self.map.add(self.legend)
        if not any(isinstance(c, L.LayersControl) for c in self.map.controls):
            self.map.add(L.LayersControl(position="topright"))
        self.summary = w.HTML()
        self.summary.add_class("gn-coverage-summary")
        self.groups_html = w.HTML()
        self.groups_html.add_class("gn-coverage-groups")
        self.export_path = w.Text(str(export_path), description="GeoPackage")
        self.export_path.add_class("gn-export-path")
        self.export_button = w.Button(description="Export", icon="download")
        self.export_button.add_class("gn-export")
        self.export_result = w.HTML()
        self.export_result.add_class("gn-export-result")
        self.reload_button = w.Button(description="Reload", icon="refresh")
        self.reload_button.add_class("gn-coverage-reload")
        self.children = [
            self.map,
            w.HBox([self.reload_button, self.export_path, self.export_button, self.busy_html]),
            self.export_result,
            self.error_html,
            self.summary,
            self.groups_html,
        ]
        self.add_class("gn-coverage")
        self.export_button.on_click(self._on_export_click)
        self.reload_button.on_click(self._on_reload_click)
        self.observe(self._on_order_ids_change, "order_ids")
        self._auto_load = auto_load
        self.order_ids = [order_ids] if isinstance(order_ids, str) else list(order_ids)

    # --- loading ---------------------------------------------------------------------

    def load(self) -> None:
        """(Re)load the frames of :attr:`order_ids` in the background and redraw."""
        ids = list(self.order_ids)
        self.run(lambda: self._fetch(ids), self._show, "loading coverage")

    def _fetch(self, ids: list[str]) -> tuple[Any, Any, Any, list[str]]:
        from .. import frames

        notes: list[str] = []
        parts = []
        for order_id in ids:  # coverage.get answers 409 until fulfilment starts
            try:
                parts.append(frames.coverage_frame(self.client, order_id))
            except Exception as exc:
                notes.append(f"{order_id}: no coverage yet ({describe_error(exc)})")
        coverage = pd.concat(parts, ignore_index=True) if parts else None
        groups = frames.coverage_groups_frame(self.client, ids, skip_unavailable=True)
        assets = frames.assets_frame(self.client, ids)
        return coverage, groups, assets, notes

    def _show(self, result: tuple[Any, Any, Any, list[str]]) -> None:
        coverage, groups, assets, notes = result
        self.coverage, self.groups, self.assets, self.notes = coverage, groups, assets, notes
        for part, name in _PART_LAYER.items():
            rows = (
                coverage[coverage["part"] == part]
                if coverage is not None and len(coverage)
                else None
            )
            self.layer_by_name[name].data = {
                "type": "FeatureCollection",
                "features": _features(rows, ("order_id", "part", "area_km2", "status")),
            }
        self.layer_by_name["Captures"].data = {
            "type": "FeatureCollection",
            "features": _features(
                assets, ("id", "order_id", "datetime", "platform", "cloud_cover")
            ),
        }
        self._render_groups()
        frames_with_geometry = [f for f in (groups, assets) if f is not None and len(f)]
        if frames_with_geometry:
            bounds = pd.concat([f.geometry for f in frames_with_geometry]).total_bounds
            if all(math.isfinite(float(v)) for v in bounds):
                zoom_to_bounds(self.map, bounds)

    def _render_groups(self) -> None:
        groups = self.groups
        rows = []
        if groups is not None:
            for _, g in groups.iterrows():
                fraction = g.get("covered_fraction")
                pct = (
                    "–"
                    if fraction is None or pd.isna(fraction)
                    else f"{100 * float(fraction):.1f} %"
                )
                rows.append(
                    [
                        g.get("order_id"),
                        g.get("name"),
                        g.get("requested_km2"),
                        g.get("delivered_km2"),
                        pct,
                        g.get("capture_count"),
                    ]
                )
        self.groups_html.value = html_table(
            ["order", "group", "requested km²", "delivered km²", "covered", "captures"],
            rows,
            "gn-groups-rows",
        )
        n_captures = 0 if self.assets is None else len(self.assets)
        notes = "".join(f"<br><i>{html.escape(n)}</i>" for n in self.notes)
        self.summary.value = (
            f"<b>{len(self.order_ids)} order(s)</b>, {n_captures} delivered capture(s){notes}"
        )

    # --- observers -------------------------------------------------------------------

    def _on_order_ids_change(self, change: dict[str, Any]) -> None:
        if self._auto_load:
            self.load()

    def _on_reload_click(self, _button: w.Button | None = None) -> None:
        self.clear_error()
        self.load()

    def _on_export_click(self, _button: w.Button | None = None) -> None:
        from .. import export

        path = self.export_path.value.strip() or "coverage.gpkg"
        ids = list(self.order_ids)
        self.clear_error()
        self.export_button.disabled = True
        self.export_result.value = "<i>exporting…</i>"

        def done(written: dict[str, Path]) -> None:
            self.exported = str(Path(path).resolve())
            layers = ", ".join(sorted(written))
            self.export_result.value = (
                f"Wrote <code>{html.escape(self.exported)}</code> (layers: {html.escape(layers)})"
            )
            self.export_button.disabled = False

        def failed(_exc: BaseException) -> None:
            self.export_result.value = ""
            self.export_button.disabled = False

        self.run(
            lambda: export.export_coverage(self.client, ids, path), done, "export", on_error=failed
        )
