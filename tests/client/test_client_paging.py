"""Lazy paging: Spring pages, next tokens, max_items, cycle guards, concurrent pages."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from client_helpers import json_response, problem

from geopera_nb import errors


def spring_server(total: int, *, page_cap: int = 500, delay_pages: dict | None = None):
    items = [{"id": f"o-{i:05d}"} for i in range(total)]

    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        page, size = body.get("page", 0), min(body.get("size", 20), page_cap)
        content = items[page * size:(page + 1) * size]
        pages = -(-total // size)
        return json_response({"content": content, "totalElements": total, "totalPages": pages,
                              "size": size, "number": page})

    return handler, items


def test_iter_orders_walks_every_page_lazily(make_client) -> None:
    handler, items = spring_server(250)
    client, rec = make_client(handler)
    it = client.iter_orders(status="PLACED", page_size=100)
    assert rec.requests == []
    first = next(it)
    assert first == items[0] and len(rec.api_requests) == 1
    rest = list(it)
    assert [first, *rest] == items
    bodies = rec.bodies()
    assert [b["page"] for b in bodies] == [0, 1, 2]
    assert all(b["size"] == 100 and b["status"] == "PLACED" for b in bodies)


def test_max_items_stops_early(make_client) -> None:
    handler, items = spring_server(1000)
    client, rec = make_client(handler)
    assert list(client.iter_orders(page_size=100, max_items=150)) == items[:150]
    assert len(rec.api_requests) == 2
    assert list(client.iter_orders(max_items=0)) == []


def test_empty_page_stops_without_total(make_client) -> None:
    pages = [{"content": [{"id": 1}], "number": 0}, {"content": [{"id": 2}], "number": 1},
             {"content": [], "number": 2}]

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(pages[orjson.loads(request.content)["page"]])

    client, _ = make_client(handler)
    assert [r["id"] for r in client.iter_records("orders.tasking.quotations.list")] == [1, 2]


def test_page_number_that_does_not_advance_is_a_cycle(make_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = orjson.loads(request.content)["page"]
        return json_response({"content": [{"id": page}], "totalPages": 10, "number": 0})

    client, rec = make_client(handler)
    with pytest.raises(errors.PageCycleError, match="asked for page 1"):
        list(client.iter_orders())
    assert len(rec.api_requests) == 2


def test_identical_page_is_a_cycle(make_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:  # ignores "page", no number
        return json_response({"content": [{"id": "same"}], "totalPages": 10})

    client, rec = make_client(handler)
    with pytest.raises(errors.PageCycleError, match="repeats an earlier page"):
        list(client.iter_records("orders.tasking.decisions.pending"))
    assert len(rec.api_requests) == 2


def test_catalog_follows_next_tokens(make_client) -> None:
    pages = {None: ("t1", [1, 2]), "t1": ("t2", [3, 4]), "t2": (None, [5])}

    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        nxt, ids = pages[body.get("next")]
        return json_response({"type": "FeatureCollection", "numberReturned": len(ids),
                              "features": [{"id": i} for i in ids], "next": nxt})

    client, rec = make_client(handler)
    got = [f["id"] for f in client.iter_catalog(bbox=[0, 0, 1, 1], page_size=2)]
    assert got == [1, 2, 3, 4, 5]
    bodies = rec.bodies()
    assert [b.get("next") for b in bodies] == [None, "t1", "t2"]
    assert all(b["host_name"] == "geopera" and b["limit"] == 2 for b in bodies)


def test_repeated_next_token_is_a_cycle(make_client) -> None:
    client, _ = make_client(lambda r: json_response({"features": [{"id": 1}], "next": "same"}))
    with pytest.raises(errors.PageCycleError, match="repeated the next token"):
        list(client.iter_catalog())


def test_single_answer_lists(make_client) -> None:
    client, _ = make_client(lambda r: json_response({"sensors": [{"id": "a"}, {"id": "b"}]}))
    assert [s["id"] for s in client.iter_records("orders.tasking.sensors")] == ["a", "b"]
    assert len(list(client.iter_records("orders.tasking.sensors", max_items=1))) == 1


def test_non_list_operation_is_refused(make_client) -> None:
    client, _ = make_client(lambda r: json_response({}))
    with pytest.raises(errors.RequestValidationError, match="does not answer a list"):
        client.iter_records("orders.get", {"order_id": "o"})


def test_page_size_is_capped_at_500(make_client) -> None:
    handler, _ = spring_server(10)
    client, rec = make_client(handler)
    list(client.iter_orders(page_size=10_000))
    assert rec.bodies()[0]["size"] == 500


def test_bad_filters_fail_before_any_request(make_client) -> None:
    client, rec = make_client(lambda r: json_response({}))
    with pytest.raises(errors.RequestValidationError, match="did you mean 'status'"):
        client.iter_orders(statsu="PLACED")
    assert rec.requests == []


def test_non_page_answer_is_a_response_error(make_client) -> None:
    client, _ = make_client(lambda r: json_response({"content": "nope"}))
    with pytest.raises(errors.ResponseError):
        list(client.iter_orders())


async def test_aiter_records(make_async_client) -> None:
    handler, items = spring_server(45)
    aclient, _ = make_async_client(handler)
    async with aclient:
        got = [r async for r in aclient.aiter_orders(page_size=10)]
    assert got == items


async def test_all_records_concurrent_in_order(fake_time) -> None:
    from geopera_nb.client import AsyncClient

    items = [{"id": i} for i in range(1000)]
    active = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        body = orjson.loads(request.content)
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01 if body["page"] % 2 else 0.001)  # finish out of order
        active -= 1
        page, size = body["page"], body["size"]
        return json_response({"content": items[page * size:(page + 1) * size],
                              "totalPages": 10, "number": page, "size": size,
                              "totalElements": 1000})

    async with AsyncClient(api_key="gpra_x0123456789abcdef", base_url="http://t",
                           transport=httpx.MockTransport(handler)) as aclient:
        got = await aclient.all_records("orders.list", {"status": "PLACED"}, page_size=100,
                                        concurrency=4)
        assert got == items
        assert 1 < peak <= 4
        few = await aclient.all_records("orders.list", page_size=100, max_items=250)
        assert few == items[:250]


async def test_all_records_cycle_and_errors(make_async_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = orjson.loads(request.content)["page"]
        if page == 3:
            return problem(404, "gone away")
        return json_response({"content": [{"id": page}], "totalPages": 5, "number": page})

    aclient, _ = make_async_client(handler)
    async with aclient:
        with pytest.raises(errors.NotFoundError):
            await aclient.all_records("orders.list", page_size=1)

    aclient2, _ = make_async_client(
        lambda r: json_response({"content": [{"id": 1}], "totalPages": 3, "number": 0}))
    async with aclient2:
        with pytest.raises(errors.PageCycleError):
            await aclient2.all_records("orders.list", page_size=1)


async def test_all_records_falls_back_for_tokens(make_async_client) -> None:
    pages = {None: ("t1", [1]), "t1": (None, [2])}

    def handler(request: httpx.Request) -> httpx.Response:
        nxt, ids = pages[orjson.loads(request.content).get("next")]
        return json_response({"features": [{"id": i} for i in ids], "next": nxt})

    aclient, _ = make_async_client(handler)
    async with aclient:
        got = await aclient.all_records("catalog.search", {"host_name": "geopera"})
    assert [f["id"] for f in got] == [1, 2]
