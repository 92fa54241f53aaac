"""``orders.tasking.quotations.list`` and ``orders.tasking.quotation_decide``."""

from __future__ import annotations

from typing import Any

from ..state import decision_store
from . import lifecycle
from .call import Call


def quotations_list(call: Call) -> Any:
    """``orders.tasking.quotations.list``."""
    page, size = call.paging()
    items, total = decision_store.list_decisions(call.db, "quotations", call.org_id, call.body,
                                                 page, size)
    return call.page(items, total)


def decide(call: Call) -> Any:
    """``orders.tasking.quotation_decide``: accept (reserve) or reject (refund)."""
    return lifecycle.decide_quotation(call.backend, call.write_tx(), call.org_id,
                                      call.body["quotation_id"], call.body["decision"],
                                      call.now_ms)
