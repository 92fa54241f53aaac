"""``orders.coverage.get`` and ``orders.coverage.groups.list``: requested vs delivered."""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape

from geopera_nb.contract.states import OrderType, coverage_available
from geopera_nb.geo import parse_feature_collection

from ..domain.coverage import coverage, coverage_groups
from ..problems import conflict
from ..state import delivery_store, order_store
from .call import Call


def _tasking_order(call: Call, *, fulfilling: bool) -> dict[str, Any]:
    """The tasking order the body names (409 for an archive order, or, when
    ``fulfilling``, for a tasking order that is not being or has not been fulfilled)."""
    order, _, _ = order_store.load(call.db, call.org_id, call.body["order_id"])
    if order["type"] != OrderType.TASKING:
        raise conflict("coverage is only available for tasking orders")
    if fulfilling and not coverage_available(order["type"], order["status"]):
        raise conflict(f"coverage needs a fulfilling or fulfilled order; this one is "
                       f"{order['status']}")
    return order


def get(call: Call) -> Any:
    """``orders.coverage.get``: requested / covered / remainder parts."""
    order = _tasking_order(call, fulfilling=True)
    delivered = delivery_store.delivered(call.db, order["id"])
    cov = coverage(shape(order["geometry"]), [d.footprint for d in delivered])
    out = {"type": "FeatureCollection", "orderId": order["id"], "status": order["status"]}
    out.update(cov)
    out["type"] = "FeatureCollection"
    out.setdefault("captureCount", len(delivered))
    return out


def groups(call: Call) -> Any:
    """``orders.coverage.groups.list``: per-AOI delivered vs requested (any status)."""
    order = _tasking_order(call, fulfilling=False)
    aois = parse_feature_collection(order["orderDetails"]["featureCollection"])
    per_aoi = coverage_groups(aois, delivery_store.delivered(call.db, order["id"]))
    return {"orderId": order["id"], "groups": per_aoi}
