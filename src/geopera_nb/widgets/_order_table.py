"""The order browser's table as HTML (pure: orders in, a ``<table>`` out).

One ``ipywidgets.HTML`` holds the whole table however many pages are loaded: headers,
aligned columns (numbers right-aligned, tabular figures), full names (wrapped, never
cut), each order's state in words (:func:`geopera_nb.contract.states.describe`), the
sorted column marked, the selected order highlighted, a sticky header in a scrolling box.

Examples
--------
>>> from geopera_nb.widgets._order_table import orders_table
>>> html = orders_table([{"id": "o-1", "displayName": "Farm A", "type": "TASKING",
...                       "status": "FAILED", "statusReason": "window too short",
...                       "aoiKm2": 1234.5, "credits": {"estimated": 74880},
...                       "createdAt": "2026-12-01T10:31:12.000Z", "tags": ["a", "b"]}],
...                     sort="createdAt,desc", selected="o-1")
>>> "Failed: window too short" in html and "1,234.50" in html and "74,880" in html
True
>>> "Created ▼" in html and 'data-order-id="o-1"' in html and "gn-order-selected" in html
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from geopera_nb.contract.states import OrderStatus, describe

from ._render import short_time

__all__ = ["COLUMNS", "SORTS", "orders_table"]

#: What the user can sort by -> ``orders.list`` ``sort`` (the server's sort keys, so the
#: order holds across every page, not only the loaded rows).
SORTS: Mapping[str, str] = {
    "Newest first": "createdAt,desc",
    "Oldest first": "createdAt,asc",
    "Recently updated": "updatedAt,desc",
    "Name A–Z": "displayName,asc",
    "Name Z–A": "displayName,desc",
    "Status A–Z": "status,asc",
}

#: (header, sort field it shows, numeric)
COLUMNS: Sequence[tuple[str, str | None, bool]] = (
    ("Name", "displayName", False),
    ("Type", None, False),
    ("Status", "status", False),
    ("AOI km²", None, True),
    ("Est. credits", None, True),
    ("Created", "createdAt", False),
    ("Updated", "updatedAt", False),
    ("Tags", None, False),
)

_BAD = frozenset({OrderStatus.FAILED, OrderStatus.CANCELED})
#: one style sheet per table (cells carry a class, not a style: 1,000 rows stay ~0.3 MB)
_CSS = (
    "<style>"
    ".gn-order-rows{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}"
    ".gn-order-rows th{position:sticky;top:0;background:var(--jp-layout-color1,#fff);"
    "border-bottom:2px solid #999;padding:3px 8px;white-space:nowrap;text-align:left}"
    ".gn-order-rows td{padding:3px 8px;border-bottom:1px solid #e4e4e4;vertical-align:top;"
    "text-align:left}"
    ".gn-order-rows .gn-num{text-align:right}"
    ".gn-order-rows .gn-name{min-width:12em;overflow-wrap:anywhere}"
    ".gn-order-rows .gn-state{min-width:14em}"
    ".gn-order-rows .gn-bad{color:#b00020;font-weight:bold}"
    ".gn-order-rows .gn-time{white-space:nowrap}"
    ".gn-order-rows tbody tr:nth-child(even){background:#f7f7f7}"
    ".gn-order-rows tbody tr.gn-order-selected{background:#ffe0b2}"
    "</style>"
)


def _number(value: Any, digits: int) -> str:
    try:
        return f"{float(value):,.{digits}f}"
    except (TypeError, ValueError):
        return "–"


def _cells(order: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(html, CSS class) of each column of one order."""
    status = str(order.get("status") or "")
    credits = (order.get("credits") or {}).get("estimated")
    name = str(order.get("displayName") or "(unnamed)")
    return [
        (html.escape(name), "gn-name"),
        (html.escape(str(order.get("type") or "")).lower(), ""),
        (html.escape(describe(order)), "gn-state gn-bad" if status in _BAD else "gn-state"),
        (_number(order.get("aoiKm2"), 2), "gn-num"),
        (_number(credits, 0), "gn-num"),
        (html.escape(short_time(order.get("createdAt"))), "gn-time"),
        (html.escape(short_time(order.get("updatedAt"))), "gn-time"),
        (html.escape(", ".join(str(t) for t in order.get("tags") or [])), ""),
    ]


def _td(value: str, css: str) -> str:
    return f'<td class="{css}">{value}</td>' if css else f"<td>{value}</td>"


def orders_table(orders: Sequence[Mapping[str, Any]], sort: str = "createdAt,desc",
                 selected: str = "", max_height: str = "420px") -> str:
    """The orders as one scrolling HTML table (``gn-order-rows``; each row
    ``gn-order-row`` with ``data-order-id``; the selected one ``gn-order-selected``)."""
    field, _, direction = sort.partition(",")
    arrow = " ▲" if direction == "asc" else " ▼"
    num = ' class="gn-num"'
    head = "".join(
        f"<th{num if numeric else ''}>{html.escape(title)}{arrow if key == field else ''}</th>"
        for title, key, numeric in COLUMNS)
    body = []
    for order in orders:
        order_id = str(order.get("id"))
        css = "gn-order-row gn-order-selected" if order_id == selected else "gn-order-row"
        cells = "".join(_td(value, klass) for value, klass in _cells(order))
        body.append(f'<tr class="{css}" data-order-id="{html.escape(order_id)}">{cells}</tr>')
    return (
        f'{_CSS}<div style="max-height:{max_height};overflow:auto">'
        '<table class="gn-table gn-order-rows">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
