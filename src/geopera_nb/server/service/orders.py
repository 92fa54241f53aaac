"""``orders.get``, ``orders.list``, ``orders.update`` and ``orders.cancel``."""

from __future__ import annotations

from typing import Any

import orjson

from ..state import order_store
from . import lifecycle
from .call import Call, page_shape
from .placement import check_tags, merge_tags


def get(call: Call) -> Any:
    """``orders.get``: the stored document, served as is."""
    return orjson.Fragment(order_store.load_raw(call.db, call.org_id, call.body["order_id"]))


def list_orders(call: Call) -> Any:
    """``orders.list``: a Spring page of the org's orders."""
    page, size = call.paging()
    content, total = order_store.list_orders(call.db, call.org_id, call.body, page, size,
                                             call.body.get("sort") or "createdAt,desc")
    return page_shape(content, total, page, size if size is not None else max(total, 1))


def update(call: Call) -> Any:
    """``orders.update``: replace tags (merge-patch: no ``tags`` leaves them as they are)."""
    tx, tags = call.write_tx(), call.body.get("tags")
    order, state, nxt = order_store.load(tx, call.org_id, call.body["order_id"])
    if tags is not None:
        order["tags"] = merge_tags(check_tags(tags))
        order_store.save(tx, order, state, nxt, call.now_ms)
    return order


def cancel(call: Call) -> Any:
    """``orders.cancel``: void the reservation, refund (PLACED orders only)."""
    return lifecycle.cancel(call.write_tx(), call.org_id, call.body["order_id"], call.now_ms)
