"""``orders.archive.estimate`` and ``orders.archive.place``: one order per estimate group.

A placement is priced by :func:`prepare`, before (outside) the write transaction, with
the estimate's own function; the handler then only stores the orders and reserves.
"""

from __future__ import annotations

from typing import Any

from ..domain.pricing import price_archive, price_archive_strict
from ..problems import Invalid
from . import lifecycle
from .call import Call, domain_call
from .placement import archive_footprint, check_placement_body, check_workspace, merge_tags


def estimate(call: Call) -> Any:
    """``orders.archive.estimate``."""
    return domain_call(price_archive, call.body.get("captures") or [],
                       bool(call.body.get("splitByDate")), call.backend.catalogue)


def _prepare(call: Call) -> dict[str, Any]:
    body = call.body
    check_workspace(call.backend, call.principal, body.get("workspaceId"))
    check_placement_body(body)
    captures = body["captures"]
    if not captures:
        raise Invalid.at(["body", "captures"], "captures must not be empty")
    priced = price_archive_strict(captures, bool(body.get("splitByDate")),
                                  call.backend.catalogue)
    orders = []
    for group in priced["groups"]:
        lines = [dict(captures[int(c["index"])], index=int(c["index"]))
                 for c in group["captures"]]
        orders.append((group, lines, archive_footprint(call.backend, lines)))
    return {"priced": priced, "orders": orders}


def prepare(call: Call) -> Any:
    """The domain half of ``orders.archive.place``, outside the write transaction: every
    capture line priced exactly as the estimate prices it (or a 422 listing every
    problem of every line that cannot be placed, ``loc`` into the line), and each
    order's footprint."""
    return domain_call(_prepare, call)


def _place(call: Call) -> dict[str, Any]:
    body = call.body
    workspace_id = check_workspace(call.backend, call.principal, body.get("workspaceId"))
    split = bool(body.get("splitByDate"))
    prepared: dict[str, Any] = call.extra["prepared"]
    tags = merge_tags(body.get("tags"))
    results = []
    for g, (group, lines, footprint) in enumerate(prepared["orders"]):
        order_id = lifecycle.start_archive_order(
            call.write_tx(), call.principal, workspace_id, lines, group, split,
            body.get("displayName") or "", tags, footprint, call.now_ms)
        results.append({"index": g, "id": order_id})
    priced = prepared["priced"]
    return {"results": results, "errors": [], "total_credits": priced["total_credits"],
            "total_aud": priced["total_aud"]}


def place(call: Call) -> Any:
    """``orders.archive.place``: one ARCHIVE order per estimate group, reserving it."""
    return domain_call(_place, call)
