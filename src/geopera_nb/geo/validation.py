"""AOI validation: every rule of ``semantics.md``, every problem with its ``loc``.

AOIs are WGS84 lon/lat Polygon or MultiPolygon features in a GeoJSON FeatureCollection
(RFC 7946). :func:`parse_feature_collection` applies the rules (closed rings of >= 4
positions, lat/lon ranges, finite numbers, no ``crs`` member, areal non-empty geometry,
no self-intersection, at most :data:`~geopera_nb.contract.limits.VERTICES_MAX` vertices
per feature), collects *all* problems and raises :class:`GeometryRejected`. Accepted AOIs
are normalised: rings oriented counter-clockwise (exterior) and polygons that cross the
antimeridian split into a MultiPolygon on both sides; their geodesic area is computed
once, with :mod:`geopera_nb.geo.area`.

Examples
--------
>>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
...       "geometry": {"type": "Polygon",
...                    "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}}]}
>>> [aoi] = parse_feature_collection(fc)
>>> round(aoi.area_km2)
12309
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from geopera_nb.contract.limits import AREA_MIN_KM2, VERTICES_MAX

from .antimeridian import cut_at_antimeridian, unwrap
from .area import oriented_polygon_area_m2
from .coordinates import (
    GeometryProblem,
    GeometryRejected,
    Loc,
    ProblemCollector,
    check_ring,
    count_positions,
)

__all__ = [
    "AOI",
    "GeometryProblem",
    "GeometryRejected",
    "parse_feature",
    "parse_feature_collection",
    "parse_geometry",
    "split_antimeridian",
    "validate_geometry",
]

_AREAL = ("Polygon", "MultiPolygon")
_NON_AREAL = ("Point", "MultiPoint", "LineString", "MultiLineString", "GeometryCollection")


@dataclass(frozen=True)
class AOI:
    """One accepted area of interest (a feature of the FeatureCollection).

    ``geometry`` is normalised (CCW exterior rings, antimeridian already split);
    ``area_km2`` is geodesic on WGS84.
    """

    index: int
    geometry: Polygon | MultiPolygon
    area_km2: float
    name: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)



def _polygon(rings_raw: object, loc: Loc, out: ProblemCollector) -> Polygon | None:
    """Parse one polygon's rings -> the unwrapped polygon (lon may leave [-180, 180])."""
    if not isinstance(rings_raw, list) or not rings_raw:
        out.add(loc, "polygon must be a non-empty array of linear rings")
        return None
    rings = [check_ring(r, (*loc, k), out) for k, r in enumerate(rings_raw)]
    if any(r is None for r in rings):
        return None
    unwrapped = [unwrap(r) for r in rings if r is not None]
    shell = unwrapped[0][0]
    if abs(shell[-1, 0] - shell[0, 0]) > 1e-9:
        out.add(loc, "ring encircles a pole; split it into polygons that do not")
        return None
    if np.ptp(shell[:, 0]) >= 360.0:
        out.add(loc, "polygon spans 360 degrees of longitude or more")
        return None
    holes = []
    centre = float(shell[:, 0].mean())
    for arr, _ in unwrapped[1:]:
        # bring each hole to the same 360-degree sheet as the shell
        arr = arr.copy()
        arr[:, 0] += 360.0 * round((centre - float(arr[:, 0].mean())) / 360.0)
        holes.append(arr)
    return Polygon(shell, holes)


def _areal(geometry: object, loc: Loc, out: ProblemCollector) -> Polygon | MultiPolygon | None:
    got = _areal_with_area(geometry, loc, out)
    return None if got is None else got[0]


def _areal_with_area(
    geometry: object, loc: Loc, out: ProblemCollector
) -> tuple[Polygon | MultiPolygon, float] | None:
    """The normalised areal geometry and its geodesic area (km2), or None when rejected."""
    if not isinstance(geometry, dict):
        out.add(loc, "geometry must be a GeoJSON Polygon or MultiPolygon object")
        return None
    if "crs" in geometry:
        out.add((*loc, "crs"), "a 'crs' member is not allowed (RFC 7946: WGS84 lon/lat only)")
    gtype = geometry.get("type")
    if gtype in _NON_AREAL:
        out.add((*loc, "type"), f"geometry must be areal (Polygon or MultiPolygon), got {gtype}")
        return None
    if gtype not in _AREAL:
        out.add((*loc, "type"), "geometry type must be 'Polygon' or 'MultiPolygon'")
        return None
    coords = geometry.get("coordinates")
    cloc = (*loc, "coordinates")
    if not isinstance(coords, list) or not coords:
        out.add(cloc, "geometry is empty")
        return None
    depth = 2 if gtype == "Polygon" else 3
    n = count_positions(coords, depth)
    if n > VERTICES_MAX:
        out.add(cloc, f"geometry has {n} vertices; at most {VERTICES_MAX} are allowed")
        return None
    raw_polys = [coords] if gtype == "Polygon" else coords
    parsed: list[Polygon] = []
    ok = True
    for k, rp in enumerate(raw_polys):
        ploc = cloc if gtype == "Polygon" else (*cloc, k)
        got = _polygon(rp, ploc, out)
        if got is None:
            ok = False
            continue
        parsed.append(got)
    if not ok:
        return None
    unwrapped: BaseGeometry = parsed[0] if len(parsed) == 1 else MultiPolygon(parsed)
    reason = shapely.is_valid_reason(unwrapped)
    if reason != "Valid Geometry":
        out.add(cloc, f"invalid geometry: {reason}")
        return None
    if unwrapped.area <= 0.0:
        out.add(cloc, "geometry has zero area")
        return None
    pieces: list[Polygon] = []
    for p in parsed:
        split = cut_at_antimeridian(p)
        pieces.extend(q for q in shapely.get_parts(split) if isinstance(q, Polygon))
    pieces = [orient(p, sign=1.0) for p in pieces]
    result = pieces[0] if len(pieces) == 1 else MultiPolygon(pieces)
    # == geodesic_area_km2(result), computed once here and kept on the AOI
    area_km2 = sum(oriented_polygon_area_m2(p) for p in pieces) / 1e6
    if area_km2 < AREA_MIN_KM2:
        out.add(cloc, "geometry has (nearly) zero area (under 1 m2)")
        return None
    return result, area_km2


# --- public entry points ----------------------------------------------------------------


def parse_geometry(
    geometry: object, loc: Loc = ("geometry",), *, areal_only: bool = True
) -> BaseGeometry:
    """Validate one GeoJSON geometry and return the normalised shapely geometry.

    With ``areal_only=False`` (used for ``catalog.search`` ``intersects``) points and
    lines are accepted too, with the same coordinate rules.

    Raises
    ------
    GeometryRejected
        With every problem found.

    Examples
    --------
    >>> g = parse_geometry({"type": "Polygon", "coordinates": [[[179, 0], [-179, 0],
    ...                     [-179, 1], [179, 1], [179, 0]]]})
    >>> g.geom_type, len(g.geoms)
    ('MultiPolygon', 2)
    """
    out = ProblemCollector()
    try:
        if (
            not areal_only
            and isinstance(geometry, dict)
            and geometry.get("type") in ("Point", "MultiPoint", "LineString", "MultiLineString")
        ):
            return _non_areal(geometry, loc, out)
        result = _areal(geometry, loc, out)
    except RecursionError:  # pragma: no cover - defensive: nothing here recurses deeply
        raise GeometryRejected([GeometryProblem(loc, "geometry is nested too deeply")]) from None
    if result is None or out.problems:
        raise GeometryRejected(out.problems or [GeometryProblem(loc, "invalid geometry")])
    return result


def _non_areal(geometry: dict[str, Any], loc: Loc, out: ProblemCollector) -> BaseGeometry:
    gtype = geometry["type"]
    coords = geometry.get("coordinates")
    cloc = (*loc, "coordinates")
    depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2}[gtype]
    if depth and count_positions(coords, depth) > VERTICES_MAX:
        raise GeometryRejected([GeometryProblem(cloc, "geometry has too many vertices")])
    wrapped: object = [coords, coords] if depth == 0 else coords
    lines = [wrapped] if depth <= 1 else wrapped
    if not isinstance(lines, list) or not lines:
        raise GeometryRejected([GeometryProblem(cloc, "geometry is empty")])
    parsed: list[np.ndarray] = []
    for k, line in enumerate(lines):
        if not isinstance(line, list) or not line:
            out.add((*cloc, k), "expected a non-empty array of positions")
            continue
        # reuse the ring checks for the positions (closing/length rules do not apply)
        closed = [*line, line[0]] if line[0] != line[-1] else list(line)
        closed = closed + [closed[-1]] * max(0, 4 - len(closed))
        pts = check_ring(closed, cloc if depth <= 1 else (*cloc, k), out)
        if pts is not None:
            parsed.append(pts[: len(line)])
    if out.problems:
        raise GeometryRejected(out.problems)
    if gtype == "Point":
        return shapely.Point(parsed[0][0])
    if gtype == "MultiPoint":
        return shapely.MultiPoint(parsed[0])
    if gtype == "LineString":
        if len(parsed[0]) < 2:
            raise GeometryRejected([GeometryProblem(cloc, "a LineString needs 2 positions")])
        return shapely.LineString(parsed[0])
    return shapely.MultiLineString([p for p in parsed if len(p) >= 2])


def split_antimeridian(geojson_geometry: dict[str, Any]) -> BaseGeometry:
    """Validate a GeoJSON Polygon/MultiPolygon and split it at the antimeridian.

    A polygon whose consecutive longitudes jump by more than 180 deg (e.g. 179 -> -179)
    is read as crossing the antimeridian, never as wrapping round the globe.

    Examples
    --------
    >>> g = split_antimeridian({"type": "Polygon", "coordinates": [[[170, -5], [-170, -5],
    ...                         [-170, 5], [170, 5], [170, -5]]]})
    >>> [tuple(round(v) for v in p.bounds) for p in g.geoms]
    [(-180, -5, -170, 5), (170, -5, 180, 5)]
    """
    return parse_geometry(geojson_geometry, ("geometry",))


def validate_geometry(geometry: dict[str, Any]) -> str | None:
    """The reason a GeoJSON AOI geometry is rejected, or ``None`` when it is fine.

    Examples
    --------
    >>> validate_geometry({"type": "Point", "coordinates": [0, 0]})
    'geometry must be areal (Polygon or MultiPolygon), got Point'
    >>> validate_geometry({"type": "Polygon",
    ...                    "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}) is None
    True
    """
    try:
        parse_geometry(geometry)
    except GeometryRejected as exc:
        return "; ".join(p.msg for p in exc.problems)
    return None


def parse_feature_collection(fc: object, loc: Loc = ("featureCollection",)) -> list[AOI]:
    """Validate a FeatureCollection of AOIs and return them normalised, in order.

    Parameters
    ----------
    fc
        The decoded JSON value (anything: hostile input is rejected, never crashes).
    loc
        Where ``fc`` sits in the request body; problems' ``loc`` extend it.

    Raises
    ------
    GeometryRejected
        Listing *every* problem found (each with ``loc``, ``msg``, ``type``).

    Examples
    --------
    >>> try:
    ...     parse_feature_collection({"type": "FeatureCollection", "features": []})
    ... except GeometryRejected as exc:
    ...     print(exc.problems[0].loc, exc.problems[0].msg)
    ('featureCollection', 'features') features must be a non-empty array of Features
    """
    out = ProblemCollector()
    if not isinstance(fc, dict):
        raise GeometryRejected([GeometryProblem(loc, "must be a GeoJSON FeatureCollection")])
    if fc.get("type") != "FeatureCollection":
        out.add((*loc, "type"), "type must be 'FeatureCollection'")
    if "crs" in fc:
        out.add((*loc, "crs"), "a 'crs' member is not allowed (RFC 7946: WGS84 lon/lat only)")
    features = fc.get("features")
    if not isinstance(features, list) or not features:
        out.add((*loc, "features"), "features must be a non-empty array of Features")
        raise GeometryRejected(out.problems)
    aois: list[AOI] = []
    problems = list(out.problems)
    for i, feat in enumerate(features):
        fout = ProblemCollector()
        floc: Loc = (*loc, "features", i)
        aoi = _feature(feat, i, floc, fout)
        problems.extend(fout.problems)
        if aoi is not None and not fout.problems:
            aois.append(aoi)
    if problems:
        raise GeometryRejected(problems)
    return aois


def parse_feature(feature: object, index: int, loc: Loc = ("featureCollection", "features")) -> AOI:
    """Validate one Feature of a FeatureCollection (for one-order-per-feature placement).

    ``loc`` is where the features array is; problems point at ``(*loc, index, ...)``.

    Raises
    ------
    GeometryRejected
        With every problem of this feature.

    Examples
    --------
    >>> f = {"type": "Feature", "properties": {"name": "A"}, "geometry": {"type": "Polygon",
    ...      "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}
    >>> parse_feature(f, 3).index, parse_feature(f, 3).name
    (3, 'A')
    """
    out = ProblemCollector()
    aoi = _feature(feature, index, (*loc, index), out)
    if aoi is None or out.problems:
        raise GeometryRejected(out.problems or [GeometryProblem((*loc, index), "invalid feature")])
    return aoi


def _feature(feat: object, i: int, floc: Loc, out: ProblemCollector) -> AOI | None:
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        out.add(floc, "must be a GeoJSON Feature")
        return None
    if "crs" in feat:
        out.add((*floc, "crs"), "a 'crs' member is not allowed (RFC 7946: WGS84 lon/lat only)")
    props = feat.get("properties")
    if props is not None and not isinstance(props, dict):
        out.add((*floc, "properties"), "properties must be an object or null")
        props = None
    got = _areal_with_area(feat.get("geometry"), (*floc, "geometry"), out)
    if got is None or out.problems:
        return None
    geom, area_km2 = got
    props = dict(props or {})
    name = props.get("name")
    return AOI(
        index=i,
        geometry=geom,
        area_km2=area_km2,
        name=name if isinstance(name, str) else None,
        properties=props,
    )

