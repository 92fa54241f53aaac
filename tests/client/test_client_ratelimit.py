"""The client-side rate limiter (issue 11, Build 3): calls of one client are paced within
the per-org limits, so a batch of thousands meets no 429 storm and leaves room for the
org's other cells and clients."""

from __future__ import annotations

import asyncio
import bisect
import random
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from client_helpers import BASE, KEY, FakeTime, VirtualClock, json_response

import geopera_nb as gn
from geopera_nb import errors
from geopera_nb.client import AsyncClient, Client, RateLimiter
from geopera_nb.client.ratelimit import buckets_for
from geopera_nb.contract.limits import RATE_LIMITS, RATE_WINDOW_S
from geopera_nb.server.state.ratelimit import RateLimiter as ServerRateLimiter


def max_in_any_window(starts: list[float], window: float = RATE_WINDOW_S) -> int:
    xs = sorted(starts)
    return max((bisect.bisect_left(xs, x + window) - i for i, x in enumerate(xs)), default=0)


def test_buckets_are_the_servers() -> None:
    """The client counts each operation where the sandbox's limiter does."""
    server = ServerRateLimiter()
    for op in gn.OPERATIONS:
        assert buckets_for(op.id, op.spends) == server.buckets(op.id, op.spends), op.id


def test_the_budget_is_a_fraction_of_the_documented_limits() -> None:
    limiter = RateLimiter()
    assert limiter.limits == {k: RATE_LIMITS[k] for k in ("general", "placement", "spend")}
    assert limiter.budget == {"general": 540, "placement": 54, "spend": 27}
    assert RateLimiter(fraction=0.5).budget["spend"] == 15


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_window_holds_more_than_the_budget(seed: int) -> None:
    """Random arrivals far faster than allowed, mixed operations, 8 callers at a time:
    every 60 s interval holds at most the budget of each bucket."""
    rng = random.Random(seed)
    clock = [0.0]
    limiter = RateLimiter({"general": 100, "placement": 10, "spend": 5}, clock=lambda: clock[0])
    ops = [("orders.get", False)] * 20 + [("orders.archive.place", True)] * 2 + [
        ("orders.cancel", True)]
    starts: dict[str, list[float]] = {"general": [], "placement": [], "spend": []}
    free = [0.0] * 8  # when each of 8 callers may reserve again
    for _ in range(3000):
        caller = min(range(8), key=free.__getitem__)
        clock[0] = max(clock[0], free[caller]) + rng.expovariate(20)
        op, spends = rng.choice(ops)
        wait = limiter.reserve(op, spends)
        assert wait is not None and wait >= 0
        for bucket in buckets_for(op, spends):
            starts[bucket].append(clock[0] + wait)
        free[caller] = clock[0] + wait + 0.05
    for bucket, budget in limiter.budget.items():
        assert max_in_any_window(starts[bucket]) <= budget, bucket


def test_light_use_is_not_paced_and_a_batch_is_evenly_spaced() -> None:
    clock = [0.0]
    limiter = RateLimiter(clock=lambda: clock[0])
    waits = [limiter.reserve("orders.cancel", True) for _ in range(14)]
    assert waits == [0.0] * 14  # half of 27 spends a minute go at once
    more = [limiter.reserve("orders.cancel", True) for _ in range(3)]
    assert more == pytest.approx([60 / 27, 120 / 27, 180 / 27])  # then spaced evenly


def test_reservations_from_many_threads_keep_the_budget() -> None:
    clock = [500.0]
    limiter = RateLimiter({"general": 50}, clock=lambda: clock[0])
    starts: list[float] = []
    lock = threading.Lock()

    def reserve(_: int) -> None:
        wait = limiter.reserve("orders.get")
        assert wait is not None
        with lock:
            starts.append(clock[0] + wait)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(reserve, range(2000)))
    assert len(starts) == 2000 and max_in_any_window(starts) <= limiter.budget["general"]


def _limited_server(fake: VirtualClock, limits: dict[str, int]) -> tuple[Any, list[int]]:
    """A MockTransport handler that counts like the sandbox (its own limiter class)."""
    server = ServerRateLimiter(limits, clock=fake.monotonic)
    statuses: list[int] = []
    lock = threading.Lock()
    spends = {op.id: op.spends for op in gn.OPERATIONS}

    def handler(request: httpx.Request) -> httpx.Response:
        op_id = request.url.path.rsplit("/", 1)[-1]
        try:
            server.hit("org", op_id, spends[op_id])
        except Exception as exc:  # the server's 429 problem
            with lock:
                statuses.append(429)
            return httpx.Response(429, json={"status": 429, "detail": str(exc)},
                                  headers=exc.headers)  # type: ignore[attr-defined]
        with lock:
            statuses.append(200)
        return json_response({"id": "o-1", "results": [{"id": "o-1"}]})

    return handler, statuses


def test_a_thousand_paced_calls_from_threads_meet_no_429() -> None:
    fake = VirtualClock()
    limits = {"general": 60, "placement": 6, "spend": 3}
    handler, statuses = _limited_server(fake, limits)
    with Client(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(handler),
                clock=fake.monotonic, sleep=fake.sleep, rate_limit=limits,
                deadline=10_000) as client:
        def one(i: int) -> None:
            with fake.worker():
                if i % 50 == 0:
                    client.orders.archive.place(captures=[{"id": "c"}])
                elif i % 97 == 0:
                    client.orders.cancel(order_id="o-1")
                else:
                    client.orders.get(order_id="o-1")

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(one, range(1000)))
    assert statuses.count(429) == 0 and len(statuses) == 1000


async def test_async_tasks_share_the_pacing() -> None:
    fake = VirtualClock()
    limits = {"general": 40}
    handler, statuses = _limited_server(fake, limits)
    async with AsyncClient(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(handler),
                           clock=fake.monotonic, sleep=fake.asleep, rate_limit=limits,
                           deadline=10_000) as client:
        async def one() -> None:
            with fake.worker():
                await client.orders.get(order_id="o-1")

        await asyncio.gather(*(one() for _ in range(400)))
    assert statuses.count(429) == 0 and len(statuses) == 400


def test_without_the_limiter_the_same_batch_meets_429s() -> None:
    """The control: the same server, no pacing: a storm (absorbed by retries)."""
    fake = VirtualClock()
    limits = {"general": 60}
    handler, statuses = _limited_server(fake, limits)
    with Client(api_key=KEY, base_url=BASE, transport=httpx.MockTransport(handler),
                clock=fake.monotonic, sleep=fake.sleep, rate_limit=False,
                retry=gn.RetryPolicy(max_attempts=20, max_elapsed=1e6),
                deadline=10_000) as client:
        assert client.rate_limiter is None
        with fake.worker():
            for _ in range(200):
                client.orders.get(order_id="o-1")
    assert statuses.count(429) > 0


@pytest.fixture(scope="module")
def low_limits_sandbox() -> Iterator[tuple[Any, VirtualClock, dict[str, int]]]:
    limits = {"general": 100, "placement": 10, "spend": 5}
    fake = VirtualClock()
    with gn.sandbox.start(seed=0, rate_limits=limits) as sb:
        # the sandbox counts fixed 60 s windows of this fake clock (no test waits a minute)
        sb.backend.limiter = ServerRateLimiter(limits, clock=fake.monotonic)
        yield sb, fake, limits


class CountingTransport(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path.startswith("/v1/"):
            with self.lock:
                self.statuses.append(response.status_code)
        return response


def test_two_thousand_paced_calls_against_a_low_limit_sandbox(low_limits_sandbox) -> None:
    """2,000 calls (reads, placements, spending calls) from 8 threads through one client,
    against a sandbox allowing 100/10/5 a minute: not one 429."""
    sb, fake, limits = low_limits_sandbox
    org = sb.create_org(name="batch", credits=50_000_000)
    transport = CountingTransport()
    client = sb.client(org, transport=transport, clock=fake.monotonic, sleep=fake.sleep,
                       deadline=100_000)
    assert client.rate_limiter is not None and client.rate_limiter.limits == limits
    with fake.worker():
        capture = next(client.iter_catalog(max_items=1))
    transport.statuses.clear()
    started = fake.now

    def one(i: int) -> str:
        with fake.worker():
            if i % 40 == 0:  # 50 placements
                client.orders.archive.place(captures=[{"id": capture["id"]}])
                return "placed"
            if i % 53 == 1:  # spending calls (404: no such order, counted all the same)
                with pytest.raises(errors.NotFoundError):
                    client.orders.cancel(order_id=str(uuid.uuid4()))
                return "spent"
            client.orders.tasking.sensors()
            return "read"

    with ThreadPoolExecutor(max_workers=8) as pool:
        kinds = list(pool.map(one, range(2000)))
    client.close()
    assert len(transport.statuses) == 2000, "every call sent exactly once"
    assert transport.statuses.count(429) == 0
    assert kinds.count("placed") == 50
    assert kinds.count("spent") == sum(1 for i in range(2000) if i % 40 and i % 53 == 1)
    minutes = (fake.now - started) / 60
    assert minutes >= 2000 / limits["general"]  # it was paced, and within its budget
    print(f"2,000 calls, 0 answers 429, {minutes:.1f} fake minutes "
          f"(the floor at {limits['general']}/min: {2000 / limits['general']:.1f})")


def test_clients_of_one_account_share_one_limiter() -> None:
    a = Client(api_key=KEY, base_url=BASE)
    b = Client(api_key=KEY, base_url=BASE)
    c = AsyncClient(api_key=KEY, base_url=BASE)
    other = Client(api_key=KEY + "x", base_url=BASE)
    try:
        assert a.rate_limiter is b.rate_limiter is c.rate_limiter
        assert other.rate_limiter is not a.rate_limiter
        explicit = Client(api_key=KEY + "y", base_url=BASE, rate_limit=a.rate_limiter)
        assert explicit.rate_limiter is a.rate_limiter
        spelled_out = Client(api_key=KEY, base_url=BASE, rate_limit=dict(RATE_LIMITS))
        assert spelled_out.rate_limiter is a.rate_limiter  # the defaults, written out
        assert Client(api_key=KEY, base_url=BASE, rate_limit={"general": 10}
                      ).rate_limiter is not a.rate_limiter
    finally:
        for client in (a, b, other):
            client.close()


def test_an_injected_clock_gets_its_own_limiter(fake_time: FakeTime) -> None:
    a = Client(api_key=KEY, base_url=BASE, clock=fake_time.monotonic)
    b = Client(api_key=KEY, base_url=BASE, clock=fake_time.monotonic)
    assert a.rate_limiter is not b.rate_limiter
    a.close()
    b.close()


def test_sandbox_handles_pass_their_limits(low_limits_sandbox) -> None:
    sb, _, limits = low_limits_sandbox
    org = sb.create_org(name="limits", credits=10)
    with sb.client(org) as client:
        assert client.rate_limiter is not None and client.rate_limiter.limits == limits
    with gn.sandbox.start(seed=0) as default:
        org = default.create_org(name="d", credits=10)
        with default.client(org) as client:
            assert client.rate_limiter is not None
            assert client.rate_limiter.budget == {"general": 540, "placement": 54,
                                                  "spend": 27}


@pytest.mark.parametrize("bad", [{"general": 0}, {"speed": 10}, {"general": 1.5}, "fast", 3])
def test_bad_rate_limits_are_refused(bad: object) -> None:
    with pytest.raises(errors.RequestValidationError, match="rate"):
        Client(api_key=KEY, base_url=BASE, rate_limit=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"fraction": 0}, {"fraction": 1.5}, {"burst": 0},
                                    {"window": 0}])
def test_bad_limiter_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(errors.RequestValidationError):
        RateLimiter(**kwargs)  # type: ignore[arg-type]


def test_a_released_reservation_frees_its_slot() -> None:
    clock = [0.0]
    limiter = RateLimiter({"spend": 2}, clock=lambda: clock[0])
    assert limiter.reserve("orders.cancel", True) == 0.0
    limiter.release("orders.cancel", True, 0.0)
    assert limiter.reserve("orders.cancel", True) == 0.0


async def test_a_call_cancelled_while_paced_gives_its_slot_back() -> None:
    clock = [0.0]
    limiter = RateLimiter({"spend": 2}, clock=lambda: clock[0])  # one spend a minute
    gate = asyncio.Event()

    async def never(seconds: float) -> None:
        await gate.wait()

    client = AsyncClient(api_key=KEY, base_url=BASE, rate_limit=limiter, sleep=never,
                         clock=lambda: clock[0],
                         transport=httpx.MockTransport(lambda r: json_response({"id": "o"})))
    async with client:
        await client.orders.cancel(order_id="o-1")  # the minute's spend
        waiting = asyncio.ensure_future(client.orders.cancel(order_id="o-2"))
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    # only the first call holds a start: the next one waits the same 60 s, not 120
    assert limiter.reserve("orders.cancel", True) == 60.0
