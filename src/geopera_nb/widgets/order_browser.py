"""A filterable list of all orders, synced with a map.

Examples
--------
>>> from geopera_nb.widgets import OrderBrowser
>>> browser = OrderBrowser(client, online=False)   # doctest: +SKIP
>>> browser.selected = browser.records[0]["id"]      # doctest: +SKIP
"""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from typing import Any

import ipyleaflet as L
import ipywidgets as w
import traitlets as t
from shapely.geometry import shape

from ._base import Panel
from ._scheduler import Scheduler
from .basemap import make_map, zoom_to_bounds

__all__ = ["ORDER_STATUSES", "OrderBrowser"]

ORDER_STATUSES = ("PLACED", "BEING_FULFILLED", "FULFILLED", "FAILED", "CANCELED")
ORDER_TYPES = ("TASKING", "ARCHIVE")
ALL_STYLE = {"color": "#3182bd", "weight": 1, "fillOpacity": 0.1}
SELECTED_STYLE = {"color": "#ff7f00", "weight": 3, "fillOpacity": 0.25}


def _label(order: dict[str, Any]) -> str:
    name = str(order.get("displayName") or "(unnamed)")[:28]
    tags = ",".join(order.get("tags") or [])[:24]
    created = str(order.get("createdAt") or "")[:16].replace("T", " ")
    return f"{name:<28} {order.get('type', ''):<8} {order.get('status', ''):<16} {created}  {tags}"


class OrderBrowser(Panel):
    """Orders in a table (status, type, tags filters), paged lazily, synced with a map.

    Selecting a row (``gn-order-table``) zooms the map to the order's AOI and highlights
    it; clicking an AOI on the map selects its row. Orders are read page by page with
    ``client.iter_records("orders.list", filters)``; **Load more** (``gn-load-more``)
    fetches the next page.

    Parameters
    ----------
    client
        A :class:`geopera_nb.Client`.
    map, online
        The map (default: a new one; ``online`` picks its basemap).
    scheduler
        Background jobs (default: threads).
    page_size
        Orders fetched per page.

    Attributes
    ----------
    records : list of dict
        The orders loaded so far (API shape).
    selected : str
        The selected order id (``""`` for none). Settable.
    total : int
        Orders matching the filters on the server.
    """

    records = t.List(t.Dict())
    selected = t.Unicode("")
    total = t.Int(0)

    def __init__(
        self,
        client: Any,
        map: L.Map | None = None,
        online: bool | None = None,
        scheduler: Scheduler | None = None,
        page_size: int = 50,
        auto_load: bool = True,
    ) -> None:
        super().__init__(scheduler=scheduler)
        self.client = client
        self.page_size = page_size
        self.map = map if map is not None else make_map(online=online)
        self._iterator: Iterator[dict[str, Any]] | None = None
        self._fetch_lock = threading.Lock()
        self.exhausted = False
        self.status = w.Dropdown(
            options=[("any status", ""), *[(s, s) for s in ORDER_STATUSES]], description="Status"
        )
        self.status.add_class("gn-filter-status")
        self.type = w.Dropdown(
            options=[("any type", ""), *[(s, s) for s in ORDER_TYPES]], description="Type"
        )
        self.type.add_class("gn-filter-type")
        self.tags = w.Text(description="Tags", placeholder="all of: a, b", continuous_update=False)
        self.tags.add_class("gn-filter-tags")
        self.table = w.Select(options=[], rows=12, layout=w.Layout(width="100%"))
        self.table.add_class("gn-order-table")
        self.count = w.HTML()
        self.count.add_class("gn-order-count")
        self.more_button = w.Button(description="Load more", icon="chevron-down")
        self.more_button.add_class("gn-load-more")
        self.details = w.HTML()
        self.details.add_class("gn-order-details")
        self.all_layer = L.GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            style=ALL_STYLE,
            hover_style={"weight": 3},
            name="Orders",
        )
        self.selected_layer = L.GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            style=SELECTED_STYLE,
            name="Selected order",
        )
        self.map.add(self.all_layer)
        self.map.add(self.selected_layer)
        self.children = [
            w.HBox([self.status, self.type, self.tags]),
            w.HBox([self.count, self.more_button, self.busy_html]),
            self.table,
            self.error_html,
            self.details,
            self.map,
        ]
        self.add_class("gn-order-browser")
        for control in (self.status, self.type):
            control.observe(self._on_filter_change, "value")
        self.tags.observe(self._on_filter_change, "value")
        self.more_button.on_click(self._on_more_click)
        self.table.observe(self._on_table_change, "value")
        self.observe(self._on_selected_change, "selected")
        self.observe(self._on_records_change, "records")
        self.all_layer.on_click(self._on_map_click)
        if auto_load:
            self.reload()

    # --- data ------------------------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        """The ``orders.list`` filters of the controls."""
        body: dict[str, Any] = {}
        if self.status.value:
            body["status"] = self.status.value
        if self.type.value:
            body["type"] = self.type.value
        tags = ",".join(tag.strip() for tag in self.tags.value.split(",") if tag.strip())
        if tags:
            body["tags"] = tags
        return body

    def reload(self) -> None:
        """Start over with the current filters and load the first page."""
        body = self.filters()
        self.records = []
        self.exhausted = False
        self._iterator = iter(
            self.client.iter_records("orders.list", body, page_size=self.page_size)
        )

        def count() -> int:
            return int(self.client.orders.list(size=1, **body).get("totalElements", 0))

        self.run(count, lambda n: setattr(self, "total", n), "counting orders")
        self.load_more()

    def load_more(self) -> None:
        """Fetch the next ``page_size`` orders (in the background)."""
        iterator = self._iterator
        if iterator is None or self.exhausted:
            return

        def fetch() -> list[dict[str, Any]]:
            batch: list[dict[str, Any]] = []
            with self._fetch_lock:  # one reader of the iterator at a time (double clicks)
                for order in iterator:
                    batch.append(order)
                    if len(batch) >= self.page_size:
                        break
            return batch

        def append(batch: list[dict[str, Any]]) -> None:
            if iterator is not self._iterator:
                return  # filters changed meanwhile
            if len(batch) < self.page_size:
                self.exhausted = True
            self.records = [*self.records, *batch]

        self.run(fetch, append, "loading orders")

    def frame(self) -> Any:
        """The loaded orders as a GeoDataFrame (:func:`geopera_nb.frames.orders_frame_from_records`)."""
        from .. import frames

        return frames.orders_frame_from_records(self.records)

    # --- observers -------------------------------------------------------------------

    def _on_filter_change(self, change: dict[str, Any]) -> None:
        self.reload()

    def _on_more_click(self, _button: w.Button | None = None) -> None:
        self.load_more()

    def _on_records_change(self, change: dict[str, Any]) -> None:
        records: list[dict[str, Any]] = change["new"]
        self.table.options = [(_label(o), o["id"]) for o in records]
        self.table.value = self.selected if self.selected in {o["id"] for o in records} else None
        self.count.value = f"{len(records)} of {max(self.total, len(records))} order(s)"
        self.more_button.disabled = self.exhausted
        self.all_layer.data = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": o["geometry"],
                    "properties": {
                        "id": o["id"],
                        "name": o.get("displayName"),
                        "status": o.get("status"),
                    },
                }
                for o in records
                if o.get("geometry")
            ],
        }

    def _on_table_change(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.selected = change["new"]

    def _on_map_click(self, **event: Any) -> None:
        order_id = (event.get("feature") or {}).get("properties", {}).get("id")
        if order_id:
            self.selected = order_id

    def _on_selected_change(self, change: dict[str, Any]) -> None:
        order = next((o for o in self.records if o.get("id") == change["new"]), None)
        if self.table.value != change["new"] and order is not None:
            self.table.value = change["new"]
        if order is None or not order.get("geometry"):
            self.selected_layer.data = {"type": "FeatureCollection", "features": []}
            self.details.value = ""
            return
        self.selected_layer.data = {
            "type": "Feature",
            "geometry": order["geometry"],
            "properties": {"id": order["id"]},
        }
        zoom_to_bounds(self.map, shape(order["geometry"]).bounds)
        credits = order.get("credits") or {}
        self.details.value = (
            f"<b>{html.escape(str(order.get('displayName') or order['id']))}</b> · "
            f"{html.escape(str(order.get('status')))} {html.escape(str(order.get('subStatus') or ''))} · "
            f"{order.get('aoiKm2', 0):,.2f} km² · estimated {credits.get('estimated', 0):,} credits · "
            f"<code>{html.escape(order['id'])}</code>"
        )
