"""Geometry rules shared by the sandbox and the map widgets.

AOIs are WGS84 lon/lat Polygon or MultiPolygon features in a GeoJSON FeatureCollection
(RFC 7946). :func:`parse_feature_collection` applies every rule of ``semantics.md``
(closed rings of >= 4 positions, lat/lon ranges, finite numbers, no ``crs`` member,
areal non-empty geometry, no self-intersection, <= 10,000 vertices per feature),
collects *all* problems and raises :class:`GeometryRejected`. Accepted AOIs are
normalised: rings oriented counter-clockwise (exterior) and polygons that cross the
antimeridian split into a MultiPolygon on both sides. Areas are geodesic km2 on the
WGS84 ellipsoid.

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

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

__all__ = [
    "AOI",
    "MAX_VERTICES",
    "GeometryProblem",
    "GeometryRejected",
    "geodesic_area_km2",
    "geodesic_areas_km2",
    "geojson_bbox",
    "parse_feature",
    "parse_feature_collection",
    "parse_geometry",
    "polygonal",
    "split_antimeridian",
    "to_geojson",
    "validate_geometry",
]

#: Most positions one feature may have (all rings of all its polygons).
MAX_VERTICES = 10_000
#: Smallest AOI area accepted (1 m2): slivers are rejected as non-areal.
MIN_AREA_KM2 = 1e-6
#: Most problems reported per feature (a hostile body must not produce megabytes of errors).
_MAX_PROBLEMS_PER_FEATURE = 20
_AREAL = ("Polygon", "MultiPolygon")
_NON_AREAL = ("Point", "MultiPoint", "LineString", "MultiLineString", "GeometryCollection")

_GEOD = Geod(ellps="WGS84")

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class GeometryProblem:
    """One reason a geometry was rejected: where (``loc`` into the body) and why."""

    loc: Loc
    msg: str
    type: str = "value_error.geometry"

    def as_detail(self) -> dict[str, Any]:
        """The FastAPI-style ``{"loc", "msg", "type"}`` item (``loc`` as a list)."""
        return {"loc": list(self.loc), "msg": self.msg, "type": self.type}


class GeometryRejected(ValueError):
    """A geometry or FeatureCollection broke the rules; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[GeometryProblem]) -> None:
        self.problems: list[GeometryProblem] = list(problems)
        text = "; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in self.problems)
        super().__init__(f"geometry rejected: {text}")


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


# --- areas ------------------------------------------------------------------------------


def _ring_area_m2(ring: BaseGeometry) -> float:
    """Signed geodesic area (m2) of one ring, CCW positive (what ``Geod`` gives for ``ring.xy``)."""
    xy = shapely.get_coordinates(ring)
    area, _ = _GEOD.polygon_area_perimeter(xy[:, 0], xy[:, 1])
    return float(area)


def _polygon_area_m2(poly: Polygon) -> float:
    """Absolute geodesic area (m2) of one polygon: CCW shell plus CW holes.

    Bit for bit what ``Geod.geometry_area_perimeter(orient(poly))`` answers, without its
    per-vertex ``array.array`` copies (``ring.xy``): the same coordinates, in the same
    order, go to the same ``polygon_area_perimeter``.
    """
    return _oriented_polygon_area_m2(orient(poly, sign=1.0))


def _oriented_polygon_area_m2(poly: Polygon) -> float:
    """:func:`_polygon_area_m2` of a polygon already oriented (CCW shell, CW holes)."""
    total = _ring_area_m2(poly.exterior)
    for hole in poly.interiors:
        total += _ring_area_m2(hole)
    return abs(total)


def geodesic_area_km2(geom: BaseGeometry) -> float:
    """Geodesic area in km2 on the WGS84 ellipsoid (absolute, any winding).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> round(geodesic_area_km2(box(0, 0, 1, 1)), 1)
    12308.8
    """
    return _area_m2(geom) / 1e6


def _area_m2(geom: BaseGeometry | None) -> float:
    if geom is None or geom.is_empty:
        return 0.0
    total = 0.0
    for part in shapely.get_parts(geom):
        if isinstance(part, Polygon):
            if not part.is_empty:
                total += _polygon_area_m2(part)
        elif isinstance(part, MultiPolygon | shapely.GeometryCollection):
            total += _area_m2(part)  # (km2 was once added to m2 here; nested parts count)
    return total


def geodesic_areas_km2(geoms: np.ndarray | Sequence[BaseGeometry]) -> np.ndarray:
    """Geodesic areas (km2) of an array of geometries; missing/empty ones are 0.

    pyproj's ``Geod`` has no per-geometry vectorised entry point, so this loops in
    Python over the geometries (about 10 us each) and returns a float array.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> geodesic_areas_km2([box(0, 0, 1, 1), None]).round(0).tolist()
    [12309.0, 0.0]
    """
    arr = np.asarray(geoms, dtype=object)
    out = np.zeros(arr.shape[0], dtype=np.float64)
    for i, g in enumerate(arr):
        out[i] = geodesic_area_km2(g) if g is not None else 0.0
    return out


# --- GeoJSON out ------------------------------------------------------------------------


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


# --- coordinate checking ----------------------------------------------------------------


class _Collector:
    """Collects problems, capped per feature."""

    def __init__(self) -> None:
        self.problems: list[GeometryProblem] = []
        self._count = 0

    def add(self, loc: Loc, msg: str) -> None:
        self._count += 1
        if self._count <= _MAX_PROBLEMS_PER_FEATURE:
            self.problems.append(GeometryProblem(loc, msg))

    @property
    def full(self) -> bool:
        """Whether further problems would be dropped (the per-feature cap is reached)."""
        return self._count >= _MAX_PROBLEMS_PER_FEATURE


def _number(v: object) -> float | str:
    """A finite float, or the reason the value is not one."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return f"coordinate must be a number, got {type(v).__name__}"
    try:
        f = float(v)
    except OverflowError:
        return "coordinate is a huge number"
    if not math.isfinite(f):
        return "coordinate is not a finite number"
    if abs(f) > 1e6:
        return "coordinate is a huge number"
    return f


#: Python types a coordinate may have on the vectorised path (exact types: ``bool`` is an
#: ``int`` subclass and must take the per-value path, which rejects it).
_PLAIN_NUMBERS = frozenset((float, int))
_POSITION_LENGTHS = (frozenset((2,)), frozenset((3,)))


def _ring(raw: object, loc: Loc, out: _Collector) -> np.ndarray | None:
    """Check one linear ring; answer its ``(n, 2)`` lon/lat array, or ``None`` if rejected.

    Problems go to ``out`` in position order, exactly as :func:`_ring_scalar` reports
    them. A ring of plain JSON numbers (every position a list of 2, or every position a
    list of 3, ``int``/``float`` values) is checked with numpy over the whole coordinate
    array; anything else (strings, booleans, nested arrays, mixed position lengths, ints
    too large for a float, subclasses) takes the per-value path.
    """
    if not isinstance(raw, list):
        out.add(loc, "ring must be an array of positions")
        return None
    arr = _plain_coordinates(raw)
    if arr is None:
        return _ring_scalar(raw, loc, out)
    n = arr.shape[0]
    if n < 4:
        out.add(loc, f"ring has {n} positions; a linear ring needs at least 4")
    finite = np.isfinite(arr)
    # _number's order per value: not finite, then huge; the first bad value of a position wins
    code = np.where(finite, np.where(np.abs(arr) > 1e6, 2, 0), 1)
    bad_number: np.ndarray = np.asarray(code.any(axis=1), dtype=bool)
    lon, lat = arr[:, 0], arr[:, 1]
    bad_lon = ~bad_number & ~((lon >= -180.0) & (lon <= 180.0))
    bad_lat = ~bad_number & ~((lat >= -90.0) & (lat <= 90.0))
    bad = np.flatnonzero(bad_number | bad_lon | bad_lat)
    if bad.size:
        first = (code[bad] != 0).argmax(axis=1)  # the first bad value of each position
        for j, k in zip(bad.tolist(), first.tolist(), strict=True):
            ploc = (*loc, j)
            if bad_number[j]:
                out.add(ploc, _NUMBER_PROBLEMS[int(code[j, k])])
                continue
            if bad_lon[j]:
                out.add(ploc, f"longitude {float(lon[j])} is outside [-180, 180]")
            if bad_lat[j]:
                out.add(ploc, f"latitude {float(lat[j])} is outside [-90, 90]")
            if out.full:
                break  # further problems are not reported (the per-feature cap)
        return None
    pts = arr[:, :2] if arr.shape[1] == 3 else arr
    if n >= 2 and (pts[0, 0] != pts[-1, 0] or pts[0, 1] != pts[-1, 1]):
        out.add(loc, "ring is not closed (first and last positions differ)")
        return None
    return np.ascontiguousarray(pts) if n >= 4 else None


_NUMBER_PROBLEMS = {1: "coordinate is not a finite number", 2: "coordinate is a huge number"}


def _plain_coordinates(raw: list[Any]) -> np.ndarray | None:
    """``raw`` as an ``(n, 2|3)`` float array when it is a ring of plain numbers, else None.

    The type checks run at C speed (``set(map(type, ...))``), not per value in Python.
    """
    if not raw or set(map(type, raw)) != {list}:
        return None
    if set(map(len, raw)) not in _POSITION_LENGTHS:
        return None
    if not set(map(type, chain.from_iterable(raw))) <= _PLAIN_NUMBERS:
        return None
    try:
        return np.array(raw, dtype=np.float64)
    except (OverflowError, ValueError, TypeError):  # an int beyond float range: per value
        return None


def _ring_scalar(raw: list[Any], loc: Loc, out: _Collector) -> np.ndarray | None:
    """The per-value ring check (any JSON value); the reference :func:`_ring` matches."""
    if len(raw) < 4:
        out.add(loc, f"ring has {len(raw)} positions; a linear ring needs at least 4")
    ok = True
    pts: list[tuple[float, float]] = []
    for j, pos in enumerate(raw):
        ploc = (*loc, j)
        if not isinstance(pos, list) or not 2 <= len(pos) <= 3:
            out.add(ploc, "position must be an array of 2 or 3 numbers")
            ok = False
            continue
        vals = [_number(v) for v in pos]
        bad = [v for v in vals if isinstance(v, str)]
        if bad:
            out.add(ploc, str(bad[0]))
            ok = False
            continue
        lon, lat = float(vals[0]), float(vals[1])
        if not -180.0 <= lon <= 180.0:
            out.add(ploc, f"longitude {lon} is outside [-180, 180]")
            ok = False
        if not -90.0 <= lat <= 90.0:
            out.add(ploc, f"latitude {lat} is outside [-90, 90]")
            ok = False
        pts.append((lon, lat))
    if not ok:
        return None
    if len(pts) >= 2 and pts[0] != pts[-1]:
        out.add(loc, "ring is not closed (first and last positions differ)")
        return None
    return np.asarray(pts, dtype=np.float64) if len(pts) >= 4 else None


def _count_positions(coords: object, depth: int) -> int:
    """Positions in a coordinates array of the given nesting depth (cheap, no parsing)."""
    if not isinstance(coords, list):
        return 0
    if depth == 1:
        return len(coords)
    return sum(_count_positions(c, depth - 1) for c in coords)


# --- antimeridian -----------------------------------------------------------------------


def _unwrap(ring: np.ndarray) -> tuple[np.ndarray, bool]:
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


def _wrap_split(poly: Polygon) -> Polygon | MultiPolygon:
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


def _polygon(rings_raw: object, loc: Loc, out: _Collector) -> Polygon | None:
    """Parse one polygon's rings -> the unwrapped polygon (lon may leave [-180, 180])."""
    if not isinstance(rings_raw, list) or not rings_raw:
        out.add(loc, "polygon must be a non-empty array of linear rings")
        return None
    rings = [_ring(r, (*loc, k), out) for k, r in enumerate(rings_raw)]
    if any(r is None for r in rings):
        return None
    unwrapped = [_unwrap(r) for r in rings if r is not None]
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


def _areal(geometry: object, loc: Loc, out: _Collector) -> Polygon | MultiPolygon | None:
    got = _areal_with_area(geometry, loc, out)
    return None if got is None else got[0]


def _areal_with_area(
    geometry: object, loc: Loc, out: _Collector
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
    n = _count_positions(coords, depth)
    if n > MAX_VERTICES:
        out.add(cloc, f"geometry has {n} vertices; at most {MAX_VERTICES} are allowed")
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
        split = _wrap_split(p)
        pieces.extend(q for q in shapely.get_parts(split) if isinstance(q, Polygon))
    pieces = [orient(p, sign=1.0) for p in pieces]
    result = pieces[0] if len(pieces) == 1 else MultiPolygon(pieces)
    # == geodesic_area_km2(result), computed once here and kept on the AOI
    area_km2 = sum(_oriented_polygon_area_m2(p) for p in pieces) / 1e6
    if area_km2 < MIN_AREA_KM2:
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
    out = _Collector()
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


def _non_areal(geometry: dict[str, Any], loc: Loc, out: _Collector) -> BaseGeometry:
    gtype = geometry["type"]
    coords = geometry.get("coordinates")
    cloc = (*loc, "coordinates")
    depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2}[gtype]
    if depth and _count_positions(coords, depth) > MAX_VERTICES:
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
        pts = _ring(closed, cloc if depth <= 1 else (*cloc, k), out)
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
    out = _Collector()
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
        fout = _Collector()
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
    out = _Collector()
    aoi = _feature(feature, index, (*loc, index), out)
    if aoi is None or out.problems:
        raise GeometryRejected(out.problems or [GeometryProblem((*loc, index), "invalid feature")])
    return aoi


def _feature(feat: object, i: int, floc: Loc, out: _Collector) -> AOI | None:
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
