"""Small HTML helpers shared by the panels (tables, money, times).

Examples
--------
>>> from geopera_nb.widgets._render import count, html_table, km2, money
>>> money(74880, 748.8)
'74,880 credits (A$748.80)'
>>> count(1, "AOI"), count(1000, "order"), km2(78789.613)
('1 AOI', '1,000 orders', '78,789.61 km²')
>>> "<td" in html_table(["a"], [["<b>"]], "gn-x") and "&lt;b&gt;" in html_table(["a"], [["<b>"]])
True
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["Raw", "count", "html_table", "km2", "money", "short_time"]


class Raw(str):
    """A table cell that is already HTML (not escaped)."""


def money(credits: Any, aud: Any = None) -> str:
    """``"74,880 credits (A$748.80)"``; A$ is credits / 100 when not given."""
    try:
        c = int(credits)
    except (TypeError, ValueError):
        return "–"
    a = float(aud) if aud is not None else c / 100.0
    return f"{c:,} credits (A${a:,.2f})"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``"1 AOI"``, ``"2 AOIs"``, ``"1,000 orders"`` (thousands separators, plural)."""
    return f"{int(n):,} {noun if int(n) == 1 else (plural or noun + 's')}"


def km2(value: Any, digits: int = 2) -> str:
    """An area as ``"1,234.57 km²"`` (``"–"`` when not a number)."""
    try:
        return f"{float(value):,.{digits}f} km²"
    except (TypeError, ValueError):
        return "–"


def short_time(value: Any) -> str:
    """``"2026-12-01T10:31:12.000Z"`` -> ``"2026-12-01 10:31 UTC"``."""
    text = str(value or "")
    if "T" not in text:
        return text
    day, clock = text.split("T", 1)
    return f"{day} {clock[:5]} UTC"


_PAD = ' style="padding:1px 8px;text-align:left"'


def _cell(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return html.escape("" if value is None else str(value))


def html_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], css_class: str = "") -> str:
    """An HTML table with escaped cells (use :class:`Raw` for HTML cells)."""
    head = "".join(f"<th{_PAD}>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{_PAD}>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows
    )
    classes = f"gn-table {css_class}".strip()
    return f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
