"""What every placement shares: the caller's workspace, tags, and a priced tasking group.

A placement prices with the very functions the estimates use, so a reservation is always
exactly what the matching estimate said. :func:`prepare_tasking_group` does the slow
domain work (normalising, pricing, the feasibility check's orbit propagation) *outside*
the write transaction; :mod:`.lifecycle` then stores the order in its first state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geopera_nb.contract.timestamps import format_instant, from_ms
from geopera_nb.geo import to_geojson

from ..domain.feasibility import check_feasibility
from ..domain.pricing import price_tasking_request
from ..domain.tasking_request import normalise_tasking_group
from ..problems import Invalid, Problem
from ..state.auth import Principal
from ..state.backend import Backend

TASKING_PARAM_KEYS = ("start", "end", "maxCloudCoverage", "maxOffNadir", "priority")


def _iso(value: Any) -> Any:
    return format_instant(value) if isinstance(value, datetime) else value


def check_workspace(backend: Backend, principal: Principal, workspace_id: str | None) -> str:
    """The workspace to place into: the org's own (a foreign or unknown one answers 404)."""
    if workspace_id in (None, ""):
        return principal.workspace_id
    if workspace_id != principal.workspace_id:
        raise Problem(404, f"workspace {workspace_id!r} not found")
    return workspace_id


def merge_tags(*lists: Any) -> list[str]:
    """The string tags of ``lists``, first occurrence first, duplicates dropped (linear).

    Examples
    --------
    >>> merge_tags(["a", "b"], ["b", "c", 3], None)
    ['a', 'b', 'c']
    """
    merged: dict[str, None] = {}
    for tags in lists:
        for tag in tags or []:
            if isinstance(tag, str):
                merged.setdefault(tag)
    return list(merged)


def errors_to_invalid(errors: list[dict[str, Any]], field: str) -> Invalid:
    items = []
    for err in errors:
        loc = err.get("loc") or [field, err.get("index", 0)]
        items.append({"loc": ["body", *loc], "msg": str(err.get("message", "invalid")),
                      "type": str(err.get("type", "value_error"))})
    return Invalid(items)


# --- tasking ----------------------------------------------------------------------------


@dataclass
class PreparedTasking:
    """A priced, normalised and feasibility-checked tasking group (no database work yet)."""

    group: dict[str, Any]
    index: int
    credits: int
    sensor_id: str
    sensor: dict[str, Any]
    params: dict[str, Any]
    geometry: dict[str, Any]
    aoi_km2: float
    check: dict[str, Any]


def prepare_tasking_group(backend: Backend, group: dict[str, Any], index: int,
                          now_ms: int, credits: int | None = None) -> PreparedTasking:
    """Normalise, price (unless ``credits`` is given) and feasibility-check one group.

    Runs outside the write transaction: the orbit propagation of the check is the slow
    part of a placement and must not hold the database's write lock.

    Raises
    ------
    DomainError
        422 when the group cannot be priced (the estimate's error for it).
    """
    cat = backend.catalogue
    now = from_ms(now_ms)
    req = normalise_tasking_group(group, index, cat, now)
    if credits is None:
        credits = int(price_tasking_request(req)["credits"])
    sensor_id = str(req.sensor["id"])
    sensor_doc = cat.sensor(sensor_id) or {}
    aois = list(req.aois)
    params = {
        "start": _iso(req.start), "end": _iso(req.end),
        "maxCloudCoverage": req.max_cloud, "maxOffNadir": req.max_off_nadir,
        "priority": req.priority,
    }
    check = check_feasibility(sensor_doc, aois, {k: v for k, v in params.items()
                                                 if v is not None}, now)
    return PreparedTasking(
        group=group, index=index, credits=credits, sensor_id=sensor_id, sensor=sensor_doc,
        params=params, geometry=to_geojson(req.geometry),
        aoi_km2=sum(float(a.area_km2) for a in aois), check=check)
