"""Feasibility: the per-feature check and the priced options of a feasibility study.

Rules ([ours], docs/sandbox-domain.md). A feature is **infeasible** when the window
is shorter than ``minWindowHours``, ``maxCloudCoverage`` is under ``minCloudPct``,
``maxOffNadir`` is under 5 deg (no sensor promises a near-nadir-only capture), its area
is over ``maxKm2``, or (auto sensors) no predicted pass within the off-nadir limit falls
in the first 31 days of the window. A feasible feature **needs a study** on manual
sensors always; on auto sensors when its area is over half of ``maxKm2``, the window is
under twice ``minWindowHours``, or fewer than 2 passes are predicted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from geopera_nb.contract.limits import PASS_PREDICTION_MAX_DAYS
from geopera_nb.contract.timestamps import format_instant
from geopera_nb.geo import AOI

from .money import aud, credits
from .orbits import count_passes
from .rejections import DomainError
from .seeding import rng_for, stable_uuid
from .tasking_request import PRIORITY_FACTORS, TaskingRequest, parse_window

__all__ = ["MIN_POINTING_DEG", "check_feasibility", "parse_check_params", "study_options"]

#: Smallest off-nadir limit any sensor accepts.
MIN_POINTING_DEG = 5.0


def parse_check_params(params: object, now: datetime) -> dict[str, Any]:
    """Normalise FeasibilityCheckInput ``params`` (all optional; window default 14 days).

    Raises
    ------
    DomainError
        422 with ``loc`` ``("params", ...)``.
    """
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise DomainError(422, ("params",), "params must be an object")
    start, end = parse_window(params, now, ("params",))
    out: dict[str, Any] = {"start": start, "end": end}
    for key, hi in (("maxCloudCoverage", 100.0), ("maxOffNadir", 90.0)):
        v = params.get(key)
        if v is not None and (
            isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= hi
        ):
            raise DomainError(422, ("params", key), f"{key} must be a number between 0 and {hi:g}")
        out[key] = None if v is None else float(v)
    priority = params.get("priority")
    if priority is None:  # absent or null: the default; "" or 0 are not priorities
        priority = "standard"
    if not isinstance(priority, str) or priority not in PRIORITY_FACTORS:
        raise DomainError(
            422, ("params", "priority"), "priority must be one of standard, priority, rush"
        )
    out["priority"] = priority
    return out


def check_feasibility(
    sensor: dict[str, Any], aois: list[AOI], params: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """``orders.tasking.feasibility_check``: per feature, feasible / study required / why.

    Parameters
    ----------
    sensor
        The Sensor object.
    aois
        The parsed AOIs.
    params
        Raw ``params`` (``start``, ``end``, ``maxCloudCoverage``, ``maxOffNadir``,
        ``priority``) or the output of :func:`parse_check_params`.
    now
        The sandbox clock.

    Raises
    ------
    DomainError
        422 for malformed ``params``.

    Examples
    --------
    >>> from geopera_nb.server.domain.catalogue import build_catalogue
    >>> from geopera_nb.geo import parse_feature_collection
    >>> cat = build_catalogue(0, n_captures=10)
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
    ...       "geometry": {"type": "Polygon", "coordinates": [[[150, -34], [150.1, -34],
    ...       [150.1, -33.9], [150, -33.9], [150, -34]]]}}]}
    >>> r = check_feasibility(cat.sensor("geo-condor-40"), parse_feature_collection(fc),
    ...                       {}, cat.now)
    >>> r["features"][0]["feasible"], r["studyRequired"]
    (True, True)
    >>> r = check_feasibility(cat.sensor("geo-condor-40"), parse_feature_collection(fc),
    ...                       {"maxCloudCoverage": 2}, cat.now)
    >>> r["features"][0]["feasible"], r["features"][0]["reason"]
    (False, 'maxCloudCoverage 2% is under the 5% geo-condor-40 can promise')
    """
    p = params if isinstance(params.get("start"), datetime) else parse_check_params(params, now)
    start, end = p["start"], p["end"]
    window_h = (end - start).total_seconds() / 3600.0
    sid = sensor["id"]
    limit = float(sensor["maxOffNadirDeg"])
    if p["maxOffNadir"] is not None:
        limit = min(limit, p["maxOffNadir"])
    common: list[str] = []
    if window_h < sensor["minWindowHours"]:
        common.append(
            f"the window of {window_h:.0f} h is shorter than the {sensor['minWindowHours']} h "
            f"{sid} needs"
        )
    if p["maxCloudCoverage"] is not None and p["maxCloudCoverage"] < sensor["minCloudPct"]:
        common.append(
            f"maxCloudCoverage {p['maxCloudCoverage']:g}% is under the "
            f"{sensor['minCloudPct']}% {sid} can promise"
        )
    if limit < MIN_POINTING_DEG:
        common.append(f"maxOffNadir {limit:g} deg is under the {MIN_POINTING_DEG:g} deg minimum")
    auto = sensor["feasibility"] == "auto"
    horizon = min(end, start + timedelta(days=PASS_PREDICTION_MAX_DAYS))
    features = []
    # one propagation for every AOI that passed the static rules; count_passes finds the
    # passes opportunities() lists (same model, same count) without sweeping the whole
    # window at 30 s or drawing their swaths
    eligible = [a for a in aois if not common and a.area_km2 <= sensor["maxKm2"]]
    counts: dict[int, int] = {}
    if auto and eligible:
        counts = count_passes(sensor, eligible, max(start, now), horizon, max_off_nadir=limit)
    for aoi in aois:
        reasons = list(common)
        if aoi.area_km2 > sensor["maxKm2"]:
            reasons.append(f"{aoi.area_km2:.1f} km2 is over the {sensor['maxKm2']:g} km2 maximum")
        n_pass = counts.get(aoi.index, 0)
        if auto and not reasons and n_pass == 0:
            reasons.append(f"no pass within {limit:g} deg off-nadir in the window")
        if reasons:
            features.append({"index": aoi.index, "feasible": False, "studyRequired": False,
                             "reason": "; ".join(reasons), "areaKm2": aoi.area_km2})  # fmt: skip
            continue
        study: list[str] = []
        if not auto:
            study.append(f"{sid} is planned manually: a feasibility study is needed")
        else:
            if aoi.area_km2 > 0.5 * sensor["maxKm2"]:
                study.append("a large area needs a feasibility study")
            if window_h < 2 * sensor["minWindowHours"]:
                study.append("a short window needs a feasibility study")
            if n_pass < 2:
                study.append(f"only {n_pass} pass predicted: a feasibility study is needed")
        reason = "; ".join(study) if study else f"feasible: {n_pass} passes within {limit:g} deg"
        features.append({"index": aoi.index, "feasible": True, "studyRequired": bool(study),
                         "reason": reason, "areaKm2": aoi.area_km2})  # fmt: skip
    return {
        "dataProduct": sensor["dataProductId"],
        "sensor": sid,
        "studyRequired": any(f["studyRequired"] for f in features),
        "features": features,
    }


def study_options(
    order_id: str, request: TaskingRequest, estimate_credits: int, rng_seed: int, now: datetime
) -> list[dict[str, Any]]:
    """The 2-3 priced options of a feasibility study for a placed tasking order.

    One option per priority (standard, priority, rush; rush only when a shortened window
    still meets ``minWindowHours``, and always when it is the requested priority). The
    option whose priority equals the request's costs exactly ``estimate_credits``; the
    others are scaled by the ratio of priority factors (ceil).

    Examples
    --------
    >>> from geopera_nb.server.domain.catalogue import build_catalogue
    >>> from geopera_nb.server.domain.tasking_request import normalise_tasking_group
    >>> cat = build_catalogue(0, n_captures=10)
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
    ...       "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0.1, 0], [0.1, 0.1],
    ...       [0, 0.1], [0, 0]]]}}]}
    >>> req = normalise_tasking_group({"sensor": "geo-condor-40", "featureCollection": fc,
    ...                                "priority": "priority"}, 0, cat, cat.now)
    >>> opts = study_options("o1", req, 1000, 0, cat.now)
    >>> [(o["priority"], o["credits"]) for o in opts]
    [('standard', 667), ('priority', 1000), ('rush', 1334)]
    """
    rng = rng_for(rng_seed, order_id, "study")
    base = PRIORITY_FACTORS[request.priority]
    start = max(request.start, now)
    end = request.end
    span = end - start
    passes = int(rng.integers(2, 5))
    options = []
    for prio, factor in PRIORITY_FACTORS.items():
        o_end = end
        n = passes
        if prio == "priority":
            n = passes + int(rng.integers(1, 3))
        elif prio == "rush":
            o_end = start + span / 2
            n = max(1, passes - 1)
            too_short = (o_end - start).total_seconds() / 3600.0 < request.sensor["minWindowHours"]
            if too_short and prio != request.priority:
                continue
            if too_short:
                o_end = end
        n_credits = (
            estimate_credits if prio == request.priority
            else credits(estimate_credits * factor / base)
        )  # fmt: skip
        label = {"standard": "Standard", "priority": "Priority", "rush": "Rush"}[prio]
        options.append({
            "id": stable_uuid(rng_seed, order_id, "option", prio),
            "description": f"{label}: {n} passes in window",
            "priority": prio,
            "start": format_instant(start),
            "end": format_instant(o_end),
            "passes": n,
            "credits": n_credits,
            "aud": aud(n_credits),
        })  # fmt: skip
    return options
