"""The sandbox's tasking sensors and archive collections (static tables, [ours])."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from .astro import julian_date, make_tle, sun_ra_dec_rad, sun_synchronous_inclination_deg
from .seeding import SANDBOX_EPOCH

__all__ = ["ARCHIVE_COLLECTIONS", "SENSOR_TABLE", "build_sensor"]

#: id, name, resolutionM, bands, pricePerKm2 (credits), minKm2, maxKm2, maxOffNadirDeg,
#: feasibility, minWindowHours, minCloudPct, orbit (altitudeKm, satellite names) | None
SENSOR_TABLE: tuple[dict[str, Any], ...] = (
    {"id": "geo-owl-30", "name": "Owl 30 cm", "resolutionM": 0.3,
     "bands": ["red", "green", "blue", "nir"], "pricePerKm2": 2400, "minKm2": 25.0,
     "maxKm2": 2000.0, "maxOffNadirDeg": 30.0, "feasibility": "auto",
     "minWindowHours": 72, "minCloudPct": 5, "orbit": (620.0, ("OWL-1", "OWL-2"))},
    {"id": "geo-kite-50", "name": "Kite 50 cm", "resolutionM": 0.5,
     "bands": ["red", "green", "blue", "nir"], "pricePerKm2": 1500, "minKm2": 25.0,
     "maxKm2": 5000.0, "maxOffNadirDeg": 30.0, "feasibility": "auto",
     "minWindowHours": 48, "minCloudPct": 10,
     "orbit": (550.0, ("KITE-1", "KITE-2", "KITE-3"))},
    {"id": "geo-heron-1m", "name": "Heron 1 m", "resolutionM": 1.0,
     "bands": ["blue", "green", "red", "rededge", "nir"], "pricePerKm2": 600,
     "minKm2": 50.0, "maxKm2": 10000.0, "maxOffNadirDeg": 35.0, "feasibility": "auto",
     "minWindowHours": 24, "minCloudPct": 10, "orbit": (680.0, ("HERON-1", "HERON-2"))},
    {"id": "geo-swift-3m", "name": "Swift 3 m", "resolutionM": 3.0,
     "bands": ["blue", "green", "red", "nir"], "pricePerKm2": 120, "minKm2": 100.0,
     "maxKm2": 50000.0, "maxOffNadirDeg": 20.0, "feasibility": "auto",
     "minWindowHours": 24, "minCloudPct": 15,
     "orbit": (500.0, ("SWIFT-1", "SWIFT-2", "SWIFT-3", "SWIFT-4"))},
    {"id": "geo-gannet-10m", "name": "Gannet 10 m", "resolutionM": 10.0,
     "bands": ["coastal", "blue", "green", "red", "rededge", "nir", "swir1", "swir2"],
     "pricePerKm2": 20, "minKm2": 500.0, "maxKm2": 200000.0, "maxOffNadirDeg": 15.0,
     "feasibility": "auto", "minWindowHours": 24, "minCloudPct": 20,
     "orbit": (700.0, ("GANNET-1",))},
    {"id": "geo-condor-40", "name": "Condor 40 cm", "resolutionM": 0.4,
     "bands": ["pan", "red", "green", "blue", "nir"], "pricePerKm2": 2000, "minKm2": 50.0,
     "maxKm2": 3000.0, "maxOffNadirDeg": 25.0, "feasibility": "manual",
     "minWindowHours": 168, "minCloudPct": 5, "orbit": None},
    {"id": "geo-petrel-sar-1m", "name": "Petrel SAR 1 m", "resolutionM": 1.0,
     "bands": ["VV", "VH"], "pricePerKm2": 900, "minKm2": 25.0, "maxKm2": 2500.0,
     "maxOffNadirDeg": 40.0, "feasibility": "manual", "minWindowHours": 48,
     "minCloudPct": 0, "orbit": None},
)  # fmt: skip

#: Archive collections: name -> constellation, platforms, gsd, price, footprint size (km),
#: the sensor that collected them, sampling weight.
ARCHIVE_COLLECTIONS: dict[str, dict[str, Any]] = {
    "owl-archive": {"constellation": "owl", "platforms": ("OWL-1", "OWL-2"), "gsd": 0.3,
                    "creditsPerKm2": 900, "minKm2": 5.0, "widthKm": 12.0, "lengthKm": 14.0,
                    "maxOffNadirDeg": 30.0, "sensor": "geo-owl-30", "weight": 0.22},
    "kite-archive": {"constellation": "kite", "platforms": ("KITE-1", "KITE-2", "KITE-3"),
                     "gsd": 0.5, "creditsPerKm2": 600, "minKm2": 5.0, "widthKm": 14.0,
                     "lengthKm": 16.0, "maxOffNadirDeg": 30.0, "sensor": "geo-kite-50",
                     "weight": 0.22},
    "heron-archive": {"constellation": "heron", "platforms": ("HERON-1", "HERON-2"),
                      "gsd": 1.0, "creditsPerKm2": 250, "minKm2": 10.0, "widthKm": 16.0,
                      "lengthKm": 18.0, "maxOffNadirDeg": 35.0, "sensor": "geo-heron-1m",
                      "weight": 0.2},
    "swift-archive": {"constellation": "swift",
                      "platforms": ("SWIFT-1", "SWIFT-2", "SWIFT-3", "SWIFT-4"), "gsd": 3.0,
                      "creditsPerKm2": 60, "minKm2": 25.0, "widthKm": 18.0,
                      "lengthKm": 20.0, "maxOffNadirDeg": 20.0, "sensor": "geo-swift-3m",
                      "weight": 0.2},
    "condor-archive": {"constellation": "condor", "platforms": ("CONDOR-1",), "gsd": 0.4,
                       "creditsPerKm2": 800, "minKm2": 5.0, "widthKm": 10.0,
                       "lengthKm": 12.0, "maxOffNadirDeg": 25.0, "sensor": "geo-condor-40",
                       "weight": 0.16},
}  # fmt: skip

#: TLE epoch: half a day before the sandbox clock starts.
TLE_EPOCH = SANDBOX_EPOCH - timedelta(hours=12)
#: Local time of the descending node (hours) of every sun-synchronous orbit.
LTDN_HOURS = 10.5


def build_sensor(row: dict[str, Any], index: int, data_product_id: str) -> dict[str, Any]:
    """The API's Sensor object for one table row (exact shape of docs/api-shapes.md).

    Each constellation flies one sun-synchronous plane with a descending node near 10:30
    (spread by 20 minutes per constellation);
    its satellites are phased evenly in mean anomaly.

    Examples
    --------
    >>> s = build_sensor(SENSOR_TABLE[0], 0, "pid")
    >>> s["orbit"]["inclinationDeg"], len(s["orbit"]["satellites"])
    (97.87, 2)
    """
    sensor = {
        "id": row["id"],
        "name": row["name"],
        "dataProductId": data_product_id,
        "resolutionM": row["resolutionM"],
        "bands": list(row["bands"]),
        "pricePerKm2": row["pricePerKm2"],
        "priceAudPerKm2": row["pricePerKm2"] / 100.0,
        "minKm2": row["minKm2"],
        "maxKm2": row["maxKm2"],
        "maxOffNadirDeg": row["maxOffNadirDeg"],
        "feasibility": row["feasibility"],
        "minWindowHours": row["minWindowHours"],
        "minCloudPct": row["minCloudPct"],
        "orbit": None,
    }
    if row["orbit"] is not None:
        altitude, names = row["orbit"]
        incl = sun_synchronous_inclination_deg(altitude)
        ra_sun, _ = sun_ra_dec_rad(julian_date(TLE_EPOCH))
        # ascending node local time = LTDN + 12 h; RAAN = RA(sun) + (LTAN - 12 h) * 15 deg/h
        raan = math.degrees(float(ra_sun)) + ((LTDN_HOURS + 12.0) % 24.0 - 12.0) * 15.0
        # constellations' planes differ: descending nodes from ~09:50 to ~11:10 local time
        raan += 5.0 * (index - 2)
        sats = []
        for k, name in enumerate(names):
            tle = make_tle(
                90001 + 10 * index + k,
                TLE_EPOCH,
                altitude,
                incl,
                raan,
                360.0 * k / len(names) + 37.0 * index,
                launch=f"26{index + 1:03d}{chr(65 + k)}",
            )
            sats.append({"name": name, "tle": list(tle)})
        sensor["orbit"] = {
            "satellites": sats,
            "altitudeKm": altitude,
            "inclinationDeg": round(incl, 2),
        }
    return sensor
