"""GeoJSON out of shapely: plain-list geometries, areal parts only, RFC 7946 bboxes."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = ["geojson_bbox", "polygonal", "to_geojson"]


def _listify(obj: Any) -> Any:
    if isinstance(obj, tuple | list):
        return [_listify(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _listify(v) for k, v in obj.items()}
    return obj


def to_geojson(geom: BaseGeometry | None) -> dict[str, Any]:
    """A shapely geometry as a GeoJSON dict with lists (empty -> empty GeometryCollection).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> to_geojson(box(0, 0, 1, 1))["type"]
    'Polygon'
    >>> to_geojson(Polygon())
    {'type': 'GeometryCollection', 'geometries': []}
    """
    if geom is None or geom.is_empty:
        return {"type": "GeometryCollection", "geometries": []}
    return _listify(shapely.geometry.mapping(geom))


def polygonal(geom: BaseGeometry | None) -> Polygon | MultiPolygon:
    """Keep only the areal parts of a geometry (e.g. after an overlay); may be empty.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> polygonal(box(0, 0, 1, 1).intersection(box(1, 0, 2, 1))).is_empty
    True
    """
    if geom is None or geom.is_empty:
        return Polygon()
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    polys: list[Polygon] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, Polygon) and not part.is_empty:
            polys.append(part)
        elif isinstance(part, MultiPolygon | shapely.GeometryCollection):
            sub = polygonal(part)
            polys.extend(p for p in shapely.get_parts(sub) if isinstance(p, Polygon))
    if not polys:
        return Polygon()
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def geojson_bbox(geom: BaseGeometry) -> list[float]:
    """RFC 7946 bbox ``[west, south, east, north]``; west > east across the antimeridian.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> geojson_bbox(MultiPolygon([box(179, 0, 180, 1), box(-180, 0, -179, 1)]))
    [179.0, 0.0, -179.0, 1.0]
    """
    minx, miny, maxx, maxy = (float(v) for v in geom.bounds)
    if minx <= -180.0 + 1e-9 and maxx >= 180.0 - 1e-9:
        parts = shapely.get_parts(geom)
        b = shapely.bounds(parts)
        east = b[:, 2] > 0
        if east.any() and (~east).any():
            west_edge = float(b[east, 0].min())
            east_edge = float(b[~east, 2].max())
            if west_edge > east_edge:
                return [west_edge, miny, east_edge, maxy]
    return [minx, miny, maxx, maxy]

