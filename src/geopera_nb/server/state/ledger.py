"""Money: per-org credits with the invariant granted = balance + reserved + charged.

Every movement is one function over an open transaction and writes one ``ledger`` row,
so the balances and their history change together or not at all. The balance never
goes negative: a reservation that does not fit raises a 402 problem.
"""

from __future__ import annotations

from typing import Any

from ..domain.money import credits as ceil_credits
from ..problems import Problem
from .store import Store, Tx


def _entry(tx: Tx, org_id: str, order_id: str | None, kind: str, credits: int,
           now_ms: int) -> None:
    tx.execute("INSERT INTO ledger (org_id, order_id, kind, credits, at_ms) VALUES (?,?,?,?,?)",
               (org_id, order_id, kind, credits, now_ms))


def balances(tx: Tx | Store, org_id: str) -> dict[str, int]:
    """``{"granted", "balance", "reserved", "charged"}`` of an org (in a transaction or not)."""
    row = tx.one("SELECT granted, balance, reserved, charged FROM orgs WHERE id = ?", (org_id,))
    if row is None:
        raise Problem(404, "organisation not found")
    return {"granted": row[0], "balance": row[1], "reserved": row[2], "charged": row[3]}


def grant(tx: Tx, org_id: str, credits: int, now_ms: int) -> None:
    """Add granted credits to the balance."""
    tx.execute("UPDATE orgs SET granted = granted + ?, balance = balance + ? WHERE id = ?",
               (credits, credits, org_id))
    _entry(tx, org_id, None, "grant", credits, now_ms)


def reserve(tx: Tx, org_id: str, order_id: str, credits: int, now_ms: int) -> None:
    """Move ``credits`` from the balance to reserved, or raise 402.

    Raises
    ------
    Problem
        402 when the balance does not cover ``credits``.
    """
    if credits <= 0:
        return
    current = balances(tx, org_id)
    if current["balance"] < credits:
        raise Problem(
            402,
            f"insufficient credits: {credits} required, {current['balance']} available",
            required_credits=credits,
            balance_credits=current["balance"],
        )
    tx.execute("UPDATE orgs SET balance = balance - ?, reserved = reserved + ? WHERE id = ?",
               (credits, credits, org_id))
    _entry(tx, org_id, order_id, "reserve", credits, now_ms)


def release(tx: Tx, org_id: str, order_id: str, credits: int, now_ms: int) -> None:
    """Void ``credits`` of a reservation back to the balance (cancel, reject, partial)."""
    if credits <= 0:
        return
    tx.execute("UPDATE orgs SET balance = balance + ?, reserved = reserved - ? WHERE id = ?",
               (credits, credits, org_id))
    _entry(tx, org_id, order_id, "refund", credits, now_ms)


def charge(tx: Tx, org_id: str, order_id: str, credits: int, now_ms: int) -> None:
    """Turn ``credits`` of a reservation into a charge (fulfilment)."""
    if credits <= 0:
        return
    tx.execute("UPDATE orgs SET reserved = reserved - ?, charged = charged + ? WHERE id = ?",
               (credits, credits, org_id))
    _entry(tx, org_id, order_id, "charge", credits, now_ms)


def settle(tx: Tx, org_id: str, order: dict[str, Any], fraction: float, now_ms: int) -> None:
    """Charge ``fraction`` of an order's reservation and refund the rest.

    Updates ``order["credits"]`` in place.
    """
    credits = order["credits"]
    held = int(credits.get("reserved", 0))
    if held <= 0:
        return
    fraction = min(max(fraction, 0.0), 1.0)
    charged = held if fraction >= 0.9999 else min(held, ceil_credits(held * fraction))
    refunded = held - charged
    charge(tx, org_id, order["id"], charged, now_ms)
    release(tx, org_id, order["id"], refunded, now_ms)
    credits["reserved"] = 0
    credits["charged"] = int(credits.get("charged", 0)) + charged
    credits["refunded"] = int(credits.get("refunded", 0)) + refunded


def hold(tx: Tx, org_id: str, order: dict[str, Any], amount: int, now_ms: int) -> None:
    """Reserve ``amount`` for an order (402 if it does not fit); updates ``order["credits"]``."""
    reserve(tx, org_id, order["id"], amount, now_ms)
    order["credits"]["reserved"] = int(order["credits"].get("reserved", 0)) + amount


def void(tx: Tx, org_id: str, order: dict[str, Any], now_ms: int) -> int:
    """Refund an order's whole reservation; answer the refunded credits."""
    held = int(order["credits"].get("reserved", 0))
    release(tx, org_id, order["id"], held, now_ms)
    order["credits"]["reserved"] = 0
    order["credits"]["refunded"] = int(order["credits"].get("refunded", 0)) + held
    return held
