"""Every call has a total deadline (issue 13, item 9): retries, backoff sleeps, rate-limiter
waits and every network read come out of it, sync and async, unary and streaming.

Before: ``timeout`` bounded each read, so a server sending one byte a second kept
``Client(timeout=2).orders.get(...)`` busy for 124 s.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
from client_helpers import BASE, KEY, FakeTime, json_response, problem, sequence
from fault_server import FaultServer

from geopera_nb import errors
from geopera_nb.client import AsyncClient, Client, RateLimiter, RetryPolicy
from geopera_nb.client.deadline import DeadlineBackend
from geopera_nb.contract.limits import CALL_DEADLINE_S, STREAM_DEADLINE_S

ORDER = {"id": "o-1", "status": "PLACED", "padding": "x" * 2000}


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


def _timed(fn) -> tuple[BaseException, float]:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceededError) as caught:
        fn()
    return caught.value, time.monotonic() - started


def test_a_dripping_body_is_cut_at_the_deadline(server: FaultServer) -> None:
    """The issue's case: one byte every 50 ms of a 2 KB body would take ~100 s."""
    server.scripts["orders.get"] = [("drip", 0.05, 200, ORDER)]
    with Client(api_key=KEY, base_url=server.url, timeout=2, deadline=1.0) as client:
        err, took = _timed(lambda: client.orders.get(order_id="o-1"))
    assert took < 3.0
    assert isinstance(err, errors.RequestTimeoutError) and isinstance(err, TimeoutError)
    assert err.deadline == 1.0 and "1 s deadline" in str(err) and err.operation == "orders.get"


def test_dripping_headers_are_cut_at_the_deadline(server: FaultServer) -> None:
    """Headers trickled byte by byte never trip a read timeout; the deadline ends them."""
    server.scripts["orders.get"] = [("drip_headers", 0.05)]
    with Client(api_key=KEY, base_url=server.url, timeout=2, deadline=1.0) as client:
        err, took = _timed(lambda: client.orders.get(order_id="o-1"))
    assert took < 3.0 and "deadline" in str(err)


def test_the_pool_clamps_every_socket_operation() -> None:
    """The deadline lives in the connection pool's network backend (an httpx upgrade that
    moves it must fail here, not silently lose the deadline)."""
    with Client(api_key=KEY, base_url="http://127.0.0.1:9") as client:
        pool = client._transport.http._transport._pool  # type: ignore[attr-defined]
        assert isinstance(pool._network_backend, DeadlineBackend)


def test_a_per_call_deadline_overrides_the_clients(server: FaultServer) -> None:
    server.scripts["orders.get"] = [("drip", 0.05, 200, ORDER)]
    with Client(api_key=KEY, base_url=server.url, timeout=2) as client:
        assert client.deadline == CALL_DEADLINE_S
        err, took = _timed(lambda: client.orders.get(order_id="o-1", deadline=0.5))
        assert took < 2.5 and err.deadline == 0.5
        err, took = _timed(lambda: client.call("orders.get", {"order_id": "o-1"}, deadline=0.5))
        assert took < 2.5


async def test_async_dripping_body_is_cut_at_the_deadline(server: FaultServer) -> None:
    server.scripts["orders.get"] = [("drip", 0.05, 200, ORDER)]
    async with AsyncClient(api_key=KEY, base_url=server.url, timeout=2, deadline=1.0) as client:
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceededError, match="1 s deadline"):
            await client.orders.get(order_id="o-1")
        assert time.monotonic() - started < 3.0
        with pytest.raises(errors.DeadlineExceededError):
            await client.call("orders.get", {"order_id": "o-1"}, deadline=0.3)


def test_a_dripping_stream_is_cut_at_its_deadline(server: FaultServer) -> None:
    """Records keep coming, one every 50 ms, and the stream never ends."""
    server.scripts["orders.list"] = [("endless", "application/x-ndjson", b'{"id": 0}\n',
                                      b'{"id": 1}\n', 0.05)]
    with Client(api_key=KEY, base_url=server.url, timeout=2) as client:
        assert client._transport.stream_deadline == STREAM_DEADLINE_S
        got: list[dict] = []
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceededError, match="stream did not end") as caught:
            got.extend(client.stream("orders.list", deadline=1.0))
        assert time.monotonic() - started < 3.0
        assert got and caught.value.deadline == 1.0


async def test_async_stream_deadline(server: FaultServer) -> None:
    server.scripts["orders.list"] = [("endless", "application/x-ndjson", b'{"id": 0}\n',
                                      b'{"id": 1}\n', 0.05)]
    async with AsyncClient(api_key=KEY, base_url=server.url, timeout=2) as client:
        started = time.monotonic()
        with pytest.raises(errors.DeadlineExceededError, match="stream did not end"):
            [r async for r in client.astream("orders.list", deadline=1.0)]
        assert time.monotonic() - started < 3.0


def test_the_consumers_time_is_not_the_streams(fake_time: FakeTime) -> None:
    """A stream's deadline counts the waiting for the server, not the loop body."""
    body = b"".join(orjson.dumps({"id": i}) + b"\n" for i in range(3)) + orjson.dumps(
        {"stream": {"status": "complete", "count": 3}}) + b"\n"
    transport = httpx.MockTransport(lambda r: httpx.Response(
        200, content=body, headers={"content-type": "application/x-ndjson"}))
    with Client(api_key=KEY, base_url=BASE, transport=transport, clock=fake_time.monotonic,
                sleep=fake_time.sleep, stream_deadline=10) as client:
        seen = []
        for record in client.stream("orders.list"):
            fake_time.now += 100  # the notebook works on each record for 100 s
            seen.append(record["id"])
    assert seen == [0, 1, 2]


def test_retry_sleeps_count_against_the_deadline(make_client, fake_time: FakeTime) -> None:
    """503 + Retry-After 10 forever: a 25 s deadline allows two waits, not a third."""
    client, rec = make_client(sequence(problem(503, "maintenance", headers={"Retry-After": "10"})),
                              retry=RetryPolicy(max_attempts=50, max_elapsed=1e6), deadline=25)
    with pytest.raises(errors.ServerError, match="maintenance"):
        client.orders.get(order_id="o-1")
    assert fake_time.sleeps == [10.0, 10.0] and len(rec.api_requests) == 3


def test_past_the_deadline_between_attempts_is_a_deadline_error(make_client,
                                                                 fake_time: FakeTime) -> None:
    took = [5.0]

    def slow_reset(request: httpx.Request) -> httpx.Response:
        fake_time.now += took[0]  # each attempt takes a while, then the connection drops
        raise httpx.ReadError("reset")

    client, _ = make_client(slow_reset, retry=RetryPolicy(max_attempts=50, base=0.5,
                                                          jitter=0.0), deadline=9)
    with pytest.raises(errors.DeadlineExceededError, match="9 s deadline") as caught:
        client.orders.get(order_id="o-1")  # 5 s, wait 0.5 s, 5 s: past 9 s
    assert caught.value.attempts == 2 and "last: ReadError" in str(caught.value)
    took[0] = 4.0  # 4 s, 0.5 s, 4 s: 0.5 s left, the next 1 s wait would pass it
    with pytest.raises(errors.ConnectError, match="after 2 attempts"):
        client.orders.get(order_id="o-1")


def test_a_rate_limiter_wait_past_the_deadline_fails_at_once(make_client,
                                                             fake_time: FakeTime) -> None:
    limiter = RateLimiter({"spend": 2}, clock=fake_time.monotonic)  # one spend a minute
    client, rec = make_client(lambda r: json_response({"id": "o-1"}), rate_limit=limiter)
    client.orders.cancel(order_id="o-1")
    with pytest.raises(errors.DeadlineExceededError, match="rate limiter"):
        client.orders.cancel(order_id="o-1", deadline=30)
    assert fake_time.sleeps == [] and len(rec.api_requests) == 1
    client.orders.cancel(order_id="o-1", deadline=90)  # a minute's wait fits in 90 s
    assert fake_time.sleeps == [60.0]


@pytest.mark.parametrize("bad", [0, -1, "5", True, math.nan])
def test_bad_deadlines_are_refused(bad: object) -> None:
    with pytest.raises(errors.RequestValidationError, match="deadline"):
        Client(api_key=KEY, base_url=BASE, deadline=bad)  # type: ignore[arg-type]
    with Client(api_key=KEY, base_url=BASE) as client, pytest.raises(
            errors.RequestValidationError, match="deadline"):
        client.orders.get(order_id="o-1", deadline=bad)


def test_no_deadline_when_asked(make_client) -> None:
    client, _ = make_client(lambda r: json_response({"id": "o-1"}), deadline=math.inf)
    assert client.orders.get(order_id="o-1") == {"id": "o-1"}
