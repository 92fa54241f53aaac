"""Everything geometric, one idea per module.

- :mod:`.input`: AOIs in whatever form an analyst has (shapely, GeoDataFrame,
  ``__geo_interface__``, GeoJSON, WKT, bbox) -> the GeoJSON FeatureCollection the API wants;
- :mod:`.validation`: the server's rules for AOIs, every problem with its ``loc``;
- :mod:`.coordinates`: the ring and position checks under it;
- :mod:`.area`: the one geodesic area (km², WGS84, holes subtracted whatever their winding);
- :mod:`.antimeridian`: splitting AOIs that cross 180°;
- :mod:`.geojson`: GeoJSON out (plain lists, areal parts, RFC 7946 bboxes).

Examples
--------
>>> from geopera_nb.geo import to_feature_collection, geodesic_area_km2
>>> to_feature_collection((150.0, -34.0, 150.1, -33.9))["type"]
'FeatureCollection'
>>> round(geodesic_area_km2((150.0, -34.0, 150.1, -33.9)), 1)
102.5
"""

from __future__ import annotations

import importlib
from typing import Any

#: name -> module of this package that defines it (imported on first use: the client only
#: needs :mod:`.input`, and must not pay for numpy, shapely and pyproj at import)
_WHERE = {
    "geodesic_area_km2": "area", "geodesic_areas_km2": "area",
    "geojson_bbox": "geojson", "polygonal": "geojson", "to_geojson": "geojson",
    "AOILike": "input", "AOIWarning": "input", "SupportsGeoInterface": "input",
    "to_feature_collection": "input", "to_geometry": "input",
    "AOI": "validation", "GeometryProblem": "validation", "GeometryRejected": "validation",
    "parse_feature": "validation", "parse_feature_collection": "validation",
    "parse_geometry": "validation", "split_antimeridian": "validation",
    "validate_geometry": "validation",
}

__all__ = [
    "AOI",
    "AOILike",
    "AOIWarning",
    "GeometryProblem",
    "GeometryRejected",
    "SupportsGeoInterface",
    "geodesic_area_km2",
    "geodesic_areas_km2",
    "geojson_bbox",
    "parse_feature",
    "parse_feature_collection",
    "parse_geometry",
    "polygonal",
    "split_antimeridian",
    "to_feature_collection",
    "to_geojson",
    "to_geometry",
    "validate_geometry",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'geopera_nb.geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
