"""``orders.tasking.decisions.pending``: the inbox of undecided studies and quotations."""

from __future__ import annotations

import re
from typing import Any

from ..problems import Invalid
from ..state import decision_store, order_store
from .call import Call


def pending(call: Call) -> Any:
    """``orders.tasking.decisions.pending``, newest first, each with its ``kind``."""
    page, size = call.paging()
    kinds = order_store.split_values(call.body.get("kinds"), "kinds")
    if not re.fullmatch(order_store.KINDS_PATTERN, call.body.get("kinds") or ""):
        raise Invalid.at(["body", "kinds"], "kinds are 'feasibility' and/or 'quotation'")
    items, total = decision_store.pending(call.db, call.org_id, call.body.get("workspaceId"),
                                          kinds, page, size)
    return call.page(items, total)
