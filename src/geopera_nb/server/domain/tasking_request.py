"""Tasking requests: one group of AOIs for one sensor, validated and normalised.

:func:`normalise_tasking_group` turns a raw TaskingGroup (api-shapes) into a
:class:`TaskingRequest` that pricing, feasibility, placement and delivery planning share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon

from geopera_nb.contract.limits import (
    DEFAULT_WINDOW_DAYS,
    HORIZON_DAYS,
    TASKING_WINDOW_MAX_DAYS,
)
from geopera_nb.contract.timestamps import UNIX_EPOCH, parse_instant
from geopera_nb.geo import (
    AOI,
    GeometryRejected,
    geodesic_area_km2,
    parse_feature_collection,
    polygonal,
)

from .catalogue import Catalogue
from .rejections import DomainError, from_geometry

__all__ = [
    "EARLIEST_INSTANT",
    "PRIORITY_FACTORS",
    "TaskingRequest",
    "normalise_tasking_group",
    "parse_window",
    "resolve_sensor",
    "union_area",
]

#: Price factors of the priorities (api-shapes).
PRIORITY_FACTORS: dict[str, float] = {"standard": 1.0, "priority": 1.5, "rush": 2.0}
#: No window instant may lie before this (the Unix epoch) ...
EARLIEST_INSTANT = UNIX_EPOCH

Loc = tuple[str | int, ...]


@dataclass(frozen=True, eq=False)
class TaskingRequest:
    """A validated tasking group (one future TASKING order)."""

    index: int
    sensor: dict[str, Any]
    data_product_id: str
    aois: list[AOI]
    geometry: Polygon | MultiPolygon
    area_km2: float
    start: datetime
    end: datetime
    max_cloud: float | None
    max_off_nadir: float | None
    priority: str
    display_name: str | None = None
    tags: list[str] = field(default_factory=list)
    feature_collection: dict[str, Any] = field(default_factory=dict)

    @property
    def window_hours(self) -> float:
        """Length of the acquisition window in hours."""
        return (self.end - self.start).total_seconds() / 3600.0

    @property
    def priority_factor(self) -> float:
        """Price factor of the priority."""
        return PRIORITY_FACTORS[self.priority]


def resolve_sensor(group: dict[str, Any], loc: Loc, cat: Catalogue) -> dict[str, Any]:
    """The sensor named by ``sensor`` or ``dataProduct`` (a tasking product) of a body.

    Raises
    ------
    DomainError
        422 when neither is given, they disagree, or the id is unknown.
    """
    sid, pid = group.get("sensor"), group.get("dataProduct")
    sensor: dict[str, Any] | None = None
    if sid is not None:
        sensor = cat.sensor(sid)
        if sensor is None:
            raise DomainError(422, (*loc, "sensor"), f"unknown sensor {sid!r}")
    if pid is not None:
        product = cat.product(pid)
        if product is None or product["kind"] != "tasking":
            raise DomainError(422, (*loc, "dataProduct"), f"unknown tasking data product {pid!r}")
        by_product = cat.sensor(product["sensor"])
        if sensor is not None and by_product is not None and by_product["id"] != sensor["id"]:
            raise DomainError(
                422, (*loc, "dataProduct"), "dataProduct and sensor name different sensors"
            )
        sensor = by_product
    if sensor is None:
        raise DomainError(422, (*loc, "sensor"), "give either 'sensor' or 'dataProduct'")
    return sensor


def parse_window(
    params: dict[str, Any],
    now: datetime,
    loc: Loc,
    *,
    default_days: float = DEFAULT_WINDOW_DAYS,
    max_days: float = TASKING_WINDOW_MAX_DAYS,
) -> tuple[datetime, datetime]:
    """``start``/``end`` of a body (defaults now .. now + default_days), checked.

    Raises
    ------
    DomainError
        422: not ISO date-times, before 1970 or more than 10 years ahead, end not after
        start, end not in the future, too long.

    Examples
    --------
    >>> from geopera_nb.server.domain.seeding import SANDBOX_EPOCH
    >>> s, e = parse_window({}, SANDBOX_EPOCH, ())
    >>> (e - s).days
    14
    """
    latest = now + timedelta(days=HORIZON_DAYS)
    out: list[datetime] = []
    for key, default in (("start", now), ("end", None)):
        raw = params.get(key)
        if raw is None:
            out.append(default if default is not None else out[0] + timedelta(days=default_days))
            continue
        try:
            value = parse_instant(raw)
        except (ValueError, TypeError, OverflowError):
            raise DomainError(
                422, (*loc, key), f"{key} must be an ISO 8601 date-time", "value_error.datetime"
            ) from None
        if not EARLIEST_INSTANT <= value <= latest:
            raise DomainError(
                422,
                (*loc, key),
                f"{key} must lie between 1970-01-01 and {HORIZON_DAYS // 365} years from now",
            )
        out.append(value)
    start, end = out
    if end <= start:
        raise DomainError(422, (*loc, "end"), "end must be after start")
    if end <= now:
        raise DomainError(422, (*loc, "end"), "the acquisition window is already over")
    if end - start > timedelta(days=max_days):
        raise DomainError(422, (*loc, "end"), f"the window may last at most {max_days:g} days")
    return start, end


def union_area(
    geoms: list[Polygon | MultiPolygon], areas_km2: list[float]
) -> tuple[Polygon | MultiPolygon, float]:
    """The union of AOI geometries and its geodesic area (km2; overlaps counted once).

    ``areas_km2`` are the geometries' own areas (computed once when they were parsed):
    when the union is the single geometry unchanged (same vertices, same order) its area
    is reused instead of running the geodesic area (~1 ms per 1,000 vertices) again.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> u, a = union_area([box(0, 0, 1, 1)], [12308.8])
    >>> u.equals(box(0, 0, 1, 1)), a
    (True, 12308.8)
    """
    union = polygonal(shapely.union_all(geoms))
    if len(geoms) == 1 and shapely.equals_exact(union, geoms[0], tolerance=0.0):
        return union, float(areas_km2[0])
    return union, geodesic_area_km2(union)


def _number(group: dict[str, Any], key: str, loc: Loc, hi: float) -> float | None:
    v = group.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= hi:
        raise DomainError(422, (*loc, key), f"{key} must be a number between 0 and {hi:g}")
    return float(v)


def normalise_tasking_group(
    group: object, index: int, cat: Catalogue, now: datetime, *, loc: Loc | None = None
) -> TaskingRequest:
    """Validate a TaskingGroup and normalise it.

    Parameters
    ----------
    group
        The raw group (``sensor`` or ``dataProduct``, ``featureCollection``, ``start``,
        ``end``, ``maxCloudCoverage``, ``maxOffNadir``, ``priority``, ``displayName``,
        ``tags``).
    index
        Its index in the body (used in ``loc``).
    loc
        Where the group is in the body (default ``("groups", index)``).

    Raises
    ------
    DomainError
        422 with ``loc`` into the group: unknown sensor/product, bad geometry, bad window,
        bad limits, unknown priority, area over the sensor's ``maxKm2``.

    Examples
    --------
    >>> from geopera_nb.server.domain.catalogue import build_catalogue
    >>> cat = build_catalogue(0, n_captures=10)
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
    ...       "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0.05, 0], [0.05, 0.05],
    ...       [0, 0.05], [0, 0]]]}}]}
    >>> req = normalise_tasking_group({"sensor": "geo-owl-30", "featureCollection": fc}, 0,
    ...                               cat, cat.now)
    >>> req.priority, round(req.area_km2, 1), round(req.window_hours)
    ('standard', 30.8, 336)
    """
    loc = ("groups", index) if loc is None else loc
    if not isinstance(group, dict):
        raise DomainError(422, loc, "each group must be an object")
    sensor = resolve_sensor(group, loc, cat)
    try:
        aois = parse_feature_collection(group.get("featureCollection"), (*loc, "featureCollection"))
    except GeometryRejected as exc:
        raise from_geometry(exc) from None
    start, end = parse_window(group, now, loc)
    max_cloud = _number(group, "maxCloudCoverage", loc, 100.0)
    max_off = _number(group, "maxOffNadir", loc, 90.0)
    priority = group.get("priority")
    if priority is None:  # absent or null: the default; "" or 0 are not priorities
        priority = "standard"
    if not isinstance(priority, str) or priority not in PRIORITY_FACTORS:
        raise DomainError(
            422, (*loc, "priority"), "priority must be one of standard, priority, rush"
        )
    name = group.get("displayName")
    if name is not None and not isinstance(name, str):
        raise DomainError(422, (*loc, "displayName"), "displayName must be a string")
    tags = group.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise DomainError(422, (*loc, "tags"), "tags must be an array of strings")
    union, area = union_area([a.geometry for a in aois], [a.area_km2 for a in aois])
    if area > sensor["maxKm2"]:
        raise DomainError(
            422,
            (*loc, "featureCollection"),
            f"the AOI covers {area:.1f} km2; {sensor['id']} takes at most {sensor['maxKm2']:g} km2",
        )
    return TaskingRequest(
        index=index,
        sensor=sensor,
        data_product_id=sensor["dataProductId"],
        aois=aois,
        geometry=union,
        area_km2=area,
        start=start,
        end=end,
        max_cloud=max_cloud,
        max_off_nadir=max_off,
        priority=priority,
        display_name=name,
        tags=list(tags),
        feature_collection=group["featureCollection"],
    )
