"""Fixtures for the client's unit tests: a recording MockTransport, fake time, no real env.

Every test here runs with ``HOME`` in a temporary directory and no ``GEOPERA_*``
variables, so a developer's real credentials can never leak into (or out of) a test.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from client_helpers import BASE, KEY, FakeTime, Handler, Recorder

from geopera_nb.client import AsyncClient, Client, RetryPolicy


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in list(os.environ):
        if name.startswith("GEOPERA_"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_client(fake_time: FakeTime) -> Iterator[Callable[..., tuple[Client, Recorder]]]:
    """``make_client(handler, **kwargs) -> (client, recorder)`` with fake time."""
    clients: list[Client] = []

    def make(handler: Handler, **kwargs: Any) -> tuple[Client, Recorder]:
        recorder = Recorder(handler)
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", BASE)
        kwargs.setdefault("retry", RetryPolicy(max_attempts=4, base=0.5, cap=8.0, jitter=0.0))
        client = Client(transport=httpx.MockTransport(recorder), sleep=fake_time.sleep,
                        clock=fake_time.monotonic, **kwargs)
        clients.append(client)
        return client, recorder

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def make_async_client(fake_time: FakeTime) -> Callable[..., tuple[AsyncClient, Recorder]]:
    """``make_async_client(handler, **kwargs) -> (aclient, recorder)`` with fake time."""

    def make(handler: Handler, **kwargs: Any) -> tuple[AsyncClient, Recorder]:
        recorder = Recorder(handler)
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", BASE)
        kwargs.setdefault("retry", RetryPolicy(max_attempts=4, base=0.5, cap=8.0, jitter=0.0))
        client = AsyncClient(transport=httpx.MockTransport(recorder), sleep=fake_time.asleep,
                             clock=fake_time.monotonic, **kwargs)
        return client, recorder

    return make
