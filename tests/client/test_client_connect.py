"""gn.connect(): the real account when credentials exist, else the embedded sandbox."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

import geopera_nb as gn
from geopera_nb import errors
from geopera_nb.client import Client


class FakeSandbox:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.url = "http://127.0.0.1:9"
        self.stopped = False
        self.orgs: list[tuple[str, int]] = []

    def create_org(self, name: str, credits: int) -> Any:
        self.orgs.append((name, credits))
        return types.SimpleNamespace(api_key="gpra_sandbox_0123456789abcd")

    def client(self, org: Any) -> Client:
        client = Client(api_key=org.api_key, base_url=self.url)
        client.sandbox = self  # as geopera_nb.sandbox's handles do
        return client

    def stop(self) -> None:
        self.stopped = True


@pytest.fixture
def fake_sandbox(monkeypatch):
    started: list[FakeSandbox] = []
    module = types.ModuleType("geopera_nb.sandbox")

    def start(seed: int = 0, **kwargs: Any) -> FakeSandbox:
        sb = FakeSandbox(seed)
        started.append(sb)
        return sb

    module.start = start  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "geopera_nb.sandbox", module)
    return started


def test_connect_uses_env_credentials(monkeypatch, fake_sandbox) -> None:
    monkeypatch.setenv("GEOPERA_API_TOKEN", "gpra_real_0123456789abcdef")
    monkeypatch.setenv("GEOPERA_API_URL", "https://api.example")
    client = gn.connect()
    assert client.base_url == "https://api.example"
    assert client.credentials_source == "env:GEOPERA_API_TOKEN"
    assert fake_sandbox == []
    client.close()


def test_connect_without_credentials_starts_a_sandbox(fake_sandbox) -> None:
    client = gn.connect(seed=3, credits=500)
    (sb,) = fake_sandbox
    assert sb.seed == 3 and sb.orgs == [("Demo", 500)]
    assert client.base_url == sb.url and client.sandbox is sb
    client.close()
    assert sb.stopped


def test_connect_sandbox_false_raises(fake_sandbox) -> None:
    with pytest.raises(errors.CredentialsError):
        gn.connect(sandbox=False)
    assert fake_sandbox == []


def test_connect_sandbox_true_even_with_credentials(monkeypatch, fake_sandbox) -> None:
    monkeypatch.setenv("GEOPERA_API_TOKEN", "gpra_real_0123456789abcdef")
    client = gn.connect(sandbox=True)
    assert len(fake_sandbox) == 1
    client.close()
