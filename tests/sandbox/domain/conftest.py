"""Fixtures of the domain tests: one catalogue per session (it is read-only)."""

from __future__ import annotations

from typing import Any

import pytest

from geopera_nb.server.domain import Catalogue, build_catalogue


@pytest.fixture(scope="session")
def cat() -> Catalogue:
    return build_catalogue(seed=0)


def square_fc(lon: float, lat: float, size: float = 0.1, name: str | None = None) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": name} if name else {},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}}],
    }  # fmt: skip
