"""Coverage of a tasking order: requested vs covered vs remainder, in geodesic km2.

``coveredKm2`` is the geodesic area of ``requested ∩ union(footprints)`` and
``remainderKm2 = requestedKm2 - coveredKm2`` (so the identity holds exactly, not just to
the few-ppm difference between geodesic and planar edges of the overlay pieces).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from geopera_nb.geo import AOI, geodesic_area_km2, polygonal, to_geojson

__all__ = ["coverage", "coverage_groups"]


def _footprint(d: object) -> BaseGeometry:
    geom = getattr(d, "footprint", d)
    if not isinstance(geom, BaseGeometry):
        raise TypeError("expected a Delivery or a shapely geometry")
    return geom


def _covered(requested: BaseGeometry, footprints: Sequence[BaseGeometry]) -> BaseGeometry:
    if not footprints:
        return shapely.Polygon()
    return polygonal(requested.intersection(shapely.union_all(list(footprints))))


def _count(requested: BaseGeometry, footprints: Sequence[BaseGeometry]) -> int:
    return sum(1 for f in footprints if not polygonal(requested.intersection(f)).is_empty)


def coverage(requested: BaseGeometry, footprints: Sequence[Any]) -> dict[str, Any]:
    """``orders.coverage.get`` minus ``orderId``/``status`` (the caller adds them).

    Parameters
    ----------
    requested
        The order's AOI.
    footprints
        Shapely geometries or :class:`~.deliveries.Delivery` objects delivered so far.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> fc = coverage(box(0, 0, 1, 1), [box(0, 0, 0.5, 1)])
    >>> round(fc["coveredFraction"], 3), [f["properties"]["part"] for f in fc["features"]]
    (0.5, ['requested', 'covered', 'remainder'])
    """
    feet = [_footprint(f) for f in footprints]
    covered = _covered(requested, feet)
    remainder = polygonal(requested.difference(covered)) if not covered.is_empty else requested
    req_km2 = geodesic_area_km2(requested)
    cov_km2 = min(geodesic_area_km2(covered), req_km2)
    rem_km2 = req_km2 - cov_km2
    parts = (("requested", requested, req_km2), ("covered", covered, cov_km2),
             ("remainder", remainder, rem_km2))  # fmt: skip
    return {
        "type": "FeatureCollection",
        "requestedKm2": req_km2,
        "coveredKm2": cov_km2,
        "remainderKm2": rem_km2,
        "coveredFraction": cov_km2 / req_km2 if req_km2 > 0 else 0.0,
        "captureCount": _count(requested, feet),
        "features": [
            {
                "type": "Feature",
                "geometry": to_geojson(g),
                "properties": {"part": part, "areaKm2": km2},
            }
            for part, g, km2 in parts
        ],
    }


def coverage_groups(aois: Sequence[AOI], deliveries: Sequence[Any]) -> list[dict[str, Any]]:
    """``orders.coverage.groups.list`` groups: per AOI, requested vs delivered.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from geopera_nb.geo import AOI
    >>> g = coverage_groups([AOI(0, box(0, 0, 1, 1), 12308.8)], [box(0, 0, 1, 0.25)])
    >>> g[0]["name"], round(g[0]["coveredFraction"], 2), g[0]["captureCount"]
    ('AOI 0', 0.25, 1)
    """
    feet = [_footprint(d) for d in deliveries]
    out = []
    for aoi in aois:
        req = geodesic_area_km2(aoi.geometry)
        got = min(geodesic_area_km2(_covered(aoi.geometry, feet)), req)
        out.append({
            "index": aoi.index,
            "name": aoi.name or f"AOI {aoi.index}",
            "requestedKm2": req,
            "deliveredKm2": got,
            "coveredFraction": got / req if req > 0 else 0.0,
            "captureCount": _count(aoi.geometry, feet),
            "geometry": to_geojson(aoi.geometry),
        })  # fmt: skip
    return out
