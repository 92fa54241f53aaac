"""The sandbox clock: moving it, and catching an org up with the steps now due."""

from __future__ import annotations

from geopera_nb.contract.limits import CLOCK_ADVANCE_MAX_HOURS
from geopera_nb.contract.timestamps import HOUR_MS, format_instant

from ..problems import Invalid
from ..state import order_store
from ..state.backend import Backend
from . import lifecycle


def advance(backend: Backend, hours: float) -> str:
    """Move the clock forward and materialise every event now due (one transaction)."""
    if (isinstance(hours, bool) or not isinstance(hours, int | float)
            or not 0 <= hours <= CLOCK_ADVANCE_MAX_HOURS):
        raise Invalid.at(["body", "hours"],
                         f"hours must be a number between 0 and {CLOCK_ADVANCE_MAX_HOURS}")
    with backend.write() as tx:
        new_ms = backend.now_ms + round(hours * HOUR_MS)
        backend.set_clock(tx, new_ms)
        lifecycle.materialise(backend, tx, new_ms)
    return format_instant(backend.now_ms)


def catch_up(backend: Backend, org_id: str) -> None:
    """Materialise an org's events due at the current clock (usually nothing: one look-up)."""
    now = backend.now_ms
    if not order_store.has_due(backend.store, org_id, now):
        return
    with backend.write() as tx:
        lifecycle.materialise(backend, tx, now, org_id)
