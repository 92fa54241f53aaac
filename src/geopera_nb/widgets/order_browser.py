"""A table of all the org's orders (filtered, sorted and paged by the server), with a map.

Examples
--------
>>> from geopera_nb.widgets import OrderBrowser
>>> browser = OrderBrowser(client, online=False)   # doctest: +SKIP
>>> browser.count.value                              # doctest: +SKIP
'<b>50</b> of <b>1,000 orders</b>'
>>> browser.selected = browser.records[0]["id"]      # doctest: +SKIP
"""

from __future__ import annotations

import html
import threading
from typing import Any

import ipyleaflet as L
import ipywidgets as w
import traitlets as t
from shapely.geometry import shape

from geopera_nb.contract.limits import PAGE_SIZE_MAX
from geopera_nb.contract.states import OrderStatus, OrderType, describe

from ._base import Panel
from ._order_table import SORTS, orders_table
from ._render import count, short_time
from ._scheduler import Scheduler
from .basemap import make_map, zoom_to_bounds

__all__ = ["ORDER_STATUSES", "OrderBrowser"]

ORDER_STATUSES = tuple(s.value for s in OrderStatus)
ORDER_TYPES = tuple(s.value for s in OrderType)
ALL_STYLE = {"color": "#3182bd", "weight": 1, "fillOpacity": 0.1}
SELECTED_STYLE = {"color": "#ff7f00", "weight": 3, "fillOpacity": 0.25}


def _choice(order: dict[str, Any]) -> str:
    name = str(order.get("displayName") or "(unnamed)")
    return f"{name} · {short_time(order.get('createdAt'))}"


class OrderBrowser(Panel):
    """Every order of the org in a table, filtered and sorted by the server, with a map.

    The table (``gn-order-table``, one HTML ``<table>``) has a header row and one row
    per loaded order: name, type, status in words, AOI km², estimated credits, created,
    updated, tags. Orders come page by page from ``orders.list`` (``page``/``size``
    ≤ :data:`~geopera_nb.contract.limits.PAGE_SIZE_MAX`, never all at once);
    ``gn-order-count`` says how many of the server's ``totalElements`` are loaded
    ("50 of 1,000 orders"), **Load more** (``gn-load-more``) reads the next page and is
    disabled once all are loaded; no match shows ``gn-order-empty``. **Sort**
    (``gn-order-sort``) uses the server's sort keys, so the order holds across pages.

    Picking an order in **Show** (``gn-order-pick``) or clicking its AOI on the map
    (layer "Orders") selects it: the map zooms to it, its row is highlighted and its
    details appear (``gn-order-details``).

    Parameters
    ----------
    client
        A :class:`geopera_nb.Client`.
    map, online
        The map (default: a new one; ``online`` picks its basemap).
    scheduler
        Background jobs (default: threads).
    page_size
        Orders per page, 1 to ``PAGE_SIZE_MAX``.
    auto_load
        Load the first page at construction.

    Attributes
    ----------
    records : list of dict
        The orders loaded so far (API shape), in the table's order.
    selected : str
        The selected order id (``""`` for none). Settable.
    total : int
        Orders matching the filters on the server (``totalElements``).
    exhausted : bool
        Every matching order is loaded.
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
        if isinstance(page_size, bool) or not isinstance(page_size, int) \
                or not 1 <= page_size <= PAGE_SIZE_MAX:
            raise ValueError(f"page_size must be a whole number from 1 to {PAGE_SIZE_MAX}, "
                             f"got {page_size!r}")
        super().__init__(scheduler=scheduler)
        self.client = client
        self.page_size = page_size
        self.map = map if map is not None else make_map(online=online)
        self.exhausted = False
        self.loaded = False  # the first page of the current filters has arrived
        self._generation = 0
        self._next_page = 0
        self._loading: int | None = None  # generation whose page is being read
        self._lock = threading.Lock()
        self._build()
        if auto_load:
            self.reload()

    def _build(self) -> None:
        def tagged(widget: Any, css: str) -> Any:
            widget.add_class(css)
            return widget

        narrow = {"description_width": "50px"}
        self.status = tagged(w.Dropdown(
            options=[("any status", ""), *[(describe({"status": s}), s) for s in ORDER_STATUSES]],
            description="Status", style=narrow, layout=w.Layout(width="220px")),
            "gn-filter-status")
        self.type = tagged(w.Dropdown(
            options=[("any type", ""), *[(s.lower(), s) for s in ORDER_TYPES]],
            description="Type", style=narrow, layout=w.Layout(width="180px")), "gn-filter-type")
        self.tags = tagged(w.Text(description="Tags", placeholder="all of: a, b",
                                  continuous_update=False, style=narrow,
                                  layout=w.Layout(width="240px")), "gn-filter-tags")
        self.sort = tagged(w.Dropdown(options=list(SORTS.items()), value="createdAt,desc",
                                      description="Sort", style=narrow,
                                      layout=w.Layout(width="230px")), "gn-order-sort")
        self.table = tagged(w.HTML(layout=w.Layout(width="100%")), "gn-order-table")
        self.count = tagged(w.HTML(), "gn-order-count")
        self.more_button = tagged(w.Button(description="Load more", icon="chevron-down",
                                           disabled=True), "gn-load-more")
        self.picker = tagged(w.Dropdown(options=[("—", "")], value="", description="Show",
                                        style=narrow, layout=w.Layout(width="420px")),
                             "gn-order-pick")
        self.details = tagged(w.HTML(), "gn-order-details")
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
            w.HBox([self.status, self.type, self.tags, self.sort], layout=w.Layout(
                flex_flow="row wrap")),
            w.HBox([self.count, self.more_button, self.busy_html],
                   layout=w.Layout(align_items="center")),
            self.table,
            self.error_html,
            w.HBox([self.picker, self.details], layout=w.Layout(align_items="center")),
            self.map,
        ]
        self.add_class("gn-order-browser")
        for control in (self.status, self.type, self.tags, self.sort):
            control.observe(self._on_filter_change, "value")
        self.more_button.on_click(self._on_more_click)
        self.picker.observe(self._on_pick_change, "value")
        self.observe(self._on_selected_change, "selected")
        self.all_layer.on_click(self._on_map_click)

    # --- data ------------------------------------------------------------------------

    def filters(self) -> dict[str, Any]:
        """The ``orders.list`` filters of the controls (without paging and sort)."""
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
        """Start over with the current filters and sort: read the first page."""
        with self._lock:
            self._generation += 1
            self._next_page = 0
            self._loading = None
        self.records = []
        self.total = 0
        self.exhausted = False
        self.loaded = False
        self._render()
        self.load_more()

    def load_more(self) -> None:
        """Read the next page (in the background); nothing when all are loaded."""
        with self._lock:
            if self.exhausted or self._loading == self._generation:
                return  # all loaded, or this page is already on its way (double click)
            generation, page = self._generation, self._next_page
            self._loading = generation
        body = {**self.filters(), "sort": self.sort.value, "page": page, "size": self.page_size}
        self.more_button.disabled = True

        def done(answer: dict[str, Any]) -> None:
            with self._lock:
                if generation != self._generation:
                    return  # the filters changed meanwhile
                self._loading = None
                self._next_page = page + 1
            content = [o for o in answer.get("content") or [] if isinstance(o, dict)]
            known = {o.get("id") for o in self.records}
            fresh = [o for o in content if o.get("id") not in known]
            total = int(answer.get("totalElements", len(self.records) + len(fresh)))
            pages = answer.get("totalPages")
            records = [*self.records, *fresh]
            self.exhausted = (not content or len(records) >= total
                              or (isinstance(pages, int) and page + 1 >= pages))
            self.loaded = True
            self.total = total
            self.records = records
            self._render()

        def failed(_exc: BaseException) -> None:
            with self._lock:
                if generation == self._generation:
                    self._loading = None
            self._render()

        self.run(lambda: self.client.orders.list(**body), done, "loading orders",
                 on_error=failed)

    def frame(self) -> Any:
        """The loaded orders as a GeoDataFrame (:func:`geopera_nb.frames.orders_frame_from_records`)."""
        from .. import frames

        return frames.orders_frame_from_records(self.records)

    # --- rendering -------------------------------------------------------------------

    def _render(self) -> None:
        records = self.records
        if not self.loaded:
            self.count.value = "<i>loading orders…</i>"
            self.table.value = ""
        elif not records:
            note = ("No orders match these filters." if self.filters()
                    else "No orders yet.")
            self.count.value = f'<span class="gn-order-empty"><b>{note}</b></span>'
            self.table.value = ""
        else:
            shown = count(self.total, "order")
            self.count.value = (f"<b>{html.escape(shown)}</b>" if self.exhausted else
                                f"<b>{len(records):,}</b> of <b>{html.escape(shown)}</b>")
            self.table.value = orders_table(records, self.sort.value, self.selected)
        self.more_button.disabled = self.exhausted or not self.loaded
        self.more_button.description = (
            "Load more" if self.exhausted or not self.loaded
            else f"Load {min(self.page_size, self.total - len(records)):,} more")
        choices = [("—", ""), *[(_choice(o), str(o["id"])) for o in records if o.get("id")]]
        with self.picker.hold_trait_notifications():
            self.picker.options = choices
            self.picker.value = self.selected if any(v == self.selected for _, v in choices) \
                else ""
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

    # --- observers -------------------------------------------------------------------

    def _on_filter_change(self, change: dict[str, Any]) -> None:
        self.clear_error()
        self.reload()

    def _on_more_click(self, _button: w.Button | None = None) -> None:
        self.load_more()

    def _on_pick_change(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.selected = change["new"]

    def _on_map_click(self, **event: Any) -> None:
        order_id = (event.get("feature") or {}).get("properties", {}).get("id")
        if order_id:
            self.selected = order_id

    def _on_selected_change(self, change: dict[str, Any]) -> None:
        order = next((o for o in self.records if o.get("id") == change["new"]), None)
        if self.picker.value != change["new"] and order is not None:
            self.picker.value = change["new"]
        if self.records:
            self.table.value = orders_table(self.records, self.sort.value, self.selected)
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
            f"{html.escape(describe(order))} · "
            f"{float(order.get('aoiKm2') or 0):,.2f} km² · estimated "
            f"{int(credits.get('estimated') or 0):,} credits · "
            f"<code>{html.escape(order['id'])}</code>"
        )
