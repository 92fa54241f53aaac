"""``wait_for`` on a sandbox moves the sandbox clock instead of sleeping."""

from __future__ import annotations

import time
from typing import Any

import pytest

import geopera_nb as gn
from geopera_nb.errors import WaitTimeoutError


@pytest.fixture()
def fresh_sandbox() -> Any:
    with gn.sandbox.start(seed=0) as sb:
        yield sb


def _place_archive(client: Any) -> str:
    capture = next(client.iter_catalog(max_items=1))
    placed = client.orders.archive.place(captures=[{"id": capture["id"]}])
    return str(placed["results"][0]["id"])


def test_wait_for_advances_the_sandbox_clock(fresh_sandbox: Any) -> None:
    org = fresh_sandbox.create_org(name="t", credits=10_000_000)
    client = fresh_sandbox.client(org)
    assert client.sandbox is fresh_sandbox
    order_id = _place_archive(client)
    before = fresh_sandbox.now()
    started = time.monotonic()
    order = client.wait_for(order_id, until=("FULFILLED",), timeout=86_400, progress=False)
    assert order["status"] == "FULFILLED"
    assert time.monotonic() - started < 30  # sandbox hours, not wall-clock hours
    assert fresh_sandbox.now() > before


def test_wait_for_timeout_counts_sandbox_time(fresh_sandbox: Any) -> None:
    org = fresh_sandbox.create_org(name="t", credits=10_000_000)
    client = fresh_sandbox.client(org)
    order_id = _place_archive(client)
    with pytest.raises(WaitTimeoutError):
        client.wait_for(order_id, until=("FAILED",), timeout=1800, sandbox_step=600,
                        progress=False)


def test_connect_attaches_a_remote_sandbox(fresh_sandbox: Any, monkeypatch: Any) -> None:
    org = fresh_sandbox.create_org(name="t", credits=1000)
    monkeypatch.setenv("GEOPERA_API_URL", fresh_sandbox.url)
    monkeypatch.setenv("GEOPERA_API_TOKEN", org.api_key)
    monkeypatch.setenv("GEOPERA_SANDBOX_ADMIN_TOKEN", fresh_sandbox.admin_token)
    with gn.connect() as client:
        assert client.sandbox is not None
        assert client.sandbox.now() == fresh_sandbox.now()
    monkeypatch.delenv("GEOPERA_SANDBOX_ADMIN_TOKEN")
    with gn.connect() as client:
        assert client.sandbox is None


async def test_async_wait_for_on_sandbox(fresh_sandbox: Any) -> None:
    org = fresh_sandbox.create_org(name="t", credits=10_000_000)
    order_id = _place_archive(fresh_sandbox.client(org))
    async with fresh_sandbox.async_client(org) as aclient:
        order = await aclient.wait_for(order_id, timeout=86_400, progress=False)
    assert order["status"] == "FULFILLED"


def test_default_timeout_on_a_sandbox_covers_the_tasking_lifecycle(fresh_sandbox: Any) -> None:
    """Without a timeout, waiting for a quotation (an hour of sandbox time) succeeds."""
    import shapely

    org = fresh_sandbox.create_org(name="t", credits=10_000_000)
    client = fresh_sandbox.client(org)
    aoi = shapely.box(138.90, -34.60, 139.00, -34.50)
    placed = client.orders.tasking.place(groups=[{"sensor": "geo-heron-1m",
                                                  "featureCollection": aoi}])
    order = client.wait_for(placed["results"][0]["id"], until=("QUOTATION_WAITING_RESPONSE",),
                            progress=False)
    assert order["subStatus"] == "QUOTATION_WAITING_RESPONSE"


def test_waiting_through_a_customer_decision_raises_at_once(fresh_sandbox: Any) -> None:
    """An order awaiting the quotation decision cannot reach FULFILLED by waiting."""
    import shapely

    from geopera_nb.errors import DecisionRequiredError

    org = fresh_sandbox.create_org(name="t", credits=10_000_000)
    client = fresh_sandbox.client(org)
    aoi = shapely.box(138.90, -34.60, 139.00, -34.50)
    order_id = client.orders.tasking.place(groups=[{"sensor": "geo-heron-1m",
                                                    "featureCollection": aoi}])["results"][0]["id"]
    client.wait_for(order_id, until=("QUOTATION_WAITING_RESPONSE",), progress=False)
    before = fresh_sandbox.now()
    with pytest.raises(DecisionRequiredError, match="quotation_decide") as caught:
        client.wait_for(order_id, progress=False)
    assert caught.value.order["subStatus"] == "QUOTATION_WAITING_RESPONSE"
    assert fresh_sandbox.now() == before  # the sandbox clock did not run on


@pytest.mark.parametrize("key", ["é", "has space", "", "x" * 256, "tab\tkey"])
def test_bad_pinned_idempotency_keys_are_refused_locally(key: str) -> None:
    import httpx

    from geopera_nb.errors import RequestValidationError

    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    client = gn.Client(api_key="gpra_0123456789abcdef", base_url="http://sandbox",
                       transport=httpx.MockTransport(never))
    with pytest.raises(RequestValidationError, match="visible ASCII"):
        client.orders.cancel(order_id="o-1", idempotency_key=key)
