"""Helpers of the delivered-asset tests: an archive order, delivered, and its Items."""

from __future__ import annotations

from typing import Any

from sandbox_support import Api


def delivered_archive_items(api: Api, sandbox: Any, n: int = 2,
                            cloud: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """STAC Items of an archive order of ``n`` catalogued captures (``eo:cloud_cover``
    filtered by ``cloud``, default ``{"lte": 60}``), delivered."""
    hits = api.ok("catalog.search", {"host_name": "geopera", "limit": n,
                                     "query": {"eo:cloud_cover": cloud or {"lte": 60}}}
                  )["features"]
    placed = api.ok("orders.archive.place", {"captures": [{"id": h["id"]} for h in hits]})
    order_ids = [r["id"] for r in placed["results"]]
    sandbox.advance(hours=3)
    items: list[dict[str, Any]] = []
    for order_id in order_ids:
        items += api.ok("orders.list_assets", {"order_id": order_id})["features"]
    return items
