"""Geodesic areas (km2 on the WGS84 ellipsoid) of shapely geometries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pyproj

_GEOD = pyproj.Geod(ellps="WGS84")


def geodesic_km2(geometry: Any) -> float | None:
    """Geodesic area of one lon/lat geometry in km2 (``None`` for ``None``).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> round(geodesic_km2(box(0, 0, 1, 1)), 1)
    12308.8
    """
    if geometry is None:
        return None
    if geometry.is_empty:
        return 0.0
    area, _ = _GEOD.geometry_area_perimeter(geometry)
    return abs(float(area)) / 1e6


def geodesic_km2_many(geometries: Iterable[Any]) -> np.ndarray:
    """:func:`geodesic_km2` of each geometry, as a float array (NaN for ``None``)."""
    values = [geodesic_km2(g) for g in geometries]
    return np.array([np.nan if v is None else v for v in values], dtype=float)
