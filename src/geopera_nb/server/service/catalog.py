"""``orders.tasking.sensors``, ``orders.get_schema`` and ``catalog.search``: the catalogue."""

from __future__ import annotations

from typing import Any

from geopera_nb.contract.timestamps import from_ms

from ..domain.search import search_captures
from ..problems import Problem
from .call import Call, domain_call


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
    features, next_token = domain_call(search_captures, call.backend.catalogue, call.body,
                                       from_ms(call.now_ms))
    return {"type": "FeatureCollection", "features": features,
            "numberReturned": len(features), "next": next_token}
