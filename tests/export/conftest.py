"""Export tests reuse the frames scenario (tests/frames/frames_scenario.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "frames"))

from frames_scenario import Scenario, build


@pytest.fixture(scope="session")
def export_scenario(sandbox: Any) -> Scenario:
    """Its own scenario org (independent of the frames tests' one)."""
    pytest.importorskip("geopera_nb.client")
    return build(sandbox)
