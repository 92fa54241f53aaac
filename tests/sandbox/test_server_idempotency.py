"""Idempotency keys: byte-for-byte replay, conflicts, races and the 24 h window."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from sandbox_support import Api, balanced, problem_ok, tasking_group, window


def capture_ids(api: Api, n: int = 2) -> list[dict[str, str]]:
    found = api.ok("catalog.search", {"host_name": "geopera", "limit": n})["features"]
    return [{"id": f["id"]} for f in found]


def test_same_key_same_body_replays_bytes(api: Api, sandbox: Any, org: Any) -> None:
    body = {"captures": capture_ids(api)}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.op("orders.archive.place", body, headers=key)
    assert first.status_code == 202 and "idempotent-replayed" not in first.headers
    ledger = sandbox.ledger(org)
    second = api.op("orders.archive.place", body, headers=key, form="resource")
    assert second.status_code == 202
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert sandbox.ledger(org) == ledger
    assert api.ok("orders.list")["totalElements"] == 1


def test_same_key_different_body_is_409(api: Api) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    caps = capture_ids(api, 2)
    assert api.op("orders.archive.place", {"captures": caps[:1]}, headers=key).status_code == 202
    problem_ok(api.op("orders.archive.place", {"captures": caps[1:]}, headers=key), 409)


def test_keys_are_per_operation_and_per_org(api: Api, sandbox: Any) -> None:
    key = {"Idempotency-Key": "shared-key-1"}
    assert api.op("orders.archive.place", {"captures": capture_ids(api, 1)},
                  headers=key).status_code == 202
    assert api.op("orders.tasking.place", {"groups": [tasking_group(sandbox)]},
                  headers=key).status_code == 202
    other = Api(sandbox.url, sandbox.create_org(name="o2", credits=10**7).api_key)
    try:
        r = other.op("orders.archive.place", {"captures": capture_ids(api, 1)}, headers=key)
        assert r.status_code == 202 and "idempotent-replayed" not in r.headers
    finally:
        other.close()


def test_failed_calls_leave_the_key_free(sandbox: Any) -> None:
    poor = sandbox.create_org(name="poor", credits=1)
    api = Api(sandbox.url, poor.api_key)
    try:
        body = {"captures": capture_ids(api, 1)}
        key = {"Idempotency-Key": str(uuid.uuid4())}
        problem_ok(api.op("orders.archive.place", body, headers=key), 402)
        assert sandbox.ledger(poor) == {"granted": 1, "balance": 1, "reserved": 0, "charged": 0}
        assert api.ok("orders.list")["totalElements"] == 0
        sandbox.grant(poor, 10**7)
        assert api.op("orders.archive.place", body, headers=key).status_code == 202
    finally:
        api.close()


def test_two_threads_one_key_make_one_order(api: Api, sandbox: Any, org: Any) -> None:
    body = {"captures": capture_ids(api, 2)}
    estimate = api.ok("orders.archive.estimate", body)["total_credits"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def place() -> None:
        local = Api(sandbox.url, org.api_key)
        try:
            barrier.wait()
            results.append(local.op("orders.archive.place", body, headers=key))
        finally:
            local.close()

    threads = [threading.Thread(target=place) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert set(codes) <= {202, 409}, codes
    ok = [r for r in results if r.status_code == 202]
    assert ok and all(r.content == ok[0].content for r in ok)
    assert api.ok("orders.list")["totalElements"] == 1
    ledger = sandbox.ledger(org)
    assert ledger["reserved"] == estimate and balanced(ledger)


def test_replay_expires_after_24_hours(api: Api, sandbox: Any) -> None:
    body = {"groups": [{**tasking_group(sandbox), **window(sandbox, start_days=3)}]}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = api.op("orders.tasking.place", body, headers=key).json()
    sandbox.advance(hours=24)
    second = api.op("orders.tasking.place", body, headers=key)
    assert second.status_code == 202 and "idempotent-replayed" not in second.headers
    assert second.json()["results"][0]["id"] != first["results"][0]["id"]


def test_bad_idempotency_keys_are_422(api: Api) -> None:
    for bad in ("x" * 256, "has space", "tab\tkey"):
        r = api.op("orders.cancel", {"order_id": "x"}, headers={"Idempotency-Key": bad})
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


def test_a_claimed_key_in_flight_is_409() -> None:
    import pytest

    from geopera_nb.server.problems import Problem
    from geopera_nb.server.state.idempotency import Claims

    claims = Claims()
    with claims.claim("org", "orders.archive.place", "k"):
        with pytest.raises(Problem) as info, claims.claim("org", "orders.archive.place", "k"):
            pass
        assert info.value.status == 409
        with claims.claim("org", "orders.tasking.place", "k"):  # other operation: free
            pass
    with claims.claim("org", "orders.archive.place", "k"):  # released
        pass
