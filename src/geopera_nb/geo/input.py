"""Areas of interest in, GeoJSON FeatureCollections out.

The API wants WGS84 lon/lat Polygon or MultiPolygon features in a FeatureCollection
(RFC 7946). :func:`to_feature_collection` accepts what an analyst has at hand:

- a shapely geometry, or anything with ``__geo_interface__`` (a GeoJSON geometry,
  Feature or FeatureCollection mapping);
- a GeoDataFrame or GeoSeries: reprojected to EPSG:4326 when it has another CRS.
  **Without a CRS** it is taken as lon/lat (with a :class:`AOIWarning`) when every
  coordinate lies within +-180/+-90, and refused otherwise;
- a GeoJSON dict: a geometry, a Feature or a FeatureCollection (a ``crs`` member
  naming WGS84 is dropped, any other ``crs`` is refused);
- a WKT string, or a GeoJSON text;
- a bbox ``(minx, miny, maxx, maxy)`` of four numbers;
- a list or tuple of any of the above (one feature each).

Each bad input raises :class:`geopera_nb.errors.AOIError` (a ``ValueError`` and a
``TypeError``) saying what was wrong. Geometry validity (self-intersections, rings,
vertex limits) is the server's call: it answers a 422 whose ``loc`` points at the
feature.

Examples
--------
>>> from shapely.geometry import box
>>> fc = to_feature_collection(box(150.0, -34.0, 150.1, -33.9))
>>> fc["type"], fc["features"][0]["geometry"]["type"]
('FeatureCollection', 'Polygon')
>>> to_feature_collection("POLYGON ((0 0, 1 0, 1 1, 0 0))")["features"][0]["geometry"]["type"]
'Polygon'
>>> to_geometry((0, 0, 1, 1))["type"]
'Polygon'
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any, Protocol, runtime_checkable

import orjson
from typing_extensions import TypeAliasType

from ..errors import AOIError

__all__ = [
    "AOILike",
    "AOIWarning",
    "SupportsGeoInterface",
    "to_feature_collection",
    "to_geometry",
]

AREAL = ("Polygon", "MultiPolygon")
GEOMETRY_TYPES = (
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
    "GeometryCollection",
)
_WGS84_CRS_NAMES = {
    "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326",
    "urn:ogc:def:crs:EPSG::4326", "OGC:CRS84", "CRS84",
}


@runtime_checkable
class SupportsGeoInterface(Protocol):
    """Anything exposing ``__geo_interface__`` (shapely, GeoPandas, many more)."""

    @property
    def __geo_interface__(self) -> Mapping[str, Any]: ...


#: What an AOI argument may be (see the module docstring).
AOILike = TypeAliasType("AOILike", SupportsGeoInterface | Mapping[str, Any] | str | Sequence[Any])


class AOIWarning(UserWarning):
    """An AOI was accepted under an assumption (e.g. no CRS: taken as lon/lat)."""


def _json_safe(obj: Any) -> Any:
    """Round-trip through orjson: tuples become lists, numpy values plain numbers."""
    try:
        return orjson.loads(orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY, default=str))
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise AOIError(f"the AOI is not JSON-serialisable: {exc}") from None


def _check_geometry(geometry: Any, where: str) -> dict[str, Any]:
    if not isinstance(geometry, Mapping):
        raise AOIError(f"{where}: a geometry must be a GeoJSON object, got "
                       f"{type(geometry).__name__}")
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        parts = geometry.get("geometries")
        if not isinstance(parts, list) or not parts:
            raise AOIError(f"{where}: an empty GeometryCollection is not an area")
        checked = [_check_geometry(part, f"{where}.geometries[{i}]") for i, part in enumerate(parts)]
        polygons: list[Any] = []
        for part in checked:
            coords = part["coordinates"]
            polygons.extend([coords] if part["type"] == "Polygon" else coords)
        return {"type": "MultiPolygon", "coordinates": polygons} if len(polygons) > 1 else {
            "type": "Polygon", "coordinates": polygons[0]}
    if kind not in GEOMETRY_TYPES:
        raise AOIError(f"{where}: not a GeoJSON geometry (type {kind!r})")
    if kind not in AREAL:
        raise AOIError(f"{where}: an AOI must be a Polygon or MultiPolygon, got {kind}")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list | tuple) or len(coords) == 0:
        raise AOIError(f"{where}: an empty {kind} is not an area")
    crs = geometry.get("crs")
    out = {"type": kind, "coordinates": coords}
    if crs is not None:
        _check_crs_member(crs, where)
    return out


def _check_crs_member(crs: Any, where: str) -> None:
    name = None
    if isinstance(crs, Mapping):
        props = crs.get("properties")
        if isinstance(props, Mapping):
            name = props.get("name")
    if name not in _WGS84_CRS_NAMES:
        raise AOIError(f"{where}: a 'crs' member ({name or crs!r}) is not allowed; GeoJSON "
                       "AOIs are WGS84 lon/lat (pass a GeoDataFrame with its CRS to reproject)")


def _check_lonlat(geometry: Mapping[str, Any], where: str) -> None:
    """Refuse coordinates that cannot be lon/lat (a projected CRS passed without it)."""
    import shapely.geometry  # lazy: ``import geopera_nb.client`` stays light
    from shapely.errors import GEOSException

    try:
        geom = shapely.geometry.shape(geometry)
    except (GEOSException, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise AOIError(f"{where}: cannot read the coordinates: {exc}") from None
    minx, miny, maxx, maxy = geom.bounds
    bounds = (minx, miny, maxx, maxy)
    if not all(math.isfinite(v) for v in bounds):
        return  # the server names the non-finite number precisely
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise AOIError(
            f"{where}: coordinates outside lon/lat range (bounds {tuple(round(v, 3) for v in bounds)}); "
            "AOIs are WGS84 lon/lat: pass a GeoDataFrame/GeoSeries with its CRS to reproject"
        )


def _feature(geometry: Mapping[str, Any], properties: Any = None, fid: Any = None,
             where: str = "AOI") -> dict[str, Any]:
    geom = _check_geometry(geometry, where)
    _check_lonlat(geom, where)
    feature: dict[str, Any] = {"type": "Feature", "geometry": geom,
                               "properties": dict(properties) if isinstance(properties, Mapping)
                               else {}}
    if fid is not None:
        feature["id"] = fid
    return feature


def _from_mapping(obj: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    kind = obj.get("type")
    if kind == "FeatureCollection":
        if obj.get("crs") is not None:
            _check_crs_member(obj["crs"], where)
        features = obj.get("features")
        if not isinstance(features, list | tuple):
            raise AOIError(f"{where}: a FeatureCollection needs a 'features' list")
        if not features:
            raise AOIError(f"{where}: the FeatureCollection has no features")
        out: list[dict[str, Any]] = []
        for i, feature in enumerate(features):
            out.extend(_from_mapping(feature, f"{where}.features[{i}]")
                       if isinstance(feature, Mapping) and feature.get("type") == "Feature"
                       else _bad_feature(feature, f"{where}.features[{i}]"))
        return out
    if kind == "Feature":
        geometry = obj.get("geometry")
        if geometry is None:
            raise AOIError(f"{where}: the Feature has no geometry")
        return [_feature(geometry, obj.get("properties"), obj.get("id"), where)]
    if kind in GEOMETRY_TYPES:
        return [_feature(obj, where=where)]
    if kind is None:
        raise AOIError(f"{where}: a GeoJSON object needs a 'type' member (got keys "
                       f"{sorted(map(str, obj))[:6]})")
    raise AOIError(f"{where}: unknown GeoJSON type {kind!r}")


def _bad_feature(feature: Any, where: str) -> list[dict[str, Any]]:
    kind = feature.get("type") if isinstance(feature, Mapping) else type(feature).__name__
    raise AOIError(f"{where}: expected a GeoJSON Feature, got {kind!r}")


def _is_geo_frame(obj: Any) -> bool:
    return hasattr(obj, "crs") and hasattr(obj, "to_crs") and hasattr(obj, "__geo_interface__")


def _from_frame(obj: Any, where: str) -> list[dict[str, Any]]:
    if len(obj) == 0:
        raise AOIError(f"{where}: the {type(obj).__name__} is empty")
    crs = obj.crs
    if crs is None:
        minx, miny, maxx, maxy = (float(v) for v in obj.total_bounds)
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise AOIError(f"{where}: the {type(obj).__name__} has no CRS and its coordinates "
                           "are not lon/lat; set one with .set_crs(...)")
        warnings.warn(f"{where}: the {type(obj).__name__} has no CRS; assuming EPSG:4326 "
                      "(lon/lat). Set it with .set_crs(4326) to silence this.",
                      AOIWarning, stacklevel=4)
    elif crs.to_epsg() != 4326:
        obj = obj.to_crs(4326)
    interface = obj.__geo_interface__
    features = interface.get("features", [])
    out: list[dict[str, Any]] = []
    for i, feature in enumerate(features):
        geometry = feature.get("geometry")
        if geometry is None:
            raise AOIError(f"{where}: row {i} has no geometry")
        out.append(_feature(_json_safe(geometry), _json_safe(feature.get("properties") or {}),
                            feature.get("id"), f"{where}[{i}]"))
    return out


def _is_bbox(obj: Any) -> bool:
    return (isinstance(obj, Sequence) and not isinstance(obj, str | bytes) and len(obj) == 4
            and all(isinstance(v, Real) and not isinstance(v, bool) for v in obj))


def _features(obj: Any, where: str) -> list[dict[str, Any]]:
    if obj is None:
        raise AOIError(f"{where}: an AOI is required, got None")
    if isinstance(obj, bool | int | float | complex):
        raise AOIError(f"{where}: cannot read an AOI from a number ({type(obj).__name__}); pass "
                       "a shapely geometry, a GeoDataFrame, GeoJSON, WKT or a bbox tuple")
    if isinstance(obj, bytes | bytearray):
        raise AOIError(f"{where}: cannot read an AOI from bytes; decode WKT/GeoJSON text first")
    if isinstance(obj, str):
        return _from_text(obj, where)
    if _is_geo_frame(obj):
        return _from_frame(obj, where)
    if isinstance(obj, Mapping):
        return _from_mapping(obj, where)
    interface = getattr(obj, "__geo_interface__", None)
    if interface is not None:
        if getattr(obj, "is_empty", False) is True:  # an empty shapely geometry
            raise AOIError(f"{where}: the {getattr(obj, 'geom_type', 'geometry')} is empty")
        return _from_mapping(_json_safe(interface), where)
    if _is_bbox(obj):
        import shapely.geometry

        minx, miny, maxx, maxy = (float(v) for v in obj)
        if not (minx < maxx and miny < maxy):
            raise AOIError(f"{where}: a bbox must be (minx, miny, maxx, maxy) with min < max")
        return [_feature(_json_safe(shapely.geometry.box(minx, miny, maxx, maxy)
                                    .__geo_interface__), where=where)]
    if isinstance(obj, list | tuple):
        if not obj:
            raise AOIError(f"{where}: an empty list is not an AOI")
        out: list[dict[str, Any]] = []
        for i, item in enumerate(obj):
            out.extend(_features(item, f"{where}[{i}]"))
        return out
    raise AOIError(f"{where}: cannot read an AOI from {type(obj).__name__}; pass a shapely "
                   "geometry, a GeoDataFrame/GeoSeries, anything with __geo_interface__, "
                   "a GeoJSON dict, WKT or a bbox tuple")


def _from_text(text: str, where: str) -> list[dict[str, Any]]:
    stripped = text.strip()
    if not stripped:
        raise AOIError(f"{where}: an empty string is not an AOI")
    if stripped.startswith("{"):
        try:
            parsed = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            raise AOIError(f"{where}: not valid GeoJSON text: {exc}") from None
        if not isinstance(parsed, dict):
            raise AOIError(f"{where}: GeoJSON text must hold an object")
        return _from_mapping(parsed, where)
    import shapely
    from shapely.errors import GEOSException

    try:
        geom = shapely.from_wkt(stripped)
    except (GEOSException, ValueError) as exc:
        snippet = stripped[:40] + ("…" if len(stripped) > 40 else "")
        raise AOIError(f"{where}: not valid WKT ({snippet!r}): {exc}") from None
    if geom is None or geom.is_empty:
        raise AOIError(f"{where}: the WKT geometry is empty")
    return _from_mapping(_json_safe(geom.__geo_interface__), where)


def to_feature_collection(obj: Any, *, where: str = "AOI") -> dict[str, Any]:
    """Turn an AOI into the GeoJSON FeatureCollection the API wants.

    Parameters
    ----------
    obj
        A shapely geometry, GeoDataFrame/GeoSeries, anything with
        ``__geo_interface__``, a GeoJSON dict or text, WKT, a bbox tuple, or a list of
        those.
    where
        How to name the argument in error messages.

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}`` with plain JSON values,
        every geometry a Polygon or MultiPolygon in lon/lat.

    Raises
    ------
    geopera_nb.errors.AOIError
        When ``obj`` cannot be read, is not areal, is empty, or is not lon/lat.

    Examples
    --------
    >>> fc = to_feature_collection({"type": "Polygon",
    ...                             "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]})
    >>> len(fc["features"])
    1
    >>> to_feature_collection(42)
    Traceback (most recent call last):
    ...
    geopera_nb.errors.AOIError: AOI: cannot read an AOI from a number (int); ...
    """
    features = _json_safe(_features(obj, where))
    return {"type": "FeatureCollection", "features": features}


def to_geometry(obj: Any, *, where: str = "AOI") -> dict[str, Any]:
    """Turn an AOI into one GeoJSON geometry (several parts are merged into a MultiPolygon).

    This is the shape of ``catalog.search``'s ``intersects``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> to_geometry([box(0, 0, 1, 1), box(2, 2, 3, 3)])["type"]
    'MultiPolygon'
    """
    features = _features(obj, where)
    geometries = [f["geometry"] for f in features]
    if len(geometries) == 1:
        single: dict[str, Any] = _json_safe(geometries[0])
        return single
    polygons: list[Any] = []
    for geom in geometries:
        polygons.extend([geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"])
    return {"type": "MultiPolygon", "coordinates": _json_safe(polygons)}
