"""Helpers of the pixels tests: a fake client (what ``gn.load`` asks of one), the served
delivery and the order's AOI. The fixtures are in ``conftest.py``."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from range_server import RangeServer
from shapely.geometry import box, mapping
from synthetic_cogs import ORDER_ID, Capture

from geopera_nb.errors import NotFoundError


@dataclass
class FakeClient:
    """What ``gn.load`` asks of a client: ``stream("orders.list_assets")`` and
    ``orders.get``. Unknown orders answer 404 like the API."""

    items: dict[str, list[dict[str, Any]]]
    geometry: dict[str, Any] = field(default_factory=dict)
    status: str = "FULFILLED"
    calls: list[str] = field(default_factory=list)
    fail: Exception | None = None

    def stream(self, operation: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        self.calls.append(operation)
        assert operation == "orders.list_assets"
        if self.fail is not None:
            raise self.fail
        oid = body["order_id"]
        if oid not in self.items:
            raise NotFoundError({"status": 404, "detail": f"order '{oid}' not found"},
                                operation=operation)
        yield from copy.deepcopy(self.items[oid])

    @property
    def orders(self) -> Any:
        def get(order_id: str) -> dict[str, Any]:
            self.calls.append("orders.get")
            if order_id not in self.items:
                raise NotFoundError({"status": 404, "detail": "order not found"},
                                    operation="orders.get")
            return {"id": order_id, "status": self.status,
                    "geometry": self.geometry.get(order_id)}

        return SimpleNamespace(get=get)


#: the order's AOI: a box in the middle of the captures (lon/lat), smaller than them
def order_aoi(capture: Capture) -> dict[str, Any]:
    from pyproj import Transformer

    to_ll = Transformer.from_crs(32756, 4326, always_xy=True)
    x0, y0 = capture.transform.c, capture.transform.f
    west, south = to_ll.transform(x0 + 500, y0 - 1500)
    east, north = to_ll.transform(x0 + 1500, y0 - 600)
    return mapping(box(west, south, east, north))


@dataclass
class Served:
    server: RangeServer
    client: FakeClient
    captures: list[Capture]

    @property
    def items(self) -> list[dict[str, Any]]:
        return self.client.items[ORDER_ID]
