"""What every placement shares: the caller's workspace, the bounds of tags and names, a
priced tasking group and an archive order's footprint.

A placement prices with the very functions the estimates use, so a reservation is always
exactly what the matching estimate said. Everything slow or proportional to the body
runs *outside* the write transaction, in the operation's ``prepare`` step: the bounds
(``TAGS_MAX`` x ``TAG_MAX_LENGTH``, ``NAME_MAX_LENGTH``, checked first, so a body a bound
refuses costs nothing), :func:`prepare_tasking_group` (normalising, pricing, the
feasibility check's orbit propagation) and :func:`archive_footprint` (the shapely union
of the lines); :mod:`.lifecycle` then only stores the order in its first state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import shape

from geopera_nb.contract.limits import (
    NAME_MAX_LENGTH,
    TAG_MAX_LENGTH,
    TAGS_MAX,
    VALIDATION_PROBLEMS_MAX,
)
from geopera_nb.contract.timestamps import format_instant, from_ms
from geopera_nb.geo import geodesic_area_km2, polygonal, to_geojson

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


def tag_problems(tags: object, loc: Sequence[str | int]) -> list[dict[str, Any]]:
    """Why ``tags`` cannot be an order's tags (``[]``: they can), each problem at the tag.

    At most ``TAGS_MAX`` strings of at most ``TAG_MAX_LENGTH`` characters. Checked before
    any other work (and before the write transaction): a bound refuses what it can.

    Examples
    --------
    >>> tag_problems(["ok", "x" * 201], ["body", "tags"])[0]["loc"]
    ['body', 'tags', 1]
    >>> tag_problems(None, ["body", "tags"])
    []
    """
    if tags is None:
        return []
    if not isinstance(tags, list):
        return [{"loc": list(loc), "msg": "tags must be an array of strings", "type": "list_type"}]
    if len(tags) > TAGS_MAX:
        return [{"loc": list(loc), "msg": f"{len(tags)} tags; at most {TAGS_MAX} are allowed",
                 "type": "too_long"}]
    problems = []
    for i, tag in enumerate(tags):
        if not isinstance(tag, str):
            problems.append({"loc": [*loc, i], "msg": "each tag must be a string",
                             "type": "string_type"})
        elif len(tag) > TAG_MAX_LENGTH:
            problems.append({"loc": [*loc, i], "msg": f"tag is {len(tag)} characters long; at "
                             f"most {TAG_MAX_LENGTH} are allowed", "type": "string_too_long"})
    return problems


def check_tags(tags: object, loc: Sequence[str | int] = ("body", "tags")) -> list[str]:
    """``tags`` as a list when they may be an order's tags; else a 422 at the tag.

    Examples
    --------
    >>> check_tags(["a", "b"])
    ['a', 'b']
    """
    problems = tag_problems(tags, loc)
    if problems:
        raise problems_to_invalid(problems)
    return list(tags) if isinstance(tags, list) else []


def name_problems(name: object, loc: Sequence[str | int]) -> list[dict[str, Any]]:
    """Why ``name`` cannot be an order's ``displayName`` (``[]``: it can).

    Examples
    --------
    >>> name_problems("x" * 201, ["body", "displayName"])[0]["type"]
    'string_too_long'
    """
    if name is None or (isinstance(name, str) and len(name) <= NAME_MAX_LENGTH):
        return []
    if not isinstance(name, str):
        return [{"loc": list(loc), "msg": "displayName must be a string", "type": "string_type"}]
    return [{"loc": list(loc), "msg": f"displayName is {len(name)} characters long; at most "
             f"{NAME_MAX_LENGTH} are allowed", "type": "string_too_long"}]


def check_placement_body(body: dict[str, Any]) -> list[str]:
    """The top-level ``tags`` of a placement body once they and ``displayName`` pass
    their bounds (422 at the offending member otherwise)."""
    problems = [*name_problems(body.get("displayName"), ["body", "displayName"]),
                *tag_problems(body.get("tags"), ["body", "tags"])]
    if problems:
        raise problems_to_invalid(problems)
    tags = body.get("tags")
    return list(tags) if isinstance(tags, list) else []


def merged_tag_problems(top: list[str], own: object,
                        loc: Sequence[str | int]) -> list[dict[str, Any]]:
    """Problems of a group's own tags, and of the order's tags once merged with ``top``."""
    problems = tag_problems(own, loc)
    if not problems and isinstance(own, list):
        count = len(merge_tags(top, own))
        if count > TAGS_MAX:
            problems.append({"loc": list(loc), "msg": f"with the placement's tags this order "
                             f"would have {count} tags; at most {TAGS_MAX} are allowed",
                             "type": "too_long"})
    return problems


def problems_to_invalid(problems: list[dict[str, Any]]) -> Invalid:
    """One 422 with every problem (``loc`` already from ``"body"``), at most
    ``VALIDATION_PROBLEMS_MAX``."""
    return Invalid(problems[:VALIDATION_PROBLEMS_MAX])


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


# --- archive ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveFootprint:
    """What an ARCHIVE order covers: its data product, geometry (GeoJSON) and area."""

    product: str | None
    geometry: dict[str, Any]
    aoi_km2: float


def archive_footprint(backend: Backend, lines: list[dict[str, Any]]) -> ArchiveFootprint:
    """The union of each line's footprint (clipped to its AOI, if any), computed outside
    the write transaction (shapely work over up to ``CAPTURE_LINES_MAX`` lines)."""
    cat = backend.catalogue
    parts = []
    product = None
    for line in lines:
        feature = cat.capture(line.get("id"))
        if feature is None:
            continue
        product = product or feature["properties"].get("dataProductId")
        footprint = shape(feature["geometry"])
        fc = line.get("featureCollection")
        if isinstance(fc, dict) and fc.get("features"):
            aoi = shapely.union_all([shape(f["geometry"]) for f in fc["features"]])
            parts.append(polygonal(footprint.intersection(aoi)))
        else:
            parts.append(footprint)
    geometry = polygonal(shapely.union_all(parts)) if parts else None
    return ArchiveFootprint(
        product=product, geometry=to_geojson(geometry),
        aoi_km2=geodesic_area_km2(geometry) if geometry is not None else 0.0)

