"""The antimeridian: an AOI that crosses 180° is split in two, never wrapped round the globe.

A polygon whose consecutive longitudes jump by more than 180° (e.g. 179 -> -179) is read
as crossing the antimeridian: its longitudes are made continuous (:func:`unwrap`), the
polygon is cut at ±180° and the pieces are shifted back (:func:`cut_at_antimeridian`).
"""

from __future__ import annotations

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Polygon

from .geojson import polygonal

__all__ = ["cut_at_antimeridian", "unwrap"]


def unwrap(ring: np.ndarray) -> tuple[np.ndarray, bool]:
    """Longitudes made continuous (jumps > 180 deg undone); and whether any jump occurred."""
    arr = np.asarray(ring, dtype=np.float64)
    d = np.diff(arr[:, 0])
    steps = np.where(d > 180.0, -360.0, np.where(d < -180.0, 360.0, 0.0))
    if not steps.any():
        return arr, False
    arr = arr.copy()
    arr[1:, 0] += np.cumsum(steps)
    return arr, True


_WORLD = shapely.box(-180.0, -90.0, 180.0, 90.0)


def cut_at_antimeridian(poly: Polygon) -> Polygon | MultiPolygon:
    """Cut an unwrapped polygon (lon may leave [-180, 180]) at +-180 and shift the pieces back."""
    minx, _, maxx, _ = poly.bounds
    if minx >= -180.0 and maxx <= 180.0:
        return poly
    pieces: list[Polygon] = []
    for shift in (-360.0, 0.0, 360.0):
        window = shapely.affinity.translate(_WORLD, xoff=-shift)
        cut = polygonal(poly.intersection(window))
        if not cut.is_empty:
            moved = shapely.affinity.translate(cut, xoff=shift)
            pieces.extend(p for p in shapely.get_parts(moved) if isinstance(p, Polygon))
    return pieces[0] if len(pieces) == 1 else MultiPolygon(pieces)

