"""One handler per operation: validated body in, JSON-able answer out.

Handlers get a :class:`Call` (backend, principal, body, clock, an open transaction for
operations that change state) and return the answer object. They never see HTTP; the
routes do authentication, scopes, validation, idempotency and serialisation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from . import orders, placement, provider, tasking
from .auth import Principal
from .backend import Backend
from .clock import parse_iso, to_datetime, to_iso
from .errors import Invalid, Problem, conflict
from .store import Tx, dumps, loads

MAX_WINDOW_DAYS = 31
DEFAULT_WINDOW_DAYS = 7


@dataclass
class Call:
    """One operation call, as the handler sees it."""

    backend: Backend
    principal: Principal
    body: dict[str, Any]
    now_ms: int
    base_url: str = ""
    tx: Tx | None = None
    stream_all: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def org_id(self) -> str:
        """The caller's org."""
        return self.principal.org_id

    @property
    def db(self) -> Any:
        """The transaction when there is one, else the store (reads)."""
        return self.tx if self.tx is not None else self.backend.store

    def write_tx(self) -> Tx:
        """The open write transaction (operations that change state)."""
        assert self.tx is not None, "this operation needs a write transaction"
        return self.tx

    def paging(self) -> tuple[int, int | None]:
        """``(page, size)`` of a paged call; size ``None`` when streaming everything."""
        page, size = int(self.body.get("page", 0)), int(self.body.get("size", 20))
        orders.check_paging(page, size)
        return (0, None) if self.stream_all else (page, size)


def _domain(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a domain function, turning its rejections into answers."""
    from geopera_nb.contract.geometry import GeometryRejected

    from .domain.errors import DomainError, from_geometry

    try:
        return fn(*args, **kwargs)
    except GeometryRejected as exc:
        err = from_geometry(exc)
        raise Invalid([dict(p, loc=["body", *p["loc"]]) for p in err.detail()]) from exc
    except DomainError as exc:
        if exc.status == 422:
            raise Invalid([dict(p, loc=["body", *p["loc"]]) for p in exc.detail()]) from exc
        raise Problem(exc.status, exc.msg) from exc
    except RecursionError as exc:
        raise Invalid.at(["body"], "request body is nested too deeply") from exc


def _page(items: list[Any], total: int, call: Call) -> dict[str, Any]:
    page, size = call.paging()
    return orders.page_shape(items, total, page, size if size is not None else max(total, 1))


# --- catalogue --------------------------------------------------------------------------


def sensors(call: Call) -> Any:
    """``orders.tasking.sensors``."""
    return {"sensors": call.backend.catalogue.sensors}


def get_schema(call: Call) -> Any:
    """``orders.get_schema``: the product's params JSON Schema (unknown product: 404)."""
    product = call.backend.catalogue.product(call.body["data_product_id"])
    if product is None:
        raise Problem(404, f"data product {call.body['data_product_id']!r} not found")
    return product["schema"]


def catalog_search(call: Call) -> Any:
    """``catalog.search``: a FeatureCollection of orderable captures."""
    from .domain.search import search_captures

    features, next_token = _domain(search_captures, call.backend.catalogue, call.body,
                                   to_datetime(call.now_ms))
    return {"type": "FeatureCollection", "features": features,
            "numberReturned": len(features), "next": next_token}


# --- estimates --------------------------------------------------------------------------


def tasking_estimate(call: Call) -> Any:
    """``orders.tasking.estimate``."""
    from .domain.pricing import price_tasking

    return _domain(price_tasking, call.body.get("groups") or [], call.backend.catalogue,
                   to_datetime(call.now_ms))


def archive_estimate(call: Call) -> Any:
    """``orders.archive.estimate``."""
    from .domain.pricing import price_archive

    return _domain(price_archive, call.body.get("captures") or [],
                   bool(call.body.get("splitByDate")), call.backend.catalogue)


def provider_estimate(call: Call) -> Any:
    """``orders.estimate`` (provider-compatible)."""
    from .domain.pricing import price_provider_estimate

    provider.product_or_422(call.backend, call.body["dataProduct"])
    provider.check_collection(call.body)
    return _domain(price_provider_estimate, call.body, call.backend.catalogue,
                   to_datetime(call.now_ms))


# --- feasibility ------------------------------------------------------------------------


def _tasking_input(call: Call) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
    from geopera_nb.contract.geometry import parse_feature_collection

    product = provider.product_or_422(call.backend, call.body["dataProduct"])
    if product.get("kind") != "tasking":
        raise Invalid.at(["body", "dataProduct"], "not a tasking data product")
    sensor = call.backend.catalogue.sensor(product.get("sensor"))
    if sensor is None:  # pragma: no cover - catalogue consistency
        raise Problem(404, "sensor of this data product not found")
    aois = _domain(parse_feature_collection, call.body.get("featureCollection"))
    params = call.body.get("params") or {}
    if not isinstance(params, dict):
        raise Invalid.at(["body", "params"], "params must be an object")
    return sensor, aois, params


def feasibility_check(call: Call) -> Any:
    """``orders.tasking.feasibility_check``: per feature, creates nothing."""
    from .domain.feasibility import check_feasibility

    sensor, aois, params = _tasking_input(call)
    result = dict(_domain(check_feasibility, sensor, aois, params, to_datetime(call.now_ms)))
    result.setdefault("dataProduct", call.body["dataProduct"])
    result.setdefault("sensor", sensor["id"])
    return result


def _instant(params: dict[str, Any], key: str, now_ms: int) -> int:
    """``params[key]`` as epoch ms; 422 unless an ISO instant from 1970 to now + ~10 years."""
    from .domain.tasking import HORIZON_DAYS

    try:
        value = parse_iso(params[key])
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise Invalid.at(["body", "params", key], f"{key} must be an ISO 8601 instant") from exc
    if not 0 <= value <= now_ms + HORIZON_DAYS * 86_400_000:
        raise Invalid.at(["body", "params", key],
                         f"{key} must lie between 1970-01-01 and {HORIZON_DAYS // 365} years "
                         "from now")
    return value


def _window(call: Call, params: dict[str, Any]) -> tuple[Any, Any]:
    start_ms = _instant(params, "start", call.now_ms) if params.get("start") else call.now_ms
    end_ms = (_instant(params, "end", call.now_ms) if params.get("end")
              else start_ms + DEFAULT_WINDOW_DAYS * 86_400_000)
    if end_ms <= start_ms:
        raise Invalid.at(["body", "params", "end"], "end must be after start")
    if end_ms - start_ms > MAX_WINDOW_DAYS * 86_400_000:
        raise Invalid.at(["body", "params", "end"], f"window longer than {MAX_WINDOW_DAYS} days")
    start = to_datetime(start_ms)
    return start, start + timedelta(milliseconds=end_ms - start_ms)


def opportunities(call: Call) -> Any:
    """``orders.tasking.opportunities_list``: predicted passes (manual sensors: none)."""
    from .domain.orbits import opportunities as predict

    sensor, aois, params = _tasking_input(call)
    start, end = _window(call, params)
    off_nadir = params.get("maxOffNadir")
    if off_nadir is not None and (isinstance(off_nadir, bool)
                                  or not isinstance(off_nadir, int | float)):
        raise Invalid.at(["body", "params", "maxOffNadir"], "maxOffNadir must be a number")
    features = [] if sensor.get("feasibility") == "manual" else _domain(
        predict, sensor, aois, start, end,
        max_off_nadir=None if off_nadir is None else float(off_nadir))
    return {"type": "FeatureCollection", "features": features}


# --- orders -----------------------------------------------------------------------------


def order_get(call: Call) -> Any:
    """``orders.get``: the stored document, served as is."""
    import orjson

    return orjson.Fragment(orders.load_raw(call.db, call.org_id, call.body["order_id"]))


def order_list(call: Call) -> Any:
    """``orders.list``: a Spring page of the org's orders."""
    page, size = call.paging()
    content, total = orders.list_orders(call.db, call.org_id, call.body, page, size,
                                        call.body.get("sort") or "createdAt,desc")
    return orders.page_shape(content, total, page, size if size is not None else max(total, 1))


def order_update(call: Call) -> Any:
    """``orders.update``: replace tags."""
    return placement.update_tags(call.write_tx(), call.org_id, call.body["order_id"],
                                 call.body.get("tags"), call.now_ms)


def order_cancel(call: Call) -> Any:
    """``orders.cancel``: void the reservation, refund."""
    return placement.cancel(call.backend, call.write_tx(), call.org_id, call.body["order_id"],
                            call.now_ms)


def place_archive(call: Call) -> Any:
    """``orders.archive.place``."""
    return _domain(placement.place_archive, call.backend, call.write_tx(), call.principal,
                   call.body, call.now_ms)


def prepare_tasking(call: Call) -> Any:
    """``orders.tasking.place``, outside the transaction: price, normalise, check."""
    return _domain(placement.prepare_tasking, call.backend, call.principal, call.body,
                   call.now_ms)


def place_tasking(call: Call) -> Any:
    """``orders.tasking.place``."""
    return placement.place_tasking(call.backend, call.write_tx(), call.principal, call.body,
                                   call.now_ms, call.extra["prepared"])


def prepare_provider(call: Call) -> Any:
    """``orders.place``, outside the transaction: price and check every feature."""
    return _domain(provider.prepare, call.backend, call.principal, call.body, call.now_ms)


def place_provider(call: Call) -> Any:
    """``orders.place`` (provider-compatible)."""
    return _domain(provider.place, call.backend, call.write_tx(), call.principal, call.body,
                   call.now_ms, call.extra["prepared"])


# --- tasking decisions ------------------------------------------------------------------


def studies_list(call: Call) -> Any:
    """``orders.tasking.feasibility_studies.list``."""
    page, size = call.paging()
    items, total = tasking.list_decisions(call.db, "studies", call.org_id, call.body, page, size)
    return _page(items, total, call)


def quotations_list(call: Call) -> Any:
    """``orders.tasking.quotations.list``."""
    page, size = call.paging()
    items, total = tasking.list_decisions(call.db, "quotations", call.org_id, call.body, page,
                                          size)
    return _page(items, total, call)


def decisions_pending(call: Call) -> Any:
    """``orders.tasking.decisions.pending``."""
    page, size = call.paging()
    kinds = orders.split_values(call.body.get("kinds"))
    if not re.fullmatch(orders.KINDS_PATTERN, call.body.get("kinds") or ""):
        raise Invalid.at(["body", "kinds"], "kinds are 'feasibility' and/or 'quotation'")
    items, total = tasking.pending(call.db, call.org_id, call.body.get("workspaceId"), kinds,
                                   page, size)
    return _page(items, total, call)


def feasibility_decide(call: Call) -> Any:
    """``orders.tasking.feasibility_decide``."""
    return tasking.decide_feasibility(call.backend, call.write_tx(), call.org_id,
                                      call.body["study_id"], call.body["acceptedOptionId"],
                                      call.now_ms)


def quotation_decide(call: Call) -> Any:
    """``orders.tasking.quotation_decide``."""
    return tasking.decide_quotation(call.backend, call.write_tx(), call.org_id,
                                    call.body["quotation_id"], call.body["decision"],
                                    call.now_ms)


# --- templates --------------------------------------------------------------------------


def template_save(call: Call) -> Any:
    """``orders.tasking.templates.save``."""
    tx = call.write_tx()
    template_id = tx.new_id()
    doc = {"id": template_id, **{k: call.body.get(k) for k in (
        "name", "description", "capture_asap", "resolution", "sensor", "capture_frequency",
        "datum", "file_format", "has_control", "max_cloud_coverage", "max_nadir_angle")},
        "createdAt": to_iso(call.now_ms)}
    tx.execute("INSERT INTO templates (id, seq, org_id, doc) VALUES (?,?,?,?)",
               (template_id, tx.next_seq(), call.org_id, dumps(doc)))
    return {"id": template_id, "name": doc["name"]}


def template_list(call: Call) -> Any:
    """``orders.tasking.templates.list``: active templates, newest first."""
    rows = call.db.all("SELECT doc FROM templates WHERE org_id = ? AND deleted = 0"
                       " ORDER BY seq DESC", (call.org_id,))
    return {"templates": [loads(r["doc"]) for r in rows]}


def template_delete(call: Call) -> Any:
    """``orders.tasking.templates.delete``: soft delete (again: 410)."""
    tx = call.write_tx()
    ident = call.body["template_id"]
    row = tx.one("SELECT deleted FROM templates WHERE id = ? AND org_id = ?",
                 (ident, call.org_id))
    if row is None:
        raise Problem(404, f"template {ident!r} not found")
    if row["deleted"]:
        raise Problem(410, f"template {ident!r} was deleted")
    tx.execute("UPDATE templates SET deleted = 1 WHERE id = ?", (ident,))
    return {"template_id": ident, "deleted": True}


# --- coverage and assets ----------------------------------------------------------------


def _tasking_order(call: Call, statuses: tuple[str, ...] | None) -> dict[str, Any]:
    order, _, _ = orders.load(call.db, call.org_id, call.body["order_id"])
    if order["type"] != "TASKING":
        raise conflict("coverage is only available for tasking orders")
    if statuses is not None and order["status"] not in statuses:
        raise conflict(f"coverage needs a fulfilling or fulfilled order; this one is "
                       f"{order['status']}")
    return order


def coverage_get(call: Call) -> Any:
    """``orders.coverage.get``: requested / covered / remainder parts."""
    from shapely.geometry import shape

    from . import fulfilment
    from .domain.coverage import coverage

    order = _tasking_order(call, ("BEING_FULFILLED", "FULFILLED"))
    delivered = fulfilment.delivered(call.db, order["id"])
    cov = coverage(shape(order["geometry"]), [fulfilment.footprint(d) for d in delivered])
    out = {"type": "FeatureCollection", "orderId": order["id"], "status": order["status"]}
    out.update(cov)
    out["type"] = "FeatureCollection"
    out.setdefault("captureCount", len(delivered))
    return out


def coverage_groups(call: Call) -> Any:
    """``orders.coverage.groups.list``: per-AOI delivered vs requested."""
    from geopera_nb.contract.geometry import parse_feature_collection

    from . import fulfilment
    from .domain.coverage import coverage_groups as per_group

    order = _tasking_order(call, None)
    aois = parse_feature_collection(order["orderDetails"]["featureCollection"])
    groups = per_group(aois, fulfilment.delivered(call.db, order["id"]))
    return {"orderId": order["id"], "groups": groups}


def list_assets(call: Call) -> Any:
    """``orders.list_assets``: STAC Items of the delivered captures, signed asset hrefs."""
    from . import assets

    return assets.items_for_order(call)


#: Domain work done before the write transaction (slow, needs no lock); its result is
#: handed to the handler as ``call.extra["prepared"]``.
PREPARE: dict[str, Callable[[Call], Any]] = {
    "orders.tasking.place": prepare_tasking,
    "orders.place": prepare_provider,
}

HANDLERS: dict[str, Callable[[Call], Any]] = {
    "orders.archive.estimate": archive_estimate,
    "orders.archive.place": place_archive,
    "orders.cancel": order_cancel,
    "orders.coverage.get": coverage_get,
    "orders.coverage.groups.list": coverage_groups,
    "orders.estimate": provider_estimate,
    "orders.get": order_get,
    "orders.get_schema": get_schema,
    "orders.list": order_list,
    "orders.list_assets": list_assets,
    "orders.place": place_provider,
    "orders.tasking.decisions.pending": decisions_pending,
    "orders.tasking.estimate": tasking_estimate,
    "orders.tasking.feasibility_check": feasibility_check,
    "orders.tasking.feasibility_decide": feasibility_decide,
    "orders.tasking.feasibility_studies.list": studies_list,
    "orders.tasking.opportunities_list": opportunities,
    "orders.tasking.place": place_tasking,
    "orders.tasking.quotation_decide": quotation_decide,
    "orders.tasking.quotations.list": quotations_list,
    "orders.tasking.sensors": sensors,
    "orders.tasking.templates.delete": template_delete,
    "orders.tasking.templates.list": template_list,
    "orders.tasking.templates.save": template_save,
    "orders.update": order_update,
    "catalog.search": catalog_search,
}
