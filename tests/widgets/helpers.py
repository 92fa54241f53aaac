"""Shared helpers of the widget tests: shapes, and a client proxy that records and stalls calls."""

from __future__ import annotations

import threading
from typing import Any

from geopera_nb.contract import OPERATIONS_BY_ID


def square(lon: float, lat: float, size: float = 0.05) -> dict[str, Any]:
    """A closed GeoJSON square polygon (lon/lat degrees), counter-clockwise."""
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[10, 10], [10.1, 10.1], [10.1, 10], [10, 10.1], [10, 10]]],
}


class Spy:
    """Wraps a client: records ``(operation id, kwargs)`` of every namespaced call.

    ``stall(op_id)`` makes the *next* call of that operation wait until the returned
    event is set (a slow server for one request).
    """

    def __init__(self, target: Any, path: tuple[str, ...] = (), root: Spy | None = None) -> None:
        self._target = target
        self._path = path
        self._root = root or self
        if root is None:
            self.calls: list[tuple[str, dict[str, Any]]] = []
            self._stalls: dict[str, list[threading.Event]] = {}
            self._lock = threading.Lock()

    def stall(self, op_id: str) -> threading.Event:
        event = threading.Event()
        self._root._stalls.setdefault(op_id, []).append(event)
        return event

    def ops(self, op_id: str) -> list[dict[str, Any]]:
        return [kwargs for op, kwargs in self._root.calls if op == op_id]

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        dotted = ".".join((*self._path, name))
        if dotted in OPERATIONS_BY_ID:
            return self._wrap(name, value)
        if any(op.startswith(dotted + ".") for op in OPERATIONS_BY_ID):
            return Spy(value, (*self._path, name), self._root)
        return value

    def _wrap(self, name: str, fn: Any) -> Any:
        op_id = ".".join((*self._path, name))
        root = self._root

        def call(*args: Any, **kwargs: Any) -> Any:
            with root._lock:
                root.calls.append((op_id, kwargs))
                waiting = root._stalls.get(op_id) or []
                event = waiting.pop(0) if waiting else None
            if event is not None:
                assert event.wait(10), f"stalled {op_id} never released"
            return fn(*args, **kwargs)

        return call
