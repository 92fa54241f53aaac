"""The main job's report: executed notebooks as HTML whose maps render with no network.

Choice (``docs/widgets.md``, "The report"): the widget state is embedded and the widget
JavaScript is shipped in the page (:mod:`geopera_nb.report.offline_html`), rather than
static images, so every map in the report is the map as it was, still pannable and
zoomable, drawn by the same jupyter-leaflet / lonboard code as in JupyterLab. A
"Coverage and money over time" section (:mod:`geopera_nb.report.timeline`) is added
after the last cell.

Examples
--------
>>> from geopera_nb.report import timeline_section
>>> html = timeline_section(client)                        # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
from typing import Any

from geopera_nb.frames._source import iter_records
from geopera_nb.frames.coverage_batch import collect_coverage

from .offline_html import notebook_html, offline_scripts, widgets_page
from .timeline import coverage_series, decision_times, money_series, timeline_png

__all__ = ["notebook_html", "offline_scripts", "timeline_section", "widgets_page"]


def timeline_section(client: Any) -> str:
    """The report's "Coverage and money over time" section (HTML with an inline PNG).

    Reads the org's orders (one listing), their coverage and deliveries (only orders
    that can answer: :func:`~geopera_nb.frames.coverage_batch.collect_coverage`), and
    the feasibility studies and quotations (one listing each).
    """
    orders = list(client.iter_orders())
    batch = collect_coverage(client, orders) if orders else None
    studies = list(iter_records(client, "orders.tasking.feasibility_studies.list", {}))
    quotations = list(iter_records(client, "orders.tasking.quotations.list", {}))
    money = money_series(orders, decision_times(studies, quotations))
    if batch is not None:
        covered, requested = coverage_series(batch.coverage, batch.assets)
    else:
        covered, requested = [], 0.0
    png = base64.b64encode(timeline_png(covered, requested, money)).decode("ascii")
    last = {kind: (points[-1][1] if points else 0.0) for kind, points in money.items()}
    km2 = covered[-1][1] if covered else 0.0
    facts = (f"{len(orders):,} order(s); {km2:,.2f} of {requested:,.2f} km² covered by "
             f"{0 if batch is None else len(batch.assets):,} capture(s); credits estimated "
             f"{last['estimated']:,.0f}, reserved {last['reserved']:,.0f}, charged "
             f"{last['charged']:,.0f}")
    return ('<section class="gn-report-timeline jp-Cell" style="padding:1em 5%">'
            "<h2>Coverage and money over time</h2>"
            f'<p class="gn-report-facts">{html.escape(facts)}</p>'
            f'<img class="gn-report-plot" alt="coverage and money over time" '
            f'style="max-width:100%" src="data:image/png;base64,{png}"></section>')
