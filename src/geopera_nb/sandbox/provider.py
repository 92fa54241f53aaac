"""The provider-compatible ``orders.place``: one order per feature, errors per feature."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .clock import to_datetime
from .errors import Invalid, Problem
from .placement import check_workspace, create_archive_order, create_tasking_order
from .store import Tx

if TYPE_CHECKING:
    from .auth import Principal
    from .backend import Backend


def product_or_422(backend: Backend, product_id: str, loc: str = "dataProduct") -> dict[str, Any]:
    """The data product with this id, or a 422 pointing at ``loc``."""
    product: dict[str, Any] | None = backend.catalogue.product(product_id)
    if product is None:
        raise Invalid.at(["body", loc], f"unknown data product {product_id!r}")
    return product


def _features(body: dict[str, Any]) -> list[Any]:
    fc = body.get("featureCollection")
    if (not isinstance(fc, dict) or fc.get("type") != "FeatureCollection"
            or not isinstance(fc.get("features"), list) or not fc["features"]):
        raise Invalid.at(["body", "featureCollection"],
                         "featureCollection must be a FeatureCollection with features")
    return list(fc["features"])


def place(backend: Backend, tx: Tx, principal: Principal, body: dict[str, Any],
          now_ms: int) -> dict[str, Any]:
    """``orders.place``: one order per feature; failing features are ``errors``.

    Each feature is priced exactly as ``orders.estimate`` prices it, then placed as a
    one-feature tasking order or a one-line archive order (which reserves its price).
    """
    from .domain.errors import DomainError
    from .domain.pricing import price_provider_feature, validate_params

    workspace_id = check_workspace(backend, principal, body.get("workspaceId"))
    product = product_or_422(backend, body["dataProduct"])
    params = validate_params(product, body.get("params"))
    cat = backend.catalogue
    now = to_datetime(now_ms)
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    display = body.get("displayName") or ""
    tags = body.get("tags") or []
    for i, feature in enumerate(_features(body)):
        fc = {"type": "FeatureCollection", "features": [feature]}
        try:
            row = price_provider_feature(product, params, feature, i, cat, now)
        except DomainError as exc:
            if exc.status != 422:
                raise Problem(exc.status, exc.msg) from exc
            errors.append({"index": i, "message": exc.msg})
            continue
        if product.get("kind") == "archive":
            line = {"id": params.get("captureId"), "featureCollection": fc, "index": 0}
            order_id = create_archive_order(backend, tx, principal, workspace_id, [line],
                                            {"credits": row["credits"], "date": None}, False,
                                            display, tags, now_ms)
        else:
            group = {**params, "dataProduct": product["id"], "featureCollection": fc}
            order_id = create_tasking_order(backend, tx, principal, workspace_id, group, 0,
                                            int(row["credits"]), display, tags, now_ms)
        results.append({"index": i, "id": order_id})
    return {"results": results, "errors": errors}
