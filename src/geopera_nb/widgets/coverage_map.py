"""Requested / covered / remainder, delivered captures and archive orders, at any scale.

The panel lists the orders first (or takes the records it is given), then asks
coverage, groups and assets only of orders that can answer
(:func:`geopera_nb.frames.coverage_batch.collect_coverage`), concurrently, with a
progress bar (counts, ETA, Cancel). Orders without coverage are described in words
(``states.describe``), grouped, never one line each. Up to
:data:`~geopera_nb.widgets.footprints.LONBOARD_THRESHOLD` features the map is
ipyleaflet; above it lonboard (deck.gl), with the same layer names and colours.

Examples
--------
>>> from geopera_nb.widgets import CoverageMap
>>> cov = CoverageMap(client, ["<order id>"], online=False)   # doctest: +SKIP
>>> sorted(cov.layer_by_name)                                  # doctest: +SKIP
['Archive orders', 'Captures', 'Covered', 'Remainder', 'Requested']
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import ipyleaflet as L
import ipywidgets as w
import pandas as pd
import traitlets as t

from geopera_nb.frames._batch import BatchCancelled
from geopera_nb.frames._orders_in import OrdersInput, is_order_records, order_records
from geopera_nb.frames._source import DEFAULT_CONCURRENCY, order_ids
from geopera_nb.frames.coverage_batch import CoverageBatch

from . import footprints
from ._base import Panel
from ._coverage_view import (
    LAYER_COLORS,
    LAYER_NAMES,
    PROPS,
    STYLES,
    groups_table,
    layer_frames,
    notes_for,
    summary_html,
)
from ._progress import BatchProgress
from ._scheduler import Scheduler
from .basemap import make_map, zoom_to_bounds
from .footprints import choose_engine, geojson_features, lonboard_layer, lonboard_map

__all__ = ["LAYER_COLORS", "CoverageMap"]


class CoverageMap(Panel):
    """Coverage of many orders on a map, with a legend, notes and a group table.

    Layers (named as in the legend): ``Requested``, ``Covered``, ``Remainder`` (from
    ``orders.coverage.get``; ``Requested`` also shows placed tasking orders' AOIs from
    the order list), ``Captures`` (delivered footprints of tasking orders) and
    ``Archive orders`` (their areas, from the order list: no call per order). The table
    (``gn-coverage-groups``) gives each group's covered fraction by order name.
    **Export** (``gn-export``) writes a GeoPackage with
    :func:`geopera_nb.export.export_coverage`.

    Parameters
    ----------
    client
        A :class:`geopera_nb.Client`.
    orders
        One order id, ids, order records (``orders.list`` content) or an orders frame;
        records save the lookup of types and statuses.
    map, online
        An ipyleaflet map to draw on (then the engine is always Leaflet), or ``None``
        for a new one; ``online`` picks its basemap.
    scheduler
        Background jobs (default: threads).
    export_path
        Default GeoPackage path in the export box.
    auto_load
        Load at once (else call :meth:`load`).
    engine
        ``"auto"`` (by feature count), ``"leaflet"`` or ``"lonboard"``.
    concurrency
        Calls in flight at once.

    Attributes
    ----------
    batch : CoverageBatch or None
        What was loaded (frames, orders without coverage, ``calls`` made).
    coverage, groups, assets : geopandas.GeoDataFrame or None
        The frames shown, once loaded.
    notes : list of str
        The orders without coverage, in words.
    layer_by_name : dict
        ``{"Requested": layer, ...}`` (ipyleaflet ``GeoJSON`` or lonboard layers).
    engine : str
        The engine of the map shown (``"leaflet"`` or ``"lonboard"``).
    exported : str
        Path of the last export (empty before).
    """

    order_ids = t.List(t.Unicode())
    exported = t.Unicode("")
    engine = t.Unicode("leaflet")

    def __init__(
        self,
        client: Any,
        orders: OrdersInput,
        map: L.Map | None = None,
        online: bool | None = None,
        scheduler: Scheduler | None = None,
        export_path: str | Path = "coverage.gpkg",
        auto_load: bool = True,
        engine: str = "auto",
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        super().__init__(scheduler=scheduler)
        self.client = client
        self.online = online
        self.concurrency = concurrency
        self._engine_choice = "leaflet" if map is not None else engine
        choose_engine(0, engine)  # validates
        self.batch: CoverageBatch | None = None
        self.coverage = self.groups = self.assets = None
        self.notes: list[str] = []
        self._records = order_records(client, orders) if is_order_records(orders) else None
        self.leaflet_map = map if map is not None else make_map(online=online)
        self.leaflet_map.add_class("gn-coverage-map")
        self.map: Any = self.leaflet_map
        self.leaflet_layers: dict[str, L.GeoJSON] = {}
        for name in LAYER_NAMES:
            layer = L.GeoJSON(data={"type": "FeatureCollection", "features": []},
                              style=STYLES[name], name=name)
            self.leaflet_layers[name] = layer
            self.leaflet_map.add(layer)
        self.layer_by_name: dict[str, Any] = dict(self.leaflet_layers)
        self.legend = L.LegendControl(dict(LAYER_COLORS), title="Coverage",
                                      position="bottomright")
        self.leaflet_map.add(self.legend)
        if not any(isinstance(c, L.LayersControl) for c in self.leaflet_map.controls):
            self.leaflet_map.add(L.LayersControl(position="topright"))
        self.map_box = w.VBox([self.leaflet_map])
        self.progress = BatchProgress()
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
            self.map_box,
            w.HBox([self.reload_button, self.export_path, self.export_button, self.busy_html]),
            self.progress,
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
        self.order_ids = ([str(r["id"]) for r in self._records] if self._records is not None
                          else order_ids(orders))  # type: ignore[arg-type]

    # --- loading ---------------------------------------------------------------------

    def load(self) -> None:
        """(Re)load :attr:`order_ids` in the background and redraw."""
        ids = list(self.order_ids)
        given = self._records
        self._records = None  # records given are used once; a reload lists again
        orders: Any = given if given is not None and [r["id"] for r in given] == ids else ids
        self.run(lambda: self._fetch(orders), self._show, "loading coverage")

    def _fetch(self, orders: Any) -> CoverageBatch | BatchCancelled:
        from geopera_nb.frames.coverage_batch import collect_coverage

        self.progress.start(0, "listing orders")
        try:
            return collect_coverage(
                self.client, orders, concurrency=self.concurrency,
                progress=self.progress.update, cancel=self.progress.cancel_event,
                on_plan=self._on_plan)
        except BatchCancelled as stopped:
            return stopped
        finally:
            self.progress.finish()

    def _on_plan(self, n_calls: int, n_orders: int) -> None:
        self.progress.start(n_calls, "coverage", new_batch=False)
        if self._engine_choice != "leaflet" and n_orders > footprints.LONBOARD_THRESHOLD:
            footprints.preload_lonboard()  # import it while the calls run

    def _show(self, result: CoverageBatch | BatchCancelled) -> None:
        if isinstance(result, BatchCancelled):
            self.summary.value = (f"<i>Cancelled after {result.done:,} of {result.total:,} "
                                  "calls; Reload starts again.</i>")
            return
        self.batch = result
        self.coverage, self.groups, self.assets = result.coverage, result.groups, result.assets
        self.notes = notes_for(result.without_coverage)
        frames = layer_frames(result)
        n_features = sum(len(f) for f in frames.values())
        engine = choose_engine(n_features, self._engine_choice)
        if engine == "lonboard":
            self._draw_lonboard(frames)
        else:
            self._draw_leaflet(frames)
        self.engine = engine
        self.groups_html.value = groups_table(result)
        self.summary.value = summary_html(result, self.notes)

    def _bounds(self, frames: dict[str, Any]) -> list[float] | None:
        parts = [f.geometry for f in frames.values() if len(f)]
        if not parts:
            return None
        bounds = [float(v) for v in pd.concat(parts).total_bounds]
        return bounds if all(math.isfinite(v) for v in bounds) else None

    def _draw_leaflet(self, frames: dict[str, Any]) -> None:
        for name in LAYER_NAMES:
            self.leaflet_layers[name].data = {
                "type": "FeatureCollection", "features": geojson_features(frames[name], PROPS[name])}
        self.layer_by_name = dict(self.leaflet_layers)
        if self.map is not self.leaflet_map:
            self.map = self.leaflet_map
            self.map_box.children = [self.leaflet_map]
        bounds = self._bounds(frames)
        if bounds is not None:
            zoom_to_bounds(self.leaflet_map, bounds)

    def _draw_lonboard(self, frames: dict[str, Any]) -> None:
        layers = {name: lonboard_layer(frames[name], STYLES[name], props=PROPS[name])
                  for name in LAYER_NAMES if len(frames[name])}
        self.layer_by_name = layers
        self.map = lonboard_map(list(layers.values()), online=self.online,
                                bounds=self._bounds(frames))
        self.map.add_class("gn-coverage-map")
        toggles = []
        for name, layer in layers.items():
            box = w.Checkbox(value=True, description=name, indent=False,
                             layout=w.Layout(width="auto"))
            box.add_class("gn-layer-toggle")
            w.link((box, "value"), (layer, "visible"))
            swatch = w.HTML(f'<span style="display:inline-block;width:12px;height:12px;'
                            f'background:{LAYER_COLORS[name]};margin:6px 2px 0 8px"></span>')
            toggles += [swatch, box]
        legend = w.HBox([w.HTML("<b>Coverage</b>"), *toggles])
        legend.add_class("gn-coverage-legend")
        self.map_box.children = [self.map, legend]

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
        orders: Any = list(self.order_ids)
        if self.batch is not None and list(self.batch.orders["id"]) == orders:
            orders = self.batch.orders  # the records just listed: no second lookup
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

        self.run(lambda: export.export_coverage(self.client, orders, path,
                                                concurrency=self.concurrency),
                 done, "export", on_error=failed)
