"""What the coverage map draws and writes: layer styles, features, notes, the group table.

Pure functions over a :class:`~geopera_nb.frames.coverage_batch.CoverageBatch`, so the
panel (:mod:`geopera_nb.widgets.coverage_map`) only wires widgets.

Examples
--------
>>> notes_for([{"id": "a", "type": "ARCHIVE", "status": "FULFILLED"},
...            {"id": "t", "displayName": "Farm", "type": "TASKING", "status": "FAILED",
...             "statusReason": "no capture in the acquisition window"}])
['1 tasking order: Failed: no capture in the acquisition window (Farm)', '1 archive order (1 fulfilled): coverage is reported for tasking orders only; its area is drawn as "Archive orders"']
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geopera_nb.contract.states import OrderStatus, OrderType, describe
from geopera_nb.frames._orders_in import display_name
from geopera_nb.frames.coverage_batch import CoverageBatch, names_by_id

from ._render import html_table

__all__ = ["LAYER_COLORS", "LAYER_NAMES", "STYLES", "groups_table", "layer_frames", "notes_for"]

#: Layer name -> colour (also the legend).
LAYER_COLORS: dict[str, str] = {
    "Requested": "#4d4d4d",
    "Covered": "#1a9641",
    "Remainder": "#d7191c",
    "Captures": "#2c7bb6",
    "Archive orders": "#e08214",
}
LAYER_NAMES = tuple(LAYER_COLORS)
#: Leaflet styles. Captures are outlines only and fills are light, so where many
#: footprints or orders overlap the map stays readable (no solid purple/blue block).
STYLES: dict[str, dict[str, Any]] = {
    "Requested": {"color": LAYER_COLORS["Requested"], "weight": 2, "dashArray": "4 4",
                  "fillOpacity": 0.0},
    "Covered": {"color": LAYER_COLORS["Covered"], "weight": 1,
                "fillColor": LAYER_COLORS["Covered"], "fillOpacity": 0.35},
    "Remainder": {"color": LAYER_COLORS["Remainder"], "weight": 1,
                  "fillColor": LAYER_COLORS["Remainder"], "fillOpacity": 0.35},
    "Captures": {"color": LAYER_COLORS["Captures"], "weight": 1, "fillOpacity": 0.0},
    "Archive orders": {"color": LAYER_COLORS["Archive orders"], "weight": 1,
                       "fillColor": LAYER_COLORS["Archive orders"], "fillOpacity": 0.08},
}
#: Feature properties each layer carries (hover/click).
PROPS: dict[str, tuple[str, ...]] = {
    "Requested": ("order", "part", "area_km2", "status"),
    "Covered": ("order", "part", "area_km2", "status"),
    "Remainder": ("order", "part", "area_km2", "status"),
    "Captures": ("order", "id", "datetime", "platform", "cloud_cover"),
    "Archive orders": ("order", "status", "aoi_km2"),
}
_MAX_NAMES = 5


def _named(frame: gpd.GeoDataFrame, names: Mapping[str, str], column: str) -> gpd.GeoDataFrame:
    out = frame.copy()
    out["order"] = [names.get(str(i), str(i)) for i in frame[column]]
    return out


def layer_frames(batch: CoverageBatch) -> dict[str, gpd.GeoDataFrame]:
    """The frame each layer draws (rows with a geometry only).

    ``Requested`` also holds the AOIs of tasking orders that are still placed (from the
    order list: no call); ``Archive orders`` the areas of archive orders not cancelled.
    """
    names = names_by_id(batch.orders)
    out: dict[str, gpd.GeoDataFrame] = {}
    cov = batch.coverage
    for part in ("requested", "covered", "remainder"):
        rows = cov[cov["part"] == part] if len(cov) else cov
        out[part.capitalize()] = _named(rows, names, "order_id")
    orders = batch.orders
    if len(orders):
        placed = orders[(orders["type"] == OrderType.TASKING)
                        & (orders["status"] == OrderStatus.PLACED)].copy()
        placed["order_id"], placed["part"] = placed["id"], "requested"
        placed["area_km2"] = placed["aoi_km2"]
        requested = pd.concat([out["Requested"], _named(placed, names, "id")], ignore_index=True)
        out["Requested"] = gpd.GeoDataFrame(requested, geometry="geometry", crs="EPSG:4326")
        archive = orders[(orders["type"] == OrderType.ARCHIVE)
                         & (orders["status"] != OrderStatus.CANCELED)]
        out["Archive orders"] = _named(archive, names, "id")
    else:
        out["Archive orders"] = orders
    out["Captures"] = _named(batch.assets, names, "order_id")
    for name, frame in out.items():
        if len(frame):
            values = frame.geometry.to_numpy()
            out[name] = frame[~(shapely.is_missing(values) | shapely.is_empty(values))]
    return out


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _names(records: Sequence[Mapping[str, Any]]) -> str:
    shown = ", ".join(display_name(r) for r in records[:_MAX_NAMES])
    more = len(records) - _MAX_NAMES
    return shown + (f" and {more:,} more" if more > 0 else "")


def notes_for(without_coverage: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per kind of order that has no coverage to show, in words.

    Tasking orders are grouped by their state in words (``states.describe``: "Placed:
    waiting for you to accept or reject the quotation", "Failed: <reason>"); archive
    orders are counted by status; ids the order list does not know are listed.
    """
    tasking: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    archive: list[Mapping[str, Any]] = []
    unknown: list[Mapping[str, Any]] = []
    for record in without_coverage:
        if record.get("type") == OrderType.TASKING:
            tasking[describe(record)].append(record)
        elif record.get("type") == OrderType.ARCHIVE:
            archive.append(record)
        else:
            unknown.append(record)
    lines = [f"{_plural(len(rs), 'tasking order')}: {state} ({_names(rs)})"
             for state, rs in tasking.items()]
    if archive:
        counts = Counter(describe({"status": r.get("status")}).lower() for r in archive)
        by_status = ", ".join(f"{n:,} {s}" for s, n in counts.most_common())
        its = "its area is" if len(archive) == 1 else "their areas are"
        lines.append(f"{_plural(len(archive), 'archive order')} ({by_status}): coverage is "
                     f'reported for tasking orders only; {its} drawn as "Archive orders"')
    if unknown:
        lines.append(f"{_plural(len(unknown), 'order')} not in the order list: "
                     f"{', '.join(str(r.get('id')) for r in unknown[:_MAX_NAMES])}")
    return lines


def groups_table(batch: CoverageBatch) -> str:
    """The per-group table (HTML, class ``gn-groups-rows``), orders by display name."""
    names = names_by_id(batch.orders)
    rows = []
    for g in batch.groups.to_dict("records"):
        fraction = g.get("covered_fraction")
        pct = "–" if fraction is None or pd.isna(fraction) else f"{100 * float(fraction):.1f} %"
        rows.append([names.get(str(g.get("order_id")), g.get("order_id")), g.get("name"),
                     g.get("requested_km2"), g.get("delivered_km2"), pct, g.get("capture_count")])
    return html_table(["order", "group", "requested km²", "delivered km²", "covered", "captures"],
                      rows, "gn-groups-rows")


def summary_html(batch: CoverageBatch, notes: Sequence[str]) -> str:
    """The summary line and the notes (class ``gn-coverage-summary`` holds it)."""
    kinds = Counter(str(t) for t in batch.orders["type"]) if len(batch.orders) else Counter()
    covering = batch.coverage["order_id"].nunique() if len(batch.coverage) else 0
    head = (f"<b>{_plural(len(batch.orders), 'order')}</b> "
            f"({kinds.get(OrderType.TASKING, 0):,} tasking, {kinds.get(OrderType.ARCHIVE, 0):,} "
            f"archive): {covering:,} with coverage, "
            f"{_plural(len(batch.assets), 'delivered capture')} "
            f"<span class='gn-call-count'>({_plural(batch.calls, 'API call')})</span>")
    body = "".join(f"<br><i class='gn-coverage-note'>{html.escape(n)}</i>" for n in notes)
    return head + body
