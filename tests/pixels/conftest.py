"""Fixtures of the pixels tests: COG deliveries made here, served over signed Range HTTP.

``delivery`` is one order of three captures (one a day) written with rasterio; the
``served`` fixture publishes them on a loopback server and hands out a fake client whose
``orders.list_assets`` answers the Items with signed hrefs, as the API does (helpers in
``pixels_fixtures.py``). Tests that meet the sandbox itself are in
``test_pixels_sandbox.py``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from pixels_fixtures import FakeClient, Served, order_aoi
from range_server import RangeServer
from synthetic_cogs import ORDER_ID, Capture, make_order


@pytest.fixture(scope="session")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> list[Capture]:
    """Three captures of one order, one a day (distinct solar days), on disk."""
    return make_order(tmp_path_factory.mktemp("made-cogs"), 3)


@pytest.fixture
def served(delivery: list[Capture]) -> Iterator[Served]:
    """The delivery on a signed Range server, and a fake client listing its Items."""
    with RangeServer() as server:
        items = []
        for cap in delivery:
            item = copy.deepcopy(cap.item)
            for key, path in cap.files.items():
                server.publish(item["id"], path.name, path)
                item["assets"][key]["href"] = server.href(item["id"], path.name)
            items.append(item)
        client = FakeClient(items={ORDER_ID: items},
                            geometry={ORDER_ID: order_aoi(delivery[0])})
        yield Served(server=server, client=client, captures=delivery)
