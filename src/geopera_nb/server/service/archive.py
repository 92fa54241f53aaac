"""``orders.archive.estimate`` and ``orders.archive.place``: one order per estimate group."""

from __future__ import annotations

from typing import Any

from ..domain.pricing import price_archive
from ..problems import Invalid
from . import lifecycle
from .call import Call, domain_call
from .placement import check_workspace, errors_to_invalid


def estimate(call: Call) -> Any:
    """``orders.archive.estimate``."""
    return domain_call(price_archive, call.body.get("captures") or [],
                       bool(call.body.get("splitByDate")), call.backend.catalogue)


def _place(call: Call) -> dict[str, Any]:
    body = call.body
    workspace_id = check_workspace(call.backend, call.principal, body.get("workspaceId"))
    captures = body["captures"]
    if not captures:
        raise Invalid.at(["body", "captures"], "captures must not be empty")
    split = bool(body.get("splitByDate"))
    priced = price_archive(captures, split, call.backend.catalogue)
    if priced.get("errors"):
        raise errors_to_invalid(priced["errors"], "captures")
    results = []
    for g, group in enumerate(priced["groups"]):
        lines = [dict(captures[int(c["index"])], index=int(c["index"]))
                 for c in group["captures"]]
        order_id = lifecycle.start_archive_order(
            call.backend, call.write_tx(), call.principal, workspace_id, lines, group, split,
            body.get("displayName") or "", body.get("tags") or [], call.now_ms)
        results.append({"index": g, "id": order_id})
    return {"results": results, "errors": [], "total_credits": priced["total_credits"],
            "total_aud": priced["total_aud"]}


def place(call: Call) -> Any:
    """``orders.archive.place``: one ARCHIVE order per estimate group, reserving it."""
    return domain_call(_place, call)
