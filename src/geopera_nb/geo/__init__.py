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

import lazy_loader

# Imported on first use: the client only needs :mod:`.input`, and must not pay for numpy,
# shapely and pyproj at import.
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "area": ["geodesic_area_km2", "geodesic_areas_km2"],
    "geojson": ["geojson_bbox", "polygonal", "to_geojson"],
    "input": ["AOILike", "AOIWarning", "SupportsGeoInterface", "to_feature_collection",
              "to_geometry"],
    "validation": ["AOI", "GeometryProblem", "GeometryRejected", "parse_feature",
                   "parse_feature_collection", "parse_geometry", "split_antimeridian",
                   "validate_geometry"],
})
