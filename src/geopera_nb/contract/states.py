"""Order types, statuses, sub-statuses, decisions and the allowed transitions, as data.

Every module that needs an order state asks this one: the client's ``wait_for``, the
frames, the widgets and the sandbox (whose ``service.lifecycle`` makes every transition
through :func:`transition`). Nothing else spells a status string.

The life of an order (``semantics.md``)::

    ARCHIVE   PLACED -> BEING_FULFILLED -> FULFILLED
    TASKING   PLACED/FEASIBILITY_WAITING_UPLOAD -> PLACED/FEASIBILITY_WAITING_RESPONSE
              -> PLACED/QUOTATION_WAITING_UPLOAD -> PLACED/QUOTATION_WAITING_RESPONSE
              -> PLACED/QUOTATION_ACCEPTED -> BEING_FULFILLED/IN_PROGRESS -> FULFILLED
              (no study needed: placed straight at QUOTATION_WAITING_UPLOAD;
               rejected or expired quotation: CANCELED/QUOTATION_REJECTED;
               infeasible at placement, or nothing captured in the window: FAILED)
    any PLACED order can be cancelled: CANCELED (its sub-status is kept).

Examples
--------
>>> transition(OrderType.ARCHIVE, OrderStatus.PLACED, None, OrderEvent.FULFILMENT_STARTED)
(<OrderStatus.BEING_FULFILLED: 'BEING_FULFILLED'>, None)
>>> transition("TASKING", "PLACED", "QUOTATION_WAITING_RESPONSE", "QUOTATION_EXPIRED")[1]
<SubStatus.QUOTATION_REJECTED: 'QUOTATION_REJECTED'>
>>> transition("ARCHIVE", "FULFILLED", None, "CANCELLED")
Traceback (most recent call last):
...
geopera_nb.contract.states.IllegalTransition: an ARCHIVE order in FULFILLED cannot be cancelled
>>> is_final("FAILED"), coverage_available("TASKING", "BEING_FULFILLED")
(True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

__all__ = [
    "AWAITING_CUSTOMER",
    "COVERAGE_STATUSES",
    "FINAL_STATUSES",
    "REASONS",
    "TRANSITIONS",
    "Decision",
    "DecisionKind",
    "IllegalTransition",
    "OrderEvent",
    "OrderStatus",
    "OrderType",
    "SubStatus",
    "awaiting_customer",
    "cancellable",
    "coverage_available",
    "describe",
    "initial_state",
    "is_final",
    "transition",
]


class OrderType(StrEnum):
    """``Order.type``."""

    ARCHIVE = "ARCHIVE"
    TASKING = "TASKING"


class OrderStatus(StrEnum):
    """``Order.status``."""

    PLACED = "PLACED"
    BEING_FULFILLED = "BEING_FULFILLED"
    FULFILLED = "FULFILLED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


class SubStatus(StrEnum):
    """``Order.subStatus`` of a tasking order (archive orders have none)."""

    FEASIBILITY_WAITING_UPLOAD = "FEASIBILITY_WAITING_UPLOAD"
    FEASIBILITY_WAITING_RESPONSE = "FEASIBILITY_WAITING_RESPONSE"
    QUOTATION_WAITING_UPLOAD = "QUOTATION_WAITING_UPLOAD"
    QUOTATION_WAITING_RESPONSE = "QUOTATION_WAITING_RESPONSE"
    QUOTATION_ACCEPTED = "QUOTATION_ACCEPTED"
    QUOTATION_REJECTED = "QUOTATION_REJECTED"
    IN_PROGRESS = "IN_PROGRESS"


class Decision(StrEnum):
    """``decision`` of a feasibility study or a quotation (final once not NOT_DECIDED)."""

    NOT_DECIDED = "NOT_DECIDED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class DecisionKind(StrEnum):
    """``kind`` of an item of the decisions inbox (``decisions.pending.kinds``)."""

    FEASIBILITY = "feasibility"
    QUOTATION = "quotation"


class OrderEvent(StrEnum):
    """What moves an order from one state to the next."""

    STUDY_UPLOADED = "STUDY_UPLOADED"
    OPTION_ACCEPTED = "OPTION_ACCEPTED"
    QUOTATION_UPLOADED = "QUOTATION_UPLOADED"
    QUOTATION_ACCEPTED = "QUOTATION_ACCEPTED"
    QUOTATION_REJECTED = "QUOTATION_REJECTED"
    QUOTATION_EXPIRED = "QUOTATION_EXPIRED"
    FULFILMENT_STARTED = "FULFILMENT_STARTED"
    DELIVERED = "DELIVERED"
    WINDOW_ENDED_EMPTY = "WINDOW_ENDED_EMPTY"
    CANCELLED = "CANCELLED"


State = tuple[OrderStatus, SubStatus | None]

_P, _B = OrderStatus.PLACED, OrderStatus.BEING_FULFILLED
_S = SubStatus
_E = OrderEvent

#: (type, status, sub-status, event) -> (status, sub-status). Cancellation, allowed from
#: every PLACED state, is added below rather than typed once per sub-status.
TRANSITIONS: dict[tuple[OrderType, OrderStatus, SubStatus | None, OrderEvent], State] = {
    (OrderType.ARCHIVE, _P, None, _E.FULFILMENT_STARTED): (_B, None),
    (OrderType.ARCHIVE, _B, None, _E.DELIVERED): (OrderStatus.FULFILLED, None),
    (OrderType.TASKING, _P, _S.FEASIBILITY_WAITING_UPLOAD, _E.STUDY_UPLOADED):
        (_P, _S.FEASIBILITY_WAITING_RESPONSE),
    (OrderType.TASKING, _P, _S.FEASIBILITY_WAITING_RESPONSE, _E.OPTION_ACCEPTED):
        (_P, _S.QUOTATION_WAITING_UPLOAD),
    (OrderType.TASKING, _P, _S.QUOTATION_WAITING_UPLOAD, _E.QUOTATION_UPLOADED):
        (_P, _S.QUOTATION_WAITING_RESPONSE),
    (OrderType.TASKING, _P, _S.QUOTATION_WAITING_RESPONSE, _E.QUOTATION_ACCEPTED):
        (_P, _S.QUOTATION_ACCEPTED),
    (OrderType.TASKING, _P, _S.QUOTATION_WAITING_RESPONSE, _E.QUOTATION_REJECTED):
        (OrderStatus.CANCELED, _S.QUOTATION_REJECTED),
    (OrderType.TASKING, _P, _S.QUOTATION_WAITING_RESPONSE, _E.QUOTATION_EXPIRED):
        (OrderStatus.CANCELED, _S.QUOTATION_REJECTED),
    (OrderType.TASKING, _P, _S.QUOTATION_ACCEPTED, _E.FULFILMENT_STARTED):
        (_B, _S.IN_PROGRESS),
    (OrderType.TASKING, _B, _S.IN_PROGRESS, _E.DELIVERED): (OrderStatus.FULFILLED, None),
    (OrderType.TASKING, _B, _S.IN_PROGRESS, _E.WINDOW_ENDED_EMPTY): (OrderStatus.FAILED, None),
}
for _type, _subs in ((OrderType.ARCHIVE, (None,)),
                     (OrderType.TASKING, (_S.FEASIBILITY_WAITING_UPLOAD,
                                          _S.FEASIBILITY_WAITING_RESPONSE,
                                          _S.QUOTATION_WAITING_UPLOAD,
                                          _S.QUOTATION_WAITING_RESPONSE,
                                          _S.QUOTATION_ACCEPTED))):
    for _sub in _subs:
        TRANSITIONS[(_type, _P, _sub, _E.CANCELLED)] = (OrderStatus.CANCELED, _sub)

#: ``statusReason`` an event writes (events not listed leave it as it is).
REASONS: dict[OrderEvent, str] = {
    OrderEvent.CANCELLED: "cancelled by the customer",
    OrderEvent.QUOTATION_REJECTED: "quotation rejected",
    OrderEvent.QUOTATION_EXPIRED: "quotation expired",
    OrderEvent.WINDOW_ENDED_EMPTY: "no capture in the acquisition window",
}

#: Statuses an order never leaves.
FINAL_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.FULFILLED, OrderStatus.FAILED, OrderStatus.CANCELED})

#: Statuses of a tasking order that ``orders.coverage.get`` answers for.
COVERAGE_STATUSES: frozenset[OrderStatus] = frozenset({_B, OrderStatus.FULFILLED})

#: Sub-statuses that wait for the customer, and what the customer has to do.
AWAITING_CUSTOMER: Mapping[SubStatus, str] = {
    _S.FEASIBILITY_WAITING_RESPONSE:
        "accept a feasibility option (orders.tasking.feasibility_decide)",
    _S.QUOTATION_WAITING_RESPONSE:
        "accept or reject the quotation (orders.tasking.quotation_decide)",
}


class IllegalTransition(ValueError):
    """An event that the order's current state does not allow."""


def _sub_status(value: str | None) -> SubStatus | None:
    return None if value in (None, "") else SubStatus(value)


def transition(order_type: str, status: str, sub_status: str | None,
               event: str) -> State:
    """The state an order moves to when ``event`` happens in its current state.

    Raises
    ------
    IllegalTransition
        When the table has no such move (e.g. cancelling a fulfilled order).
    ValueError
        For a type, status, sub-status or event this module does not know.
    """
    kind, now, sub, what = OrderType(order_type), OrderStatus(status), _sub_status(sub_status), \
        OrderEvent(event)
    try:
        return TRANSITIONS[(kind, now, sub, what)]
    except KeyError:
        where = now.value if sub is None else f"{now.value}/{sub.value}"
        raise IllegalTransition(
            f"an {kind.value} order in {where} cannot be {what.value.lower().replace('_', ' ')}"
        ) from None


def initial_state(order_type: str, *, feasible: bool = True,
                  needs_study: bool = False) -> State:
    """The state a newly placed order starts in.

    Examples
    --------
    >>> initial_state("TASKING", needs_study=True)[1].value
    'FEASIBILITY_WAITING_UPLOAD'
    >>> initial_state("TASKING", feasible=False)
    (<OrderStatus.FAILED: 'FAILED'>, None)
    """
    if OrderType(order_type) is OrderType.ARCHIVE:
        return (_P, None)
    if not feasible:
        return (OrderStatus.FAILED, None)
    return (_P, _S.FEASIBILITY_WAITING_UPLOAD if needs_study else _S.QUOTATION_WAITING_UPLOAD)


def is_final(status: str | None) -> bool:
    """Whether an order in ``status`` will never change again."""
    return status in FINAL_STATUSES


def cancellable(status: str | None) -> bool:
    """Whether ``orders.cancel`` accepts an order in ``status`` (PLACED only)."""
    return status == OrderStatus.PLACED


def awaiting_customer(sub_status: str | None) -> str | None:
    """What the customer must do for an order in ``sub_status``, or ``None``."""
    try:
        return AWAITING_CUSTOMER.get(SubStatus(sub_status)) if sub_status else None
    except ValueError:
        return None


def coverage_available(order_type: str | None, status: str | None) -> bool:
    """Whether ``orders.coverage.get`` can answer for such an order (else it answers 409)."""
    return order_type == OrderType.TASKING and status in COVERAGE_STATUSES


_STATUS_WORDS: dict[OrderStatus, str] = {
    OrderStatus.PLACED: "placed",
    OrderStatus.BEING_FULFILLED: "being fulfilled",
    OrderStatus.FULFILLED: "fulfilled",
    OrderStatus.FAILED: "failed",
    OrderStatus.CANCELED: "cancelled",
}
_SUB_WORDS: dict[SubStatus, str] = {
    _S.FEASIBILITY_WAITING_UPLOAD: "the feasibility study is being prepared",
    _S.FEASIBILITY_WAITING_RESPONSE: "waiting for you to choose a feasibility option",
    _S.QUOTATION_WAITING_UPLOAD: "the quotation is being prepared",
    _S.QUOTATION_WAITING_RESPONSE: "waiting for you to accept or reject the quotation",
    _S.QUOTATION_ACCEPTED: "quotation accepted; waiting for the acquisition window",
    _S.QUOTATION_REJECTED: "the quotation was rejected",
    _S.IN_PROGRESS: "captures are arriving",
}


def describe(order: Mapping[str, Any]) -> str:
    """An order's state in words, with the server's reason when it has one.

    Examples
    --------
    >>> describe({"status": "FAILED", "statusReason": "window too short"})
    'Failed: window too short'
    >>> describe({"status": "PLACED", "subStatus": "QUOTATION_WAITING_RESPONSE"})
    'Placed: waiting for you to accept or reject the quotation'
    >>> describe({"status": "SOMETHING_NEW"})
    'SOMETHING_NEW'
    """
    raw_status = order.get("status")
    try:
        words = _STATUS_WORDS[OrderStatus(str(raw_status))]
    except ValueError:
        words = str(raw_status)
        return words if not order.get("statusReason") else f"{words}: {order['statusReason']}"
    reason = order.get("statusReason")
    sub = order.get("subStatus")
    detail = None
    if raw_status in (OrderStatus.FAILED, OrderStatus.CANCELED) and reason:
        detail = str(reason)
    elif sub:
        try:
            detail = _SUB_WORDS[SubStatus(sub)]
        except ValueError:
            detail = str(sub)
    elif reason:
        detail = str(reason)
    words = words[0].upper() + words[1:]
    return words if detail is None else f"{words}: {detail}"
