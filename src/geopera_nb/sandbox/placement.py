"""Placing, cancelling and updating orders (backend, no HTTP).

A placement prices with the very functions the estimates use, so a reservation is
always exactly what the matching estimate said. Everything runs inside the caller's
write transaction: a 402 or a 422 half-way leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import ledger, orders
from .clock import HOUR_MS, from_datetime, to_datetime, to_iso
from .errors import Invalid, Problem, conflict
from .store import Tx

if TYPE_CHECKING:
    from .auth import Principal
    from .backend import Backend

TASKING_PARAM_KEYS = ("start", "end", "maxCloudCoverage", "maxOffNadir", "priority")


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_iso(from_datetime(value))
    return value


def check_workspace(backend: Backend, principal: Principal, workspace_id: str | None) -> str:
    """The workspace to place into: the org's own (a foreign or unknown one answers 404)."""
    if workspace_id in (None, ""):
        return principal.workspace_id
    if workspace_id != principal.workspace_id:
        raise Problem(404, f"workspace {workspace_id!r} not found")
    return workspace_id


def _merge_tags(*lists: Any) -> list[str]:
    out: list[str] = []
    for tags in lists:
        for tag in tags or []:
            if isinstance(tag, str) and tag not in out:
                out.append(tag)
    return out


def _errors_to_invalid(errors: list[dict[str, Any]], field: str) -> Invalid:
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
    from geopera_nb.contract.geometry import to_geojson

    from .domain.feasibility import check_feasibility
    from .domain.pricing import price_tasking_request
    from .domain.tasking import normalise_tasking_group

    cat = backend.catalogue
    now = to_datetime(now_ms)
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


def insert_tasking_order(tx: Tx, principal: Principal, workspace_id: str,
                         prep: PreparedTasking, display_name: str, tags: list[str],
                         now_ms: int) -> str:
    """Store one TASKING order for a prepared group; answer its id."""
    group, params = prep.group, prep.params
    order_id = tx.new_id()
    order = orders.new_order(
        order_id=order_id, org_id=principal.org_id, workspace_id=workspace_id,
        order_type="TASKING",
        display_name=str(group.get("displayName") or display_name
                         or f"Tasking {prep.sensor_id}"),
        data_product_id=prep.sensor.get("dataProductId"), sensor=prep.sensor_id,
        tags=_merge_tags(tags, group.get("tags")), geometry=prep.geometry,
        aoi_km2=prep.aoi_km2,
        details={"params": params, "featureCollection": group.get("featureCollection"),
                 "captures": None, "window": {"start": params["start"], "end": params["end"]}},
        estimated=prep.credits, now_ms=now_ms)
    state = {"kind": "tasking", "group": group, "groupIndex": prep.index, "placedMs": now_ms}
    infeasible = [f for f in prep.check.get("features", []) if not f.get("feasible", True)]
    nxt: int | None = now_ms + HOUR_MS
    if infeasible:
        order["status"] = "FAILED"
        order["statusReason"] = str(infeasible[0].get("reason") or "infeasible request")
        nxt = None
    elif prep.check.get("studyRequired") or prep.sensor.get("feasibility") == "manual":
        order["subStatus"] = "FEASIBILITY_WAITING_UPLOAD"
    else:
        order["subStatus"] = "QUOTATION_WAITING_UPLOAD"
    orders.insert(tx, order, state, nxt, now_ms)
    return order_id


def prepare_tasking(backend: Backend, principal: Principal, body: dict[str, Any],
                    now_ms: int) -> list[PreparedTasking]:
    """The domain half of ``orders.tasking.place``: every group priced exactly as the
    estimate prices it, or a 422 listing every group that cannot be placed."""
    from .domain.errors import DomainError

    check_workspace(backend, principal, body.get("workspaceId"))
    groups = body["groups"]
    if not groups:
        raise Invalid.at(["body", "groups"], "groups must not be empty")
    prepared: list[PreparedTasking] = []
    errors: list[dict[str, Any]] = []
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            errors.append({"index": i, "message": "each group must be an object",
                           "loc": ["groups", i]})
            continue
        try:
            prepared.append(prepare_tasking_group(backend, group, i, now_ms))
        except DomainError as exc:
            errors.append({"index": i, "message": exc.msg, "loc": list(exc.loc),
                           "type": exc.type})
    if errors:
        raise _errors_to_invalid(errors, "groups")
    return prepared


def place_tasking(backend: Backend, tx: Tx, principal: Principal, body: dict[str, Any],
                  now_ms: int, prepared: list[PreparedTasking]) -> dict[str, Any]:
    """``orders.tasking.place``: one TASKING order per prepared group, nothing reserved yet."""
    workspace_id = check_workspace(backend, principal, body.get("workspaceId"))
    results = []
    for prep in prepared:
        order_id = insert_tasking_order(tx, principal, workspace_id, prep,
                                        body.get("displayName") or "", body.get("tags") or [],
                                        now_ms)
        results.append({"index": prep.index, "id": order_id, "estimatedCredits": prep.credits})
    return {"results": results, "errors": []}


# --- archive ----------------------------------------------------------------------------


def create_archive_order(backend: Backend, tx: Tx, principal: Principal, workspace_id: str,
                         lines: list[dict[str, Any]], group: dict[str, Any], split: bool,
                         display_name: str, tags: list[str], now_ms: int) -> str:
    """Make one ARCHIVE order for an estimate group and reserve its credits."""
    import shapely
    from shapely.geometry import shape

    from geopera_nb.contract.geometry import geodesic_area_km2, polygonal, to_geojson

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
    credits = int(group["credits"])
    order_id = tx.new_id()
    order = orders.new_order(
        order_id=order_id, org_id=principal.org_id, workspace_id=workspace_id,
        order_type="ARCHIVE",
        display_name=display_name or f"Archive {group.get('date') or 'captures'}",
        data_product_id=product, sensor=None, tags=tags, geometry=to_geojson(geometry),
        aoi_km2=geodesic_area_km2(geometry) if geometry is not None else 0.0,
        details={"params": {}, "featureCollection": None, "captures": lines, "window": None,
                 "splitByDate": split},
        estimated=credits, now_ms=now_ms)
    ledger.hold(tx, principal.org_id, order, credits, now_ms)
    orders.insert(tx, order, {"kind": "archive", "placedMs": now_ms}, now_ms + HOUR_MS, now_ms)
    return order_id


def place_archive(backend: Backend, tx: Tx, principal: Principal, body: dict[str, Any],
                  now_ms: int) -> dict[str, Any]:
    """``orders.archive.place``: one ARCHIVE order per estimate group, reserving it."""
    from .domain.pricing import price_archive

    workspace_id = check_workspace(backend, principal, body.get("workspaceId"))
    captures = body["captures"]
    if not captures:
        raise Invalid.at(["body", "captures"], "captures must not be empty")
    split = bool(body.get("splitByDate"))
    estimate = price_archive(captures, split, backend.catalogue)
    if estimate.get("errors"):
        raise _errors_to_invalid(estimate["errors"], "captures")
    results = []
    for g, group in enumerate(estimate["groups"]):
        lines = [dict(captures[int(c["index"])], index=int(c["index"]))
                 for c in group["captures"]]
        order_id = create_archive_order(backend, tx, principal, workspace_id, lines, group,
                                        split, body.get("displayName") or "",
                                        body.get("tags") or [], now_ms)
        results.append({"index": g, "id": order_id})
    return {"results": results, "errors": [], "total_credits": estimate["total_credits"],
            "total_aud": estimate["total_aud"]}


# --- cancel / update --------------------------------------------------------------------


def cancel(backend: Backend, tx: Tx, org_id: str, order_id: str, now_ms: int) -> dict[str, Any]:
    """Cancel a PLACED order: void its reservation (refund) and close pending decisions."""
    from .tasking import close_pending

    order, state, _ = orders.load(tx, org_id, order_id)
    if order["status"] != "PLACED":
        raise conflict(f"order {order_id!r} cannot be cancelled in status {order['status']}",
                       order_id=order_id)
    refunded = ledger.void(tx, org_id, order, now_ms)
    order["status"] = "CANCELED"
    order["statusReason"] = "cancelled by the customer"
    close_pending(tx, order_id, now_ms)
    orders.save(tx, order, state, None, now_ms)
    return {"orderId": order_id, "status": "CANCELED", "refundedCredits": refunded}


def update_tags(tx: Tx, org_id: str, order_id: str, tags: list[str] | None,
                now_ms: int) -> dict[str, Any]:
    """Replace an order's tags (merge-patch: ``None`` leaves them as they are)."""
    order, state, nxt = orders.load(tx, org_id, order_id)
    if tags is not None:
        if len(tags) > 100 or any(len(t) > 200 for t in tags):
            raise Invalid.at(["body", "tags"], "at most 100 tags of at most 200 characters")
        order["tags"] = _merge_tags(tags)
        orders.save(tx, order, state, nxt, now_ms)
    return order
