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

import datetime as dt
import html
import uuid
from collections.abc import Callable
from typing import Any

import ipyleaflet as L
import ipywidgets as w
import traitlets as t

from ._base import Panel, describe_error
from ._live import LiveQuery
from ._render import money
from ._scheduler import Scheduler
from ._tasking_html import (
    estimate_table,
    feasibility_table,
    invalid_table,
    passes_table,
    price_line,
    sensor_facts,
)
from .aoi_drawer import AOIDrawer

__all__ = ["TaskingPlanner"]

PASS_STYLE = {
    "color": "#7b3294",
    "weight": 1,
    "dashArray": "6 4",
    "fillColor": "#c2a5cf",
    "fillOpacity": 0.06,
}
PRIORITIES = ("standard", "priority", "rush")


def _iso_day(day: dt.date | None) -> str | None:
    return None if day is None else f"{day.isoformat()}T00:00:00.000Z"


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
    """

    estimate = t.Dict(allow_none=True, default_value=None)
    feasibility = t.Dict(allow_none=True, default_value=None)
    opportunities = t.Dict(allow_none=True, default_value=None)
    placed = t.List(t.Unicode())
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

        style = {"description_width": "110px"}
        self.sensor = tagged(w.Dropdown(description="Sensor", style=style), "gn-sensor")
        self.sensor_info = tagged(w.HTML(), "gn-sensor-info")
        self.template = tagged(w.Dropdown(description="Template", style=style), "gn-template")
        self.start = tagged(w.DatePicker(description="Window start", style=style), "gn-start")
        self.end = tagged(w.DatePicker(description="Window end", style=style), "gn-end")
        self.cloud = tagged(
            w.IntSlider(20, 0, 100, description="Max cloud %", style=style), "gn-cloud"
        )
        self.nadir = tagged(
            w.FloatSlider(
                25.0, min=0.0, max=45.0, step=0.5, description="Max off-nadir°", style=style
            ),
            "gn-nadir",
        )
        self.priority = tagged(
            w.ToggleButtons(
                options=list(PRIORITIES),
                value="standard",
                description="Priority",
                style={**style, "button_width": "88px"},
            ),
            "gn-priority",
        )
        self.order_name = tagged(
            w.Text(display_name, description="Order name", style=style), "gn-order-name"
        )
        self.order_tags = tagged(
            w.Text(", ".join(tags), description="Tags", placeholder="a, b", style=style),
            "gn-order-tags",
        )
        self.price = tagged(w.HTML(), "gn-price")
        self.price_table = tagged(w.HTML(), "gn-price-table")
        self.feasibility_html = tagged(w.HTML(), "gn-feasibility")
        self.passes_html = tagged(w.HTML(), "gn-passes")
        self.template_name = tagged(w.Text(placeholder="template name"), "gn-template-name")
        self.save_button = tagged(
            w.Button(description="Save as template", icon="save"), "gn-save-template"
        )
        self.template_status = tagged(w.HTML(), "gn-template-status")
        self.place_button = tagged(
            w.Button(description="Place order", button_style="primary", icon="shopping-cart"),
            "gn-place-order",
        )
        self.place_result = tagged(w.HTML(), "gn-place-result")
        form = w.VBox(
            [
                self.sensor,
                self.sensor_info,
                self.template,
                self.start,
                self.end,
                self.cloud,
                self.nadir,
                self.priority,
                self.order_name,
                self.order_tags,
                w.HBox([self.template_name, self.save_button]),
                self.template_status,
            ],
            layout=w.Layout(width="420px"),
        )
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
            layout=w.Layout(flex="1 1 auto"),
        )
        self.children = [self.drawer, w.HBox([form, results])]

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
        params: dict[str, Any] = {
            "maxCloudCoverage": int(self.cloud.value),
            "maxOffNadir": float(self.nadir.value),
            "priority": self.priority.value,
        }
        start, end = _iso_day(self.start.value), _iso_day(self.end.value)
        if start:
            params["start"] = start
        if end:
            params["end"] = end
        return params

    def groups(self) -> list[dict[str, Any]]:
        """One ``TaskingGroup`` per valid AOI (the body of estimate and place)."""
        fc = self.drawer.feature_collection(valid_only=True)
        params = self.params()
        tags = [tag.strip() for tag in self.order_tags.value.split(",") if tag.strip()]
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
        sensor = self.sensors.get(self.sensor.value or "", {})
        body = {
            "name": name,
            "description": f"saved from the tasking planner ({self.priority.value})",
            "capture_asap": self.start.value is None,
            "resolution": f"{sensor.get('resolutionM', '')} m",
            "sensor": self.sensor.value,
            "capture_frequency": "once",
            "datum": "WGS84",
            "file_format": "GeoTIFF",
            "has_control": False,
            "max_cloud_coverage": int(self.cloud.value),
            "max_nadir_angle": round(float(self.nadir.value)),
        }
        self.clear_error()

        def saved(answer: dict[str, Any]) -> None:
            self.reload_templates()
            self.template.value = answer.get("id") if answer.get("id") in self.templates else None
            self.template_status.value = f"Saved template <b>{html.escape(name)}</b>."

        self.run(lambda: self.client.orders.tasking.templates.save(**body), saved, "save template")

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
        if not groups or not self.sensor.value:
            self.estimate = self.feasibility = self.opportunities = None  # type: ignore[assignment]
            self.price.value = "<i>Draw a valid AOI to see its price.</i>"
            self.price_table.value = self._invalid_rows_table()
            self.feasibility_html.value = self.passes_html.value = ""
            self.passes_layer.data = {"type": "FeatureCollection", "features": []}
            return
        check = self._check_body()
        self.price.value = self.price.value or "<i>pricing…</i>"
        show_price_error = self._inline_error(self.price)

        def priced(answer: dict[str, Any]) -> None:
            self._apply_estimate(answer, rows)
            self._start_checks(seq, check, rows)

        def not_priced(exc: BaseException) -> None:
            show_price_error(exc)
            self._start_checks(seq, check, rows)

        # the price first, alone: it is what the user waits for; the checks follow
        self._live.job(
            seq, lambda: self.client.orders.tasking.estimate(groups=groups), priced, not_priced
        )

    def _start_checks(self, seq: int, check: dict[str, Any], rows: list[int]) -> None:
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
            self._inline_error(self.passes_html),
        )

    @staticmethod
    def _inline_error(area: w.HTML) -> Callable[[BaseException], None]:
        def show(exc: BaseException) -> None:
            area.value = (
                '<span class="gn-inline-error" style="color:#b00020">'
                f"⚠ {html.escape(describe_error(exc))}</span>"
            )

        return show

    def _apply_estimate(self, answer: dict[str, Any], rows: list[int]) -> None:
        self.estimate = answer
        records = self.drawer.records
        self.price_table.value = estimate_table(answer, rows, records) + invalid_table(records)
        self.price.value = price_line(answer)

    def _invalid_rows_table(self) -> str:
        return invalid_table(self.drawer.records)

    def _apply_feasibility(self, answer: dict[str, Any], rows: list[int]) -> None:
        self.feasibility = answer
        self.feasibility_html.value = feasibility_table(answer, rows, self.drawer.records)

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
        self.ask_priced(
            f"Place {len(groups)} tasking order(s) <b>{name}</b>",
            price=lambda: self.client.orders.tasking.estimate(groups=groups),
            describe=lambda answer: (
                f"Place {len(groups)} tasking order(s) <b>{name}</b> for "
                f'<b class="gn-confirm-credits">'
                f"{money(answer.get('totalCredits'), answer.get('totalAud'))}</b>?"),
            on_yes=lambda: self._place(groups, key),
            yes_label="Place order",
        )

    def _place(self, groups: list[dict[str, Any]], key: str) -> None:
        self.place_button.disabled = True
        body: dict[str, Any] = {"groups": groups}
        if self.order_name.value:
            body["displayName"] = self.order_name.value

        def placed(answer: dict[str, Any]) -> None:
            ids = [str(r.get("id")) for r in answer.get("results") or []]
            self.placed = [*self.placed, *[i for i in ids if i not in self.placed]]
            self.place_result.value = "Placed: " + ", ".join(
                f'<code class="gn-order-id">{html.escape(i)}</code>' for i in ids
            )
            self.place_button.disabled = False

        self.run(
            lambda: self.client.orders.tasking.place(**body, idempotency_key=key),
            placed,
            "place order",
            on_error=lambda _exc: setattr(self.place_button, "disabled", False),
        )
