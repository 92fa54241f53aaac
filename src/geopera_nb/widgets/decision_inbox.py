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
from collections.abc import Callable
from typing import Any

import ipyleaflet as L
import ipywidgets as w
import traitlets as t

from geopera_nb.contract.states import Decision, DecisionKind

from ._base import Panel
from ._clock import ClockWatch
from ._confirm import ConfirmDialog
from ._order_status import fetch_orders, status_html
from ._render import count, html_table, money, short_time
from ._scheduler import Scheduler, ThreadScheduler
from .basemap import make_map, zoom_to_bounds

__all__ = ["DecisionInbox"]

AOI_STYLE = {"color": "#e66101", "weight": 2, "fillOpacity": 0.15}


class DecisionInbox(Panel):
    """``orders.tasking.decisions.pending`` as a list with Accept / Reject buttons.

    A feasibility study lists its options (description, window, passes, price) with
    one **Accept** button each (``gn-accept-option``); a quotation shows its price with
    **Accept** (``gn-accept-quotation``) and **Reject** (``gn-reject-quotation``). Every
    decision asks to confirm (``gn-confirm``) *inside the row that asked* (so it opens
    where the user clicked, however long the list), calls ``feasibility_decide`` /
    ``quotation_decide`` with an idempotency key made when the dialog opens, reads the
    order back (``orders.get``) and shows its resulting state in words where the row was
    (``gn-decision-result``), then refreshes the list. API errors (409 already decided,
    402 credits, 410 expired) stay on screen (``gn-error``), in words.

    On a sandbox (``client.sandbox`` set) the list also refreshes when the sandbox clock
    moves: a :class:`~geopera_nb.widgets._clock.ClockWatch` reads it every
    ``watch_clock`` seconds for an hour (restarted by **Refresh**).

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
    watch_clock
        Seconds between reads of the sandbox clock; ``0`` never; ``None`` (default):
        5 s with the default thread scheduler, never with a synchronous one (tests call
        ``clock_watch.check()``).

    Attributes
    ----------
    pending : list of dict
        The decisions shown (each with ``kind`` and ``orderDisplayName``).
    decided : list of dict
        ``{"kind", "id", "answer", "order"}`` for each decision made here (``order``:
        the order as the server answered right after the decision).
    rows : dict of str to ipywidgets.VBox
        Decision id -> its row in ``items`` (``items`` may also hold the last decision's
        outcome, ``gn-decision-result``, where its row was).
    clock_watch : ClockWatch or None
        The sandbox clock watch (``None`` on a real account).
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
        watch_clock: float | None = None,
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
        self.result_html = w.HTML()
        self.result_html.add_class("gn-decision-result")
        self.last_idempotency_key: str | None = None
        self._orders: dict[str, dict[str, Any]] = {}
        self.rows: dict[str, w.VBox] = {}
        self._sensor_names: dict[str, str] | None = None  # id -> name, read once
        self._result_at: int | None = None  # where the decided row was
        self._refresh_when_closed = False
        self.children = [
            w.HBox([self.refresh_button, self.header, self.busy_html]),
            self.error_html,
            self.items,
            self.map,
        ]
        self.add_class("gn-inbox")
        self.refresh_button.on_click(self._on_refresh_click)
        self.observe(self._on_pending_change, "pending")
        self.clock_watch: ClockWatch | None = None
        sandbox = getattr(client, "sandbox", None)
        interval = (5.0 if isinstance(self.scheduler, ThreadScheduler) else 0.0
                    ) if watch_clock is None else float(watch_clock)
        if sandbox is not None and hasattr(sandbox, "now"):
            self.clock_watch = ClockWatch(sandbox, self._on_clock_change, interval or 5.0)
            if interval > 0:
                self.clock_watch.start()
        if auto_refresh:
            self.refresh()

    def close(self) -> None:
        """Stop watching the clock and close the widget."""
        if self.clock_watch is not None:
            self.clock_watch.stop()
        super().close()

    # --- data ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the pending decisions (in the background)."""
        body: dict[str, Any] = {"kinds": self.kinds} if self.kinds else {}

        def load() -> list[dict[str, Any]]:
            if self._sensor_names is None:
                try:
                    sensors = self.client.orders.tasking.sensors().get("sensors") or []
                    self._sensor_names = {str(x["id"]): str(x.get("name") or x["id"])
                                          for x in sensors if isinstance(x, dict) and "id" in x}
                except Exception:  # the rows show the sensor id instead
                    self._sensor_names = {}
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
        self._result_at = None
        self.result_html.value = ""
        if self.clock_watch is not None and self.clock_watch.interval > 0 \
                and isinstance(self.scheduler, ThreadScheduler):
            self.clock_watch.start()
        self.refresh()

    def _on_clock_change(self, _now: str) -> None:
        if self.confirm.is_open:  # never pull a row away under an open question
            self._refresh_when_closed = True
            return
        self.refresh()

    def _on_pending_change(self, change: dict[str, Any]) -> None:
        items: list[dict[str, Any]] = change["new"]
        studies = sum(item.get("kind") == DecisionKind.FEASIBILITY for item in items)
        self.header.value = (
            f"<b>{html.escape(count(len(items), 'pending decision'))}</b>: "
            f"{studies:,} feasibility, {len(items) - studies:,} quotation"
        )
        self.rows = {str(item.get("id")): self._row(item) for item in items}
        rows: list[w.Widget] = list(self.rows.values())
        if self._result_at is not None and self.result_html.value:
            rows.insert(min(self._result_at, len(rows)), self.result_html)
        self.items.children = rows
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
        dialog = ConfirmDialog()  # this row's own: the question opens where it was asked
        if kind == DecisionKind.FEASIBILITY:
            title = w.HTML(
                f"<b>Feasibility study</b> for <b>{name}</b> · {html.escape(self._sensor(item))}"
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
                    layout=w.Layout(width="auto"),
                )
                button.add_class("gn-accept-option")
                button.on_click(
                    lambda _b, s=item, o=option, d=dialog: self._on_accept_option(s, o, d))
                buttons.append(button)
            body: list[w.Widget] = [title, table, w.HBox([*buttons, zoom]), dialog]
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
            accept.on_click(
                lambda _b, q=item, d=dialog: self._on_decide_quotation(q, Decision.ACCEPTED, d))
            reject.on_click(
                lambda _b, q=item, d=dialog: self._on_decide_quotation(q, Decision.REJECTED, d))
            body = [title, w.HBox([accept, reject, zoom]), dialog]
        row = w.VBox(body, layout=w.Layout(border="1px solid #ddd", padding="4px", margin="2px 0"))
        row.add_class("gn-decision")
        row.add_class(f"gn-decision-{kind}")
        return row

    def _sensor(self, item: dict[str, Any]) -> str:
        sensor = str(item.get("sensor") or "")
        return (self._sensor_names or {}).get(sensor) or sensor

    def show_order(self, order_id: str | None) -> None:
        """Zoom the map to an order's AOI."""
        geometry = self._orders.get(order_id or "", {}).get("geometry")
        if geometry:
            from shapely.geometry import shape

            zoom_to_bounds(self.map, shape(geometry).bounds)

    # --- decisions -------------------------------------------------------------------

    def _ask(self, dialog: ConfirmDialog, message: str, on_yes: Callable[[], None],
             yes_label: str) -> None:
        """Open ``dialog`` (the asking row's) and make it the panel's ``confirm``."""
        if self.confirm is not dialog and self.confirm.is_open:
            self.confirm.close_dialog()  # one open question at a time
        self.confirm = dialog
        dialog.ask(message, on_yes=on_yes, on_no=self._on_dialog_closed, yes_label=yes_label)
        dialog.focus()  # the browser scrolls the question into view

    def _on_dialog_closed(self) -> None:
        if self._refresh_when_closed:
            self._refresh_when_closed = False
            self.refresh()

    def _position(self, decision_id: Any) -> int:
        return next((i for i, p in enumerate(self.pending) if p.get("id") == decision_id),
                    len(self.pending))

    def _on_accept_option(self, study: dict[str, Any], option: dict[str, Any],
                          dialog: ConfirmDialog | None = None) -> None:
        self.clear_error()
        key = self.last_idempotency_key = str(uuid.uuid4())
        name = html.escape(str(study.get("orderDisplayName") or study.get("orderId")))
        self._ask(
            dialog or self.confirm,
            f"Accept <b>{html.escape(str(option.get('description')))}</b> for <b>{name}</b>? "
            f'This reserves <b class="gn-confirm-credits">{money(option.get("credits"), option.get("aud"))}</b>.',
            lambda: self._decide(
                study,
                lambda: self.client.orders.tasking.feasibility_decide(
                    study_id=study["id"], acceptedOptionId=option["id"], idempotency_key=key
                ),
                "accepting the option",
            ),
            "Accept option",
        )

    def _on_decide_quotation(self, quotation: dict[str, Any], decision: str,
                             dialog: ConfirmDialog | None = None) -> None:
        self.clear_error()
        key = self.last_idempotency_key = str(uuid.uuid4())
        verb = "Accept" if decision == Decision.ACCEPTED else "Reject"
        effect = (
            f'This reserves <b class="gn-confirm-credits">{money(quotation.get("credits"), quotation.get("aud"))}</b>.'
            if decision == Decision.ACCEPTED
            else "The order will be cancelled."
        )
        name = html.escape(str(quotation.get("orderDisplayName") or quotation.get("orderId")))
        self._ask(
            dialog or self.confirm,
            f"{verb} the quotation for <b>{name}</b>? {effect}",
            lambda: self._decide(
                quotation,
                lambda: self.client.orders.tasking.quotation_decide(
                    quotation_id=quotation["id"], decision=decision, idempotency_key=key
                ),
                f"{verb.lower()}ing the quotation",
            ),
            f"{verb} quotation",
        )

    def _decide(self, item: dict[str, Any], call: Callable[[], dict[str, Any]],
                context: str) -> None:
        kind, decision_id = str(item.get("kind")), str(item.get("id"))
        position = self._position(item.get("id"))
        order_id = str(item.get("orderId") or "")
        label = str(item.get("orderDisplayName") or order_id)

        def decide_and_read() -> tuple[dict[str, Any], list[dict[str, Any]]]:
            answer = call()
            return answer, fetch_orders(self.client, [order_id]) if order_id else []

        def done(result: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
            answer, orders = result
            self.decided = [*self.decided, {"kind": kind, "id": decision_id, "answer": answer,
                                            "order": orders[0] if orders else {}}]
            self._result_at = position
            self.result_html.value = (
                "<b>Decided; the server says:</b>"
                + status_html(orders, {order_id: label}, self._sensor_names))
            self._orders.pop(order_id, None)
            self.refresh()

        # errors are shown (gn-error) and the list reloaded: it may have changed meanwhile
        self.run(decide_and_read, done, context, on_error=lambda _exc: self.refresh())
