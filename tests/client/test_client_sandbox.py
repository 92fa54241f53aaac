"""The same client against the embedded sandbox over real HTTP (loopback uvicorn)."""

from __future__ import annotations

import uuid

import pytest
from shapely.geometry import box

from geopera_nb import errors
from geopera_nb.client import AsyncClient, Client

AOI = box(149.05, -35.35, 149.10, -35.30)  # ~25 km2 near Canberra


def tasking_group(sensor: str = "geo-owl-30") -> dict:
    return {"sensor": sensor, "featureCollection": AOI, "priority": "standard"}


def test_reads_and_typed_errors(client: Client) -> None:
    sensors = client.orders.tasking.sensors()["sensors"]
    assert {"id", "pricePerKm2", "minKm2"} <= set(sensors[0])
    assert list(client.iter_records("orders.tasking.sensors")) == sensors
    assert [s["id"] for s in client.stream("orders.tasking.sensors")] == [s["id"] for s in sensors]
    with pytest.raises(errors.NotFoundError):
        client.orders.get(order_id=str(uuid.uuid4()))
    page = client.orders.list(size=5)
    assert page["number"] == 0 and page["content"] == []


def test_estimate_place_list_and_stream(client: Client, org) -> None:
    estimate = client.orders.tasking.estimate(groups=[tasking_group()])
    assert estimate["totalCredits"] > 0 and estimate["errors"] == []
    placed = client.orders.tasking.place(groups=[tasking_group(), tasking_group()],
                                         displayName="Farm A")
    ids = [r["id"] for r in placed["results"]]
    assert len(ids) == 2
    listed = [o["id"] for o in client.iter_orders(page_size=1)]
    assert sorted(listed) == sorted(ids)
    streamed = [o["id"] for o in client.stream("orders.list")]
    assert sorted(streamed) == sorted(ids)
    assert len(list(client.stream_bytes("orders.list"))) == 2
    order = client.orders.get(order_id=ids[0])
    assert order["status"] == "PLACED"


def test_idempotent_placement_replays(client: Client) -> None:
    key = str(uuid.uuid4())
    first = client.orders.tasking.place(groups=[tasking_group()], idempotency_key=key)
    second = client.orders.tasking.place(groups=[tasking_group()], idempotency_key=key)
    assert first == second
    assert client.orders.list()["totalElements"] == 1
    with pytest.raises(errors.ConflictError):  # same key, different body
        client.orders.tasking.place(groups=[tasking_group(), tasking_group()],
                                    idempotency_key=key)


def test_server_validation_error_points_at_the_field(client: Client) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[149.0, -35.3], [149.1, -35.4],
                                                  [149.1, -35.3], [149.0, -35.4],
                                                  [149.0, -35.3]]]}
    with pytest.raises(errors.ValidationError) as info:
        client.orders.tasking.place(groups=[{"sensor": "geo-owl-30",
                                             "featureCollection": bowtie}])
    assert any("groups" in map(str, e["loc"]) for e in info.value.errors)


def test_scope_error_names_the_scope(sandbox, org) -> None:
    key = sandbox.create_key(org, scopes=["orders:read"])
    with Client(api_key=key, base_url=sandbox.url) as reader, pytest.raises(
            errors.ForbiddenError) as info:
        reader.orders.tasking.place(groups=[tasking_group()])
    assert info.value.scope == "orders:write"


def test_revoked_key_is_unauthenticated(sandbox, org) -> None:
    key = sandbox.create_key(org)
    sandbox.revoke_key(key)
    with Client(api_key=key, base_url=sandbox.url) as c, pytest.raises(
            errors.UnauthenticatedError):
        c.orders.list()


def test_oidc_exchange_against_the_sandbox(sandbox, org) -> None:
    with Client(api_key=org.api_key, base_url=sandbox.url, oidc=True) as c:
        assert c.orders.list()["number"] == 0
        assert c._auth._access is not None  # a JWT was exchanged and used


async def test_async_client_and_concurrent_pages(async_client: AsyncClient, client: Client
                                                 ) -> None:
    placed = await async_client.orders.tasking.place(groups=[tasking_group()] * 7)
    assert len(placed["results"]) == 7
    every = await async_client.all_records("orders.list", page_size=2, concurrency=3)
    assert sorted(o["id"] for o in every) == sorted(r["id"] for r in placed["results"])
    streamed = [o async for o in async_client.astream("orders.list")]
    assert len(streamed) == 7
    pages = [o async for o in async_client.aiter_orders(page_size=3, max_items=5)]
    assert len(pages) == 5


def test_wait_for_over_the_sandbox_clock(sandbox, client: Client) -> None:
    placed = client.orders.tasking.place(groups=[tasking_group()])
    order_id = placed["results"][0]["id"]
    sandbox.advance(hours=2)
    order = client.wait_for(order_id, until=("QUOTATION_WAITING_RESPONSE",
                                             "FEASIBILITY_WAITING_RESPONSE"),
                            timeout=10, poll=0.1, progress=False)
    assert order["subStatus"] in ("QUOTATION_WAITING_RESPONSE", "FEASIBILITY_WAITING_RESPONSE")
