"""``orders.estimate`` and ``orders.place`` (provider-compatible): one order per feature,
errors per feature."""

from __future__ import annotations

from typing import Any

from geopera_nb.contract.limits import PLACEMENT_GROUPS_MAX
from geopera_nb.contract.timestamps import from_ms

from ..domain.pricing import price_provider_estimate, price_provider_feature, validate_params
from ..domain.rejections import DomainError
from ..problems import Invalid, Problem
from ..state.auth import Principal
from ..state.backend import Backend
from . import lifecycle
from .call import Call, domain_call
from .placement import (
    archive_footprint,
    check_placement_body,
    check_workspace,
    merge_tags,
    prepare_tasking_group,
)


def product_or_422(backend: Backend, product_id: str, loc: str = "dataProduct") -> dict[str, Any]:
    """The data product with this id, or a 422 pointing at ``loc``."""
    product: dict[str, Any] | None = backend.catalogue.product(product_id)
    if product is None:
        raise Invalid.at(["body", loc], f"unknown data product {product_id!r}")
    return product


def check_collection(body: dict[str, Any]) -> list[Any]:
    """The features of ``body["featureCollection"]``; 422 for a bad collection or a ``crs``."""
    return _features(body)


def _features(body: dict[str, Any]) -> list[Any]:
    fc = body.get("featureCollection")
    if (not isinstance(fc, dict) or fc.get("type") != "FeatureCollection"
            or not isinstance(fc.get("features"), list) or not fc["features"]):
        raise Invalid.at(["body", "featureCollection"],
                         "featureCollection must be a FeatureCollection with features")
    if "crs" in fc:
        raise Invalid.at(["body", "featureCollection", "crs"],
                         "a 'crs' member is not allowed (RFC 7946: WGS84 lon/lat only)")
    if len(fc["features"]) > PLACEMENT_GROUPS_MAX:
        raise Invalid.at(["body", "featureCollection", "features"],
                         f"{len(fc['features'])} features (one order each); at most "
                         f"{PLACEMENT_GROUPS_MAX} are allowed", "too_long")
    return list(fc["features"])


def estimate(call: Call) -> Any:
    """``orders.estimate``: the price of each feature, as ``orders.place`` will reserve it."""
    product_or_422(call.backend, call.body["dataProduct"])
    check_collection(call.body)
    return domain_call(price_provider_estimate, call.body, call.backend.catalogue,
                       from_ms(call.now_ms))


def _prepare(backend: Backend, principal: Principal, body: dict[str, Any],
             now_ms: int) -> list[tuple[str, Any]]:
    """Per feature ``("error", message)``, ``("archive", (line, credits))`` or
    ``("tasking", PreparedTasking)``; each priced exactly as ``orders.estimate`` prices it.
    """
    check_workspace(backend, principal, body.get("workspaceId"))
    check_placement_body(body)
    product = product_or_422(backend, body["dataProduct"])
    params = validate_params(product, body.get("params"))
    cat = backend.catalogue
    now = from_ms(now_ms)
    out: list[tuple[str, Any]] = []
    for i, feature in enumerate(_features(body)):
        fc = {"type": "FeatureCollection", "features": [feature]}
        try:
            row = price_provider_feature(product, params, feature, i, cat, now)
            if product.get("kind") == "archive":
                line = {"id": params.get("captureId"), "featureCollection": fc, "index": 0}
                out.append(("archive", (line, int(row["credits"]),
                                        archive_footprint(backend, [line]))))
            else:
                group = {**params, "dataProduct": product["id"], "featureCollection": fc}
                out.append(("tasking", prepare_tasking_group(backend, group, 0, now_ms,
                                                             credits=int(row["credits"]))))
        except DomainError as exc:
            if exc.status != 422:
                raise Problem(exc.status, exc.msg) from exc
            out.append(("error", exc.msg))
    return out


def prepare(call: Call) -> Any:
    """The domain half of ``orders.place``, outside the write transaction."""
    return domain_call(_prepare, call.backend, call.principal, call.body, call.now_ms)


def place(call: Call) -> Any:
    """``orders.place``: one order per prepared feature; failing features are ``errors``."""
    return domain_call(_place, call)


def _place(call: Call) -> dict[str, Any]:
    backend, tx, principal, body, now_ms = (call.backend, call.write_tx(), call.principal,
                                            call.body, call.now_ms)
    prepared: list[tuple[str, Any]] = call.extra["prepared"]
    workspace_id = check_workspace(backend, principal, body.get("workspaceId"))
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    display = body.get("displayName") or ""
    tags = merge_tags(body.get("tags"))  # bounded by check_placement_body in prepare
    for i, (kind, value) in enumerate(prepared):
        if kind == "error":
            errors.append({"index": i, "message": value})
            continue
        if kind == "archive":
            line, credits, footprint = value
            order_id = lifecycle.start_archive_order(
                tx, principal, workspace_id, [line], {"credits": credits, "date": None},
                False, display, tags, footprint, now_ms)
        else:
            order_id = lifecycle.start_tasking_order(tx, principal, workspace_id, value,
                                                     display, tags, now_ms)
        results.append({"index": i, "id": order_id})
    return {"results": results, "errors": errors}
