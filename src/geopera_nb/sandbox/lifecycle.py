"""The order state machine on the sandbox clock.

Each order stores ``next_event_ms``, the instant of its next automatic step. Steps are
materialised lazily: when the clock is advanced (all orders, one transaction) and when
a request finds its org has a step due. A step runs *at its own instant* (not at the
time it is materialised), so bodies do not depend on when someone looked.

Tasking: ``PLACED/FEASIBILITY_WAITING_UPLOAD`` -(1 h)-> ``FEASIBILITY_WAITING_RESPONSE``
(study with options) -accept-> ``QUOTATION_WAITING_UPLOAD`` -(1 h)->
``QUOTATION_WAITING_RESPONSE`` -accept-> ``QUOTATION_ACCEPTED`` -(window start)->
``BEING_FULFILLED/IN_PROGRESS`` -(captures)-> ``FULFILLED`` (charge pro rata to cover),
or ``FAILED`` (full refund) when the window ends with nothing covered. A quotation left
undecided until its ``validUntil`` expires: ``CANCELED/QUOTATION_REJECTED``, refunded.

Archive: ``PLACED`` -(1 h)-> ``BEING_FULFILLED`` -(1 h)-> ``FULFILLED`` (charge).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import fulfilment, ledger, orders
from .clock import HOUR_MS, parse_iso
from .store import Tx

if TYPE_CHECKING:
    from .backend import Backend

STEP_MS = HOUR_MS
#: Safety net: an order never takes more steps than this in one materialisation.
_MAX_STEPS = 10_000


def materialise_all(backend: Backend, tx: Tx, now_ms: int) -> None:
    """Run every step due at or before ``now_ms``, for every org."""
    rows = tx.all("SELECT id, org_id FROM orders WHERE next_event_ms <= ?"
                  " ORDER BY next_event_ms, seq", (now_ms,))
    for row in rows:
        advance_order(backend, tx, row["org_id"], row["id"], now_ms)


def materialise_org(backend: Backend, tx: Tx, org_id: str, now_ms: int) -> None:
    """Run every step of one org's orders due at or before ``now_ms``."""
    rows = tx.all("SELECT id FROM orders WHERE org_id = ? AND next_event_ms <= ?"
                  " ORDER BY next_event_ms, seq", (org_id, now_ms))
    for row in rows:
        advance_order(backend, tx, org_id, row["id"], now_ms)


def advance_order(backend: Backend, tx: Tx, org_id: str, order_id: str, now_ms: int) -> None:
    """Run the due steps of one order, each at its own instant."""
    order, state, nxt = orders.load(tx, org_id, order_id)
    steps = 0
    while nxt is not None and nxt <= now_ms and steps < _MAX_STEPS:
        at = nxt
        nxt = step(backend, tx, order, state, at)
        orders.save(tx, order, state, nxt, at)
        steps += 1


def step(backend: Backend, tx: Tx, order: dict[str, Any], state: dict[str, Any],
         at: int) -> int | None:
    """Apply the one step due at ``at``; answer the instant of the next one (or ``None``)."""
    if order["type"] == "ARCHIVE":
        return _archive_step(backend, tx, order, state, at)
    return _tasking_step(backend, tx, order, state, at)


def _archive_step(backend: Backend, tx: Tx, order: dict[str, Any], state: dict[str, Any],
                  at: int) -> int | None:
    if order["status"] == "PLACED":
        order["status"] = "BEING_FULFILLED"
        return at + STEP_MS
    if order["status"] == "BEING_FULFILLED":
        fulfilment.deliver_archive(backend, tx, order, at)
        ledger.settle(tx, order["organizationId"], order, 1.0, at)
        order["status"] = "FULFILLED"
        return None
    return None


def _tasking_step(backend: Backend, tx: Tx, order: dict[str, Any], state: dict[str, Any],
                  at: int) -> int | None:
    from . import tasking

    status, sub = order["status"], order["subStatus"]
    if status == "PLACED" and sub == "FEASIBILITY_WAITING_UPLOAD":
        tasking.create_study(backend, tx, order, state, at)
        order["subStatus"] = "FEASIBILITY_WAITING_RESPONSE"
        return None
    if status == "PLACED" and sub == "QUOTATION_WAITING_UPLOAD":
        quotation = tasking.create_quotation(backend, tx, order, state, at)
        order["subStatus"] = "QUOTATION_WAITING_RESPONSE"
        return parse_iso(quotation["validUntil"])
    if status == "PLACED" and sub == "QUOTATION_WAITING_RESPONSE":
        tasking.expire_quotation(tx, order, state, at)
        return None
    if status == "PLACED" and sub == "QUOTATION_ACCEPTED":
        order["status"] = "BEING_FULFILLED"
        order["subStatus"] = "IN_PROGRESS"
        fulfilment.plan_tasking(backend, tx, order, state, at)
        return _next_tasking_event(tx, order, at)
    if status == "BEING_FULFILLED":
        fulfilment.deliver_due(tx, order["id"], at)
        fraction = fulfilment.covered_fraction(tx, order)
        end_ms = parse_iso(order["orderDetails"]["window"]["end"])
        outcome = fulfilment_outcome(fraction, at, end_ms)
        if outcome == "FAILED":
            ledger.void(tx, order["organizationId"], order, at)
            order["status"] = "FAILED"
            order["subStatus"] = None
            order["statusReason"] = NO_CAPTURE_REASON
            state["coveredFraction"] = 0.0
            return None
        if outcome == "FULFILLED":
            ledger.settle(tx, order["organizationId"], order, fraction, at)
            order["status"] = "FULFILLED"
            order["subStatus"] = None
            state["coveredFraction"] = fraction
            return None
        return _next_tasking_event(tx, order, at)
    return None


NO_CAPTURE_REASON = "no capture in the acquisition window"


def fulfilment_outcome(fraction: float, at: int, end_ms: int) -> str | None:
    """What a fulfilling tasking order becomes at ``at``: ``None`` (still fulfilling).

    ``"FULFILLED"`` once the AOI is covered, or when the window ends with part of it
    covered (charged pro rata); ``"FAILED"`` when the window ends with nothing covered
    (full refund).

    Examples
    --------
    >>> fulfilment_outcome(0.4, 10, 20) is None, fulfilment_outcome(1.0, 10, 20)
    (True, 'FULFILLED')
    >>> fulfilment_outcome(0.4, 20, 20), fulfilment_outcome(0.0, 20, 20)
    ('FULFILLED', 'FAILED')
    """
    if fraction >= 0.9999:
        return "FULFILLED"
    if at < end_ms:
        return None
    return "FULFILLED" if fraction > 0.0 else "FAILED"


def _next_tasking_event(tx: Tx, order: dict[str, Any], at: int) -> int:
    end_ms = parse_iso(order["orderDetails"]["window"]["end"])
    row = tx.one("SELECT MIN(at_ms) FROM deliveries WHERE order_id = ? AND delivered = 0",
                 (order["id"],))
    pending = row[0] if row is not None else None
    nxt = end_ms if pending is None else min(int(pending), end_ms)
    return max(nxt, at)
