"""Where a delivered capture's pixels lie: a north-up UTM grid over its footprint.

The CRS is the UTM zone of the footprint's centroid (WGS 84, EPSG 326xx north / 327xx
south; the polar caps beyond UTM get UPS, EPSG 32661 / 32761). The pixel size is the
sensor's resolution times a power of two, the smallest that keeps the footprint's UTM
extent within :data:`~geopera_nb.contract.limits.IMAGERY_MAX_PIXELS` on its longer
side, so a capture stays a few hundred pixels across and the sandbox stays fast. The
grid is snapped to whole multiples of the pixel size, so the captures of one order
(same sensor, similar extents) share one pixel grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from geopera_nb.contract.limits import IMAGERY_MAX_PIXELS
from geopera_nb.geo import geojson_bbox

__all__ = ["CaptureGrid", "capture_grid", "project_footprint", "to_lonlat", "utm_epsg"]

#: Footprints are densified to this many degrees before projecting, so edges that are
#: straight in lon/lat keep their (slightly curved) shape in UTM.
_DENSIFY_DEG = 0.01


@dataclass(frozen=True)
class CaptureGrid:
    """The pixel grid of one capture's data file.

    Attributes
    ----------
    epsg
        EPSG code of the CRS (a UTM or UPS zone, metres).
    resolution
        Pixel size in metres (square pixels).
    scale
        ``resolution`` / the sensor's resolution (a power of two).
    west, north
        The grid's upper-left corner, in the CRS.
    width, height
        Pixels.
    """

    epsg: int
    resolution: float
    scale: int
    west: float
    north: float
    width: int
    height: int

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]:
        """The affine geotransform ``(a, b, c, d, e, f)`` as ``proj:transform`` spells it."""
        return (self.resolution, 0.0, self.west, 0.0, -self.resolution, self.north)

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``, as ``proj:shape`` spells it."""
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` in the CRS (``proj:bbox``)."""
        return (self.west, self.north - self.height * self.resolution,
                self.west + self.width * self.resolution, self.north)


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the UTM zone (WGS 84) holding ``(lon, lat)``; UPS near the poles.

    Computed from the zone rules (6-degree zones, with the Norway and Svalbard
    exceptions) rather than ``pyproj.database.query_utm_crs_info``: that query takes
    ~140 ms and answers two zones for a point on a zone edge.

    Examples
    --------
    >>> utm_epsg(10.1, 45.0), utm_epsg(-179.9, -10.0), utm_epsg(5.0, 60.0), utm_epsg(0, 89)
    (32632, 32701, 32632, 32661)
    """
    if lat >= 84.0:
        return 32661
    if lat < -80.0:
        return 32761
    lon = (lon + 180.0) % 360.0 - 180.0
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    if 56.0 <= lat < 64.0 and 3.0 <= lon < 12.0:
        zone = 32
    elif 72.0 <= lat < 84.0 and 0.0 <= lon < 42.0:
        zone = 31 if lon < 9.0 else 33 if lon < 21.0 else 35 if lon < 33.0 else 37
    return (32600 if lat >= 0.0 else 32700) + zone


@lru_cache(maxsize=64)
def _transformer(src: str, dst: str) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _unwrapped(footprint: BaseGeometry) -> BaseGeometry:
    """The footprint with longitudes continuous across the antimeridian (east > 180)."""
    west, _, east, _ = geojson_bbox(footprint)
    if west <= east:
        return footprint
    shift = np.array([360.0, 0.0])
    return shapely.transform(footprint, lambda xy: np.where(xy[:, :1] < 0.0, xy + shift, xy))


def project_footprint(footprint: BaseGeometry, epsg: int) -> BaseGeometry:
    """The lon/lat footprint in ``EPSG:epsg`` (parts split at the antimeridian rejoined).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> fp = project_footprint(box(9.0, 0.0, 9.1, 0.1), 32632)
    >>> [round(v) for v in fp.bounds]
    [500000, 0, 511128, 11053]
    """
    geom = shapely.segmentize(_unwrapped(footprint), _DENSIFY_DEG)
    fwd = _transformer("EPSG:4326", f"EPSG:{epsg}")
    out = shapely.transform(geom, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    if len(shapely.get_parts(out)) > 1:
        out = shapely.union_all(shapely.buffer(shapely.get_parts(out), 1e-6))
    return out


def to_lonlat(epsg: int, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of points ``(x, y)`` of ``EPSG:epsg``."""
    inv = _transformer(f"EPSG:{epsg}", "EPSG:4326")
    lon, lat = inv.transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def capture_grid(footprint: BaseGeometry, sensor_resolution_m: float) -> CaptureGrid:
    """The grid of a capture: UTM zone of the centroid, pixel = resolution x 2**k.

    Parameters
    ----------
    footprint
        The capture's footprint (lon/lat; may be split at the antimeridian).
    sensor_resolution_m
        The sensor's nominal resolution (``resolutionM``).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = capture_grid(box(10.0, 45.0, 10.2, 45.1), 0.3)
    >>> g.epsg, g.scale, g.resolution, g.shape
    (32632, 128, 38.4, (296, 415))
    """
    base = float(sensor_resolution_m)
    if not math.isfinite(base) or base <= 0.0:
        raise ValueError(f"resolution must be a positive number of metres, not {base!r}")
    if footprint.is_empty:
        raise ValueError("a capture's footprint is empty: it has no pixel grid")
    centre = _unwrapped(footprint).centroid
    epsg = utm_epsg(float(centre.x), float(centre.y))
    minx, miny, maxx, maxy = project_footprint(footprint, epsg).bounds
    extent = max(maxx - minx, maxy - miny, base)
    k = max(0, math.ceil(math.log2(extent / (base * IMAGERY_MAX_PIXELS)) - 1e-9))
    pixel = base * 2**k
    west = math.floor(minx / pixel) * pixel
    north = math.ceil(maxy / pixel) * pixel
    width = max(1, math.ceil((maxx - west) / pixel - 1e-9))
    height = max(1, math.ceil((north - miny) / pixel - 1e-9))
    return CaptureGrid(epsg=epsg, resolution=round(pixel, 9), scale=2**k,
                       west=round(west, 6), north=round(north, 6), width=width, height=height)
