"""Low-precision astronomy for the sandbox: sidereal time, the Sun, sun-synchronous TLEs.

These are hand-written textbook formulas (the Astronomical Almanac's low-precision Sun,
the linear GMST formula, the J2 sun-synchronous condition) because the sandbox needs
a few arc-minutes, not astropy/skyfield-grade precision, and those libraries are not
dependencies. Everything is vectorised over numpy arrays of Julian dates.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

__all__ = [
    "EARTH_RADIUS_KM",
    "gmst_rad",
    "julian_date",
    "make_tle",
    "mean_motion_rev_per_day",
    "sun_elevation_deg",
    "sun_ra_dec_rad",
    "sun_synchronous_inclination_deg",
]

#: Mean Earth radius; the sandbox's geodetic model is a sphere (see docs/sandbox-domain.md).
EARTH_RADIUS_KM = 6371.0
_MU_KM3_S2 = 398600.4418
_EQUATORIAL_RADIUS_KM = 6378.137
_J2000 = 2451545.0


def julian_date(dt: datetime) -> float:
    """Julian date (UTC) of an aware datetime.

    Examples
    --------
    >>> julian_date(datetime(2000, 1, 1, 12, tzinfo=UTC))
    2451545.0
    """
    return (
        dt.astimezone(UTC) - datetime(2000, 1, 1, 12, tzinfo=UTC)
    ).total_seconds() / 86400.0 + _J2000


def gmst_rad(jd: np.ndarray | float) -> np.ndarray:
    """Greenwich mean sidereal angle (radians) for Julian dates (UT1 ~ UTC).

    Examples
    --------
    >>> round(float(np.degrees(gmst_rad(2451545.0))), 3)
    280.461
    """
    d = np.asarray(jd, dtype=np.float64) - _J2000
    return np.radians(np.mod(280.46061837 + 360.98564736629 * d, 360.0))


def sun_ra_dec_rad(jd: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Right ascension and declination of the Sun (radians), ~0.01 deg precision.

    Examples
    --------
    >>> ra, dec = sun_ra_dec_rad(julian_date(datetime(2026, 6, 21, 12, tzinfo=UTC)))
    >>> round(float(np.degrees(dec)), 1)
    23.4
    """
    n = np.asarray(jd, dtype=np.float64) - _J2000
    mean_lon = np.radians(np.mod(280.460 + 0.9856474 * n, 360.0))
    g = np.radians(np.mod(357.528 + 0.9856003 * n, 360.0))
    ecl_lon = mean_lon + np.radians(1.915) * np.sin(g) + np.radians(0.020) * np.sin(2 * g)
    eps = np.radians(23.439 - 0.0000004 * n)
    ra = np.arctan2(np.cos(eps) * np.sin(ecl_lon), np.cos(ecl_lon))
    dec = np.arcsin(np.sin(eps) * np.sin(ecl_lon))
    return ra, dec


def sun_elevation_deg(
    jd: np.ndarray | float, lon_deg: np.ndarray | float, lat_deg: np.ndarray | float
) -> np.ndarray:
    """Elevation of the Sun above the horizon (degrees, no refraction).

    Examples
    --------
    >>> noon = julian_date(datetime(2026, 3, 20, 12, tzinfo=UTC))
    >>> float(sun_elevation_deg(noon, 0.0, 0.0)) > 85
    True
    """
    ra, dec = sun_ra_dec_rad(jd)
    hour_angle = gmst_rad(jd) + np.radians(lon_deg) - ra
    lat = np.radians(lat_deg)
    s = np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.cos(hour_angle)
    return np.degrees(np.arcsin(np.clip(s, -1.0, 1.0)))


def sun_synchronous_inclination_deg(altitude_km: float) -> float:
    """Inclination of a circular sun-synchronous orbit (J2 nodal precession = 360 deg/yr).

    Examples
    --------
    >>> round(sun_synchronous_inclination_deg(620), 1)
    97.9
    """
    a = _EQUATORIAL_RADIUS_KM + altitude_km
    return math.degrees(math.acos(-((a / 12352.0) ** 3.5)))


def mean_motion_rev_per_day(altitude_km: float) -> float:
    """Keplerian mean motion of a circular orbit.

    Examples
    --------
    >>> round(mean_motion_rev_per_day(620), 2)
    14.83
    """
    a = _EQUATORIAL_RADIUS_KM + altitude_km
    return 86400.0 / (2 * math.pi * math.sqrt(a**3 / _MU_KM3_S2))


def _checksum(line: str) -> int:
    return sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line) % 10


def make_tle(
    satnum: int,
    epoch: datetime,
    altitude_km: float,
    inclination_deg: float,
    raan_deg: float,
    mean_anomaly_deg: float,
    *,
    launch: str = "26001A",
) -> tuple[str, str]:
    """Format a valid two-line element set (fixed columns, checksums) for a circular orbit.

    Hand-written because sgp4 parses TLEs but does not write them; the layout follows
    the NORAD TLE column spec (no drag terms: BSTAR 0, the sandbox's orbits never decay).

    Examples
    --------
    >>> l1, l2 = make_tle(90001, datetime(2026, 11, 30, 12, tzinfo=UTC), 620, 97.87, 100, 0)
    >>> len(l1), len(l2), l1[18:32]
    (69, 69, '26334.50000000')
    """
    epoch = epoch.astimezone(UTC)
    start = datetime(epoch.year, 1, 1, tzinfo=UTC)
    doy = (epoch - start).total_seconds() / 86400.0 + 1.0
    line1 = (
        f"1 {satnum:05d}U {launch:<8s} {epoch.year % 100:02d}{doy:012.8f} "
        f"{' .00000000':>10s} {' 00000-0':>8s} {' 00000-0':>8s} 0 {999:>4d}"
    )
    mm = mean_motion_rev_per_day(altitude_km)
    line2 = (
        f"2 {satnum:05d} {inclination_deg:8.4f} {raan_deg % 360.0:8.4f} 0001000 "
        f"{0.0:8.4f} {mean_anomaly_deg % 360.0:8.4f} {mm:11.8f}{1:5d}"
    )
    return line1 + str(_checksum(line1)), line2 + str(_checksum(line2))
