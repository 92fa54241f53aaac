"""The project's own client against the sandbox (fixtures ``client`` / ``async_client``)."""

from __future__ import annotations

from typing import Any


def test_client_fixture_talks_to_the_sandbox(client: Any, sandbox: Any, org: Any) -> None:
    sensors = client.orders.tasking.sensors()["sensors"]
    assert {s["id"] for s in sensors} >= {"geo-owl-30", "geo-condor-40"}
    assert client.orders.list(size=1)["totalElements"] == 0
    records = list(client.stream("orders.tasking.sensors", {}))
    assert len(records) == len(sensors)
    assert sandbox.ledger(org)["balance"] == 1_000_000


async def test_async_client_fixture(async_client: Any) -> None:
    page = await async_client.orders.list(size=1)
    assert page["number"] == 0
