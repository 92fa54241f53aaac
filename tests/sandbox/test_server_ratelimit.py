"""Per-org rate limits in fixed 60 s windows, with configurable limits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_support import Api, problem_ok

from geopera_nb import sandbox as sandbox_module
from geopera_nb.server.state.ratelimit import RateLimiter


@pytest.fixture(scope="module")
def limited() -> Iterator[Any]:
    sb = sandbox_module.start(seed=0, rate_limits={"general": 8, "placement": 2, "spend": 3})
    try:
        yield sb
    finally:
        sb.stop()


def fresh_window() -> None:
    """Wait for a new minute when the current one is about to end (no flaky rollover)."""
    left = 60 - time.time() % 60
    if left < 8:
        time.sleep(left + 0.1)


def test_general_limit_answers_429_with_retry_after(limited: Any) -> None:
    fresh_window()
    org = limited.create_org(name="busy", credits=10)
    api = Api(limited.url, org.api_key)
    other = Api(limited.url, limited.create_org(name="calm", credits=10).api_key)
    try:
        for _ in range(8):
            assert api.op("orders.list").status_code == 200
        r = api.op("orders.list", form="resource")
        body = problem_ok(r, 429)
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert "rate limit" in body["detail"]
        assert other.op("orders.list").status_code == 200  # per org
    finally:
        api.close()
        other.close()


def test_placement_and_spend_buckets(limited: Any) -> None:
    fresh_window()
    org = limited.create_org(name="placer", credits=10)
    api = Api(limited.url, org.api_key)
    try:
        for _ in range(2):
            assert api.op("orders.archive.place", {"captures": [{"id": "x"}]}).status_code == 422
        problem_ok(api.op("orders.tasking.place", {"groups": []}), 429)
        for _ in range(3):
            assert api.op("orders.cancel", {"order_id": "x"}).status_code == 404
        problem_ok(api.op("orders.tasking.quotation_decide",
                          {"quotation_id": "q", "decision": "ACCEPTED"}), 429)
        assert api.op("orders.list").status_code == 200  # general bucket still has room
    finally:
        api.close()


def test_limiter_windows_reset() -> None:
    now = [120.0]
    limiter = RateLimiter({"general": 2}, clock=lambda: now[0])
    limiter.hit("o", "orders.list", False)
    limiter.hit("o", "orders.list", False)
    with pytest.raises(Exception) as info:
        limiter.hit("o", "orders.list", False)
    assert info.value.headers["Retry-After"] == "60"  # type: ignore[attr-defined]
    now[0] = 180.0
    limiter.hit("o", "orders.list", False)
    with pytest.raises(ValueError):
        RateLimiter({"bogus": 1})
