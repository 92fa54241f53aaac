"""``orders.tasking.estimate`` and ``orders.tasking.place``: one order per priced group."""

from __future__ import annotations

from typing import Any

from geopera_nb.contract.timestamps import from_ms

from ..domain.pricing import price_tasking
from ..domain.rejections import DomainError
from ..problems import Invalid
from ..state.auth import Principal
from ..state.backend import Backend
from . import lifecycle
from .call import Call, domain_call
from .placement import PreparedTasking, check_workspace, errors_to_invalid, prepare_tasking_group


def estimate(call: Call) -> Any:
    """``orders.tasking.estimate``."""
    return domain_call(price_tasking, call.body.get("groups") or [], call.backend.catalogue,
                       from_ms(call.now_ms))


def _prepare_groups(backend: Backend, principal: Principal, body: dict[str, Any],
                    now_ms: int) -> list[PreparedTasking]:
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
        raise errors_to_invalid(errors, "groups")
    return prepared


def prepare(call: Call) -> Any:
    """The domain half of ``orders.tasking.place``, outside the write transaction: every
    group priced exactly as the estimate prices it, or a 422 listing every group that
    cannot be placed."""
    return domain_call(_prepare_groups, call.backend, call.principal, call.body, call.now_ms)


def place(call: Call) -> Any:
    """``orders.tasking.place``: one TASKING order per prepared group, nothing reserved yet."""
    body = call.body
    workspace_id = check_workspace(call.backend, call.principal, body.get("workspaceId"))
    results = []
    for prep in call.extra["prepared"]:
        order_id = lifecycle.start_tasking_order(
            call.write_tx(), call.principal, workspace_id, prep, body.get("displayName") or "",
            body.get("tags") or [], call.now_ms)
        results.append({"index": prep.index, "id": order_id, "estimatedCredits": prep.credits})
    return {"results": results, "errors": []}
