"""Fixtures of the sandbox server tests (``api``: the test org over real HTTP)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sandbox_support import Api


@pytest.fixture
def api(sandbox: Any, org: Any) -> Iterator[Api]:
    """An :class:`Api` for the test's fresh org."""
    a = Api(sandbox.url, org.api_key)
    try:
        yield a
    finally:
        a.close()


@pytest.fixture
def anon(sandbox: Any) -> Iterator[Api]:
    """An :class:`Api` without credentials."""
    a = Api(sandbox.url, None)
    try:
        yield a
    finally:
        a.close()


@pytest.fixture
def wall(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The sandbox's wall clock (tokens, device codes), ``wall[0]`` seconds ahead of now:
    expiry and polling intervals are tested without sleeping."""
    offset = [0.0]
    monkeypatch.setattr(sandbox.backend.auth, "wall", lambda: time.time() + offset[0],
                        raising=False)
    yield offset
