"""Client faults against a real loopback server (issue 7): 429 + Retry-After, 503, resets,
slow bodies, truncated NDJSON, malformed lines, wrong content types. The client retries
what is safe, gives up within its budget, raises the right typed error, never returns
partial data as complete, never orders twice."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest
from client_helpers import KEY, FakeTime
from fault_server import FaultServer, http_response

from geopera_nb import errors
from geopera_nb.client import AsyncClient, Client, RetryPolicy

ORDER = {"id": "o-1", "status": "PLACED"}
POLICY = RetryPolicy(max_attempts=4, base=0.01, cap=0.05, jitter=0.0, max_elapsed=30)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


@pytest.fixture
def client(server: FaultServer, fake_time: FakeTime) -> Iterator[Client]:
    with Client(api_key=KEY, base_url=server.url, retry=POLICY, sleep=fake_time.sleep,
                timeout=httpx.Timeout(2.0, read=0.5)) as c:
        yield c


def ndjson(records: list[dict], trailer: bool = True) -> bytes:
    lines = [orjson.dumps(r) for r in records]
    if trailer:
        lines.append(orjson.dumps({"stream": {"status": "complete", "count": len(records)}}))
    return b"\n".join(lines) + b"\n"


def test_429_with_retry_after_is_honoured(server, client, fake_time) -> None:
    server.scripts["orders.get"] = [
        ("json", 429, {"title": "Too Many Requests", "status": 429, "detail": "slow down"},
         {"Retry-After": "2"}),
        ("json", 200, ORDER, {})]
    assert client.orders.get(order_id="o-1") == ORDER
    assert fake_time.sleeps == [2.0] and server.count("orders.get") == 2


def test_503_is_retried_then_gives_up_within_budget(server, client) -> None:
    server.scripts["orders.get"] = [("json", 503, {"title": "x", "status": 503,
                                                   "detail": "maintenance"}, {})]
    with pytest.raises(errors.ServerError, match="maintenance"):
        client.orders.get(order_id="o-1")
    assert server.count("orders.get") == 4


def test_connection_reset_is_retried(server, client) -> None:
    server.scripts["orders.get"] = [("reset",), ("close",), ("json", 200, ORDER, {})]
    assert client.orders.get(order_id="o-1") == ORDER
    assert server.count("orders.get") == 3


def test_connection_reset_forever_raises_connect_error(server, client) -> None:
    server.scripts["orders.get"] = [("reset",)]
    with pytest.raises(errors.ConnectError) as info:
        client.orders.get(order_id="o-1")
    assert info.value.attempts == 4 and server.count("orders.get") == 4


def test_slow_body_read_timeout_is_retried(server, client) -> None:
    server.scripts["orders.get"] = [("slow", 1.5, 200, ORDER), ("json", 200, ORDER, {})]
    assert client.orders.get(order_id="o-1") == ORDER
    assert server.count("orders.get") == 2


def test_slow_body_forever_raises_timeout(server, fake_time) -> None:
    server.scripts["orders.get"] = [("slow", 1.0, 200, ORDER)]
    with Client(api_key=KEY, base_url=server.url, sleep=fake_time.sleep,
                retry=RetryPolicy(max_attempts=2, base=0.01, jitter=0.0),
                timeout=httpx.Timeout(2.0, read=0.3)) as c, pytest.raises(errors.RequestTimeoutError):
        c.orders.get(order_id="o-1")
    assert server.count("orders.get") == 2


def test_unreachable_server_is_a_connect_error(fake_time) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Client(api_key=KEY, base_url=f"http://127.0.0.1:{port}", retry=POLICY,
                sleep=fake_time.sleep) as c, pytest.raises(errors.ConnectError):
        c.orders.get(order_id="o")
    assert len(fake_time.sleeps) == 3


def test_truncated_ndjson_without_trailer(server, client) -> None:
    records = [{"id": i} for i in range(50)]
    server.scripts["orders.list"] = [("raw", http_response(
        200, "application/x-ndjson", ndjson(records, trailer=False)))]
    got: list[dict] = []
    with pytest.raises(errors.TruncatedStreamError):
        got.extend(client.stream("orders.list"))
    assert len(got) == 50  # partial data was seen, but the call did not complete


def test_ndjson_cut_mid_body(server, client) -> None:
    data = ndjson([{"id": i} for i in range(50)])
    cut = data[: len(data) // 2]
    server.scripts["orders.list"] = [("raw", http_response(200, "application/x-ndjson", cut,
                                                           length=len(data)))]
    with pytest.raises(errors.TruncatedStreamError):
        list(client.stream("orders.list"))
    server.scripts["orders.list"] = [("raw", http_response(200, "application/x-ndjson", cut,
                                                           chunked=True))]
    with pytest.raises(errors.TruncatedStreamError):
        list(client.stream_bytes("orders.list"))


def test_ndjson_malformed_line(server, client) -> None:
    body = b'{"id": 1}\n{"id": 2}\n{"id": oops}\n' + orjson.dumps(
        {"stream": {"status": "complete", "count": 3}}) + b"\n"
    server.scripts["orders.list"] = [("raw", http_response(200, "application/x-ndjson", body))]
    with pytest.raises(errors.MalformedStreamError) as info:
        list(client.stream("orders.list"))
    assert info.value.line == 3


def test_complete_ndjson_over_http(server, client) -> None:
    records = [{"id": i, "tags": ["x"] * 5} for i in range(2000)]
    server.scripts["orders.list"] = [("raw", http_response(200, "application/x-ndjson",
                                                           ndjson(records)))]
    assert list(client.stream("orders.list")) == records


def test_wrong_content_types(server, client) -> None:
    server.scripts["orders.get"] = [("raw", http_response(200, "text/html",
                                                          b"<html>captive portal</html>"))]
    with pytest.raises(errors.ResponseError, match="text/html"):
        client.orders.get(order_id="o")
    server.scripts["orders.list"] = [("json", 200, {"content": []}, {})]
    with pytest.raises(errors.StreamError, match="application/json"):
        list(client.stream("orders.list"))


def test_placement_never_orders_twice_when_the_answer_is_lost(server, client) -> None:
    server.scripts["orders.archive.place"] = [("place", "reset"), ("place", "reset"),
                                              ("place", "answer")]
    result = client.orders.archive.place(captures=[{"id": "cap-1"}])
    assert server.orders_made == 1
    keys = {r["headers"]["Idempotency-Key"] for r in server.requests}
    assert len(keys) == 1 and server.count("orders.archive.place") == 3
    assert result == next(iter(server.orders.values()))


def test_placement_gives_up_without_a_second_order(server, client) -> None:
    server.scripts["orders.archive.place"] = [("place", "reset")]
    with pytest.raises(errors.ConnectError):
        client.orders.archive.place(captures=[{"id": "cap-1"}])
    assert server.orders_made == 1 and server.count("orders.archive.place") == 4
    # resuming with the same key replays the one order
    server.scripts["orders.archive.place"] = [("place", "answer")]
    (key,) = {r["headers"]["Idempotency-Key"] for r in server.requests}
    again = client.orders.archive.place(captures=[{"id": "cap-1"}], idempotency_key=key)
    assert server.orders_made == 1 and again == server.orders[key]


async def test_async_placement_never_orders_twice(server, fake_time) -> None:
    server.scripts["orders.tasking.place"] = [("reset",), ("place", "reset"),
                                              ("json", 503, {"title": "x", "status": 503,
                                                             "detail": "x"}, {}),
                                              ("place", "answer")]
    async with AsyncClient(api_key=KEY, base_url=server.url, retry=POLICY,
                           sleep=fake_time.asleep) as aclient:
        await aclient.orders.tasking.place(groups=[{"sensor": "geo-owl-30"}])
    assert server.orders_made == 1
    assert len({r["headers"]["Idempotency-Key"] for r in server.requests}) == 1


async def test_async_stream_truncated_over_http(server, fake_time) -> None:
    server.scripts["orders.list"] = [("raw", http_response(
        200, "application/x-ndjson", ndjson([{"id": 1}], trailer=False)))]
    async with AsyncClient(api_key=KEY, base_url=server.url, retry=POLICY,
                           sleep=fake_time.asleep) as aclient:
        with pytest.raises(errors.TruncatedStreamError):
            [r async for r in aclient.astream("orders.list")]
