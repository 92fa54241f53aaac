"""Fixtures of the sandbox server tests (``api``: the test org over real HTTP)."""

from __future__ import annotations

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
