"""The planner's answers as HTML (pure functions: answer in, HTML out).

Every sentence from the server goes through :mod:`.messages` (labels, km², thousands
separators, sensor names), and a headline never shows a total of 0 for AOIs that could
not be priced: it says how many cannot be priced and why.

Examples
--------
>>> from geopera_nb.widgets._tasking_html import price_line
>>> price_line({"totalCredits": 74880, "totalAud": 748.8, "groups": [{"index": 0}]}, 1)
'<b>Total: <span class="gn-price-total" data-credits="74880">74,880 credits (A$748.80)</span></b> for 1 AOI'
>>> print(price_line({"totalCredits": 0, "groups": [], "errors": [
...     {"index": 0, "message": "end must be after start", "loc": ["groups", 0, "end"]}]}, 1))
<b class="gn-price-none">No price</b> <span class="gn-price-problem" style="color:#b00020">⚠ 1 AOI cannot be priced: End date: must be after the start</span>
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from ._render import Raw, count, html_table, km2, money, short_time
from .messages import row_sentence, tidy, unique, window_problem

__all__ = [
    "billing_note",
    "estimate_table",
    "feasibility_table",
    "feasibility_verdict",
    "invalid_table",
    "passes_table",
    "price_line",
    "sensor_facts",
    "shared_problem",
]

Records = Sequence[dict[str, Any]]
Names = Mapping[str, str]
RED = "#b00020"


def _name(records: Records, row: int) -> str:
    return str(records[row]["name"]) if 0 <= row < len(records) else f"AOI {row}"


def _warn(message: Any, color: str = RED, mark: str = "⚠") -> Raw:
    return Raw(f'<span style="color:{color}">{mark} {html.escape(str(message))}</span>')


def shared_problem(answer: dict[str, Any], names: Names | None = None) -> str | None:
    """The one sentence every error of ``answer`` shares (e.g. a bad window), if any."""
    found = unique(row_sentence(e, names) for e in answer.get("errors") or [])
    return found[0] if len(found) == 1 else None


def window_errors(answer: dict[str, Any]) -> bool:
    """Whether the answer rejects the acquisition window (no feasibility, no passes)."""
    return any(window_problem(e) for e in answer.get("errors") or [])


def price_line(answer: dict[str, Any], sent: int, names: Names | None = None) -> str:
    """The headline: the total for the priced AOIs, and how many cannot be priced, why.

    Parameters
    ----------
    answer
        ``orders.tasking.estimate``.
    sent
        How many AOIs (groups) were sent.
    """
    errors = answer.get("errors") or []
    priced = len(answer.get("groups") or [])
    failed = len({e.get("index") for e in errors}) if errors else 0
    reason = shared_problem(answer, names)
    problem = ""
    if failed:
        why = f": {reason}" if reason else " (reasons in the table)"
        problem = (f'<span class="gn-price-problem" style="color:{RED}">⚠ '
                   f"{html.escape(count(failed, 'AOI'))} cannot be priced{html.escape(why)}</span>")
    if not priced:
        return f'<b class="gn-price-none">No price</b> {problem}'.strip()
    total = int(answer.get("totalCredits", 0))
    scope = f"for {count(priced, 'AOI')}" if not failed else f"for {priced:,} of {count(sent, 'AOI')}"
    head = (
        f'<b>Total: <span class="gn-price-total" data-credits="{total}">'
        f"{money(total, answer.get('totalAud'))}</span></b> {scope}"
    )
    return f"{head} · {problem}" if problem else head


def billing_note(group: dict[str, Any], sensor: dict[str, Any] | None) -> str:
    """``"billed as 25 km², the Owl 30 cm minimum"`` when the billed area exceeds the AOI."""
    area, billed = float(group.get("areaKm2") or 0.0), float(group.get("billableKm2") or 0.0)
    if billed <= area + 1e-9:
        return ""
    name = (sensor or {}).get("name") or group.get("sensor") or "sensor"
    minimum = (sensor or {}).get("minKm2")
    if minimum is not None and abs(float(minimum) - billed) < 1e-6:
        return f"billed as {km2(billed, 0 if billed == int(billed) else 2)}, the {name} minimum"
    return f"billed as {km2(billed)}"


def estimate_table(answer: dict[str, Any], rows: Sequence[int], records: Records,
                   sensor: dict[str, Any] | None = None, names: Names | None = None) -> str:
    """One line per group (= valid AOI ``rows[i]``): area, billed area, price, note.

    A reason every row shares (a bad window) is said once, in :func:`price_line`; the
    rows then only say "not priced".
    """
    by_index = {g.get("index"): g for g in answer.get("groups") or []}
    errors = {e.get("index"): e for e in answer.get("errors") or []}
    shared = shared_problem(answer, names) is not None
    table: list[list[Any]] = []
    for gi, row in enumerate(rows):
        group = by_index.get(gi)
        if group is not None:
            price = money(group.get("credits"), group.get("aud"))
            note = billing_note(group, sensor)
            table.append([
                _name(records, row),
                float(group.get("areaKm2", 0.0)),
                float(group.get("billableKm2", 0.0)),
                Raw(f'<span class="gn-shape-price">{price}</span>'),
                Raw(f'<span class="gn-billing-note">{html.escape(note)}</span>') if note else "",
            ])
        else:
            area = float(records[row]["area_km2"]) if 0 <= row < len(records) else ""
            error = errors.get(gi)
            note = ("not priced" if shared or error is None
                    else row_sentence(error, names))
            table.append([_name(records, row), area, "", "", _warn(note)])
    return html_table(["AOI", "km²", "billed km²", "price", "note"], table, "gn-price-rows")


def invalid_table(records: Records) -> str:
    """Shapes the server would reject, with the reason in words (empty when all are valid)."""
    bad = [[r["name"], _warn(tidy(r["reason"]), "#d7263d", "✖")]
           for r in records if not r["valid"]]
    return html_table(["invalid AOI", "reason"], bad, "gn-invalid-rows") if bad else ""


def feasibility_table(answer: dict[str, Any], rows: Sequence[int], records: Records,
                      names: Names | None = None) -> str:
    """Per-feature feasibility prediction with its reason."""
    table = []
    for feature in answer.get("features") or []:
        i = int(feature.get("index", 0))
        name = _name(records, rows[i]) if i < len(rows) else f"AOI {i}"
        mark = ("✔ feasible" if feature.get("feasible")
                else Raw(f'<b style="color:{RED}">✖ not feasible</b>'))
        study = "study needed" if feature.get("studyRequired") else "no study"
        table.append([name, mark, study, tidy(feature.get("reason", ""), names)])
    return "<b>Feasibility</b>" + html_table(
        ["AOI", "feasible", "study", "reason"], table, "gn-feasibility-rows"
    )


def feasibility_verdict(answer: dict[str, Any], rows: Sequence[int], records: Records,
                        names: Names | None = None) -> tuple[str, list[str]]:
    """The confirm step's feasibility line and its warnings (one per infeasible AOI)."""
    features = answer.get("features") or []
    warnings = []
    for feature in features:
        if feature.get("feasible"):
            continue
        i = int(feature.get("index", 0))
        name = _name(records, rows[i]) if i < len(rows) else f"AOI {i}"
        reason = tidy(feature.get("reason") or "no reason given", names)
        warnings.append(f"The server predicts {name} is not feasible: {reason}. "
                        "The order would most likely fail.")
    if warnings:
        return "", warnings
    study = sum(bool(f.get("studyRequired")) for f in features)
    note = (f" A feasibility study is needed for {count(study, 'AOI')}: you choose an option "
            "in the Decision inbox before anything is reserved." if study else "")
    return f'<br><span class="gn-confirm-feasible">Feasibility: ✔ feasible.{note}</span>', []


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
    head = f"<b>Predicted passes: {len(features):,}</b>"
    if not table:
        return head + " <i>(none predicted: manual-feasibility sensor or no access)</i>"
    if len(features) > limit:
        head += f" <i>(the first {limit:,} listed)</i>"
    headers = ["time", "satellite", "off-nadir", "direction", "AOI"]
    return head + html_table(headers, table, "gn-passes-rows")


def sensor_facts(sensor: dict[str, Any]) -> str:
    """One line of a sensor's pricing and limits."""
    return (
        f"{sensor.get('resolutionM')} m · {int(sensor.get('pricePerKm2', 0)):,} credits/km² · "
        f"{float(sensor.get('minKm2') or 0):,g}–{float(sensor.get('maxKm2') or 0):,g} km² "
        f"(smaller AOIs are billed as {float(sensor.get('minKm2') or 0):,g} km²) · feasibility "
        f"{html.escape(str(sensor.get('feasibility')))} · cloud ≥ {sensor.get('minCloudPct')}% · "
        f"window ≥ {sensor.get('minWindowHours')} h"
    )
