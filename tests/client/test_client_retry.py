"""Retry rules, each with its limit; Retry-After in both forms; one key across retries."""

from __future__ import annotations

import email.utils
import time
import uuid

import httpx
import pytest
from client_helpers import KEY, FakeTime, json_response, problem, sequence

from geopera_nb import errors
from geopera_nb.client import RetryPolicy
from geopera_nb.client.auth import StaticAuth
from geopera_nb.client.retry import Attempts
from geopera_nb.client.secret import Secret
from geopera_nb.client.transport import SyncTransport
from geopera_nb.contract import OPERATIONS_BY_ID

OK = {"id": "o-1", "status": "PLACED"}


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_statuses_are_retried_until_success(make_client, fake_time, status) -> None:
    client, rec = make_client(sequence(problem(status, "busy"), problem(status, "busy"),
                                       json_response(OK)))
    assert client.orders.get(order_id="o-1") == OK
    assert len(rec.api_requests) == 3
    assert fake_time.sleeps == [0.5, 1.0]  # exponential, no jitter in this policy


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_retryable_status_gives_up_after_max_attempts(make_client, fake_time, status) -> None:
    client, rec = make_client(sequence(problem(status, "busy")))
    with pytest.raises(errors.APIError) as info:
        client.orders.get(order_id="o-1")
    assert info.value.status == status
    assert len(rec.api_requests) == 4  # max_attempts
    assert fake_time.sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 409, 410, 413, 422, 500])
def test_other_errors_are_never_retried(make_client, fake_time, status) -> None:
    client, rec = make_client(sequence(problem(status, "no")))
    with pytest.raises(errors.APIError):
        client.orders.get(order_id="o-1")
    assert len(rec.api_requests) == 1 and fake_time.sleeps == []


def test_retry_after_seconds_is_honoured(make_client, fake_time) -> None:
    client, _ = make_client(sequence(problem(429, "x", headers={"Retry-After": "7"}),
                                     json_response(OK)))
    client.orders.get(order_id="o-1")
    assert fake_time.sleeps == [7.0]


def test_retry_after_http_date_is_honoured(make_client, fake_time) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    client, _ = make_client(sequence(problem(429, "x", headers={"Retry-After": when}),
                                     json_response(OK)))
    client.orders.get(order_id="o-1")
    assert len(fake_time.sleeps) == 1 and 27.0 <= fake_time.sleeps[0] <= 30.0


def test_retry_after_beyond_the_budget_gives_up_at_once(make_client, fake_time) -> None:
    client, rec = make_client(sequence(problem(429, "x", headers={"Retry-After": "3600"})),
                              retry=RetryPolicy(max_attempts=5, max_elapsed=60.0))
    with pytest.raises(errors.RateLimitedError) as info:
        client.orders.get(order_id="o-1")
    assert info.value.retry_after == 3600.0
    assert len(rec.api_requests) == 1 and fake_time.sleeps == []


def test_max_elapsed_limits_the_whole_call(make_client, fake_time) -> None:
    policy = RetryPolicy(max_attempts=100, base=1.0, cap=10.0, jitter=0.0, max_elapsed=20.0)
    client, rec = make_client(sequence(problem(503, "x")), retry=policy)
    with pytest.raises(errors.ServerError):
        client.orders.get(order_id="o-1")
    assert sum(fake_time.sleeps) <= 20.0
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 8.0]  # the next 10 s would overrun
    assert len(rec.api_requests) == 5


def test_backoff_is_capped_and_jittered() -> None:
    import random

    policy = RetryPolicy(base=1.0, cap=5.0, jitter=0.5)
    rng = random.Random(1)
    delays = [policy.backoff(n, rng) for n in range(1, 8)]
    assert all(d <= 5.0 for d in delays)
    assert all(d >= 0.5 * min(5.0, 2 ** (n - 1)) for n, d in enumerate(delays, 1))
    assert len(set(delays)) > 1


@pytest.mark.parametrize("exc", [
    httpx.ConnectError("connection refused"),
    httpx.ReadTimeout("read timed out"),
    httpx.ReadError("connection reset by peer"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ConnectTimeout("connect timed out"),
])
def test_transport_errors_are_retried(make_client, fake_time, exc) -> None:
    client, rec = make_client(sequence(exc, json_response(OK)))
    assert client.orders.get(order_id="o-1") == OK
    assert len(rec.api_requests) == 2 and fake_time.sleeps == [0.5]


def test_transport_errors_give_up_with_typed_errors(make_client) -> None:
    client, rec = make_client(sequence(httpx.ConnectError("refused")))
    with pytest.raises(errors.ConnectError) as info:
        client.orders.get(order_id="o-1")
    assert info.value.attempts == 4 and len(rec.api_requests) == 4
    assert info.value.__cause__ is None and info.value.__context__ is None
    client2, _ = make_client(sequence(httpx.ReadTimeout("slow")))
    with pytest.raises(errors.RequestTimeoutError):
        client2.orders.get(order_id="o-1")


def test_one_idempotency_key_across_retries(make_client) -> None:
    client, rec = make_client(sequence(httpx.ReadTimeout("lost"), problem(503, "x"),
                                       problem(429, "x", headers={"Retry-After": "1"}),
                                       json_response({"orderId": "o-1", "status": "CANCELED"})))
    client.orders.cancel(order_id="o-1")
    keys = [r.headers.get("idempotency-key") for r in rec.api_requests]
    assert len(keys) == 4 and len(set(keys)) == 1
    assert uuid.UUID(keys[0]).version == 4


def test_each_logical_call_gets_a_new_key_and_a_pinned_key_is_kept(make_client) -> None:
    client, rec = make_client(sequence(json_response({"orderId": "o", "status": "CANCELED"})))
    client.orders.cancel(order_id="a")
    client.orders.cancel(order_id="a")
    client.orders.cancel(order_id="a", idempotency_key="my-key-1")
    keys = [r.headers["idempotency-key"] for r in rec.api_requests]
    assert keys[0] != keys[1] and keys[2] == "my-key-1"


def _transport(handler, fake_time: FakeTime) -> SyncTransport:
    return SyncTransport(base_url="http://geopera.test", auth=StaticAuth(Secret(KEY)),
                         retry=RetryPolicy(max_attempts=5, jitter=0.0),
                         transport=httpx.MockTransport(handler), sleep=fake_time.sleep,
                         clock=fake_time.monotonic)


@pytest.mark.parametrize("failure", [problem(503, "x"), problem(429, "x"),
                                     httpx.ReadTimeout("lost"), httpx.ConnectError("x")])
def test_a_spending_post_without_key_is_never_retried(fake_time, failure) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if isinstance(failure, Exception):
            raise failure
        return failure

    transport = _transport(handler, fake_time)
    op = OPERATIONS_BY_ID["orders.archive.place"]
    with pytest.raises(errors.GeoperaError):
        transport.call(op, {"captures": []}, idempotency_key=None)
    assert len(calls) == 1 and "idempotency-key" not in calls[0].headers
    assert fake_time.sleeps == []
    # the same failure with a key is retried
    calls.clear()
    with pytest.raises(errors.GeoperaError):
        transport.call(op, {"captures": []}, idempotency_key="k-1")
    assert len(calls) == 5
    transport.close()


def test_a_read_without_key_is_retried(fake_time) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return problem(503, "x") if len(calls) < 3 else json_response(OK)

    transport = _transport(handler, fake_time)
    assert transport.call(OPERATIONS_BY_ID["orders.get"], {"order_id": "o"}) == OK
    assert len(calls) == 3
    transport.close()


def test_attempts_rules_directly() -> None:
    clock = [0.0]
    attempts = Attempts(RetryPolicy(max_attempts=2, jitter=0.0), clock=lambda: clock[0])
    attempts.start()
    assert attempts.after_status(httpx.Response(503)) == 0.5
    assert attempts.after_status(httpx.Response(500)) is None
    assert attempts.after_exception(ValueError("not transport")) is None
    attempts.start()
    assert attempts.after_status(httpx.Response(503)) is None  # out of attempts
    keyless = Attempts(RetryPolicy(), retry_allowed=False)
    keyless.start()
    assert keyless.after_status(httpx.Response(429)) is None


def test_disabled_policy(make_client) -> None:
    client, rec = make_client(sequence(problem(503, "x")), retry=RetryPolicy.disabled())
    with pytest.raises(errors.ServerError):
        client.orders.get(order_id="o")
    assert len(rec.api_requests) == 1


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=2.0)


async def test_async_retries_with_one_key(make_async_client, fake_time) -> None:
    aclient, rec = make_async_client(sequence(
        httpx.ConnectError("x"), problem(502, "x"),
        json_response({"results": [], "errors": []}, 202)))
    async with aclient:
        await aclient.orders.archive.place(captures=[{"id": "c-1"}])
    keys = {r.headers["idempotency-key"] for r in rec.api_requests}
    assert len(rec.api_requests) == 3 and len(keys) == 1
    assert fake_time.sleeps == [0.5, 1.0]


async def test_async_gives_up_and_does_not_retry_4xx(make_async_client) -> None:
    aclient, rec = make_async_client(sequence(problem(409, "twice")))
    async with aclient:
        with pytest.raises(errors.ConflictError):
            await aclient.orders.cancel(order_id="o")
    assert len(rec.api_requests) == 1
