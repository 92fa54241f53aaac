"""The comm messages JupyterLab's jupyter-leaflet front end sends, replayed in Python.

The front end (``LeafletDrawControlView``), on ``draw:created``, first sends the custom
message ``{"event": "draw:created", "geo_json": feature}``, then adds the layer and sets
``data`` to *all* drawn features (``properties.style`` = the layer's options) with
``save_changes()``. On ``draw:edited`` / ``draw:deleted`` it sends one custom message per
touched layer, then the new ``data``. :class:`DrawFrontend` does the same through the
widget's ``_handle_msg``, so observers see exactly what they see in a browser.

Examples
--------
>>> import ipyleaflet as L
>>> from geopera_nb.widgets.testing import DrawFrontend
>>> dc = L.DrawControl()
>>> fe = DrawFrontend(dc)
>>> fe.create({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
>>> len(dc.data), dc.last_action
(1, 'created')
"""

from __future__ import annotations

import copy
import json
from typing import Any

from ipywidgets import Widget

__all__ = ["DrawFrontend", "send_custom", "send_update", "upload_files"]

#: What Leaflet.draw puts in ``properties.style`` (a polygon layer's options).
FRONTEND_STYLE = {
    "stroke": True,
    "color": "#3388ff",
    "weight": 4,
    "opacity": 0.5,
    "fill": True,
    "fillColor": None,
    "fillOpacity": 0.2,
    "clickable": True,
}


def send_custom(widget: Widget, content: dict[str, Any]) -> None:
    """Deliver a custom comm message from the "front end" to ``widget``."""
    widget._handle_msg(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    )


def send_update(widget: Widget, state: dict[str, Any]) -> None:
    """Deliver a state update from the "front end" (as ``model.save_changes()`` does)."""
    widget._handle_msg(
        {
            "content": {"data": {"method": "update", "state": state, "buffer_paths": []}},
            "buffers": [],
        }
    )


def upload_files(
    upload: Widget, files: dict[str, bytes], last_modified: int = 1_700_000_000_000
) -> None:
    """Pick files in a :class:`ipywidgets.FileUpload` as the browser sends them (binary buffers)."""
    entries = [
        {"name": name, "type": "", "size": len(data), "last_modified": last_modified}
        for name, data in files.items()
    ]
    upload._handle_msg(
        {
            "content": {
                "data": {
                    "method": "update",
                    "state": {"value": entries},
                    "buffer_paths": [["value", i, "content"] for i in range(len(files))],
                }
            },
            "buffers": [memoryview(data) for data in files.values()],
        }
    )


class DrawFrontend:
    """A fake browser for one :class:`ipyleaflet.DrawControl`.

    It keeps the front end's layer list, starting from the control's current ``data``
    (shapes the kernel loaded are on the map too).
    """

    def __init__(self, draw_control: Widget) -> None:
        self.draw_control = draw_control

    def _layers(self) -> list[dict[str, Any]]:
        return copy.deepcopy(list(self.draw_control.data))

    @staticmethod
    def _feature(
        geometry: dict[str, Any], properties: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        props = dict(properties or {})
        props.setdefault("style", dict(FRONTEND_STYLE))
        # what arrives from the browser is JSON: lists, never tuples
        return {
            "type": "Feature",
            "properties": props,
            "geometry": json.loads(json.dumps(geometry)),
        }

    def create(self, geometry: dict[str, Any]) -> None:
        """Finish drawing a polygon or rectangle (``draw:created``)."""
        feature = self._feature(geometry)
        send_custom(self.draw_control, {"event": "draw:created", "geo_json": feature})
        send_update(self.draw_control, {"data": [*self._layers(), feature]})

    def edit(self, index: int, geometry: dict[str, Any]) -> None:
        """Move the vertices of layer ``index`` and press Save (``draw:edited``)."""
        layers = self._layers()
        layers[index] = self._feature(geometry, layers[index].get("properties"))
        send_custom(self.draw_control, {"event": "draw:edited", "geo_json": layers[index]})
        send_update(self.draw_control, {"data": layers})

    def delete(self, index: int) -> None:
        """Remove layer ``index`` with the trash tool and press Save (``draw:deleted``)."""
        layers = self._layers()
        gone = layers.pop(index)
        send_custom(self.draw_control, {"event": "draw:deleted", "geo_json": gone})
        send_update(self.draw_control, {"data": layers})
