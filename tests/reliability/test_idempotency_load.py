"""Idempotency under load: many concurrent placements, one key or many keys.

- 100 concurrent ``orders.archive.place`` with ONE ``Idempotency-Key``: exactly one
  order and one reservation; every other answer is a byte-identical replay
  (``Idempotent-Replayed: true``) or a 409 (duplicate still in flight).
- the same with 100 *different* keys: 100 orders, 100 reservations.
- 100 different keys against the default rate limits (60 placements per minute) through
  ``gn.Client``, whose retries absorb the 429s (long run: it must wait a window).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from reliability_support import (
    TIMEOUT,
    Admin,
    OrgApi,
    OrgCreds,
    SandboxHandle,
    centroid_of,
    feature_collection,
    new_key,
    square,
    start_in_process,
)

N = 100


def _concurrently(n: int, call: Callable[[int], Any]) -> list[Any]:
    """Run ``call(i)`` for i < n in n threads released together by a barrier."""
    barrier = threading.Barrier(n, timeout=120)

    def run(i: int) -> Any:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture()
def place_body(rel_sandbox: SandboxHandle, org_a: OrgCreds) -> dict[str, Any]:
    with OrgApi(rel_sandbox.url, org_a) as api:
        capture = api.ok("catalog.search", {"host_name": "geopera", "limit": 1})["features"][0]
    lon, lat = centroid_of(capture["geometry"])
    return {"captures": [{"id": capture["id"],
                          "featureCollection": feature_collection(square(lon, lat, 0.01))}],
            "displayName": "idempotency-load"}


@pytest.fixture()
def http_pool(rel_sandbox: SandboxHandle, org_a: OrgCreds) -> Iterator[httpx.Client]:
    limits = httpx.Limits(max_connections=N, max_keepalive_connections=N)
    with httpx.Client(base_url=rel_sandbox.url, timeout=TIMEOUT, limits=limits,
                      headers={"Authorization": f"Bearer {org_a.api_key}"}) as client:
        yield client


def test_one_key_100_concurrent_placements_make_one_order(
    rel_sandbox: SandboxHandle, admin: Admin, org_a: OrgCreds, place_body: dict[str, Any],
    http_pool: httpx.Client,
) -> None:
    key = new_key()
    with OrgApi(rel_sandbox.url, org_a) as api:
        estimate = api.ok("orders.archive.estimate", {"captures": place_body["captures"]})
    before = admin.ledger(org_a.org_id)

    def place(i: int) -> httpx.Response:
        path = "/v1/op/orders.archive.place" if i % 2 else "/v1/orders/archive/place"
        return http_pool.post(path, json=place_body, headers={"Idempotency-Key": key})

    responses = _concurrently(N, place)
    statuses = sorted({r.status_code for r in responses})
    assert set(statuses) <= {202, 409}, [(r.status_code, r.text[:200]) for r in responses]
    accepted = [r for r in responses if r.status_code == 202]
    originals = [r for r in accepted if r.headers.get("Idempotent-Replayed") != "true"]
    assert len(originals) <= 1, "more than one non-replayed answer"
    assert accepted, "every placement answered 409: the first one never answered"
    first = accepted[0].content
    assert all(r.content == first for r in accepted), "replays are not byte-identical"
    for r in [r for r in responses if r.status_code == 409]:
        assert r.headers["content-type"].startswith("application/problem+json")

    # a replay after the storm still answers the first result
    replay = http_pool.post("/v1/op/orders.archive.place", json=place_body,
                            headers={"Idempotency-Key": key})
    assert replay.status_code == 202 and replay.content == first
    assert replay.headers.get("Idempotent-Replayed") == "true"

    with OrgApi(rel_sandbox.url, org_a) as api:
        orders = api.all_orders()
    assert len(orders) == 1, f"{len(orders)} orders from one key"
    after = admin.ledger(org_a.org_id)
    assert after.balanced
    assert after.reserved - before.reserved == estimate["total_credits"], "not one reservation"
    assert orders[0]["credits"]["reserved"] == estimate["total_credits"]


def test_100_keys_100_concurrent_placements_make_100_orders(
    rel_sandbox: SandboxHandle, admin: Admin, org_a: OrgCreds, place_body: dict[str, Any],
    http_pool: httpx.Client,
) -> None:
    keys = [new_key() for _ in range(N)]
    before = admin.ledger(org_a.org_id)

    def place(i: int) -> httpx.Response:
        return http_pool.post("/v1/op/orders.archive.place", json=place_body,
                              headers={"Idempotency-Key": keys[i]})

    responses = _concurrently(N, place)
    bad = [(r.status_code, r.text[:200]) for r in responses if r.status_code != 202]
    assert not bad, bad
    ids = {r.json()["results"][0]["id"] for r in responses}
    assert len(ids) == N, "order ids are not distinct"
    assert not any(r.headers.get("Idempotent-Replayed") == "true" for r in responses)
    with OrgApi(rel_sandbox.url, org_a) as api:
        orders = api.all_orders()
    assert {o["id"] for o in orders} == ids
    after = admin.ledger(org_a.org_id)
    assert after.balanced
    assert after.reserved - before.reserved == sum(o["credits"]["reserved"] for o in orders)


class CountingTransport(httpx.HTTPTransport):
    """A real transport that records each answer's status and Idempotency-Key."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.seen: list[tuple[int, str | None, float]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        with self.lock:
            self.seen.append((response.status_code, request.headers.get("Idempotency-Key"),
                              time.time()))
        return response


def _client_absorbs_429s(n: int, limits: dict[str, int]) -> None:
    """``n`` placements by 8 threads through ``gn.Client`` against a throttled sandbox."""
    import geopera_nb as gn

    handle = start_in_process(rate_limits=limits)
    try:
        with Admin(handle.url, handle.admin_token) as admin:
            org = admin.create_org("idempotency-429", credits=50_000_000)
            with OrgApi(handle.url, org) as api:
                capture = api.ok("catalog.search", {"host_name": "geopera", "limit": 1})["features"][0]
            lon, lat = centroid_of(capture["geometry"])
            captures = [{"id": capture["id"],
                         "featureCollection": feature_collection(square(lon, lat, 0.01))}]
            transport = CountingTransport()
            client = gn.Client(api_key=org.api_key, base_url=handle.url, transport=transport)
            try:
                with ThreadPoolExecutor(max_workers=8) as pool:
                    results = list(pool.map(
                        lambda i: client.orders.archive.place(captures=captures,
                                                              displayName=f"p{i}"),
                        range(n)))
            finally:
                client.close()
            ids = {r["results"][0]["id"] for r in results}
            assert len(ids) == n
            throttled = [key for status, key, _ in transport.seen if status == 429]
            first = [at for _, _, at in transport.seen[:n]]  # the first try of every call
            if int(first[0] // 60) == int(first[-1] // 60):  # one fixed window: limit met
                assert throttled, "no 429 met: the test did not exercise the retries"
            keys = {key for _, key, _ in transport.seen}
            assert None not in keys and len(keys) == n, "retries must reuse one key per call"
            print(f"{n} placements, {len(throttled)} answers 429 absorbed by retries")
            with OrgApi(handle.url, org) as api:
                assert {o["id"] for o in api.all_orders()} == ids
            assert admin.ledger(org.org_id).balanced
    finally:
        handle.stop()


def test_client_retries_absorb_429s_without_duplicates() -> None:
    """Bounded: a 10-per-minute placement limit forces 429s on 15 placements."""
    _client_absorbs_429s(15, {"placement": 10})


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_client_absorbs_429s_for_100_placements_at_default_limits() -> None:
    _client_absorbs_429s(N, {})
