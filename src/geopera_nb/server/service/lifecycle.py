"""Every transition of an order, here and nowhere else, on the sandbox clock.

The allowed moves are the table of :mod:`geopera_nb.contract.states`; this module applies
them (:func:`_move`) with what goes with each: the first state of a placement, the
feasibility study, accepting an option, the quotation and its decision or expiry,
fulfilment, failure and cancellation, each with its ledger movement in the same
transaction. The operation modules (placement, decisions, cancel) and the clock ask it.

Each order stores ``next_event_ms``, the instant of its next automatic step. Steps are
materialised lazily: when the clock is advanced (all orders, one transaction) and when a
request finds its org has a step due. A step runs *at its own instant* (not at the time
it is materialised), so bodies do not depend on when someone looked.

Tasking: ``PLACED/FEASIBILITY_WAITING_UPLOAD`` -(1 h)-> ``FEASIBILITY_WAITING_RESPONSE``
(study with options) -accept-> ``QUOTATION_WAITING_UPLOAD`` -(1 h)->
``QUOTATION_WAITING_RESPONSE`` -accept-> ``QUOTATION_ACCEPTED`` -(window start)->
``BEING_FULFILLED/IN_PROGRESS`` -(captures)-> ``FULFILLED`` (charge pro rata to cover),
or ``FAILED`` (full refund) when the window ends with nothing covered. A quotation left
undecided until its ``validUntil`` expires: ``CANCELED/QUOTATION_REJECTED``, refunded.

Archive: ``PLACED`` -(1 h)-> ``BEING_FULFILLED`` -(1 h)-> ``FULFILLED`` (charge).
"""

from __future__ import annotations

from typing import Any

from geopera_nb.contract.limits import QUOTATION_VALID_HOURS
from geopera_nb.contract.states import (
    REASONS,
    Decision,
    IllegalTransition,
    OrderEvent,
    OrderStatus,
    OrderType,
    SubStatus,
    initial_state,
    transition,
)
from geopera_nb.contract.timestamps import HOUR_MS, format_instant, from_ms, parse_ms

from ..domain.feasibility import study_options
from ..domain.money import aud
from ..domain.tasking_request import normalise_tasking_group
from ..problems import Invalid, Problem, conflict
from ..state import decision_store, delivery_store, ledger, order_store
from ..state.auth import Principal
from ..state.backend import Backend
from ..state.store import Tx
from . import fulfilment
from .placement import ArchiveFootprint, PreparedTasking, merge_tags

__all__ = [
    "accept_option",
    "advance_order",
    "cancel",
    "decide_quotation",
    "fulfilment_outcome",
    "materialise",
    "start_archive_order",
    "start_tasking_order",
]

#: Time the platform takes to upload a study or a quotation, and between archive steps.
STEP_MS = HOUR_MS
QUOTATION_VALID_MS = QUOTATION_VALID_HOURS * HOUR_MS
#: Safety net: an order never takes more steps than this in one materialisation.
_MAX_STEPS = 10_000


def _move(order: dict[str, Any], event: OrderEvent, reason: str | None = None) -> None:
    """Apply ``event`` to the order document as the transition table says (409 if it may not)."""
    try:
        status, sub = transition(order["type"], order["status"], order.get("subStatus"), event)
    except IllegalTransition as exc:
        raise conflict(str(exc), order_id=order.get("id")) from exc
    order["status"] = status.value
    order["subStatus"] = None if sub is None else sub.value
    if reason is not None or event in REASONS:
        order["statusReason"] = reason if reason is not None else REASONS[event]


def _is(order: dict[str, Any], status: OrderStatus, sub: SubStatus | None = None) -> bool:
    return order["status"] == status and (sub is None or order.get("subStatus") == sub)


# --- placement: the first state -------------------------------------------------------------


def start_tasking_order(tx: Tx, principal: Principal, workspace_id: str,
                        prep: PreparedTasking, display_name: str, tags: list[str],
                        now_ms: int) -> str:
    """Store one TASKING order for a prepared group, in its first state; answer its id.

    Infeasible at placement: ``FAILED`` with the check's reason, before any money moves.
    Otherwise a study first (manual sensors, or the check asks for one), else the quotation.
    """
    group, params = prep.group, prep.params
    infeasible = [f for f in prep.check.get("features", []) if not f.get("feasible", True)]
    needs_study = bool(prep.check.get("studyRequired")) or prep.sensor.get("feasibility") == "manual"
    status, sub = initial_state(OrderType.TASKING, feasible=not infeasible, needs_study=needs_study)
    order_id = tx.new_id()
    order = order_store.new_order(
        order_id=order_id, org_id=principal.org_id, workspace_id=workspace_id,
        order_type=OrderType.TASKING,
        display_name=str(group.get("displayName") or display_name
                         or f"Tasking {prep.sensor_id}"),
        data_product_id=prep.sensor.get("dataProductId"), sensor=prep.sensor_id,
        tags=merge_tags(tags, group.get("tags")), geometry=prep.geometry,
        aoi_km2=prep.aoi_km2,
        details={"params": params, "featureCollection": group.get("featureCollection"),
                 "captures": None, "window": {"start": params["start"], "end": params["end"]}},
        estimated=prep.credits, now_ms=now_ms, status=status,
        sub_status=None if sub is None else sub.value,
        status_reason=str(infeasible[0].get("reason") or "infeasible request")
        if infeasible else None)
    state = {"kind": "tasking", "group": group, "groupIndex": prep.index, "placedMs": now_ms}
    nxt = None if infeasible else now_ms + STEP_MS
    order_store.insert(tx, order, state, nxt, now_ms)
    return order_id


def start_archive_order(tx: Tx, principal: Principal, workspace_id: str,
                        lines: list[dict[str, Any]], group: dict[str, Any], split: bool,
                        display_name: str, tags: list[str], footprint: ArchiveFootprint,
                        now_ms: int) -> str:
    """Make one ARCHIVE order for an estimate group and reserve its credits (402 if short).

    ``footprint`` was computed before the transaction (:func:`.placement.archive_footprint`).
    """
    credits = int(group["credits"])
    status, sub = initial_state(OrderType.ARCHIVE)
    order_id = tx.new_id()
    order = order_store.new_order(
        order_id=order_id, org_id=principal.org_id, workspace_id=workspace_id,
        order_type=OrderType.ARCHIVE,
        display_name=display_name or f"Archive {group.get('date') or 'captures'}",
        data_product_id=footprint.product, sensor=None, tags=tags,
        geometry=footprint.geometry, aoi_km2=footprint.aoi_km2,
        details={"params": {}, "featureCollection": None, "captures": lines, "window": None,
                 "splitByDate": split},
        estimated=credits, now_ms=now_ms, status=status, sub_status=sub)
    ledger.hold(tx, principal.org_id, order, credits, now_ms)
    order_store.insert(tx, order, {"kind": "archive", "placedMs": now_ms}, now_ms + STEP_MS,
                       now_ms)
    return order_id


# --- feasibility study ----------------------------------------------------------------------


def _upload_study(backend: Backend, tx: Tx, order: dict[str, Any], state: dict[str, Any],
                  at: int) -> None:
    """The platform uploads the study (priced options): the order waits for the customer."""
    request = normalise_tasking_group(state["group"], int(state.get("groupIndex", 0)),
                                      backend.catalogue, from_ms(int(state["placedMs"])))
    options = study_options(order["id"], request, int(order["credits"]["estimated"]),
                            backend.seed, from_ms(at))
    for option in options:
        if not option.get("id"):
            option["id"] = tx.new_id()
    study = {"id": tx.new_id(), "orderId": order["id"], "workspaceId": order["workspaceId"],
             "sensor": order["sensor"], "decision": Decision.NOT_DECIDED.value,
             "acceptedOptionId": None, "createdAt": format_instant(at), "decidedAt": None,
             "options": options}
    decision_store.insert(tx, "studies", study, order["organizationId"], at)
    state["studyId"] = study["id"]
    _move(order, OrderEvent.STUDY_UPLOADED)


def accept_option(tx: Tx, org_id: str, study_id: str, option_id: str,
                  now_ms: int) -> dict[str, Any]:
    """``feasibility_decide``: accept one option of a study, reserve its price, move on."""
    study = decision_store.load(tx, "studies", "feasibility study", org_id, study_id)
    if study["decision"] != Decision.NOT_DECIDED:
        raise conflict(f"feasibility study already decided ({study['decision']})")
    option = next((o for o in study["options"] if o.get("id") == option_id), None)
    if option is None:
        raise Invalid.at(["body", "acceptedOptionId"],
                         f"option {option_id!r} is not an option of this study")
    order, state, _ = order_store.load(tx, org_id, study["orderId"])
    if not _is(order, OrderStatus.PLACED, SubStatus.FEASIBILITY_WAITING_RESPONSE):
        raise conflict(f"order is {order['status']}/{order['subStatus']}: no study to decide")
    credits = int(option["credits"])
    ledger.hold(tx, org_id, order, credits, now_ms)
    study.update(decision=Decision.ACCEPTED.value, acceptedOptionId=option_id,
                 decidedAt=format_instant(now_ms))
    decision_store.update(tx, "studies", study)
    state["acceptedCredits"] = credits
    window = order["orderDetails"].setdefault("window", {})
    for key in ("start", "end"):
        if option.get(key):
            window[key] = option[key]
    if option.get("priority"):
        order["orderDetails"].setdefault("params", {})["priority"] = option["priority"]
    _move(order, OrderEvent.OPTION_ACCEPTED)
    order_store.save(tx, order, state, now_ms + STEP_MS, now_ms)
    return study


# --- quotation ------------------------------------------------------------------------------


def _upload_quotation(tx: Tx, order: dict[str, Any], state: dict[str, Any], at: int) -> int:
    """The platform uploads the quotation; answer when it expires (its ``validUntil``)."""
    credits = int(state.get("acceptedCredits") or order["credits"]["estimated"])
    valid_until = at + QUOTATION_VALID_MS
    quotation = {"id": tx.new_id(), "orderId": order["id"], "workspaceId": order["workspaceId"],
                 "decision": Decision.NOT_DECIDED.value, "credits": credits,
                 "aud": aud(credits), "createdAt": format_instant(at), "decidedAt": None,
                 "validUntil": format_instant(valid_until)}
    decision_store.insert(tx, "quotations", quotation, order["organizationId"], at)
    state["quotationId"] = quotation["id"]
    _move(order, OrderEvent.QUOTATION_UPLOADED)
    return valid_until


def decide_quotation(backend: Backend, tx: Tx, org_id: str, quotation_id: str, decision: str,
                     now_ms: int) -> dict[str, Any]:
    """``quotation_decide``: accept (reserve unless already reserved) or reject (refund)."""
    quotation = decision_store.load(tx, "quotations", "quotation", org_id, quotation_id)
    if quotation.get("expired") or (quotation["decision"] == Decision.NOT_DECIDED
                                    and parse_ms(quotation["validUntil"]) <= now_ms):
        raise Problem(410, f"quotation expired at {quotation['validUntil']}")
    if quotation["decision"] != Decision.NOT_DECIDED:
        raise conflict(f"quotation already decided ({quotation['decision']})")
    order, state, _ = order_store.load(tx, org_id, quotation["orderId"])
    if not _is(order, OrderStatus.PLACED, SubStatus.QUOTATION_WAITING_RESPONSE):
        raise conflict(f"order is {order['status']}/{order['subStatus']}: "
                       "no quotation to decide")
    nxt: int | None = None
    if decision == Decision.ACCEPTED:
        if int(order["credits"].get("reserved", 0)) == 0:
            ledger.hold(tx, org_id, order, int(quotation["credits"]), now_ms)
        _move(order, OrderEvent.QUOTATION_ACCEPTED)
        nxt = max(parse_ms(order["orderDetails"]["window"]["start"]), now_ms)
    else:
        ledger.void(tx, org_id, order, now_ms)
        _move(order, OrderEvent.QUOTATION_REJECTED)
    quotation.update(decision=decision, decidedAt=format_instant(now_ms))
    decision_store.update(tx, "quotations", quotation)
    order_store.save(tx, order, state, nxt, now_ms)
    if nxt is not None and nxt <= now_ms:
        advance_order(backend, tx, org_id, order["id"], now_ms)
    return quotation


def _expire_quotation(tx: Tx, order: dict[str, Any], state: dict[str, Any], at: int) -> None:
    """The quotation lapsed undecided (``validUntil``): mark it expired, cancel, refund.

    The quotation becomes ``REJECTED`` with ``"expired": true`` (so it leaves the
    decisions inbox), the order ``CANCELED/QUOTATION_REJECTED`` with statusReason
    ``"quotation expired"``, and any reservation (an accepted study option) is voided.
    """
    org_id = order["organizationId"]
    quotation_id = state.get("quotationId")
    if quotation_id:
        quotation = decision_store.load(tx, "quotations", "quotation", org_id, quotation_id)
        if quotation["decision"] == Decision.NOT_DECIDED:
            quotation.update(decision=Decision.REJECTED.value, decidedAt=format_instant(at),
                             expired=True)
            decision_store.update(tx, "quotations", quotation)
    ledger.void(tx, org_id, order, at)
    _move(order, OrderEvent.QUOTATION_EXPIRED)


# --- cancellation ---------------------------------------------------------------------------


def cancel(tx: Tx, org_id: str, order_id: str, now_ms: int) -> dict[str, Any]:
    """``orders.cancel``: a PLACED order is cancelled, its reservation refunded and its
    undecided study or quotation rejected; any other status answers 409."""
    order, state, _ = order_store.load(tx, org_id, order_id)
    if order["status"] != OrderStatus.PLACED:
        raise conflict(f"order {order_id!r} cannot be cancelled in status {order['status']}",
                       order_id=order_id)
    refunded = ledger.void(tx, org_id, order, now_ms)
    _move(order, OrderEvent.CANCELLED)
    decision_store.reject_undecided(tx, order_id, now_ms)
    order_store.save(tx, order, state, None, now_ms)
    return {"orderId": order_id, "status": order["status"], "refundedCredits": refunded}


# --- time: the automatic steps --------------------------------------------------------------


def materialise(backend: Backend, tx: Tx, now_ms: int, org_id: str | None = None) -> None:
    """Run every step due at or before ``now_ms`` (of one org, or of every org)."""
    for owner, order_id in order_store.due_orders(tx, now_ms, org_id):
        advance_order(backend, tx, owner, order_id, now_ms)


def advance_order(backend: Backend, tx: Tx, org_id: str, order_id: str, now_ms: int) -> None:
    """Run the due steps of one order, each at its own instant."""
    order, state, nxt = order_store.load(tx, org_id, order_id)
    steps = 0
    while nxt is not None and nxt <= now_ms and steps < _MAX_STEPS:
        at = nxt
        nxt = _step(backend, tx, order, state, at)
        order_store.save(tx, order, state, nxt, at)
        steps += 1


def _step(backend: Backend, tx: Tx, order: dict[str, Any], state: dict[str, Any],
          at: int) -> int | None:
    """Apply the one step due at ``at``; answer the instant of the next one (or ``None``)."""
    if order["type"] == OrderType.ARCHIVE:
        return _archive_step(backend, tx, order, at)
    return _tasking_step(backend, tx, order, state, at)


def _archive_step(backend: Backend, tx: Tx, order: dict[str, Any], at: int) -> int | None:
    if _is(order, OrderStatus.PLACED):
        _move(order, OrderEvent.FULFILMENT_STARTED)
        return at + STEP_MS
    if _is(order, OrderStatus.BEING_FULFILLED):
        fulfilment.deliver_archive(backend, tx, order)
        ledger.settle(tx, order["organizationId"], order, 1.0, at)
        _move(order, OrderEvent.DELIVERED)
    return None


def _tasking_step(backend: Backend, tx: Tx, order: dict[str, Any], state: dict[str, Any],
                  at: int) -> int | None:
    if _is(order, OrderStatus.PLACED, SubStatus.FEASIBILITY_WAITING_UPLOAD):
        _upload_study(backend, tx, order, state, at)
        return None
    if _is(order, OrderStatus.PLACED, SubStatus.QUOTATION_WAITING_UPLOAD):
        return _upload_quotation(tx, order, state, at)
    if _is(order, OrderStatus.PLACED, SubStatus.QUOTATION_WAITING_RESPONSE):
        _expire_quotation(tx, order, state, at)
        return None
    if _is(order, OrderStatus.PLACED, SubStatus.QUOTATION_ACCEPTED):
        _move(order, OrderEvent.FULFILMENT_STARTED)
        fulfilment.plan_tasking(backend, tx, order)
        return _next_tasking_event(tx, order, at)
    if _is(order, OrderStatus.BEING_FULFILLED):
        delivery_store.deliver_due(tx, order["id"], at)
        fraction = fulfilment.covered_fraction(tx, order)
        end_ms = parse_ms(order["orderDetails"]["window"]["end"])
        outcome = fulfilment_outcome(fraction, at, end_ms)
        if outcome is OrderEvent.WINDOW_ENDED_EMPTY:
            ledger.void(tx, order["organizationId"], order, at)
            _move(order, outcome)
            state["coveredFraction"] = 0.0
            return None
        if outcome is OrderEvent.DELIVERED:
            ledger.settle(tx, order["organizationId"], order, fraction, at)
            _move(order, outcome)
            state["coveredFraction"] = fraction
            return None
        return _next_tasking_event(tx, order, at)
    return None


def fulfilment_outcome(fraction: float, at: int, end_ms: int) -> OrderEvent | None:
    """What happens to a fulfilling tasking order at ``at``: ``None`` (still fulfilling).

    ``DELIVERED`` once the AOI is covered, or when the window ends with part of it
    covered (charged pro rata); ``WINDOW_ENDED_EMPTY`` when the window ends with nothing
    covered (full refund).

    Examples
    --------
    >>> fulfilment_outcome(0.4, 10, 20) is None, fulfilment_outcome(1.0, 10, 20).value
    (True, 'DELIVERED')
    >>> fulfilment_outcome(0.4, 20, 20).value, fulfilment_outcome(0.0, 20, 20).value
    ('DELIVERED', 'WINDOW_ENDED_EMPTY')
    """
    if fraction >= 0.9999:
        return OrderEvent.DELIVERED
    if at < end_ms:
        return None
    return OrderEvent.DELIVERED if fraction > 0.0 else OrderEvent.WINDOW_ENDED_EMPTY


def _next_tasking_event(tx: Tx, order: dict[str, Any], at: int) -> int:
    end_ms = parse_ms(order["orderDetails"]["window"]["end"])
    pending = delivery_store.next_pending_ms(tx, order["id"])
    nxt = end_ms if pending is None else min(pending, end_ms)
    return max(nxt, at)
