"""Pick archive captures, see their AOI-clipped price, place the cart.

Examples
--------
>>> from geopera_nb.widgets import AOIDrawer, ArchiveCart
>>> cart = ArchiveCart(client, drawer=AOIDrawer(online=False))   # doctest: +SKIP
>>> cart.search(datetime="2025-01-01/2025-12-31")                # doctest: +SKIP
>>> cart.cart = [cart.captures[0]["id"]]                          # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
import uuid
from collections.abc import Callable
from typing import Any

import ipyleaflet as L
import ipywidgets as w
import traitlets as t
from shapely.geometry import shape

from ._base import Panel
from ._live import LiveQuery
from ._order_status import fetch_orders, status_html
from ._render import Raw, count, html_table, km2, money, short_time
from ._scheduler import Scheduler
from .aoi_drawer import AOIDrawer, aoi_features
from .basemap import make_map, zoom_to_bounds
from .messages import error_message, row_sentence, unique

__all__ = ["ArchiveCart"]

FOOTPRINT_STYLE = {"color": "#878787", "weight": 1, "fillOpacity": 0.05}
CART_STYLE = {"color": "#018571", "weight": 2, "fillColor": "#80cdc1", "fillOpacity": 0.35}


def _capture_label(feature: dict[str, Any]) -> str:
    p = feature.get("properties") or {}
    price = (p.get("price") or {}).get("creditsPerKm2")
    return (
        f"{short_time(p.get('datetime'))}  {p.get('platform', '')}  "
        f"cloud {p.get('eo:cloud_cover', '–')}%  off-nadir {p.get('view:off_nadir', '–')}°  "
        f"{price if price is not None else '–'} cr/km²  {feature.get('id')}"
    )


class ArchiveCart(Panel):
    """Archive captures (from ``catalog.search`` or any STAC FeatureCollection) in a cart.

    The map zooms to the captures' footprints (and the AOI) whenever the captures are
    set, and to a fixed ``aoi`` from the start.

    The cart's price is the server's ``orders.archive.estimate`` (AOI-clipped per
    capture, ``splitByDate``), refreshed (debounced, stale answers dropped) whenever the
    cart or the AOI changes; per capture in ``gn-cart-table``, total in ``gn-cart-price``.
    **Place cart** (``gn-place-cart``) confirms with the credits and calls
    ``orders.archive.place`` with one idempotency key per confirm dialog.

    Parameters
    ----------
    client
        A :class:`geopera_nb.Client`.
    drawer
        An :class:`AOIDrawer` whose valid AOIs clip the captures (live).
    aoi
        A fixed AOI instead (GeoJSON, shapely, GeoDataFrame); neither: whole footprints.
    map, online
        The map (default: the drawer's, else a new one).
    scheduler
        Timers and background jobs (default: threads).
    debounce
        Seconds of quiet before the estimate is requested.
    split_by_date
        One order per acquisition date (``splitByDate``).
    host_name
        The catalogue host for :meth:`search`.

    Attributes
    ----------
    captures : list of dict
        The candidate captures (STAC features).
    cart : list of str
        Ids of the captures in the cart (settable; synced with ``gn-capture-list``).
    estimate : dict or None
        The last applied archive estimate.
    placed : list of str
        Ids of orders placed from this cart.
    placed_orders : list of dict
        Those orders as ``orders.get`` answered right after placing (what
        ``gn-place-result`` shows, in words).
    """

    captures = t.List(t.Dict())
    cart = t.List(t.Unicode())
    estimate = t.Dict(allow_none=True, default_value=None)
    placed = t.List(t.Unicode())
    placed_orders = t.List(t.Dict())

    def __init__(
        self,
        client: Any,
        drawer: AOIDrawer | None = None,
        aoi: Any = None,
        map: L.Map | None = None,
        online: bool | None = None,
        scheduler: Scheduler | None = None,
        debounce: float = 0.15,
        split_by_date: bool = True,
        host_name: str = "geopera",
    ) -> None:
        super().__init__(scheduler=scheduler)
        self.client = client
        self.drawer = drawer
        self.host_name = host_name
        self.split_by_date = split_by_date
        self._aoi_features = aoi_features(aoi) if aoi is not None else []
        self.map = (
            map
            if map is not None
            else (drawer.map if drawer is not None else make_map(online=online))
        )
        self.last_idempotency_key: str | None = None
        self._live = LiveQuery(self.scheduler, debounce, on_busy=self._set_busy)
        self.footprints = L.GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            style=FOOTPRINT_STYLE,
            name="Catalog captures",
        )
        self.cart_layer = L.GeoJSON(
            data={"type": "FeatureCollection", "features": []}, style=CART_STYLE, name="Cart"
        )
        self.map.add(self.footprints)
        self.map.add(self.cart_layer)
        self.capture_list = w.SelectMultiple(options=[], rows=10, layout=w.Layout(width="100%"))
        self.capture_list.add_class("gn-capture-list")
        self.price = w.HTML()
        self.price.add_class("gn-cart-price")
        self.table = w.HTML()
        self.table.add_class("gn-cart-table")
        self.order_name = w.Text(description="Order name")
        self.order_name.add_class("gn-cart-name")
        self.place_button = w.Button(
            description="Place cart", button_style="primary", icon="shopping-cart"
        )
        self.place_button.add_class("gn-place-cart")
        self.place_result = w.HTML()
        self.place_result.add_class("gn-place-result")
        head: w.Widget = drawer if drawer is not None else self.map
        self.children = [
            head,
            self.capture_list,
            w.HBox([self.price, self.busy_html]),
            self.table,
            w.HBox([self.order_name, self.place_button]),
            self.confirm,
            self.place_result,
            self.error_html,
        ]
        self.add_class("gn-archive-cart")
        self.capture_list.observe(self._on_list_change, "value")
        self.observe(self._on_captures_change, "captures")
        self.observe(self._on_cart_change, "cart")
        self.place_button.on_click(self._on_place_click)
        if drawer is not None:
            drawer.observe(self._on_aoi_change, "aois")
        if self._aoi_features:
            self.zoom_to_captures()

    # --- inputs ----------------------------------------------------------------------

    @property
    def stale_dropped(self) -> int:
        """Estimate answers dropped because the cart changed meanwhile."""
        return self._live.stale_dropped

    def aoi_collection(self) -> dict[str, Any]:
        """The AOI clipping the captures (the drawer's valid AOIs, else the fixed AOI)."""
        if self.drawer is not None:
            return self.drawer.feature_collection(valid_only=True)
        return {"type": "FeatureCollection", "features": list(self._aoi_features)}

    def search(self, **filters: Any) -> None:
        """Fill the list from ``catalog.search`` (``intersects`` = the AOI's first shape).

        Parameters
        ----------
        **filters
            ``catalog.search`` fields (``datetime``, ``collections``, ``query``, ``limit``...).
        """
        body: dict[str, Any] = {"host_name": self.host_name, **filters}
        fc = self.aoi_collection()
        if fc["features"] and "intersects" not in body and "bbox" not in body:
            body["intersects"] = fc["features"][0]["geometry"]
        self.run(lambda: self.client.catalog.search(**body), self.set_captures, "catalog search")

    def set_captures(self, captures: dict[str, Any] | list[dict[str, Any]]) -> None:
        """Offer these captures (a STAC FeatureCollection or a list of Features)."""
        features = captures.get("features", []) if isinstance(captures, dict) else list(captures)
        self.captures = [dict(f) for f in features]

    def line_items(self) -> list[dict[str, Any]]:
        """The ``captures`` body of estimate / place: one CaptureLine per cart item."""
        fc = self.aoi_collection()
        return [
            {"id": cid, "featureCollection": fc} if fc["features"] else {"id": cid}
            for cid in self.cart
        ]

    def zoom_to_captures(self) -> None:
        """Centre the map on the captures' footprints and the AOI (whatever is set)."""
        geometries = [f["geometry"] for f in self.captures if f.get("geometry")]
        geometries += [f["geometry"] for f in self.aoi_collection()["features"]
                       if f.get("geometry")]
        boxes = [shape(g).bounds for g in geometries]
        boxes = [b for b in boxes if len(b) == 4 and all(math.isfinite(v) for v in b)]
        if not boxes:
            return
        zoom_to_bounds(self.map, (min(b[0] for b in boxes), min(b[1] for b in boxes),
                                  max(b[2] for b in boxes), max(b[3] for b in boxes)))

    # --- observers -------------------------------------------------------------------

    def _on_captures_change(self, change: dict[str, Any]) -> None:
        features = change["new"]
        self.capture_list.options = [(_capture_label(f), str(f.get("id"))) for f in features]
        self.footprints.data = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": f["geometry"], "properties": {"id": f.get("id")}}
                for f in features
                if f.get("geometry")
            ],
        }
        known = {str(f.get("id")) for f in features}
        self.cart = [cid for cid in self.cart if cid in known]
        self.zoom_to_captures()

    def _on_list_change(self, change: dict[str, Any]) -> None:
        if list(change["new"]) != self.cart:
            self.cart = list(change["new"])

    def _on_cart_change(self, change: dict[str, Any]) -> None:
        ids = change["new"]
        if tuple(self.capture_list.value) != tuple(ids):
            self.capture_list.value = tuple(
                i for i in ids if i in dict(self.capture_list.options).values()
            )
        chosen = [f for f in self.captures if str(f.get("id")) in set(ids)]
        self.cart_layer.data = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": f["geometry"], "properties": {"id": f.get("id")}}
                for f in chosen
                if f.get("geometry")
            ],
        }
        self._live.trigger(self._start_estimate)

    def _on_aoi_change(self, change: dict[str, Any]) -> None:
        if self.cart:
            self._live.trigger(self._start_estimate)

    # --- pricing ---------------------------------------------------------------------

    def _start_estimate(self, seq: int) -> None:
        lines = self.line_items()
        if not lines:
            self.estimate = None  # type: ignore[assignment]
            self.price.value = "<i>Pick captures to see the cart's price.</i>"
            self.table.value = ""
            return
        self.price.value = self.price.value or "<i>pricing…</i>"
        self._live.job(
            seq,
            lambda: self.client.orders.archive.estimate(
                captures=lines, splitByDate=self.split_by_date
            ),
            self._apply_estimate,
            self._inline_error,
        )

    def _inline_error(self, exc: BaseException) -> None:
        self.price.value = ('<span class="gn-inline-error" style="color:#b00020">'
                            f"⚠ {html.escape(error_message(exc))}</span>")

    def _minimum(self, capture_id: Any) -> float | None:
        for feature in self.captures:
            if str(feature.get("id")) == str(capture_id):
                value = ((feature.get("properties") or {}).get("price") or {}).get("minKm2")
                return None if value is None else float(value)
        return None

    def _billing_note(self, capture: dict[str, Any]) -> str:
        area, billed = float(capture.get("areaKm2") or 0.0), float(capture.get("billableKm2") or 0)
        if billed <= area + 1e-9:
            return ""
        minimum = self._minimum(capture.get("id"))
        if minimum is not None and abs(minimum - billed) < 1e-6:
            return f"billed as {km2(billed, 0 if billed == int(billed) else 2)}, the capture minimum"
        return f"billed as {km2(billed)}"

    def _apply_estimate(self, answer: dict[str, Any]) -> None:
        self.estimate = answer
        rows = []
        priced = 0
        for group in answer.get("groups") or []:
            for c in group.get("captures") or []:
                priced += 1
                note = self._billing_note(c)
                rows.append(
                    [
                        group.get("date") or "all",
                        c.get("id"),
                        short_time(c.get("datetime")),
                        float(c.get("areaKm2", 0.0)),
                        float(c.get("billableKm2", 0.0)),
                        Raw(
                            f'<span class="gn-capture-price">{money(c.get("credits"), c.get("aud"))}</span>'
                        ),
                        Raw(f'<span class="gn-billing-note">{html.escape(note)}</span>')
                        if note else "",
                    ]
                )
        errors = answer.get("errors") or []
        for error in errors:
            rows.append(["", error.get("id"), "", "", "", "",
                         Raw(f'<span style="color:#b00020">⚠ '
                             f"{html.escape(row_sentence(error))}</span>")])
        self.table.value = html_table(
            ["order (date)", "capture", "acquired", "AOI km²", "billed km²", "price", "note"],
            rows,
            "gn-cart-rows",
        )
        problem = ""
        if errors:
            reasons = unique(row_sentence(e) for e in errors)
            why = f": {reasons[0]}" if len(reasons) == 1 else " (reasons in the table)"
            problem = ('<span class="gn-price-problem" style="color:#b00020">⚠ '
                       f"{html.escape(count(len(errors), 'capture'))} cannot be priced"
                       f"{html.escape(why)}</span>")
        if not priced:
            self.price.value = f'<b class="gn-price-none">No price</b> {problem}'
            return
        total = answer.get("total_credits", 0)
        scope = (f"{count(priced, 'capture')}" if not errors
                 else f"{priced:,} of {count(priced + len(errors), 'capture')}")
        self.price.value = (
            f'<b>Cart: <span class="gn-price-total" data-credits="{int(total)}">'
            f"{money(total, answer.get('total_aud'))}</span></b> for {scope} as "
            f"{count(len(answer.get('groups') or []), 'order')}"
            + (f" · {problem}" if problem else "")
        )

    # --- placement -------------------------------------------------------------------

    def _on_place_click(self, _button: w.Button | None = None) -> None:
        lines = self.line_items()
        self.clear_error()
        if not lines:
            self.show_error("the cart is empty")
            return
        key = self.last_idempotency_key = str(uuid.uuid4())
        split = self.split_by_date
        self.ask_priced(
            f"Place {html.escape(count(len(lines), 'capture'))}",
            price=lambda: self.client.orders.archive.estimate(captures=lines, splitByDate=split),
            describe=lambda answer: (
                f"Place {html.escape(count(len(lines), 'capture'))} as "
                f"{html.escape(count(len(answer.get('groups') or []), 'order'))} "
                f'for <b class="gn-confirm-credits">'
                f"{money(answer.get('total_credits'), answer.get('total_aud'))}</b>?"),
            on_yes=lambda: self._place(lines, split, key),
            yes_label="Place cart",
        )

    def _place(self, lines: list[dict[str, Any]], split: bool, key: str) -> None:
        self.place_button.disabled = True
        body: dict[str, Any] = {"captures": lines, "splitByDate": split}
        if self.order_name.value:
            body["displayName"] = self.order_name.value
        enable: Callable[[Any], None] = lambda _x: setattr(self.place_button, "disabled", False)  # noqa: E731

        def place_and_read() -> list[dict[str, Any]]:
            answer = self.client.orders.archive.place(**body, idempotency_key=key)
            ids = [str(r.get("id")) for r in answer.get("results") or []]
            self.placed = [*self.placed, *[i for i in ids if i not in self.placed]]
            return fetch_orders(self.client, ids)  # what the server made of them

        def shown(orders: list[dict[str, Any]]) -> None:
            self.placed_orders = orders
            self.place_result.value = (
                f"<b>Sent {html.escape(count(len(orders), 'order'))}; the server says:</b>"
                + status_html(orders))
            enable(None)

        self.run(place_and_read, shown, "placing the cart", on_error=enable)
