"""Prices: tasking groups, archive capture lines and the provider-compatible estimate.

Rules ([ours], semantics.md "Money"): credits are ``ceil`` of the exact value and
``aud = credits / 100``.

- Tasking group: ``ceil(max(areaKm2, minKm2) * pricePerKm2 * priorityFactor)``; the area is
  the geodesic area of the union of the group's AOIs (overlaps are paid once).
- Archive line: ``ceil(max(area(AOI ∩ footprint), minKm2) * creditsPerKm2)``; no AOI means
  the whole footprint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jsonschema
import shapely

from geopera_nb.contract.limits import (
    CAPTURE_LINES_MAX,
    PLACEMENT_GROUPS_MAX,
    VALIDATION_PROBLEMS_MAX,
)
from geopera_nb.contract.timestamps import format_instant, from_ms
from geopera_nb.geo import (
    GeometryRejected,
    geodesic_area_km2,
    parse_feature_collection,
    polygonal,
)

from .catalogue import Catalogue
from .money import aud, credits
from .rejections import DomainError, from_geometry
from .tasking_request import TaskingRequest, normalise_tasking_group

__all__ = [
    "TaskingRequest",
    "check_count",
    "normalise_tasking_group",
    "price_archive",
    "price_archive_line",
    "price_archive_strict",
    "price_provider_estimate",
    "price_provider_feature",
    "price_tasking",
    "price_tasking_group",
    "price_tasking_request",
    "validate_params",
]

Loc = tuple[str | int, ...]


def price_tasking_request(req: TaskingRequest) -> dict[str, Any]:
    """The estimate row of a normalised tasking request (camelCase, api-shapes)."""
    sensor = req.sensor
    billable = max(req.area_km2, float(sensor["minKm2"]))
    n = credits(billable * sensor["pricePerKm2"] * req.priority_factor)
    return {
        "index": req.index,
        "sensor": sensor["id"],
        "areaKm2": req.area_km2,
        "billableKm2": billable,
        "pricePerKm2": sensor["pricePerKm2"],
        "priorityFactor": req.priority_factor,
        "credits": n,
        "aud": aud(n),
        "features": [{"index": a.index, "areaKm2": a.area_km2} for a in req.aois],
    }


def price_tasking_group(group: object, index: int, cat: Catalogue, now: datetime) -> dict[str, Any]:
    """Price one TaskingGroup.

    Raises
    ------
    DomainError
        422 with ``loc`` ``("groups", index, ...)`` when the group cannot be priced.

    Examples
    --------
    >>> from geopera_nb.server.domain.catalogue import build_catalogue
    >>> cat = build_catalogue(0, n_captures=10)
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
    ...       "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0.01, 0], [0.01, 0.01],
    ...       [0, 0.01], [0, 0]]]}}]}
    >>> row = price_tasking_group({"sensor": "geo-owl-30", "featureCollection": fc,
    ...                            "priority": "rush"}, 0, cat, cat.now)
    >>> row["billableKm2"], row["credits"]  # the 25 km2 floor, x2 for rush
    (25.0, 120000)
    """
    return price_tasking_request(normalise_tasking_group(group, index, cat, now))


def check_count(items: list[Any], field: str, most: int) -> None:
    """422 at ``field`` when ``items`` holds more than ``most`` entries.

    Examples
    --------
    >>> try:
    ...     check_count([1, 2, 3], "groups", 2)
    ... except DomainError as exc:
    ...     print(exc.loc, exc.msg)
    ('groups',) 3 groups; at most 2 are allowed
    """
    if len(items) > most:
        raise DomainError(422, (field,), f"{len(items)} {field}; at most {most} are allowed",
                          "too_long")


def price_tasking(groups: object, cat: Catalogue, now: datetime) -> dict[str, Any]:
    """``orders.tasking.estimate``: price every group; failures become ``errors`` rows.

    Raises
    ------
    DomainError
        422 when ``groups`` is not a list of objects (a malformed body) or holds more
        than ``PLACEMENT_GROUPS_MAX``.
    """
    if groups is None:
        groups = []
    if not isinstance(groups, list):
        raise DomainError(422, ("groups",), "groups must be an array of objects")
    check_count(groups, "groups", PLACEMENT_GROUPS_MAX)
    for i, g in enumerate(groups):
        if not isinstance(g, dict):
            raise DomainError(422, ("groups", i), "each group must be an object")
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for i, g in enumerate(groups):
        try:
            rows.append(price_tasking_group(g, i, cat, now))
        except DomainError as exc:
            errors.append({"index": i, "message": exc.msg, "loc": list(exc.loc)})
    total = sum(r["credits"] for r in rows)
    return {"groups": rows, "errors": errors, "totalAud": aud(total), "totalCredits": total}


def price_archive_line(
    line: object, index: int, cat: Catalogue, *, loc: Loc | None = None
) -> dict[str, Any]:
    """Price one archive CaptureLine ``{"id", "featureCollection"?}``.

    Returns the ``captures[]`` row of api-shapes plus ``date`` (``YYYY-MM-DD``).

    Raises
    ------
    DomainError
        422 with ``loc`` ``("captures", index, ...)``: unknown capture, bad geometry,
        AOI missing the footprint.
    """
    loc = ("captures", index) if loc is None else loc
    if not isinstance(line, dict):
        raise DomainError(422, loc, "each capture line must be an object")
    row = cat.capture_index(line.get("id"))
    if row is None:
        raise DomainError(422, (*loc, "id"), f"unknown capture {line.get('id')!r}")
    footprint = cat.captures.footprints[row]
    area_geom = footprint
    if line.get("featureCollection") is not None:
        try:
            aois = parse_feature_collection(line["featureCollection"], (*loc, "featureCollection"))
        except GeometryRejected as exc:
            raise from_geometry(exc) from None
        aoi = shapely.union_all([a.geometry for a in aois])
        area_geom = polygonal(aoi.intersection(footprint))
        if area_geom.is_empty:
            raise DomainError(
                422, (*loc, "featureCollection"), "the AOI does not overlap the capture footprint"
            )
    price = cat.capture_price(row)
    area = geodesic_area_km2(area_geom)
    billable = max(area, float(price["minKm2"]))
    n = credits(billable * price["creditsPerKm2"])
    when = format_instant(from_ms(int(cat.captures.datetime_ms[row])))
    return {
        "index": index,
        "id": str(cat.captures.ids[row]),
        "areaKm2": area,
        "billableKm2": billable,
        "credits": n,
        "aud": aud(n),
        "datetime": when,
        "date": when[:10],
    }


def _price_lines(
    captures: object, cat: Catalogue
) -> tuple[list[dict[str, Any]], list[tuple[int, object, DomainError]]]:
    """Every line priced, and ``(index, line, error)`` of every line that cannot be."""
    if captures is None:
        captures = []
    if not isinstance(captures, list):
        raise DomainError(422, ("captures",), "captures must be an array of objects")
    check_count(captures, "captures", CAPTURE_LINES_MAX)
    lines: list[dict[str, Any]] = []
    failed: list[tuple[int, object, DomainError]] = []
    for i, line in enumerate(captures):
        try:
            lines.append(price_archive_line(line, i, cat))
        except DomainError as exc:
            failed.append((i, line, exc))
    return lines, failed


def _archive_answer(
    lines: list[dict[str, Any]], split_by_date: bool, errors: list[dict[str, Any]]
) -> dict[str, Any]:
    buckets: dict[str | None, list[dict[str, Any]]] = {}
    for row in lines:
        buckets.setdefault(row["date"] if split_by_date else None, []).append(row)
    groups = []
    for date in sorted(buckets, key=lambda d: d or ""):
        rows = [{k: v for k, v in r.items() if k != "date"} for r in buckets[date]]
        n = sum(r["credits"] for r in rows)
        groups.append({"date": date, "credits": n, "aud": aud(n), "captures": rows})
    total = sum(g["credits"] for g in groups)
    return {"groups": groups, "errors": errors, "total_aud": aud(total), "total_credits": total}


def price_archive(captures: object, split_by_date: bool, cat: Catalogue) -> dict[str, Any]:
    """``orders.archive.estimate`` (snake_case totals): one group, or one per date.

    Groups are ordered by date (ascending) when split; lines keep their input order.
    A line that cannot be priced is an ``errors`` row ``{"index", "id", "message"}``.

    Raises
    ------
    DomainError
        422 when ``captures`` is not a list, or holds more than ``CAPTURE_LINES_MAX``.
    """
    lines, failed = _price_lines(captures, cat)
    errors = []
    for i, line, exc in failed:
        cid = line.get("id") if isinstance(line, dict) else None
        errors.append({"index": i, "id": cid if isinstance(cid, str) else None,
                       "message": exc.msg})  # fmt: skip
    return _archive_answer(lines, split_by_date, errors)


def price_archive_strict(captures: object, split_by_date: bool, cat: Catalogue) -> dict[str, Any]:
    """:func:`price_archive` for a placement: any line that cannot be priced is a 422.

    Raises
    ------
    DomainError
        422 listing every problem of every failing line (each with its own ``loc`` into
        the line, e.g. ``("captures", 0, "featureCollection", "features", 0, "geometry",
        "coordinates")``), at most ``VALIDATION_PROBLEMS_MAX``.
    """
    lines, failed = _price_lines(captures, cat)
    problems = [p for _, _, exc in failed for p in exc.detail()][:VALIDATION_PROBLEMS_MAX]
    if problems:
        first = problems[0]
        raise DomainError(422, first["loc"], first["msg"], first["type"], problems)
    return _archive_answer(lines, split_by_date, [])


def validate_params(product: dict[str, Any], params: object) -> dict[str, Any]:
    """Check ``params`` against the product's JSON Schema (draft 2020-12).

    Raises
    ------
    DomainError
        422 with ``loc`` ``("params", ...)`` naming the first offending field.
    """
    params = {} if params is None else params
    validator = jsonschema.Draft202012Validator(product["schema"])
    errs = sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))
    if errs:
        problems = [
            {"loc": ["params", *e.absolute_path], "msg": e.message, "type": "value_error.params"}
            for e in errs
        ]
        first = problems[0]
        raise DomainError(422, tuple(first["loc"]), first["msg"], first["type"], problems)
    assert isinstance(params, dict)
    return params


def price_provider_feature(
    product: dict[str, Any],
    params: dict[str, Any],
    feature: object,
    index: int,
    cat: Catalogue,
    now: datetime,
) -> dict[str, Any]:
    """Price one feature of an ``orders.estimate``/``orders.place`` body.

    A tasking product prices the feature as a one-feature tasking group with ``params``;
    an archive product prices it as a capture line (``params.captureId``, the feature as
    AOI). Answers ``{"index", "credits", "aud", "size", "unit": "SQ_KM"}``.

    Raises
    ------
    DomainError
        422 with ``loc`` into ``featureCollection.features[index]`` or ``params``.
    """
    fc = {"type": "FeatureCollection", "features": [feature]}
    floc: Loc = ("featureCollection", "features", index)
    if product["kind"] == "tasking":
        group = {**params, "dataProduct": product["id"], "featureCollection": fc}
        try:
            row = price_tasking_group(group, 0, cat, now)
        except DomainError as exc:
            raise _relocate(exc, floc) from None
        size = row["billableKm2"]
    else:
        capture_id = params.get("captureId")
        row_i = cat.capture_index(capture_id)
        in_product = row_i is not None and (
            cat.collection_names[int(cat.captures.collection[row_i])] == product["collection"]
        )
        if not in_product:
            raise DomainError(422, ("params", "captureId"), f"unknown capture {capture_id!r}")
        try:
            row = price_archive_line({"id": capture_id, "featureCollection": fc}, 0, cat)
        except DomainError as exc:
            raise _relocate(exc, floc) from None
        size = row["billableKm2"]
    return {"index": index, "credits": row["credits"], "aud": row["aud"], "size": size,
            "unit": "SQ_KM"}  # fmt: skip


def _relocate(exc: DomainError, floc: Loc) -> DomainError:
    """Map a one-feature group's loc (``groups.0.featureCollection.features.0...``) back."""
    loc = list(exc.loc)
    if loc[:2] in (["groups", 0], ["captures", 0]):
        loc = loc[2:]
        if loc[:3] == ["featureCollection", "features", 0]:
            loc = [*floc, *loc[3:]]
        elif loc and loc[0] != "featureCollection":
            loc = ["params", *loc]
        else:
            loc = list(floc)
    return DomainError(exc.status, loc, exc.msg, exc.type)


def price_provider_estimate(body: dict[str, Any], cat: Catalogue, now: datetime) -> dict[str, Any]:
    """``orders.estimate`` (provider-compatible): one result line per feature.

    Raises
    ------
    DomainError
        422 for an unknown ``dataProduct``, ``params`` that break the product schema, or a
        ``featureCollection`` that is not a FeatureCollection with features.
    """
    product = cat.product(body.get("dataProduct"))
    if product is None:
        raise DomainError(
            422, ("dataProduct",), f"unknown data product {body.get('dataProduct')!r}"
        )
    params = validate_params(product, body.get("params"))
    fc = body.get("featureCollection")
    if (
        not isinstance(fc, dict)
        or fc.get("type") != "FeatureCollection"
        or not isinstance(fc.get("features"), list)
        or not fc["features"]
    ):
        raise DomainError(
            422,
            ("featureCollection",),
            "featureCollection must be a FeatureCollection with features",
        )
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for i, feat in enumerate(fc["features"]):
        try:
            results.append(price_provider_feature(product, params, feat, i, cat, now))
        except DomainError as exc:
            errors.append({"index": i, "message": exc.msg})
    total = sum(r["credits"] for r in results)
    return {
        "summary": {
            "totalCredits": total,
            "totalAud": aud(total),
            "totalSize": sum(r["size"] for r in results),
            "unit": "SQ_KM",
        },
        "results": results,
        "errors": errors,
    }
