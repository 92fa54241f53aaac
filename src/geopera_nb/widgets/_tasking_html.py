"""The planner's answers as HTML (pure functions: answer in, HTML out).

Examples
--------
>>> from geopera_nb.widgets._tasking_html import price_line
>>> price_line({"totalCredits": 74880, "totalAud": 748.8})
'<b>Total: <span class="gn-price-total" data-credits="74880">74,880 credits (A$748.80)</span></b>'
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from ._render import Raw, html_table, money, short_time

__all__ = [
    "estimate_table",
    "feasibility_table",
    "invalid_table",
    "passes_table",
    "price_line",
    "sensor_facts",
]

Records = Sequence[dict[str, Any]]


def _name(records: Records, row: int) -> str:
    return str(records[row]["name"]) if 0 <= row < len(records) else f"AOI {row}"


def _warn(message: Any, color: str = "#b00020", mark: str = "⚠") -> Raw:
    return Raw(f'<span style="color:{color}">{mark} {html.escape(str(message))}</span>')


def price_line(answer: dict[str, Any]) -> str:
    """The total (``gn-price-total`` with ``data-credits``)."""
    total = int(answer.get("totalCredits", 0))
    return (
        f'<b>Total: <span class="gn-price-total" data-credits="{total}">'
        f"{money(total, answer.get('totalAud'))}</span></b>"
    )


def estimate_table(answer: dict[str, Any], rows: Sequence[int], records: Records) -> str:
    """One line per group (= valid AOI ``rows[i]``): area, billable area, price or error."""
    by_index = {g.get("index"): g for g in answer.get("groups") or []}
    errors = {e.get("index"): e for e in answer.get("errors") or []}
    table: list[list[Any]] = []
    for gi, row in enumerate(rows):
        group = by_index.get(gi)
        if group is not None:
            price = money(group.get("credits"), group.get("aud"))
            table.append(
                [
                    _name(records, row),
                    float(group.get("areaKm2", 0.0)),
                    float(group.get("billableKm2", 0.0)),
                    Raw(f'<span class="gn-shape-price">{price}</span>'),
                    "",
                ]
            )
        else:
            area = float(records[row]["area_km2"]) if 0 <= row < len(records) else ""
            message = errors.get(gi, {}).get("message", "not priced")
            table.append([_name(records, row), area, "", "", _warn(message)])
    return html_table(["AOI", "km²", "billable km²", "price", "error"], table, "gn-price-rows")


def invalid_table(records: Records) -> str:
    """Shapes the server would reject, with the reason (empty when all are valid)."""
    bad = [[r["name"], _warn(r["reason"], "#d7263d", "✖")] for r in records if not r["valid"]]
    return html_table(["invalid AOI", "reason"], bad, "gn-invalid-rows") if bad else ""


def feasibility_table(answer: dict[str, Any], rows: Sequence[int], records: Records) -> str:
    """Per-feature feasibility prediction with its reason."""
    table = []
    for feature in answer.get("features") or []:
        i = int(feature.get("index", 0))
        name = _name(records, rows[i]) if i < len(rows) else f"AOI {i}"
        mark = "✔ feasible" if feature.get("feasible") else "✖ not feasible"
        study = "study needed" if feature.get("studyRequired") else "no study"
        table.append([name, mark, study, feature.get("reason", "")])
    return "<b>Feasibility</b>" + html_table(
        ["AOI", "feasible", "study", "reason"], table, "gn-feasibility-rows"
    )


def passes_table(features: Sequence[dict[str, Any]], limit: int = 50) -> str:
    """Predicted passes, earliest first (at most ``limit`` lines)."""
    ordered = sorted(features, key=lambda f: str((f.get("properties") or {}).get("datetime")))
    table = []
    for f in ordered[:limit]:
        p = f.get("properties") or {}
        table.append(
            [
                short_time(p.get("datetime")),
                p.get("satellite"),
                f"{float(p.get('offNadirDeg', 0.0)):.1f}°",
                p.get("direction"),
                p.get("featureIndex"),
            ]
        )
    head = f"<b>Predicted passes: {len(features)}</b>"
    if not table:
        return head + " <i>(none predicted: manual-feasibility sensor or no access)</i>"
    headers = ["time", "satellite", "off-nadir", "direction", "AOI"]
    return head + html_table(headers, table, "gn-passes-rows")


def sensor_facts(sensor: dict[str, Any]) -> str:
    """One line of a sensor's pricing and limits."""
    return (
        f"{sensor.get('resolutionM')} m · {int(sensor.get('pricePerKm2', 0)):,} credits/km² · "
        f"{sensor.get('minKm2')}–{sensor.get('maxKm2')} km² · feasibility "
        f"{html.escape(str(sensor.get('feasibility')))} · cloud ≥ {sensor.get('minCloudPct')}% · "
        f"window ≥ {sensor.get('minWindowHours')} h"
    )
