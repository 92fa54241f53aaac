"""Pending feasibility studies and quotations, decided inline.

Examples
--------
>>> from geopera_nb.widgets import DecisionInbox
>>> inbox = DecisionInbox(client, online=False)       # doctest: +SKIP
>>> inbox                                              # doctest: +SKIP
"""

from __future__ import annotations

import html
import uuid
from typing import Any

import ipyleaflet as L
import ipywidgets as w
import traitlets as t

from ._base import Panel
from ._render import html_table, money, short_time
from ._scheduler import Scheduler
from .basemap import make_map, zoom_to_bounds

__all__ = ["DecisionInbox"]

AOI_STYLE = {"color": "#e66101", "weight": 2, "fillOpacity": 0.15}


class DecisionInbox(Panel):
    """``orders.tasking.decisions.pending`` as a list with Accept / Reject buttons.

    A feasibility study lists its options (description, window, passes, price) with
    one **Accept** button each (``gn-accept-option``); a quotation shows its price with
    **Accept** (``gn-accept-quotation``) and **Reject** (``gn-reject-quotation``). Every
    decision asks to confirm (``gn-confirm``), calls ``feasibility_decide`` /
    ``quotation_decide`` with an idempotency key made when the dialog opens, then
    refreshes the list. API errors (409 already decided, 402 credits, 410 expired) stay
    on screen (``gn-error``).

    Parameters
    ----------
    client
        A :class:`geopera_nb.Client`.
    map
        Where the AOIs of pending decisions are drawn (default: a new map).
    online
        Basemap choice for a new map.
    scheduler
        Background jobs (default: threads).
    kinds
        ``"feasibility"``, ``"quotation"`` or both (default).
    auto_refresh
        Load the list at construction.

    Attributes
    ----------
    pending : list of dict
        The decisions shown (each with ``kind`` and ``orderDisplayName``).
    decided : list of dict
        ``{"kind", "id", "answer"}`` for each decision made here.
    """

    pending = t.List(t.Dict())
    decided = t.List(t.Dict())

    def __init__(
        self,
        client: Any,
        map: L.Map | None = None,
        online: bool | None = None,
        scheduler: Scheduler | None = None,
        kinds: str | None = None,
        auto_refresh: bool = True,
    ) -> None:
        super().__init__(scheduler=scheduler)
        self.client = client
        self.kinds = kinds
        self.map = map if map is not None else make_map(online=online)
        self.aoi_layer = L.GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            style=AOI_STYLE,
            name="Pending decisions",
        )
        self.map.add(self.aoi_layer)
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.add_class("gn-inbox-refresh")
        self.header = w.HTML()
        self.header.add_class("gn-inbox-header")
        self.items = w.VBox()
        self.items.add_class("gn-inbox-items")
        self.last_idempotency_key: str | None = None
        self._orders: dict[str, dict[str, Any]] = {}
        self.children = [
            w.HBox([self.refresh_button, self.header, self.busy_html]),
            self.error_html,
            self.confirm,
            self.items,
            self.map,
        ]
        self.add_class("gn-inbox")
        self.refresh_button.on_click(self._on_refresh_click)
        self.observe(self._on_pending_change, "pending")
        if auto_refresh:
            self.refresh()

    # --- data ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the pending decisions (in the background)."""
        body: dict[str, Any] = {"kinds": self.kinds} if self.kinds else {}

        def load() -> list[dict[str, Any]]:
            items = list(
                self.client.iter_records("orders.tasking.decisions.pending", body, max_items=200)
            )
            for item in items:  # AOIs for the map (cached per order)
                order_id = item.get("orderId")
                if order_id and order_id not in self._orders:
                    try:
                        self._orders[order_id] = self.client.orders.get(order_id=order_id)
                    except Exception:  # the list still shows; the map misses one AOI
                        self._orders[order_id] = {}
            return items

        self.run(load, self._set_pending, "loading decisions")

    def _set_pending(self, items: list[dict[str, Any]]) -> None:
        self.pending = items

    # --- observers -------------------------------------------------------------------

    def _on_refresh_click(self, _button: w.Button | None = None) -> None:
        self.clear_error()
        self.refresh()

    def _on_pending_change(self, change: dict[str, Any]) -> None:
        items: list[dict[str, Any]] = change["new"]
        studies = sum(item.get("kind") == "feasibility" for item in items)
        self.header.value = (
            f"<b>{len(items)} pending decision(s)</b>: {studies} feasibility, "
            f"{len(items) - studies} quotation"
        )
        self.items.children = [self._row(item) for item in items]
        features = []
        for item in items:
            order = self._orders.get(item.get("orderId") or "", {})
            if order.get("geometry"):
                features.append(
                    {
                        "type": "Feature",
                        "geometry": order["geometry"],
                        "properties": {
                            "decision": item.get("id"),
                            "kind": item.get("kind"),
                            "name": item.get("orderDisplayName"),
                        },
                    }
                )
        self.aoi_layer.data = {"type": "FeatureCollection", "features": features}

    # --- rows ------------------------------------------------------------------------

    def _row(self, item: dict[str, Any]) -> w.VBox:
        name = html.escape(str(item.get("orderDisplayName") or item.get("orderId")))
        kind = item.get("kind")
        zoom = w.Button(description="Show on map", icon="search", layout=w.Layout(width="140px"))
        zoom.add_class("gn-show-decision")
        order_id = item.get("orderId")
        zoom.on_click(lambda _b, oid=order_id: self.show_order(oid))
        if kind == "feasibility":
            title = w.HTML(
                f"<b>Feasibility study</b> for <b>{name}</b> · sensor {html.escape(str(item.get('sensor')))}"
                f" · created {short_time(item.get('createdAt'))}"
            )
            options = item.get("options") or []
            table = w.HTML(
                html_table(
                    ["option", "priority", "window", "passes", "price"],
                    [
                        [
                            o.get("description"),
                            o.get("priority"),
                            f"{short_time(o.get('start'))} → {short_time(o.get('end'))}",
                            o.get("passes"),
                            money(o.get("credits"), o.get("aud")),
                        ]
                        for o in options
                    ],
                    "gn-options",
                )
            )
            buttons = []
            for option in options:
                button = w.Button(
                    description=f"Accept: {option.get('priority', 'option')}",
                    button_style="success",
                    icon="check",
                    tooltip=str(option.get("description") or ""),
                )
                button.add_class("gn-accept-option")
                button.on_click(lambda _b, s=item, o=option: self._on_accept_option(s, o))
                buttons.append(button)
            body: list[w.Widget] = [title, table, w.HBox([*buttons, zoom])]
        else:
            title = w.HTML(
                f"<b>Quotation</b> for <b>{name}</b>: "
                f'<span class="gn-quotation-price">{money(item.get("credits"), item.get("aud"))}</span>'
                f" · valid until {short_time(item.get('validUntil'))}"
            )
            accept = w.Button(description="Accept", button_style="success", icon="check")
            accept.add_class("gn-accept-quotation")
            reject = w.Button(description="Reject", button_style="warning", icon="times")
            reject.add_class("gn-reject-quotation")
            accept.on_click(lambda _b, q=item: self._on_decide_quotation(q, "ACCEPTED"))
            reject.on_click(lambda _b, q=item: self._on_decide_quotation(q, "REJECTED"))
            body = [title, w.HBox([accept, reject, zoom])]
        row = w.VBox(body, layout=w.Layout(border="1px solid #ddd", padding="4px", margin="2px 0"))
        row.add_class("gn-decision")
        row.add_class(f"gn-decision-{kind}")
        return row

    def show_order(self, order_id: str | None) -> None:
        """Zoom the map to an order's AOI."""
        geometry = self._orders.get(order_id or "", {}).get("geometry")
        if geometry:
            from shapely.geometry import shape

            zoom_to_bounds(self.map, shape(geometry).bounds)

    # --- decisions -------------------------------------------------------------------

    def _on_accept_option(self, study: dict[str, Any], option: dict[str, Any]) -> None:
        self.clear_error()
        key = self.last_idempotency_key = str(uuid.uuid4())
        name = html.escape(str(study.get("orderDisplayName") or study.get("orderId")))
        self.confirm.ask(
            f"Accept <b>{html.escape(str(option.get('description')))}</b> for <b>{name}</b>? "
            f'This reserves <b class="gn-confirm-credits">{money(option.get("credits"), option.get("aud"))}</b>.',
            on_yes=lambda: self._decide(
                "feasibility",
                str(study.get("id")),
                lambda: self.client.orders.tasking.feasibility_decide(
                    study_id=study["id"], acceptedOptionId=option["id"], idempotency_key=key
                ),
            ),
            yes_label="Accept option",
        )

    def _on_decide_quotation(self, quotation: dict[str, Any], decision: str) -> None:
        self.clear_error()
        key = self.last_idempotency_key = str(uuid.uuid4())
        verb = "Accept" if decision == "ACCEPTED" else "Reject"
        effect = (
            f'This reserves <b class="gn-confirm-credits">{money(quotation.get("credits"), quotation.get("aud"))}</b>.'
            if decision == "ACCEPTED"
            else "The order will be cancelled."
        )
        name = html.escape(str(quotation.get("orderDisplayName") or quotation.get("orderId")))
        self.confirm.ask(
            f"{verb} the quotation for <b>{name}</b>? {effect}",
            on_yes=lambda: self._decide(
                "quotation",
                str(quotation.get("id")),
                lambda: self.client.orders.tasking.quotation_decide(
                    quotation_id=quotation["id"], decision=decision, idempotency_key=key
                ),
            ),
            yes_label=f"{verb} quotation",
        )

    def _decide(self, kind: str, decision_id: str, call: Any) -> None:
        def done(answer: dict[str, Any]) -> None:
            self.decided = [*self.decided, {"kind": kind, "id": decision_id, "answer": answer}]
            self.refresh()

        # errors are shown (gn-error) and the list reloaded: it may have changed meanwhile
        self.run(call, done, f"{kind} decision", on_error=lambda _exc: self.refresh())
