"""``orders.tasking.estimate`` and ``orders.tasking.place``: one order per priced group."""

from __future__ import annotations

from typing import Any

from geopera_nb.contract.limits import PLACEMENT_GROUPS_MAX
from geopera_nb.contract.timestamps import from_ms

from ..domain.pricing import price_tasking
from ..domain.rejections import DomainError
from ..problems import Invalid
from ..state.auth import Principal
from ..state.backend import Backend
from . import lifecycle
from .call import Call, domain_call
from .placement import (
    PreparedTasking,
    check_placement_body,
    check_workspace,
    merged_tag_problems,
    name_problems,
    prepare_tasking_group,
    problems_to_invalid,
)


def estimate(call: Call) -> Any:
    """``orders.tasking.estimate``."""
    return domain_call(price_tasking, call.body.get("groups") or [], call.backend.catalogue,
                       from_ms(call.now_ms))


def _prepare_groups(backend: Backend, principal: Principal, body: dict[str, Any],
                    now_ms: int) -> list[PreparedTasking]:
    check_workspace(backend, principal, body.get("workspaceId"))
    tags = check_placement_body(body)
    groups = body["groups"]
    if not groups:
        raise Invalid.at(["body", "groups"], "groups must not be empty")
    if len(groups) > PLACEMENT_GROUPS_MAX:
        raise Invalid.at(["body", "groups"], f"{len(groups)} groups; at most "
                         f"{PLACEMENT_GROUPS_MAX} are allowed", "too_long")
    # the cheap bounds of every group first: no slow work for a body a bound refuses
    problems = []
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            problems.append({"loc": ["body", "groups", i], "msg": "each group must be an object",
                             "type": "dict_type"})
        else:
            problems.extend(name_problems(group.get("displayName"),
                                          ["body", "groups", i, "displayName"]))
            problems.extend(merged_tag_problems(tags, group.get("tags"),
                                                ["body", "groups", i, "tags"]))
    if problems:
        raise problems_to_invalid(problems)
    prepared: list[PreparedTasking] = []
    for i, group in enumerate(groups):
        try:
            prepared.append(prepare_tasking_group(backend, group, i, now_ms))
        except DomainError as exc:
            if exc.status != 422:
                raise
            problems.extend(dict(p, loc=["body", *p["loc"]]) for p in exc.detail())
    if problems:
        raise problems_to_invalid(problems)
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
