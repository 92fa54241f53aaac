"""Fixtures of the frames tests: a built scenario on the shared sandbox, synthetic items."""

from __future__ import annotations

from typing import Any

import pytest
from frames_scenario import Scenario, build


@pytest.fixture(scope="session")
def scenario(sandbox: Any) -> Scenario:
    """The frames scenario (fulfilled, pending, study, archive orders; a template)."""
    pytest.importorskip("geopera_nb.client")
    return build(sandbox)


@pytest.fixture
def empty_client(sandbox: Any) -> Any:
    """A client of a brand-new org with no orders."""
    pytest.importorskip("geopera_nb.client")
    org = sandbox.create_org(name="Empty", credits=0)
    client = sandbox.client(org)
    yield client
    client.close()
