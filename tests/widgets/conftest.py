"""Fixtures of the widget tests: schedulers, and a recording client on the real sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from geopera_nb.widgets import ImmediateScheduler
from geopera_nb.widgets.testing import ManualScheduler

from .helpers import Spy


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widgets never probe the network in tests."""
    monkeypatch.setenv("GEOPERA_NB_ONLINE", "0")


@pytest.fixture
def immediate() -> ImmediateScheduler:
    return ImmediateScheduler()


@pytest.fixture
def manual() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture
def spy(client: Any) -> Spy:
    """The sandbox client of a fresh org, recording every operation call."""
    return Spy(client)


@pytest.fixture(scope="module")
def own_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A sandbox of this module alone: its tests move the clock (hours, days)."""
    from geopera_nb import sandbox as sandbox_module

    limits = {"general": 1_000_000, "placement": 1_000_000, "spend": 1_000_000}
    sb = sandbox_module.start(
        data_dir=tmp_path_factory.mktemp("widgets-sb"), seed=0, rate_limits=limits
    )
    try:
        yield sb
    finally:
        sb.stop()
