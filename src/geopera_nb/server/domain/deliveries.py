"""The delivery plan of a tasking order: 2-5 captures whose strips cover the AOI.

Plan ([ours]): in a local azimuthal-equidistant frame centred on the AOI, rotated to a
near-polar track heading (~190 deg +- 4), the AOI's cross-track extent is cut into
``n`` bands. Capture ``k`` is a strip covering band ``k`` (plus a small overlap) and
running past the AOI along track. The strips arrive in band order, spread over the
window, so the covered area grows with each capture, stays partial before the last one,
and is complete with it. Deterministic from ``(seed, order_id)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from geopera_nb.geo import GeometryRejected, split_antimeridian, to_geojson

from .orbits import aoi_anchor
from .seeding import rng_for, stable_uuid

__all__ = ["Delivery", "plan_deliveries"]


@dataclass(frozen=True, eq=False)
class Delivery:
    """One planned capture of a tasking order."""

    capture_id: str
    datetime: datetime
    footprint: BaseGeometry
    cloud_cover: float
    off_nadir: float
    gsd: float
    group_index: int
    platform: str = ""
    sequence: int = 0


def _local(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    crs = f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m"
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return fwd, inv


def _to_lonlat(poly: shapely.Polygon, inv: Transformer) -> BaseGeometry:
    # densify in metres first so long strip edges follow the projection's curvature
    dense = shapely.segmentize(poly, 2000.0)
    ll = shapely.transform(dense, lambda xy: np.column_stack(inv.transform(xy[:, 0], xy[:, 1])))
    coords = [[float(x), float(y)] for x, y in ll.exterior.coords]
    try:
        return split_antimeridian({"type": "Polygon", "coordinates": [coords]})
    except GeometryRejected:
        return shapely.make_valid(ll)


def plan_deliveries(
    order_id: str,
    aoi: BaseGeometry,
    sensor: dict[str, Any],
    start: datetime,
    end: datetime,
    seed: int,
    max_cloud: float | None = None,
    *,
    group_index: int = 0,
    full_coverage: bool = True,
) -> list[Delivery]:
    """Plan the captures that fulfil a tasking order over its window.

    Parameters
    ----------
    order_id
        Seeds the plan together with ``seed``.
    aoi
        The requested geometry (lon/lat; may be split at the antimeridian).
    sensor
        The Sensor object (resolution, off-nadir limit, satellite names).
    start, end
        The acquisition window; capture times fall inside it, ascending.
    seed
        The sandbox seed.
    max_cloud
        Cloud limit of the request (captures stay at or under it; default 30 %).
    group_index
        Recorded on each delivery (``geopera:group_index``).
    full_coverage
        ``False`` drops the last strip, leaving the AOI partly covered (a window that
        ends short).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from geopera_nb.server.domain.seeding import SANDBOX_EPOCH as t0
    >>> aoi = box(10, 45, 10.2, 45.15)
    >>> plan = plan_deliveries("o1", aoi, {"id": "s", "resolutionM": 0.5,
    ...                        "maxOffNadirDeg": 30, "orbit": None}, t0,
    ...                        t0 + timedelta(days=10), 0)
    >>> 2 <= len(plan) <= 5, shapely.union_all([d.footprint for d in plan]).covers(aoi)
    (True, True)
    """
    rng = rng_for(seed, order_id, "deliveries", group_index)
    lon0, lat0 = aoi_anchor(aoi)
    fwd, inv = _local(lon0, lat0)
    # densify in degrees first so the AOI's edges keep their shape in the local frame
    local = shapely.transform(
        shapely.segmentize(aoi, 0.02), lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1]))
    )
    heading = 190.0 + float(rng.normal(0.0, 4.0))
    # rotate so the track runs along +y: cross-track is x
    rotated = shapely.affinity.rotate(local, heading, origin=(0.0, 0.0))
    minx, miny, maxx, maxy = rotated.bounds
    width = maxx - minx
    swath_km = max(8.0, 12.0 * math.sqrt(max(sensor.get("resolutionM", 1.0), 0.1) / 0.3))
    n = int(np.clip(math.ceil(width / (swath_km * 1000.0)) + int(rng.integers(0, 3)), 2, 5))
    edges = np.linspace(minx, maxx, n + 1)
    overlap = 0.03 * width / n
    pad_before = float(rng.uniform(3000.0, 12000.0))
    pad_after = float(rng.uniform(3000.0, 12000.0))
    strips = []
    for k in range(n):
        lo = edges[k] - (overlap if k else float(rng.uniform(1000.0, 4000.0)))
        hi = edges[k + 1] + (overlap if k < n - 1 else float(rng.uniform(1000.0, 4000.0)))
        strip = shapely.box(lo, miny - pad_before, hi, maxy + pad_after)
        strips.append(shapely.affinity.rotate(strip, -heading, origin=(0.0, 0.0)))
    if not full_coverage:
        strips = strips[:-1]
    span = (end - start).total_seconds()
    slots = np.sort(rng.uniform(0.0, 1.0, len(strips)))
    slots = (np.arange(len(strips)) + slots) / max(len(strips), 1)
    cloud_cap = 30.0 if max_cloud is None else float(max_cloud)
    max_off = float(sensor.get("maxOffNadirDeg", 30.0))
    orbit = sensor.get("orbit") or {}
    platforms = [s["name"] for s in orbit.get("satellites", [])] or [str(sensor.get("name", ""))]
    plan = []
    for k, strip in enumerate(strips):
        when = start + timedelta(seconds=round(float(slots[k]) * span * 0.98 + span * 0.01))
        off = round(float(rng.uniform(0.0, max_off)), 1)
        plan.append(
            Delivery(
                capture_id=stable_uuid(seed, order_id, "delivery", group_index, k),
                datetime=when.replace(microsecond=0),
                footprint=_to_lonlat(strip, inv),
                cloud_cover=round(float(rng.uniform(0.0, cloud_cap)), 1),
                off_nadir=off,
                gsd=round(
                    float(sensor.get("resolutionM", 1.0)) / math.cos(math.radians(off)) ** 1.5, 2
                ),
                group_index=group_index,
                platform=platforms[int(rng.integers(0, len(platforms)))],
                sequence=k,
            )
        )
    return plan


def delivery_geojson(d: Delivery) -> dict[str, Any]:
    """A delivery's footprint as GeoJSON (helper for logs and tests)."""
    return to_geojson(d.footprint)
