"""The sandbox catalogue: tasking sensors, data products and archive captures.

Everything is a pure function of ``seed`` (and ``now`` for the capture dates). The
archive is columnar (numpy arrays, a shapely geometry array and an STRtree) so that a
search over thousands of captures is a few vectorised masks.

Examples
--------
>>> cat = build_catalogue(seed=0)
>>> len(cat.sensors) >= 6, cat.captures.size
(True, 3000)
>>> cat.sensor("geo-owl-30")["resolutionM"]
0.3
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from shapely import STRtree

from geopera_nb.contract.timestamps import format_instant, from_ms, to_ms
from geopera_nb.geo import geojson_bbox, to_geojson

from .seeding import SANDBOX_EPOCH, rng_for, stable_uuid
from .sensors import ARCHIVE_COLLECTIONS, SENSOR_TABLE, build_sensor

__all__ = ["Captures", "Catalogue", "build_catalogue", "tasking_schema"]

#: Rough land boxes (west, south, east, north) where archive captures fall: "land-ish".
_LAND_BOXES = np.array(
    [
        (-124.0, 30.0, -75.0, 50.0),  # North America
        (-110.0, 15.0, -88.0, 30.0),  # Mexico
        (-75.0, -35.0, -40.0, 5.0),  # South America
        (-9.0, 36.0, 30.0, 58.0),  # Europe
        (-15.0, -30.0, 40.0, 30.0),  # Africa
        (35.0, 15.0, 60.0, 35.0),  # Middle East
        (68.0, 8.0, 90.0, 30.0),  # India
        (95.0, 20.0, 125.0, 45.0),  # China
        (95.0, -8.0, 125.0, 20.0),  # South-East Asia
        (115.0, -38.0, 153.0, -15.0),  # Australia
        (166.0, -46.0, 178.5, -35.0),  # New Zealand
    ],
    dtype=np.float64,
)
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQ = 111.320


def tasking_schema(sensor: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a tasking product's ``params``.

    Examples
    --------
    >>> tasking_schema({"id": "s", "name": "S", "maxOffNadirDeg": 30})["required"]
    ['start', 'end']
    """
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{sensor['name']} tasking parameters",
        "type": "object",
        "properties": {
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "maxCloudCoverage": {"type": "integer", "minimum": 0, "maximum": 100},
            "maxOffNadir": {"type": "number", "minimum": 0, "maximum": 90},
            "priority": {"enum": ["standard", "priority", "rush"], "default": "standard"},
        },
        "required": ["start", "end"],
        "additionalProperties": False,
        "x-sensor": sensor["id"],
    }


def _archive_schema(name: str) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{name} archive capture",
        "type": "object",
        "properties": {"captureId": {"type": "string"}},
        "required": ["captureId"],
        "additionalProperties": False,
        "x-collection": name,
    }


@dataclass(frozen=True, eq=False)
class Captures:
    """Archive captures as columns, sorted by (datetime desc, id asc).

    Row ``i`` of every array is one capture; ``tree`` indexes ``footprints``.
    """

    ids: np.ndarray  # str
    collection: np.ndarray  # int index into Catalogue.collection_names
    datetime_ms: np.ndarray  # int64, Unix ms
    cloud_cover: np.ndarray  # float64, percent
    off_nadir: np.ndarray  # float64, degrees
    gsd: np.ndarray  # float64, metres
    platform: np.ndarray  # str
    footprints: np.ndarray  # shapely Polygons
    tree: STRtree
    index_by_id: dict[str, int] = field(repr=False)

    @property
    def size(self) -> int:
        """Number of captures."""
        return int(self.ids.shape[0])


@dataclass(frozen=True, eq=False)
class Catalogue:
    """Sensors, products and archive captures of one sandbox (treat as read-only)."""

    seed: int
    now: datetime
    sensors: list[dict[str, Any]]
    products: dict[str, dict[str, Any]]
    collections: dict[str, dict[str, Any]]
    collection_names: tuple[str, ...]
    captures: Captures

    def sensor(self, sensor_id: object) -> dict[str, Any] | None:
        """A copy of the sensor with this id, or ``None``."""
        for s in self.sensors:
            if s["id"] == sensor_id:
                return copy.deepcopy(s)
        return None

    def product(self, product_id: object) -> dict[str, Any] | None:
        """A copy of the data product with this id, or ``None``."""
        p = self.products.get(product_id) if isinstance(product_id, str) else None
        return copy.deepcopy(p) if p is not None else None

    def capture_index(self, capture_id: object) -> int | None:
        """Row of a capture id, or ``None``."""
        if not isinstance(capture_id, str):
            return None
        return self.captures.index_by_id.get(capture_id)

    def capture(self, capture_id: object) -> dict[str, Any] | None:
        """The ``catalog.search`` Feature of a capture id, or ``None``."""
        i = self.capture_index(capture_id)
        return None if i is None else self.capture_feature(i)

    def capture_price(self, i: int) -> dict[str, Any]:
        """``{"creditsPerKm2", "audPerKm2", "minKm2"}`` of capture row ``i``."""
        coll = self.collections[self.collection_names[int(self.captures.collection[i])]]
        return {
            "creditsPerKm2": coll["creditsPerKm2"],
            "audPerKm2": coll["creditsPerKm2"] / 100.0,
            "minKm2": coll["minKm2"],
        }

    def capture_feature(self, i: int) -> dict[str, Any]:
        """The STAC-like Feature of capture row ``i`` (shape of docs/api-shapes.md)."""
        c = self.captures
        name = self.collection_names[int(c.collection[i])]
        coll = self.collections[name]
        geom = c.footprints[i]
        return {
            "type": "Feature",
            "id": str(c.ids[i]),
            "geometry": to_geojson(geom),
            "bbox": geojson_bbox(geom),
            "collection": name,
            "properties": {
                "datetime": format_instant(from_ms(int(c.datetime_ms[i]))),
                "constellation": coll["constellation"],
                "platform": str(c.platform[i]),
                "gsd": float(c.gsd[i]),
                "eo:cloud_cover": float(c.cloud_cover[i]),
                "view:off_nadir": float(c.off_nadir[i]),
                "dataProductId": coll["dataProductId"],
                "price": self.capture_price(i),
            },
        }


def _footprints(
    lon: np.ndarray,
    lat: np.ndarray,
    width_km: np.ndarray,
    length_km: np.ndarray,
    heading_deg: np.ndarray,
    skew: np.ndarray,
) -> np.ndarray:
    """Rotated, slightly trapezoidal quads (km sizes around lon/lat centres), vectorised."""
    h = np.radians(heading_deg)
    along = np.stack([np.sin(h), np.cos(h)], axis=-1)  # east, north unit vectors
    cross = np.stack([np.cos(h), -np.sin(h)], axis=-1)
    half_w = (width_km / 2.0)[:, None]
    half_l = (length_km / 2.0)[:, None]
    far = half_w * (1.0 + skew)[:, None]  # far edge wider: a tilted view's trapezoid
    corners_km = np.stack(
        [
            -half_l * along - half_w * cross,
            -half_l * along + half_w * cross,
            half_l * along + far * cross,
            half_l * along - far * cross,
            -half_l * along - half_w * cross,
        ],
        axis=1,
    )  # (n, 5, 2)
    coslat = np.cos(np.radians(lat))[:, None]
    coords = np.empty_like(corners_km)
    coords[..., 0] = lon[:, None] + corners_km[..., 0] / (_KM_PER_DEG_LON_EQ * coslat)
    coords[..., 1] = lat[:, None] + corners_km[..., 1] / _KM_PER_DEG_LAT
    return shapely.polygons(coords)


def _captures(seed: int, now: datetime, names: tuple[str, ...], n: int) -> Captures:
    rng = rng_for(seed, "captures")
    colls = [ARCHIVE_COLLECTIONS[k] for k in names]
    weights = np.array([c["weight"] for c in colls])
    coll = rng.choice(len(colls), size=n, p=weights / weights.sum())
    box_area = (_LAND_BOXES[:, 2] - _LAND_BOXES[:, 0]) * (_LAND_BOXES[:, 3] - _LAND_BOXES[:, 1])
    box = rng.choice(len(_LAND_BOXES), size=n, p=box_area / box_area.sum())
    b = _LAND_BOXES[box]
    lon = rng.uniform(b[:, 0], b[:, 2])
    lat = rng.uniform(b[:, 1], b[:, 3])
    width = np.array([c["widthKm"] for c in colls])[coll] * rng.uniform(0.85, 1.15, n)
    length = np.array([c["lengthKm"] for c in colls])[coll] * rng.uniform(0.85, 1.25, n)
    # descending sun-synchronous pass: the track heads ~190-195 deg (south, a bit west)
    heading = 192.0 + rng.normal(0.0, 2.0, n)
    max_off = np.array([c["maxOffNadirDeg"] for c in colls])[coll]
    off_nadir = np.round(max_off * rng.beta(1.2, 2.5, n), 1)
    footprints = _footprints(lon, lat, width, length, heading, off_nadir / 200.0)
    cloud = np.round(100.0 * rng.beta(0.6, 2.2, n), 1)
    gsd = np.round(
        np.array([c["gsd"] for c in colls])[coll] / np.cos(np.radians(off_nadir)) ** 1.5, 2
    )
    platform = np.array([rng.choice(c["platforms"]) for c in (colls[k] for k in coll)])
    # dates over the 2 years before now, at ~10:30 local solar time
    now_ms = to_ms(now)
    day = 86_400_000
    days_back = rng.integers(1, 731, n)
    utc_hours = np.mod(10.5 + rng.normal(0.0, 0.3, n) - lon / 15.0, 24.0)
    midnight = (now_ms // day) * day - days_back * day
    dt_ms = midnight + (utc_hours * 3_600_000).astype(np.int64)
    ids = np.array([stable_uuid(seed, "capture", names[coll[i]], i) for i in range(n)])
    order = np.lexsort((ids, -dt_ms))
    ids = ids[order]
    return Captures(
        ids=ids,
        collection=coll[order],
        datetime_ms=dt_ms[order],
        cloud_cover=cloud[order],
        off_nadir=off_nadir[order],
        gsd=gsd[order],
        platform=platform[order],
        footprints=footprints[order],
        tree=STRtree(footprints[order]),
        index_by_id={str(c): i for i, c in enumerate(ids)},
    )


def build_catalogue(
    seed: int = 0, now: datetime | None = None, n_captures: int = 3000
) -> Catalogue:
    """Build the whole catalogue, deterministically from ``seed`` (and ``now``).

    Parameters
    ----------
    seed
        Same seed, same sensors, product ids, captures and capture ids.
    now
        The sandbox clock; captures fall in the two years before it
        (default: the clock start, 2026-12-01T00:00Z).
    n_captures
        Number of archive captures.

    Examples
    --------
    >>> a, b = build_catalogue(1, n_captures=50), build_catalogue(1, n_captures=50)
    >>> a.captures.ids.tolist() == b.captures.ids.tolist()
    True
    """
    now = now or SANDBOX_EPOCH
    sensors: list[dict[str, Any]] = []
    products: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(SENSOR_TABLE):
        pid = stable_uuid(seed, "product", row["id"])
        sensor = build_sensor(row, i, pid)
        sensors.append(sensor)
        products[pid] = {
            "id": pid,
            "kind": "tasking",
            "sensor": sensor["id"],
            "collection": None,
            "name": f"{sensor['name']} new acquisition",
            "schema": tasking_schema(sensor),
            "price": {
                "creditsPerKm2": sensor["pricePerKm2"],
                "audPerKm2": sensor["priceAudPerKm2"],
                "minKm2": sensor["minKm2"],
                "maxKm2": sensor["maxKm2"],
            },
        }
    collections: dict[str, dict[str, Any]] = {}
    for name, info in ARCHIVE_COLLECTIONS.items():
        pid = stable_uuid(seed, "product", name)
        collections[name] = {**info, "platforms": list(info["platforms"]), "dataProductId": pid}
        products[pid] = {
            "id": pid,
            "kind": "archive",
            "sensor": info["sensor"],
            "collection": name,
            "name": f"{name.split('-')[0].title()} archive",
            "schema": _archive_schema(name),
            "price": {
                "creditsPerKm2": info["creditsPerKm2"],
                "audPerKm2": info["creditsPerKm2"] / 100.0,
                "minKm2": info["minKm2"],
            },
        }
    names = tuple(ARCHIVE_COLLECTIONS)
    return Catalogue(
        seed=seed,
        now=now,
        sensors=sensors,
        products=products,
        collections=collections,
        collection_names=names,
        captures=_captures(seed, now, names, n_captures),
    )
