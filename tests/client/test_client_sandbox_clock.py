"""``gn.Client()`` reads ``GEOPERA_SANDBOX_ADMIN_TOKEN`` (issue 13, item 11).

Before: only ``gn.connect()`` read it, so ``wait_for`` against a sandbox process polled
wall time for 600 s while the sandbox clock never moved. Now ``Client()`` attaches a
:class:`~geopera_nb.client.SandboxClock`, the facade's handles move their clock through
the same class, and ``wait_for`` warns when it polls a sandbox it cannot move.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import httpx
import pytest

import geopera_nb as gn
from geopera_nb import errors
from geopera_nb.client import AsyncClient, Client, SandboxClock
from geopera_nb.client.waiting import SandboxWarning


@pytest.fixture(scope="module")
def sb() -> Any:
    with gn.sandbox.start(seed=0) as handle:
        yield handle


def _place_archive(client: Any) -> str:
    capture = next(client.iter_catalog(max_items=1))
    placed = client.orders.archive.place(captures=[{"id": capture["id"]}])
    return str(placed["results"][0]["id"])


def _env(monkeypatch: pytest.MonkeyPatch, sb: Any, api_key: str, admin: str | None) -> None:
    monkeypatch.setenv("GEOPERA_API_URL", sb.url)
    monkeypatch.setenv("GEOPERA_API_TOKEN", api_key)
    if admin is not None:
        monkeypatch.setenv("GEOPERA_SANDBOX_ADMIN_TOKEN", admin)


def test_client_from_the_environment_moves_the_sandbox_clock(sb: Any, monkeypatch) -> None:
    org = sb.create_org(name="env", credits=10_000_000)
    order_id = _place_archive(sb.client(org))
    _env(monkeypatch, sb, org.api_key, sb.admin_token)
    with Client() as client:
        assert isinstance(client.sandbox, SandboxClock)
        assert client.sandbox.now() == sb.now()
        before = sb.now()
        started = time.monotonic()
        with warnings.catch_warnings():
            warnings.simplefilter("error", SandboxWarning)
            order = client.wait_for(order_id, timeout=86_400, progress=False)
    assert order["status"] == "FULFILLED"
    assert time.monotonic() - started < 30 and sb.now() > before


async def test_async_client_from_the_environment(sb: Any, monkeypatch) -> None:
    org = sb.create_org(name="env-async", credits=10_000_000)
    order_id = _place_archive(sb.client(org))
    _env(monkeypatch, sb, org.api_key, sb.admin_token)
    async with AsyncClient() as client:
        assert isinstance(client.sandbox, SandboxClock)
        order = await client.wait_for(order_id, timeout=86_400, progress=False)
    assert order["status"] == "FULFILLED"


def test_no_variable_no_clock(sb: Any, monkeypatch) -> None:
    org = sb.create_org(name="plain", credits=1000)
    _env(monkeypatch, sb, org.api_key, None)
    with Client() as client:
        assert client.sandbox is None
    given = object()
    monkeypatch.setenv("GEOPERA_SANDBOX_ADMIN_TOKEN", sb.admin_token)
    with Client(sandbox=given) as client:  # a handle given wins over the variable
        assert client.sandbox is given


def test_a_wrong_admin_token_warns_and_waits_in_wall_time(sb: Any, monkeypatch) -> None:
    org = sb.create_org(name="wrong", credits=10_000_000)
    client = sb.client(org)
    order_id = _place_archive(client)
    client.wait_for(order_id, progress=False)  # FULFILLED (the handle's clock)
    _env(monkeypatch, sb, org.api_key, "gpsa_not-the-admin-token-at-all")
    with Client() as env_client, pytest.warns(SandboxWarning, match="cannot be read"):
        order = env_client.wait_for(order_id, timeout=5, progress=False)
    assert order["status"] == "FULFILLED"


def test_polling_a_sandbox_it_cannot_move_warns_once(sb: Any) -> None:
    org = sb.create_org(name="unmovable", credits=10_000_000)
    order_id = _place_archive(sb.client(org))
    sb.client(org).wait_for(order_id, progress=False)
    with Client(api_key=org.api_key, base_url=sb.url) as client:
        with pytest.warns(SandboxWarning, match="cannot move its clock"):
            client.wait_for(order_id, timeout=5, progress=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error", SandboxWarning)
            client.wait_for(order_id, timeout=5, progress=False)  # said once per client


async def test_async_polling_a_sandbox_it_cannot_move_warns(sb: Any) -> None:
    org = sb.create_org(name="unmovable-async", credits=10_000_000)
    order_id = _place_archive(sb.client(org))
    sb.client(org).wait_for(order_id, progress=False)
    async with AsyncClient(api_key=org.api_key, base_url=sb.url) as client:
        with pytest.warns(SandboxWarning, match="cannot move its clock"):
            await client.wait_for(order_id, timeout=5, progress=False)


def test_a_public_api_is_never_probed(make_client) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        assert not request.url.path.startswith("/sandbox"), "probed a non-local API"
        return httpx.Response(200, json={"id": "o-1", "status": "FULFILLED"})

    client, rec = make_client(server, base_url="https://api.geopera.com")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SandboxWarning)
        client.wait_for("o-1", progress=False)
    assert len(rec.requests) == 1


def test_the_facade_moves_its_clock_through_the_clients_handle(sb: Any) -> None:
    assert isinstance(sb._clock, SandboxClock)  # one home for the admin clock calls
    before = sb.now()
    after = sb.advance(hours=1)
    assert after > before and sb.now() == after == sb._clock.now()
    remote = gn.sandbox.attach(sb.url, sb.admin_token)
    try:
        assert remote.now() == after
    finally:
        remote.stop()


def test_the_sandbox_clock_refuses_what_the_server_would(sb: Any) -> None:
    clock = SandboxClock(sb.url, sb.admin_token)
    try:
        assert "admin_token=…" in repr(clock) and sb.admin_token not in repr(clock)
        with pytest.raises(errors.RequestValidationError, match="advance by 0"):
            clock.advance(hours=-1)
        with pytest.raises(errors.RequestValidationError):
            clock.advance(hours=float("nan"))
    finally:
        clock.close()
    wrong = SandboxClock(sb.url, "gpsa_wrong-token-0123456789")
    with pytest.raises(errors.UnauthenticatedError):
        wrong.now()
    wrong.close()
    gone = SandboxClock("http://127.0.0.1:9", "gpsa_wrong-token-0123456789", timeout=2)
    with pytest.raises(errors.ConnectError, match=r"cannot reach the server.*running"):
        gone.now()
    gone.close()


def test_connect_keeps_the_fuller_handle(sb: Any, monkeypatch) -> None:
    org = sb.create_org(name="connect", credits=1000)
    _env(monkeypatch, sb, org.api_key, sb.admin_token)
    with gn.connect() as client:
        assert isinstance(client.sandbox, gn.sandbox.RemoteSandbox)
        assert client.sandbox.ledger(org)["granted"] == 1000
        assert client.sandbox.now() == sb.now()
