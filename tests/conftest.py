"""Shared pytest fixtures: an embedded sandbox server, fresh orgs, the shared API files.

The ``sandbox`` fixture runs one real Geopera sandbox (uvicorn on 127.0.0.1, a fresh
SQLite file) for the whole session, with rate limits raised so tests never meet a 429
they did not ask for. ``org`` makes a fresh organisation (1,000,000 credits) per test,
so tests never see each other's orders. Tests that need their own server (low rate
limits, a killed process) start one themselves with ``geopera_nb.sandbox.start`` or
``geopera_nb.sandbox.spawn``.

Fixtures that need ``geopera_nb.client`` skip cleanly while the client does not exist.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Rate limits high enough that the shared sandbox never throttles the suite.
HIGH_RATE_LIMITS: dict[str, int] = {"general": 1_000_000, "placement": 1_000_000, "spend": 1_000_000,
                                   "oidc": 1_000_000}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--runslow`` (tests marked ``slow`` are skipped without it)."""
    with contextlib.suppress(ValueError):  # already added by another conftest
        parser.addoption("--runslow", action="store_true", default=False,
                         help="run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``slow`` tests unless ``--runslow`` was given."""
    if config.getoption("--runslow", default=False):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared/geopera-api``: the reference, the OpenAPI subset and semantics.md."""
    return Path(__file__).resolve().parents[1].parent / "shared" / "geopera-api"


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One embedded sandbox for the whole session (seed 0, rate limits raised).

    Yields a :class:`geopera_nb.sandbox.Sandbox` handle (``.url``, ``.admin_token``,
    ``.create_org``, ``.advance``, ``.ledger``, ``.client``).
    """
    from geopera_nb import sandbox as sandbox_module

    data_dir = tmp_path_factory.mktemp("sandbox-data")
    sb = sandbox_module.start(data_dir=data_dir, seed=0, rate_limits=HIGH_RATE_LIMITS)
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def org(sandbox: Any) -> Any:
    """A fresh organisation with 1,000,000 credits (``org_id``, ``workspace_id``, ``api_key``)."""
    return sandbox.create_org(name="Test org", credits=1_000_000)


@pytest.fixture
def api_key(org: Any) -> str:
    """The full-scope ``gpra_`` API key of :func:`org`."""
    key: str = org.api_key
    return key


def _client_module() -> Any:
    try:
        module = importlib.import_module("geopera_nb.client")
    except ImportError as exc:  # pragma: no cover - until the client lands
        pytest.skip(f"geopera_nb.client not importable yet: {exc}")
    if not hasattr(module, "Client"):  # pragma: no cover
        pytest.skip("geopera_nb.client.Client does not exist yet")
    return module


@pytest.fixture
def client(sandbox: Any, org: Any) -> Iterator[Any]:
    """A ``gn.Client`` logged in as :func:`org` against the shared sandbox."""
    module = _client_module()
    c = module.Client(api_key=org.api_key, base_url=sandbox.url)
    try:
        yield c
    finally:
        close = getattr(c, "close", None)
        if callable(close):
            close()


@pytest.fixture
async def async_client(sandbox: Any, org: Any) -> Any:
    """A ``gn.AsyncClient`` logged in as :func:`org` against the shared sandbox."""
    module = _client_module()
    if not hasattr(module, "AsyncClient"):  # pragma: no cover
        pytest.skip("geopera_nb.client.AsyncClient does not exist yet")
    c = module.AsyncClient(api_key=org.api_key, base_url=sandbox.url)
    try:
        yield c
    finally:
        aclose = getattr(c, "aclose", None) or getattr(c, "close", None)
        if callable(aclose):
            result = aclose()
            if hasattr(result, "__await__"):
                await result
