"""Package data shipped with geopera-nb.

``world_110m.geojson`` is the Natural Earth 1:110m admin-0 countries outline (public
domain, https://www.naturalearthdata.com/), taken from the copy in pyogrio's test
fixtures, simplified by 0.05 degrees and rounded to 0.01 degrees (about 160 kB). It is
the offline basemap of the widgets.

Examples
--------
>>> from geopera_nb.data import world_outline
>>> fc = world_outline()
>>> fc["type"], len(fc["features"]) > 100
('FeatureCollection', True)
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["world_outline"]

WORLD_OUTLINE_FILE = "world_110m.geojson"


@lru_cache(maxsize=1)
def _load_world() -> str:
    return resources.files(__name__).joinpath(WORLD_OUTLINE_FILE).read_text(encoding="utf-8")


def world_outline() -> dict[str, Any]:
    """Return the shipped world outline as a GeoJSON FeatureCollection (a fresh copy).

    Returns
    -------
    dict
        A FeatureCollection of 177 countries with ``name`` and ``iso_a3`` properties.

    Examples
    --------
    >>> names = {f["properties"]["name"] for f in world_outline()["features"]}
    >>> "Australia" in names
    True
    """
    data: dict[str, Any] = json.loads(_load_world())
    return data
