"""What the server says about orders just placed or decided: fetched back, in words.

A widget that spent money never reports its own guess ("Placed"): it asks
``orders.get`` for each order and shows :func:`geopera_nb.contract.states.describe`
(status, sub-status, and the server's ``statusReason`` when it failed or was cancelled).

Examples
--------
>>> from geopera_nb.widgets._order_status import status_html
>>> print(status_html([{"id": "o-1", "status": "FAILED", "statusReason": "window too short"}],
...                   {"o-1": "Farm A"}))   # doctest: +NORMALIZE_WHITESPACE
<div class="gn-order-state" data-order-id="o-1" data-status="FAILED"><b>Farm A</b>
<code class="gn-order-id">o-1</code>: <span class="gn-order-status"
style="color:#b00020;font-weight:bold">✖ Failed: window too short</span></div>
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from geopera_nb.contract.states import OrderStatus, describe

from .messages import error_message, tidy

__all__ = ["fetch_orders", "status_html", "status_lines"]

_BAD = frozenset({OrderStatus.FAILED, OrderStatus.CANCELED})


def fetch_orders(client: Any, order_ids: Iterable[str]) -> list[dict[str, Any]]:
    """``orders.get`` of each id; an order that cannot be read gets ``{"id", "error"}``."""
    orders: list[dict[str, Any]] = []
    for order_id in order_ids:
        try:
            orders.append(dict(client.orders.get(order_id=order_id)))
        except Exception as exc:  # shown beside the id, never swallowed
            orders.append({"id": order_id, "error": error_message(exc)})
    return orders


def _money(order: Mapping[str, Any]) -> str:
    credits = order.get("credits") or {}
    parts = [f"{int(credits[k]):,} credits {k}" for k in ("reserved", "charged", "refunded")
             if isinstance(credits.get(k), int | float) and credits[k]]
    return f" ({', '.join(parts)})" if parts else ""


def status_lines(orders: Sequence[Mapping[str, Any]],
                 names: Mapping[str, str] | None = None) -> list[str]:
    """Each order's state in words, with the credits the server reserved, charged or
    refunded (the plain text of :func:`status_html`)."""
    return [str(o["error"]) if o.get("error") else tidy(describe(o), names) + _money(o)
            for o in orders]


def status_html(orders: Sequence[Mapping[str, Any]], labels: Mapping[str, str] | None = None,
                names: Mapping[str, str] | None = None) -> str:
    """One line per order: its label, id and the server's state in words.

    Parameters
    ----------
    orders
        Orders as ``orders.get`` answers them (or ``{"id", "error"}``).
    labels
        Order id -> what the user called it (AOI or order name).
    names
        Ids in the server's words to replace (sensor id -> sensor name).

    CSS: each line ``gn-order-state`` (``data-status``), the words ``gn-order-status``,
    the id ``gn-order-id``.
    """
    lines = []
    for order, words in zip(orders, status_lines(orders, names), strict=True):
        order_id = str(order.get("id"))
        status = str(order.get("status") or "")
        bad = status in _BAD or bool(order.get("error"))
        style = "color:#b00020;font-weight:bold" if bad else "color:#1b5e20"
        mark = "✖ " if bad else "✔ "
        label = (labels or {}).get(order_id) or order.get("displayName") or ""
        head = f"<b>{html.escape(str(label))}</b> " if label else ""
        lines.append(
            f'<div class="gn-order-state" data-order-id="{html.escape(order_id)}" '
            f'data-status="{html.escape(status)}">{head}'
            f'<code class="gn-order-id">{html.escape(order_id)}</code>: '
            f'<span class="gn-order-status" style="{style}">{mark}{html.escape(words)}</span>'
            "</div>")
    return "".join(lines)
