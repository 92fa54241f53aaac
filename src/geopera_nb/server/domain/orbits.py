"""Predicted passes (``orders.tasking.opportunities_list``) from the sensors' TLEs.

Model ([ours], docs/sandbox-domain.md): SGP4 (the ``sgp4`` package, vectorised with
``SatrecArray``) gives TEME positions every 30 s over the window; TEME -> Earth-fixed is
one rotation by the Greenwich mean sidereal angle (polar motion and the equation of the
equinoxes are ignored: < 1 km); geodetic positions use a **spherical Earth** (R = 6371
km). A satellite can see a target at Earth-central angle ``g`` from its sub-satellite
point with off-nadir ``atan2(R sin g, R + h - R cos g)``; the accessible half-swath for
``maxOffNadirDeg`` is the matching ground arc (``~ h tan(maxOffNadir)``, 2-3 % wider
from the curvature). A pass is a local minimum of the angle between the ground track and
the AOI's anchor point (refined to 1 s) that is within the off-nadir limit and in
daylight (sun >= 10 deg) for optical sensors.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

import numpy as np
import shapely
from pyproj import Geod
from sgp4.api import Satrec, SatrecArray, jday
from shapely.geometry.base import BaseGeometry

from geopera_nb.contract.limits import PASS_PREDICTION_MAX_DAYS
from geopera_nb.contract.timestamps import format_instant
from geopera_nb.geo import AOI, GeometryRejected, split_antimeridian, to_geojson

from .astro import EARTH_RADIUS_KM, gmst_rad, sun_elevation_deg
from .rejections import DomainError
from .seeding import stable_uuid

__all__ = [
    "aoi_anchor",
    "count_passes",
    "opportunities",
    "reachable_half_swath_km",
]

#: Longest window ``opportunities`` propagates.
#: Seconds either side of closest approach drawn as the pass's swath strip.
STRIP_HALF_SECONDS = 45.0
_SPHERE = Geod(a=EARTH_RADIUS_KM * 1000.0, b=EARTH_RADIUS_KM * 1000.0)
_SAR_BANDS = {"VV", "VH", "HH", "HV"}


def _central_angle_limit(altitude_km: np.ndarray | float, off_nadir_deg: float) -> np.ndarray:
    """Earth-central angle reachable at ``off_nadir_deg`` from ``altitude_km`` (radians)."""
    eta = math.radians(off_nadir_deg)
    s = np.clip(
        (EARTH_RADIUS_KM + np.asarray(altitude_km)) / EARTH_RADIUS_KM * math.sin(eta), -1, 1
    )
    return np.arcsin(s) - eta


def reachable_half_swath_km(altitude_km: float, off_nadir_deg: float) -> float:
    """Ground distance from the track a sensor reaches at ``off_nadir_deg`` (spherical Earth).

    Examples
    --------
    >>> round(reachable_half_swath_km(620, 30))  # flat approximation: 620 tan 30 = 358
    364
    """
    return float(_central_angle_limit(altitude_km, off_nadir_deg)) * EARTH_RADIUS_KM


def _off_nadir_deg(altitude_km: np.ndarray | float, gamma: np.ndarray | float) -> np.ndarray:
    r = EARTH_RADIUS_KM
    return np.degrees(
        np.arctan2(r * np.sin(gamma), r + np.asarray(altitude_km) - r * np.cos(gamma))
    )


def aoi_anchor(geom: BaseGeometry) -> tuple[float, float]:
    """(lon, lat) of an AOI's centroid, correct for AOIs split at the antimeridian.

    Examples
    --------
    >>> from shapely.geometry import MultiPolygon, box
    >>> aoi_anchor(MultiPolygon([box(179, 0, 180, 2), box(-180, 0, -179, 2)]))
    (180.0, 1.0)
    """
    minx, _, maxx, _ = geom.bounds
    if minx < -90.0 and maxx > 90.0:
        parts = [
            shapely.affinity.translate(p, xoff=360.0) if p.centroid.x < 0 else p
            for p in shapely.get_parts(geom)
        ]
        c = shapely.union_all(parts).centroid
        lon = c.x - 360.0 if c.x > 180.0 else c.x
        return float(lon), float(c.y)
    c = geom.centroid
    return float(c.x), float(c.y)


def _unit(lon_deg: float, lat_deg: float) -> np.ndarray:
    lon, lat = math.radians(lon_deg), math.radians(lat_deg)
    return np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])


def _ecef(jd: np.ndarray, fr: np.ndarray, r_teme: np.ndarray) -> np.ndarray:
    """Rotate TEME positions (..., n, 3) into the Earth-fixed frame by GMST."""
    theta = gmst_rad(jd + fr)
    c, s = np.cos(theta), np.sin(theta)
    x, y = r_teme[..., 0], r_teme[..., 1]
    return np.stack([c * x + s * y, -s * x + c * y, r_teme[..., 2]], axis=-1)


def _lonlat(ecef: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r = np.linalg.norm(ecef, axis=-1)
    lat = np.degrees(np.arcsin(ecef[..., 2] / r))
    lon = np.degrees(np.arctan2(ecef[..., 1], ecef[..., 0]))
    return lon, lat, r - EARTH_RADIUS_KM


def _times(start: datetime, seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    jd0, fr0 = jday(start.year, start.month, start.day, start.hour, start.minute,
                    start.second + start.microsecond / 1e6)  # fmt: skip
    return np.full(seconds.shape, jd0), fr0 + seconds / 86400.0


def _strip(sat: Satrec, start: datetime, t0: float, t1: float, half_km: float) -> dict[str, Any]:
    """GeoJSON of the accessible swath strip along the track between t0 and t1 seconds."""
    secs = np.linspace(t0, t1, max(3, int((t1 - t0) / 5.0) + 1))
    jd, fr = _times(start, secs)
    _, r, _ = sat.sgp4_array(jd, fr)
    lon, lat, _ = _lonlat(_ecef(jd, fr, r))
    az, _, _ = _SPHERE.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    az = np.append(az, az[-1])
    dist = np.full(lon.shape, half_km * 1000.0)
    llon, llat, _ = _SPHERE.fwd(lon, lat, az - 90.0, dist)
    rlon, rlat, _ = _SPHERE.fwd(lon, lat, az + 90.0, dist)
    ring = [*zip(llon, llat, strict=True), *zip(rlon[::-1], rlat[::-1], strict=True)]
    ring.append(ring[0])
    coords = [[[float(x), float(y)] for x, y in ring]]
    try:
        return to_geojson(split_antimeridian({"type": "Polygon", "coordinates": coords}))
    except GeometryRejected:  # e.g. a strip over a pole: fall back to its valid repair
        return to_geojson(shapely.make_valid(shapely.Polygon(coords[0])))


def _predictable_orbit(sensor: Mapping[str, Any], aois: Sequence[Any], start: datetime,
                       end: datetime) -> Mapping[str, Any] | None:
    """The sensor's orbit when passes can be predicted for ``aois`` over the window
    (an automatic sensor with an orbit, some AOI, a non-empty window), else ``None``.

    Raises
    ------
    DomainError
        422 at ``params.end`` when the window is longer than ``PASS_PREDICTION_MAX_DAYS``.
    """
    orbit = sensor.get("orbit")
    if sensor.get("feasibility") != "auto" or not orbit or not aois or end <= start:
        return None
    if end - start > timedelta(days=PASS_PREDICTION_MAX_DAYS):
        raise DomainError(
            422, ("params", "end"), f"the window may last at most {PASS_PREDICTION_MAX_DAYS} days"
        )
    return cast(Mapping[str, Any], orbit)


def _pass_limits(sensor: Mapping[str, Any], max_off_nadir: float | None,
                 min_sun_elevation_deg: float | None) -> tuple[float, float]:
    """(off-nadir limit, minimum sun elevation) of a pass: the sensor's own off-nadir
    limit or a lower one asked for; daylight of 10 degrees for optical sensors, none for
    SAR, unless one is asked for."""
    limit = float(sensor["maxOffNadirDeg"])
    if max_off_nadir is not None:
        limit = min(limit, float(max_off_nadir))
    if min_sun_elevation_deg is None:
        optical = not (set(sensor.get("bands", [])) & _SAR_BANDS)
        min_sun_elevation_deg = 10.0 if optical else -90.0
    return limit, float(min_sun_elevation_deg)


def opportunities(
    sensor: dict[str, Any],
    aois: list[AOI],
    start: datetime,
    end: datetime,
    *,
    max_off_nadir: float | None = None,
    step_s: float = 30.0,
    min_sun_elevation_deg: float | None = None,
) -> list[dict[str, Any]]:
    """Predicted passes of the sensor's satellites over each AOI in ``[start, end]``.

    Parameters
    ----------
    sensor
        A Sensor object (manual-feasibility sensors answer ``[]``).
    aois
        The AOIs; ``properties.featureIndex`` of a pass is ``AOI.index``.
    start, end
        The window (at most ``PASS_PREDICTION_MAX_DAYS``).
    max_off_nadir
        The request's limit (the sensor's ``maxOffNadirDeg`` caps it).
    step_s
        Coarse propagation step.
    min_sun_elevation_deg
        Daylight needed at the target (default 10 deg for optical sensors, none for SAR).

    Returns
    -------
    list of dict
        GeoJSON Features, sorted by time: ``id``, accessible swath ``geometry``, and
        ``properties`` ``datetime`` (closest approach), ``satellite``, ``sensor``,
        ``offNadirDeg`` (to the AOI anchor), ``direction``, ``featureIndex``,
        ``sunElevationDeg``.

    Raises
    ------
    DomainError
        422 when the window is longer than ``PASS_PREDICTION_MAX_DAYS``.

    Examples
    --------
    >>> from geopera_nb.server.domain.catalogue import build_catalogue
    >>> from geopera_nb.geo import parse_feature_collection
    >>> cat = build_catalogue(0, n_captures=10)
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
    ...       "geometry": {"type": "Polygon", "coordinates": [[[150, -34], [150.1, -34],
    ...       [150.1, -33.9], [150, -33.9], [150, -34]]]}}]}
    >>> passes = opportunities(cat.sensor("geo-kite-50"), parse_feature_collection(fc),
    ...                        cat.now, cat.now + timedelta(days=7))
    >>> len(passes) > 0, all(p["properties"]["offNadirDeg"] <= 30 for p in passes)
    (True, True)
    """
    orbit = _predictable_orbit(sensor, aois, start, end)
    if orbit is None:
        return []
    limit, min_sun_elevation_deg = _pass_limits(sensor, max_off_nadir, min_sun_elevation_deg)
    names = [s["name"] for s in orbit["satellites"]]
    sats = [Satrec.twoline2rv(*s["tle"]) for s in orbit["satellites"]]
    span = (end - start).total_seconds()
    secs = np.append(np.arange(0.0, span, step_s), span)
    jd, fr = _times(start, secs)
    _, r, _ = SatrecArray(sats).sgp4(jd, fr)  # (n_sat, n_time, 3) km, TEME
    ecef = _ecef(jd, fr, r)
    radius = np.linalg.norm(ecef, axis=-1)
    units = ecef / radius[..., None]
    alt = radius - EARTH_RADIUS_KM
    half_swath_km = reachable_half_swath_km(float(orbit["altitudeKm"]), limit)
    # along-track motion between samples (~0.0011 rad/s) bounds how far a coarse minimum
    # may sit from the true one; keep candidates within that slack of the reachable arc
    slack = 0.6 * 0.0012 * step_s
    out: list[dict[str, Any]] = []
    for aoi in aois:
        lon0, lat0 = aoi_anchor(aoi.geometry)
        target = _unit(lon0, lat0)
        gamma = np.arccos(np.clip(units @ target, -1.0, 1.0))  # (n_sat, n_time)
        reach = _central_angle_limit(alt, limit)
        is_min = np.zeros(gamma.shape, dtype=bool)
        is_min[:, 1:-1] = (gamma[:, 1:-1] <= gamma[:, :-2]) & (gamma[:, 1:-1] < gamma[:, 2:])
        cand = np.argwhere(is_min & (gamma <= reach + slack))
        for k, i in cand:
            lo, hi = max(0.0, secs[i] - step_s), min(span, secs[i] + step_s)
            fine = np.arange(lo, hi + 0.5, 1.0)
            fjd, ffr = _times(start, fine)
            _, fr_teme, _ = sats[k].sgp4_array(fjd, ffr)
            fe = _ecef(fjd, ffr, fr_teme)
            fr_norm = np.linalg.norm(fe, axis=-1)
            fg = np.arccos(np.clip((fe / fr_norm[:, None]) @ target, -1.0, 1.0))
            j = int(np.argmin(fg))
            if j in (0, fg.size - 1) and 0.0 < fine[j] < span:
                continue  # not a true minimum inside the refined span
            off = float(_off_nadir_deg(fr_norm[j] - EARTH_RADIUS_KM, fg[j]))
            if off > limit:
                continue
            tca = start + timedelta(seconds=float(fine[j]))
            tca = tca.replace(microsecond=(tca.microsecond // 1000) * 1000)
            jd_tca = float(fjd[j] + ffr[j])
            sun = float(sun_elevation_deg(jd_tca, lon0, lat0))
            if sun < min_sun_elevation_deg:
                continue
            ascending = fe[min(j + 1, fe.shape[0] - 1), 2] > fe[max(j - 1, 0), 2]
            t0 = max(0.0, float(fine[j]) - STRIP_HALF_SECONDS)
            t1 = min(span, float(fine[j]) + STRIP_HALF_SECONDS)
            when = format_instant(tca)
            out.append({
                "type": "Feature",
                "id": stable_uuid("pass", sensor["id"], names[k], when, aoi.index),
                "geometry": _strip(sats[k], start, t0, t1, half_swath_km),
                "properties": {
                    "datetime": when,
                    "satellite": names[k],
                    "sensor": sensor["id"],
                    "offNadirDeg": round(off, 2),
                    "direction": "ascending" if ascending else "descending",
                    "featureIndex": aoi.index,
                    "sunElevationDeg": round(sun, 2),
                },
            })  # fmt: skip
    out.sort(key=lambda f: (f["properties"]["datetime"], f["properties"]["featureIndex"],
                            f["properties"]["satellite"]))  # fmt: skip
    return out


# --- pass counting (feasibility) --------------------------------------------------------
#
# ``opportunities`` samples every 30 s, keeps the local minima of the angle to the target
# that come within the accessible arc plus a slack, and refines each over +-30 s at 1 s.
# ``count_passes`` finds the same minima without the 30 s sweep of the whole window (the
# cost of a feasibility check, ~300 ms for 18 days) and without drawing swaths:
#
# 1. Sweep at COARSE_STEP_S (a multiple of 30 s: coarse samples are 30 s grid samples;
#    ~10 per revolution), cached per (satellites, start, span) in a small LRU. A coarse
#    minimum lies within half a step of its closest approach, so revolutions whose coarse
#    minimum is further than ``reach + w_max * step`` cannot hold a pass (rigorous). Near
#    a closest approach the cosine of the angle is ``A cos(w (t - t0))`` (circular orbit,
#    sphere), so the three coarse samples give ``t0`` in closed form; Earth rotation bends
#    the model, but ``t0`` stays within ~2 s of the 1 s minimum (measured on every
#    sensor). Revolutions are dropped when the Sun at ``t0`` is more than 1 deg under the
#    daylight limit (it moves <= 0.25 deg a minute) or when the angle *at* ``t0`` (one
#    propagation) exceeds the accessible arc by T0_MARGIN_RAD (16 s of along-track
#    error). Coarse minima at the window ends or where the fit fails are probed whole.
# 2. Around each remaining ``t0``, six 30 s grid samples give the 30 s local minimum that
#    ``opportunities`` would have kept (same comparisons, same slack).
# 3. Its 1 s refinement probes +-3 s around the parabolic vertex of the 30 s samples and
#    falls back to the whole +-30 s when the minimum is not strictly inside; the edge,
#    off-nadir and daylight tests are those of ``opportunities``.
#
# tests/sandbox/domain/test_domain_orbits_feasibility.py checks the counts against
# ``len(opportunities(...))`` over random AOIs, windows, limits and sensors.

#: Coarse sweep step of :func:`count_passes` (a multiple of the 30 s grid; ~10 samples
#: per revolution).
COARSE_STEP_S = 600.0
#: Slack (radians, ~190 km) added to the rigorous coarse bound.
COARSE_MARGIN_RAD = 0.03
#: How far beyond the accessible arc the angle at the estimated closest approach may be
#: and the revolution still be refined (radians, ~130 km: 16 s of along-track error,
#: while the estimate was measured within 2 s of the 1 s minimum on all sensors).
T0_MARGIN_RAD = 0.02
_GRID_S = 30.0
_FINE_HALF = 3


@lru_cache(maxsize=16)
def _coarse_sweep(
    tles: tuple[tuple[str, str], ...], start: datetime, span: float, step_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every ``step_s``: secs, Julian dates, unit vectors (n_sat, n, 3), altitudes (n_sat, n).

    Cached (read-only arrays): placements of the same window reuse the sweep.
    """
    sats = [Satrec.twoline2rv(*tle) for tle in tles]
    secs = np.append(np.arange(0.0, span, step_s), span)
    jd, fr = _times(start, secs)
    _, r, _ = SatrecArray(sats).sgp4(jd, fr)
    ecef = _ecef(jd, fr, r)
    radius = np.linalg.norm(ecef, axis=-1)
    units = ecef / radius[..., None]
    alt = radius - EARTH_RADIUS_KM
    out = (secs, jd + fr, units, alt)
    for a in out:
        a.flags.writeable = False
    return out


def _probe(
    sat: Satrec, epoch: tuple[float, float], secs: np.ndarray, target: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Angle to ``target``, altitude (km) and Julian date at ``secs`` (any shape).

    ``epoch`` is ``jday`` of the window start; the arithmetic is that of the refinement
    in :func:`opportunities` (``jd0``, ``fr0 + secs / 86400``, GMST rotation, ``@``).
    """
    flat = np.ravel(secs)
    jd = np.full(flat.shape, epoch[0])
    fr = epoch[1] + flat / 86400.0
    _, r, _ = sat.sgp4_array(jd, fr)
    fe = _ecef(jd, fr, r)
    norm = np.linalg.norm(fe, axis=-1)
    gamma = np.arccos(np.clip((fe / norm[:, None]) @ target, -1.0, 1.0))
    shape = np.shape(secs)
    return gamma.reshape(shape), (norm - EARTH_RADIUS_KM).reshape(shape), (jd + fr).reshape(shape)


def _epoch(start: datetime) -> tuple[float, float]:
    jd0, fr0 = _times(start, np.zeros(1))
    return float(jd0[0]), float(fr0[0])


#: Fastest change of the angle between the sub-satellite point and a target (rad/s):
#: orbital motion (~0.00108 at 500 km) plus Earth rotation, rounded up.
_OMEGA_MAX = 0.00125


def _coarse_candidates(
    sat: Satrec,
    epoch: tuple[float, float],
    sweep: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    dots: np.ndarray,
    reach: np.ndarray,
    target: np.ndarray,
    lon0: float,
    lat0: float,
    min_sun: float,
) -> list[int]:
    """30 s grid indices to probe: one per revolution that may hold a pass (step 1)."""
    secs, jd, _, _ = sweep
    n = secs.size
    step_s = float(secs[1] - secs[0]) if n > 1 else _GRID_S
    if n < 3:  # a window of one or two coarse steps: probe all of it
        return list(range(0, math.ceil(secs[-1] / _GRID_S) + 2, 4))
    gamma = np.arccos(np.clip(dots, -1.0, 1.0))
    # the coarse minimum is within half a step of the closest approach: a rigorous bound
    near = gamma <= reach + _OMEGA_MAX * step_s + COARSE_MARGIN_RAD
    is_min = np.zeros(n, dtype=bool)
    is_min[1:-1] = (gamma[1:-1] <= gamma[:-2]) & (gamma[1:-1] < gamma[2:])
    is_min[0] = gamma[0] < gamma[1]
    is_min[-1] = gamma[-1] <= gamma[-2]
    cand = np.flatnonzero(is_min & near)
    if cand.size == 0:
        return []
    uniform = (cand >= 1) & (cand <= n - 2)
    inner = cand[uniform]
    uniform[uniform] = (secs[inner + 1] - secs[inner] == step_s) & (
        secs[inner] - secs[inner - 1] == step_s
    )
    fallback = [int(v) for v in cand[~uniform]]
    c = cand[uniform]
    firsts: list[int] = []
    if c.size:
        # closest approach from A cos(w (t - t_c) + phi) through the three samples
        fm, f0, fp = dots[c - 1], dots[c], dots[c + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            cw = (fm + fp) / (2.0 * f0)
            wc = np.arccos(np.clip(cw, -1.0, 1.0))
            x = -np.arctan2(-(fp - fm) / (2.0 * np.sin(wc)), f0) / wc  # in steps from t_c
            fit = (f0 > 0.0) & (cw > 0.0) & (cw < 1.0) & np.isfinite(x) & (np.abs(x) <= 1.5)
        fallback.extend(int(v) for v in c[~fit])
        c, x = c[fit], x[fit]
        t0 = secs[c] + x * step_s
        # daylight at the estimate (t0 is good to ~2 s; the Sun moves <= 0.25 deg a minute)
        lit = np.asarray(sun_elevation_deg(jd[c] + x * step_s / 86400.0, lon0, lat0)) >= (
            min_sun - 1.0
        )
        c, t0 = c[lit], t0[lit]
        if c.size:
            # the angle at the estimated closest approach: within ~0.003 rad of the minimum
            g0, _, _ = _probe(sat, epoch, t0, target)
            best_reach = np.maximum(np.maximum(reach[c - 1], reach[c]), reach[c + 1])
            keep = g0 <= best_reach + T0_MARGIN_RAD
            firsts.extend(int(v) for v in np.floor(t0[keep] / _GRID_S))
    for ci in fallback:
        lo = secs[max(ci - 1, 0)]
        hi = secs[min(ci + 1, n - 1)]
        firsts.extend(range(int(lo // _GRID_S), math.ceil(hi / _GRID_S) + 2, 4))
    return firsts


def _refined_passes(
    sat: Satrec,
    epoch: tuple[float, float],
    span: float,
    t_i: np.ndarray,
    vertex: np.ndarray,
    target: np.ndarray,
    limit: float,
    lon0: float,
    lat0: float,
    min_sun: float,
) -> int:
    """How many of the 30 s minima at ``t_i`` are passes (step 3; opportunities' rules).

    Each minimum's 1 s grid is ``lo + k`` for ``k < m`` (``lo = t_i - 30``, clipped to the
    window, as in :func:`opportunities`). Only the few seconds around the parabolic
    ``vertex`` are probed; a minimum not strictly inside them (and not on an end of the
    grid) is refined over its whole grid instead.
    """
    lo = np.maximum(0.0, t_i - _GRID_S)
    hi = np.minimum(span, t_i + _GRID_S)
    m = np.array([np.arange(a, b + 0.5, 1.0).size for a, b in zip(lo, hi, strict=True)])
    cols = np.arange(-_FINE_HALF, _FINE_HALF + 1)
    k0 = np.where(np.isfinite(vertex), np.rint(np.nan_to_num(vertex) - lo), 0).astype(np.int64)
    ks = k0[:, None] + cols[None, :]
    valid = (ks >= 0) & (ks < m[:, None])
    g, alt, jd = _probe(sat, epoch, lo[:, None] + np.clip(ks, 0, (m - 1)[:, None]), target)
    g = np.where(valid, g, np.inf)
    jl = np.argmin(g, axis=1)
    rows = np.arange(t_i.size)
    k = ks[rows, jl]
    last = cols.size - 1
    left_ok = ((jl > 0) & valid[rows, np.maximum(jl - 1, 0)]) | (k == 0)
    right_ok = ((jl < last) & valid[rows, np.minimum(jl + 1, last)]) | (k == m - 1)
    inside = np.isfinite(vertex) & left_ok & right_ok
    g_k, alt_k, jd_k = g[rows, jl], alt[rows, jl], jd[rows, jl]
    for r in np.flatnonzero(~inside):  # the minimum is elsewhere: the whole +-30 s
        fg, falt, fjd = _probe(sat, epoch, np.arange(lo[r], hi[r] + 0.5, 1.0), target)
        k[r] = int(np.argmin(fg))
        g_k[r], alt_k[r], jd_k[r] = fg[k[r]], falt[k[r]], fjd[k[r]]
    t_k = lo + k
    edge = ((k == 0) | (k == m - 1)) & (t_k > 0.0) & (t_k < span)  # not a true minimum
    off_ok = np.asarray(_off_nadir_deg(alt_k, g_k)) <= limit
    sun_ok = np.asarray(sun_elevation_deg(jd_k, lon0, lat0)) >= min_sun
    return int(np.count_nonzero(~edge & off_ok & sun_ok))


def count_passes(
    sensor: dict[str, Any],
    aois: list[AOI],
    start: datetime,
    end: datetime,
    *,
    max_off_nadir: float | None = None,
    min_sun_elevation_deg: float | None = None,
    coarse_step_s: float = COARSE_STEP_S,
) -> dict[int, int]:
    """How many passes :func:`opportunities` predicts per AOI (``{AOI.index: count}``).

    Same model and same passes (the same 30 s minima, refined at 1 s, with the same
    off-nadir, daylight and edge tests), at a fraction of the cost: a coarse sweep finds
    the revolutions that come near each AOI and only those are refined (see the comment
    above). AOIs without a pass are absent from the answer.

    Raises
    ------
    DomainError
        422 when the window is longer than ``PASS_PREDICTION_MAX_DAYS``.

    Examples
    --------
    >>> from geopera_nb.server.domain.catalogue import build_catalogue
    >>> from geopera_nb.geo import parse_feature_collection
    >>> cat = build_catalogue(0, n_captures=10)
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
    ...       "geometry": {"type": "Polygon", "coordinates": [[[150, -34], [150.1, -34],
    ...       [150.1, -33.9], [150, -33.9], [150, -34]]]}}]}
    >>> aois = parse_feature_collection(fc)
    >>> kite, end = cat.sensor("geo-kite-50"), cat.now + timedelta(days=7)
    >>> count_passes(kite, aois, cat.now, end) == {0: len(opportunities(kite, aois, cat.now, end))}
    True
    """
    orbit = _predictable_orbit(sensor, aois, start, end)
    if orbit is None:
        return {}
    if coarse_step_s <= 0 or coarse_step_s % _GRID_S:
        raise ValueError("coarse_step_s must be a positive multiple of 30 s")
    limit, min_sun_elevation_deg = _pass_limits(sensor, max_off_nadir, min_sun_elevation_deg)
    min_sun = float(min_sun_elevation_deg)
    tles = tuple((str(s["tle"][0]), str(s["tle"][1])) for s in orbit["satellites"])
    sats = [Satrec.twoline2rv(*tle) for tle in tles]
    span = (end - start).total_seconds()
    sweep = _coarse_sweep(tles, start, span, float(coarse_step_s))
    units, alt = sweep[2], sweep[3]
    reach = _central_angle_limit(alt, limit)
    n30 = int(np.arange(0.0, span, _GRID_S).size) + 1  # samples of the 30 s grid
    slack = 0.6 * 0.0012 * _GRID_S  # the candidate slack of opportunities at 30 s
    offsets = np.arange(-2, 4)
    epoch = _epoch(start)
    counts: dict[int, int] = {}
    for aoi in aois:
        lon0, lat0 = aoi_anchor(aoi.geometry)
        target = _unit(lon0, lat0)
        dots = units @ target
        for k, sat in enumerate(sats):
            firsts = _coarse_candidates(sat, epoch, sweep, dots[k], reach[k], target,
                                        lon0, lat0, min_sun)  # fmt: skip
            if not firsts:
                continue
            # step 2: the 30 s local minima (opportunities' rules) near each candidate
            idx = np.clip(np.asarray(firsts)[:, None] + offsets[None, :], 0, n30 - 1)
            t_idx = np.where(idx >= n30 - 1, span, idx * _GRID_S)
            g30, a30, _ = _probe(sat, epoch, t_idx, target)
            mid = idx[:, 1:-1]
            ok = (mid >= 1) & (mid <= n30 - 2) & (idx[:, :-2] == mid - 1) & (idx[:, 2:] == mid + 1)
            ok &= (g30[:, 1:-1] <= g30[:, :-2]) & (g30[:, 1:-1] < g30[:, 2:])
            ok &= g30[:, 1:-1] <= _central_angle_limit(a30[:, 1:-1], limit) + slack
            rows, cols = np.nonzero(ok)
            if rows.size == 0:
                continue
            _, first = np.unique(mid[rows, cols], return_index=True)  # each minimum once
            rows, cols = rows[first], cols[first]
            t_i = t_idx[rows, cols + 1]
            gm, g0, gp = (g30[rows, cols + d] ** 2 for d in (0, 1, 2))
            curv = gm - 2.0 * g0 + gp
            uniform = (t_idx[rows, cols + 2] - t_i == _GRID_S) & (curv > 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                vertex = np.where(uniform, t_i + _GRID_S * 0.5 * (gm - gp) / curv, np.nan)
            n = _refined_passes(sat, epoch, span, t_i, vertex, target, limit, lon0, lat0,
                                min_sun)  # fmt: skip
            if n:
                counts[aoi.index] = counts.get(aoi.index, 0) + n
    return counts
