"""Plan a tasking order on the map: live price, feasibility, passes, templates, placement.

Examples
--------
>>> import geopera_nb as gn
>>> from geopera_nb.widgets import TaskingPlanner
>>> sb = gn.sandbox.start(seed=0)                                  # doctest: +SKIP
>>> planner = TaskingPlanner(sb.client(sb.create_org()), online=False)  # doctest: +SKIP
>>> planner                                                           # doctest: +SKIP
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from typing import Any

import ipyleaflet as L
import ipywidgets as w
import traitlets as t

from ._base import Panel, Verdict
from ._live import LiveQuery
from ._order_status import fetch_orders, status_html
from ._render import count, money
from ._scheduler import Scheduler
from ._tasking_form import PRIORITIES, TaskingForm
from ._tasking_html import (
    estimate_table,
    feasibility_table,
    feasibility_verdict,
    invalid_table,
    passes_table,
    price_line,
    sensor_facts,
    window_errors,
)
from .aoi_drawer import AOIDrawer
from .messages import error_message, row_sentence, unique

__all__ = ["PRIORITIES", "TaskingPlanner"]

PASS_STYLE = {
    "color": "#7b3294",
    "weight": 1,
    "dashArray": "6 4",
    "fillColor": "#c2a5cf",
    "fillOpacity": 0.0,  # outlines only: many overlapping swaths must not tint the map
}


class TaskingPlanner(Panel):
    """Draw AOIs and see the server's tasking price update as you draw.

    Every change (a shape drawn, edited or deleted; a sensor, window, limit or priority
    picked) schedules ``orders.tasking.estimate`` after ``debounce`` seconds; the
    answer is shown per shape and in total (``gn-price``) unless a newer change was
    made meanwhile (stale answers are dropped by request sequence number).
    ``orders.tasking.feasibility_check`` and ``orders.tasking.opportunities_list`` follow
    the same way. Each valid AOI is one group, i.e. one order when placed.

    Parameters
    ----------
    client
        A :class:`geopera_nb.Client` (or anything with the same namespaces).
    drawer
        The :class:`AOIDrawer` to read AOIs from (default: a new one on ``map``).
    map
        Map for a new drawer (default: an offline-capable map).
    online
        Basemap choice for a new map.
    scheduler
        Timers and background jobs (default: threads).
    debounce
        Seconds of quiet before the estimate is requested.
    display_name, tags
        Initial order name and tags.

    Attributes
    ----------
    estimate : dict or None
        The last applied ``orders.tasking.estimate`` answer.
    feasibility : dict or None
        The last applied ``orders.tasking.feasibility_check`` answer.
    opportunities : dict or None
        The last applied ``orders.tasking.opportunities_list`` FeatureCollection.
    placed : list of str
        Ids of the orders placed from this planner.
    placed_orders : list of dict
        Those orders as the server answered ``orders.get`` right after placing them
        (their status, sub-status and ``statusReason`` are what ``gn-place-result`` shows).
    """

    estimate = t.Dict(allow_none=True, default_value=None)
    feasibility = t.Dict(allow_none=True, default_value=None)
    opportunities = t.Dict(allow_none=True, default_value=None)
    placed = t.List(t.Unicode())
    placed_orders = t.List(t.Dict())
    debounce = t.Float(0.15)

    def __init__(
        self,
        client: Any,
        drawer: AOIDrawer | None = None,
        map: L.Map | None = None,
        online: bool | None = None,
        scheduler: Scheduler | None = None,
        debounce: float = 0.15,
        display_name: str = "",
        tags: tuple[str, ...] | list[str] = (),
    ) -> None:
        super().__init__(scheduler=scheduler)
        self.client = client
        self.debounce = debounce
        self.drawer = (
            drawer
            if drawer is not None
            else AOIDrawer(map=map, online=online, scheduler=self.scheduler)
        )
        self.map = self.drawer.map
        self.sensors: dict[str, dict[str, Any]] = {}
        self.templates: dict[str, dict[str, Any]] = {}
        self.last_idempotency_key: str | None = None
        self._shown: set[str] = set()  # messages on screen for the current update
        self._live = LiveQuery(self.scheduler, debounce, on_busy=self._set_busy)
        self._build_controls(display_name, tags)
        self.passes_layer = L.GeoJSON(
            data={"type": "FeatureCollection", "features": []},
            style=PASS_STYLE,
            name="Predicted passes",
        )
        self.map.add(self.passes_layer)
        self.reload_catalog()
        self.drawer.observe(self._on_inputs_change, "aois")
        for control in (self.sensor, self.start, self.end, self.cloud, self.nadir, self.priority):
            control.observe(self._on_inputs_change, "value")
        self.sensor.observe(self._on_sensor_change, "value")
        self.template.observe(self._on_template_change, "value")
        self.save_button.on_click(self._on_save_template_click)
        self.place_button.on_click(self._on_place_click)
        self.add_class("gn-tasking-planner")
        self._on_sensor_change({"new": self.sensor.value})
        self.schedule_update()

    # --- layout ----------------------------------------------------------------------

    def _build_controls(self, display_name: str, tags: tuple[str, ...] | list[str]) -> None:
        def tagged(widget: w.DOMWidget, css: str) -> Any:
            widget.add_class(css)
            return widget

        self.form = form = TaskingForm(display_name, tags)
        self.sensor, self.sensor_info, self.template = form.sensor, form.sensor_info, form.template
        self.start, self.end, self.cloud, self.nadir = form.start, form.end, form.cloud, form.nadir
        self.priority, self.order_name, self.order_tags = (form.priority, form.order_name,
                                                            form.order_tags)
        self.template_name, self.save_button = form.template_name, form.save_button
        self.template_status = form.template_status
        self.price = tagged(w.HTML(), "gn-price")
        self.price_table = tagged(w.HTML(), "gn-price-table")
        self.feasibility_html = tagged(w.HTML(), "gn-feasibility")
        self.passes_html = tagged(w.HTML(), "gn-passes")
        self.place_button = tagged(
            w.Button(description="Place order", button_style="primary", icon="shopping-cart",
                     layout=w.Layout(width="auto", min_width="140px", align_self="flex-start")),
            "gn-place-order",
        )
        self.place_result = tagged(w.HTML(), "gn-place-result")
        results = w.VBox(
            [
                self.price,
                self.busy_html,
                self.price_table,
                self.feasibility_html,
                self.passes_html,
                self.place_button,
                self.confirm,
                self.place_result,
                self.error_html,
            ],
            layout=w.Layout(flex="1 1 auto", padding="0 0 0 12px"),
        )
        self.children = [self.drawer, w.HBox([form.box, results])]

    # --- catalogue -------------------------------------------------------------------

    def reload_catalog(self) -> None:
        """Fetch sensors and templates (``orders.tasking.sensors`` / ``templates.list``)."""
        try:
            sensors = self.client.orders.tasking.sensors().get("sensors") or []
            self.sensors = {s["id"]: s for s in sensors}
            current = self.sensor.value
            self.sensor.options = [
                (f"{s.get('name', s['id'])} ({s['id']})", s["id"]) for s in sensors
            ]
            # keep the user's pick; else the first sensor (ipywidgets leaves it None)
            self.sensor.value = (
                current if current in self.sensors else next(iter(self.sensors), None)
            )
            self.reload_templates()
        except Exception as exc:
            self.show_error(exc, "loading sensors")

    def reload_templates(self) -> None:
        """Fetch the organisation's templates into the template picker."""
        templates = self.client.orders.tasking.templates.list().get("templates") or []
        self.templates = {tpl["id"]: tpl for tpl in templates}
        current = self.template.value
        self.template.options = [
            ("—", None),
            *[(tpl.get("name") or tpl["id"], tpl["id"]) for tpl in templates],
        ]
        self.template.value = current if current in self.templates else None

    # --- requests --------------------------------------------------------------------

    def params(self) -> dict[str, Any]:
        """The acquisition parameters as the API names them (window only when set)."""
        return self.form.params()

    def names(self) -> dict[str, str]:
        """Sensor id -> sensor name (the server's messages name sensors by id)."""
        return {sid: str(s.get("name") or sid) for sid, s in self.sensors.items()}

    def groups(self) -> list[dict[str, Any]]:
        """One ``TaskingGroup`` per valid AOI (the body of estimate and place)."""
        fc = self.drawer.feature_collection(valid_only=True)
        params = self.params()
        tags = self.form.tags()
        groups = []
        for feature in fc["features"]:
            name = feature["properties"]["name"]
            title = f"{self.order_name.value} – {name}" if self.order_name.value else name
            group: dict[str, Any] = {
                "sensor": self.sensor.value,
                "featureCollection": {"type": "FeatureCollection", "features": [feature]},
                "displayName": title,
                **params,
            }
            if tags:
                group["tags"] = tags
            groups.append(group)
        return groups

    def _check_body(self) -> dict[str, Any]:
        sensor = self.sensors.get(self.sensor.value or "", {})
        return {
            "dataProduct": sensor.get("dataProductId", ""),
            "featureCollection": self.drawer.feature_collection(valid_only=True),
            "params": self.params(),
        }

    # --- observers -------------------------------------------------------------------

    def _on_inputs_change(self, change: dict[str, Any]) -> None:
        self.schedule_update()

    def _on_sensor_change(self, change: dict[str, Any]) -> None:
        sensor = self.sensors.get(change["new"] or "")
        if not sensor:
            self.sensor_info.value = ""
            return
        self.nadir.max = float(sensor.get("maxOffNadirDeg") or 45.0)
        self.sensor_info.value = sensor_facts(sensor)

    def _on_template_change(self, change: dict[str, Any]) -> None:
        tpl = self.templates.get(change["new"] or "")
        if not tpl:
            return
        with self.hold_trait_notifications():
            if tpl.get("sensor") in self.sensors:
                self.sensor.value = tpl["sensor"]
            if tpl.get("max_cloud_coverage") is not None:
                self.cloud.value = int(tpl["max_cloud_coverage"])
            if tpl.get("max_nadir_angle") is not None:
                self.nadir.value = min(float(tpl["max_nadir_angle"]), self.nadir.max)
        self.template_status.value = f"Applied template <b>{html.escape(str(tpl.get('name')))}</b>."

    def _on_save_template_click(self, _button: w.Button | None = None) -> None:
        name = self.template_name.value.strip()
        if not name:
            self.show_error("give the template a name")
            return
        body = self.form.template_body(name, self.sensors.get(self.sensor.value or "", {}))
        self.clear_error()

        def saved(answer: dict[str, Any]) -> None:
            self.reload_templates()
            self.template.value = answer.get("id") if answer.get("id") in self.templates else None
            self.template_status.value = f"Saved template <b>{html.escape(name)}</b>."

        self.run(lambda: self.client.orders.tasking.templates.save(**body), saved,
                 "saving the template")

    # --- live update -----------------------------------------------------------------

    @property
    def stale_dropped(self) -> int:
        """Answers that arrived after a newer request and were dropped."""
        return self._live.stale_dropped

    def schedule_update(self) -> None:
        """Ask for a new estimate after ``debounce`` seconds of quiet (drops older ones)."""
        self._live.debounce = self.debounce
        self._live.trigger(self._start_update)

    def _start_update(self, seq: int) -> None:
        groups = self.groups()
        rows = self.drawer.valid_rows()
        self._shown = set()  # messages on screen for this update (each once)
        if not groups or not self.sensor.value:
            self.estimate = self.feasibility = self.opportunities = None  # type: ignore[assignment]
            self.price.value = self._no_price_line()
            self.price_table.value = self._invalid_rows_table()
            self.feasibility_html.value = self.passes_html.value = ""
            self.passes_layer.data = {"type": "FeatureCollection", "features": []}
            return
        check = self._check_body()
        self.price.value = self.price.value or "<i>pricing…</i>"
        show_price_error = self._inline_error(self.price)

        def priced(answer: dict[str, Any]) -> None:
            self._apply_estimate(answer, rows)
            if window_errors(answer):  # said once, in the price line: no checks to run
                self.feasibility = self.opportunities = None  # type: ignore[assignment]
                self.feasibility_html.value = (
                    "<i>No feasibility or passes until the window is fixed.</i>")
                self.passes_html.value = ""
                self.passes_layer.data = {"type": "FeatureCollection", "features": []}
                return
            self._start_checks(seq, check, rows)

        def not_priced(exc: BaseException) -> None:
            show_price_error(exc)
            self._start_checks(seq, check, rows)

        # the price first, alone: it is what the user waits for; the checks follow
        self._live.job(
            seq, lambda: self.client.orders.tasking.estimate(groups=groups), priced, not_priced
        )

    def _no_price_line(self) -> str:
        records = self.drawer.records
        if not records:
            return "<i>Draw a valid AOI to see its price.</i>"
        if not self.sensor.value:
            return "<i>Pick a sensor to see the price.</i>"
        return ('<b class="gn-price-none">No price</b> <span style="color:#b00020">⚠ '
                f"{html.escape(count(len(records), 'AOI'))} drawn, none valid "
                "(reasons below).</span>")

    def _start_checks(self, seq: int, check: dict[str, Any], rows: list[int]) -> None:
        def passes_failed(exc: BaseException) -> None:
            self.opportunities = None  # type: ignore[assignment]
            self.passes_layer.data = {"type": "FeatureCollection", "features": []}
            self._inline_error(self.passes_html)(exc)

        self._live.job(
            seq,
            lambda: self.client.orders.tasking.feasibility_check(**check),
            lambda ans: self._apply_feasibility(ans, rows),
            self._inline_error(self.feasibility_html),
        )
        self._live.job(
            seq,
            lambda: self.client.orders.tasking.opportunities_list(**check),
            self._apply_opportunities,
            passes_failed,
        )

    def _inline_error(self, area: w.HTML) -> Callable[[BaseException], None]:
        """Show an error where the answer would be, unless it is on screen already."""

        def show(exc: BaseException) -> None:
            text = error_message(exc, self.names())
            shown = self._shown
            if text in shown:  # e.g. the same 422 for feasibility and passes: once
                area.value = ""
                return
            shown.add(text)
            area.value = (
                '<span class="gn-inline-error" style="color:#b00020">'
                f"⚠ {html.escape(text)}</span>"
            )

        return show

    def _apply_estimate(self, answer: dict[str, Any], rows: list[int]) -> None:
        self.estimate = answer
        records = self.drawer.records
        sensor = self.sensors.get(self.sensor.value or "")
        names = self.names()
        self.price_table.value = (estimate_table(answer, rows, records, sensor, names)
                                  + invalid_table(records))
        self.price.value = price_line(answer, len(rows), names)

    def _invalid_rows_table(self) -> str:
        return invalid_table(self.drawer.records)

    def _apply_feasibility(self, answer: dict[str, Any], rows: list[int]) -> None:
        self.feasibility = answer
        self.feasibility_html.value = feasibility_table(answer, rows, self.drawer.records,
                                                        self.names())

    def _apply_opportunities(self, answer: dict[str, Any]) -> None:
        self.opportunities = answer
        features = answer.get("features") or []
        self.passes_layer.data = {"type": "FeatureCollection", "features": features}
        self.passes_html.value = passes_table(features)

    # --- placement -------------------------------------------------------------------

    def _on_place_click(self, _button: w.Button | None = None) -> None:
        groups = self.groups()
        self.clear_error()
        if not groups:
            self.show_error("draw at least one valid AOI first")
            return
        key = str(uuid.uuid4())  # one key per confirm dialog: a double click orders once
        self.last_idempotency_key = key
        name = html.escape(self.order_name.value or "(unnamed)")
        what = f"Place {html.escape(count(len(groups), 'tasking order'))} <b>{name}</b>"
        check, rows, records = self._check_body(), self.drawer.valid_rows(), self.drawer.records
        names = self.names()

        def verdict() -> Verdict:
            answer = self.client.orders.tasking.feasibility_check(**check)
            return feasibility_verdict(answer, rows, records, names)

        def problems(answer: dict[str, Any]) -> list[str]:
            return unique(f"{records[rows[e['index']]]['name']}: {row_sentence(e, names)}"
                          if isinstance(e.get("index"), int) and e["index"] < len(rows)
                          else row_sentence(e, names) for e in answer.get("errors") or [])

        self.ask_priced(
            what,
            price=lambda: self.client.orders.tasking.estimate(groups=groups),
            describe=lambda answer: (
                f'{what} for <b class="gn-confirm-credits">'
                f"{money(answer.get('totalCredits'), answer.get('totalAud'))}</b>?"),
            on_yes=lambda: self._place(groups, key),
            yes_label="Place order",
            check=verdict,
            problems=problems,
        )

    def _place(self, groups: list[dict[str, Any]], key: str) -> None:
        self.place_button.disabled = True
        body: dict[str, Any] = {"groups": groups}
        if self.order_name.value:
            body["displayName"] = self.order_name.value
        labels = {}

        def place_and_read() -> list[dict[str, Any]]:
            answer = self.client.orders.tasking.place(**body, idempotency_key=key)
            results = answer.get("results") or []
            for result in results:
                index = result.get("index")
                if isinstance(index, int) and 0 <= index < len(groups):
                    labels[str(result.get("id"))] = str(groups[index].get("displayName") or "")
            ids = [str(r.get("id")) for r in results]
            self.placed = [*self.placed, *[i for i in ids if i not in self.placed]]
            return fetch_orders(self.client, ids)  # what the server made of them

        def shown(orders: list[dict[str, Any]]) -> None:
            self.placed_orders = orders
            self.place_result.value = (
                f"<b>Sent {html.escape(count(len(orders), 'order'))}; the server says:</b>"
                + status_html(orders, labels, self.names()))
            self.place_button.disabled = False

        self.run(
            place_and_read,
            shown,
            "placing the order",
            on_error=lambda _exc: setattr(self.place_button, "disabled", False),
        )
