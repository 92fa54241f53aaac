"""AOI input: anything geometric in, the GeoJSON FeatureCollection the API wants out.

See :mod:`geopera_nb.geo.aoi` for the accepted forms and the choices made (a
GeoDataFrame without CRS, ``crs`` members, bboxes).

Examples
--------
>>> from geopera_nb.geo import to_feature_collection
>>> to_feature_collection((150.0, -34.0, 150.1, -33.9))["type"]
'FeatureCollection'
"""

from __future__ import annotations

from .aoi import (
    AOILike,
    AOIWarning,
    SupportsGeoInterface,
    geodesic_area_km2,
    to_feature_collection,
    to_geometry,
)

__all__ = [
    "AOILike",
    "AOIWarning",
    "SupportsGeoInterface",
    "geodesic_area_km2",
    "to_feature_collection",
    "to_geometry",
]
