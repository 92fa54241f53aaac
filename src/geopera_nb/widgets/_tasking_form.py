"""The planner's controls: sensor, template, window, limits, priority, name, tags.

Plain ipywidgets laid out so that nothing is cut: every control spans the form's width,
labels sit beside their controls, buttons are as wide as their text.

Examples
--------
>>> from geopera_nb.widgets._tasking_form import TaskingForm, iso_day
>>> form = TaskingForm()
>>> form.priority.value, iso_day(None)
('standard', None)
>>> import datetime as dt
>>> iso_day(dt.date(2026, 12, 3))
'2026-12-03T00:00:00.000Z'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from geopera_nb.contract.limits import DEFAULT_WINDOW_DAYS, PASS_PREDICTION_MAX_DAYS
from geopera_nb.contract.timestamps import format_instant

__all__ = ["PRIORITIES", "TaskingForm", "iso_day"]

PRIORITIES = ("standard", "priority", "rush")
FORM_WIDTH = "460px"
_STYLE = {"description_width": "110px"}


def iso_day(day: dt.date | None) -> str | None:
    """The instant a date picker's day starts (UTC), as the API writes instants."""
    if day is None:
        return None
    return format_instant(dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC))


def _tagged(widget: Any, css: str) -> Any:
    widget.add_class(css)
    return widget


def _wide() -> w.Layout:
    return w.Layout(width="100%")


class TaskingForm:
    """The input controls of a :class:`~geopera_nb.widgets.TaskingPlanner`.

    Attributes
    ----------
    sensor, sensor_info, template, start, end, window_hint, cloud, nadir, priority,
    order_name, order_tags, template_name, save_button, template_status
        The controls (CSS classes as in ``docs/widgets.md``).
    box : ipywidgets.VBox
        All of them, laid out.
    """

    def __init__(self, display_name: str = "", tags: Sequence[str] = ()) -> None:
        self.sensor = _tagged(w.Dropdown(description="Sensor", style=_STYLE, layout=_wide()),
                              "gn-sensor")
        self.sensor_info = _tagged(w.HTML(layout=_wide()), "gn-sensor-info")
        self.template = _tagged(
            w.Dropdown(description="Template", style=_STYLE, layout=_wide()), "gn-template")
        self.start = _tagged(w.DatePicker(description="Window start", style=_STYLE), "gn-start")
        self.end = _tagged(w.DatePicker(description="Window end", style=_STYLE), "gn-end")
        self.window_hint = _tagged(w.HTML(
            f"<small>Empty: from now, for {DEFAULT_WINDOW_DAYS} days (the server's clock). "
            f"Passes are predicted for the first {PASS_PREDICTION_MAX_DAYS} days.</small>"),
            "gn-window-hint")
        self.cloud = _tagged(
            w.IntSlider(20, 0, 100, description="Max cloud %", style=_STYLE, layout=_wide()),
            "gn-cloud")
        self.nadir = _tagged(
            w.FloatSlider(25.0, min=0.0, max=45.0, step=0.5, description="Max off-nadir°",
                          style=_STYLE, layout=_wide()),
            "gn-nadir")
        # the label is a separate widget: ToggleButtons wraps its description above the
        # buttons when the row is narrow
        self.priority = _tagged(
            w.ToggleButtons(options=list(PRIORITIES), value="standard",
                            style={"button_width": "84px"}, layout=w.Layout(width="auto")),
            "gn-priority")
        priority_row = w.HBox(
            [w.HTML('<div style="text-align:right;padding-right:8px">Priority</div>',
                    layout=w.Layout(width="114px", min_width="114px")),
             self.priority], layout=w.Layout(align_items="center"))
        self.order_name = _tagged(
            w.Text(display_name, description="Order name", style=_STYLE, layout=_wide()),
            "gn-order-name")
        self.order_tags = _tagged(
            w.Text(", ".join(tags), description="Tags", placeholder="a, b", style=_STYLE,
                   layout=_wide()),
            "gn-order-tags")
        self.template_name = _tagged(
            w.Text(placeholder="template name", layout=w.Layout(flex="1 1 auto", width="auto")),
            "gn-template-name")
        self.save_button = _tagged(
            w.Button(description="Save as template", icon="save",
                     layout=w.Layout(width="auto", min_width="160px")),
            "gn-save-template")
        self.template_status = _tagged(w.HTML(), "gn-template-status")
        self.box = w.VBox(
            [self.sensor, self.sensor_info, self.template, self.start, self.end,
             self.window_hint, self.cloud, self.nadir, priority_row, self.order_name,
             self.order_tags, w.HBox([self.template_name, self.save_button],
                                     layout=_wide()), self.template_status],
            layout=w.Layout(width=FORM_WIDTH, min_width=FORM_WIDTH))

    def params(self) -> dict[str, Any]:
        """The acquisition parameters as the API names them (window only when set)."""
        params: dict[str, Any] = {
            "maxCloudCoverage": int(self.cloud.value),
            "maxOffNadir": float(self.nadir.value),
            "priority": self.priority.value,
        }
        start, end = iso_day(self.start.value), iso_day(self.end.value)
        if start:
            params["start"] = start
        if end:
            params["end"] = end
        return params

    def tags(self) -> list[str]:
        """The tags typed, trimmed, empty ones dropped."""
        return [tag.strip() for tag in self.order_tags.value.split(",") if tag.strip()]

    def template_body(self, name: str, sensor: dict[str, Any]) -> dict[str, Any]:
        """The ``orders.tasking.templates.save`` body for the current settings."""
        return {
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
