"""CoverageMap: layers, legend, group table, export; only calls that can answer, at scale.

The org of this module holds two fulfilled tasking orders, one placed (quotation
pending), one FAILED at placement (Owl window under 72 h) and archive orders (one per
acquisition date of a catalogue search), so every kind of "no coverage" is there.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import ipyleaflet as L
import pyogrio
import pytest

from geopera_nb.contract.limits import FILTER_VALUES_MAX
from geopera_nb.contract.states import OrderStatus, OrderType, coverage_available, describe
from geopera_nb.contract.timestamps import format_instant, parse_instant
from geopera_nb.widgets import CoverageMap, ImmediateScheduler

from .helpers import square
from .http_log import RecordingTransport

COVERAGE_PATH = "orders.coverage.get"
GROUPS_PATH = "orders.coverage.groups.list"
ASSETS_PATH = "orders.list_assets"
LIST_PATH = "orders.list"


def _group(lon: float, name: str, **extra: Any) -> dict[str, Any]:
    return {"sensor": "geo-owl-30", "maxCloudCoverage": 20, **extra,
            "featureCollection": {"type": "FeatureCollection", "features": [
                {"type": "Feature", "properties": {"name": name},
                 "geometry": square(lon, -35.4, 0.1)}]}}


@pytest.fixture(scope="module")
def org(own_sandbox: Any) -> dict[str, Any]:
    """The orders of the module's org, by kind."""
    org = own_sandbox.create_org(name="coverage", credits=50_000_000)
    client = own_sandbox.client(org)
    fulfilled = [client.orders.tasking.place(groups=[_group(lon, f"farm {lon}")],
                                             displayName=f"Cov {lon}")["results"][0]["id"]
                 for lon in (149.0, 150.0)]
    own_sandbox.advance(hours=1)
    for q in client.orders.tasking.decisions.pending()["content"]:
        client.orders.tasking.quotation_decide(quotation_id=q["id"], decision="ACCEPTED")
    own_sandbox.advance(hours=24 * 15)
    placed = client.orders.tasking.place(groups=[_group(151.0, "later")],
                                         displayName="Later")["results"][0]["id"]
    now = parse_instant(own_sandbox.now())
    short = {"start": format_instant(now + timedelta(days=1)),
             "end": format_instant(now + timedelta(days=3))}  # 48 h: Owl needs 72 h
    failed = client.orders.tasking.place(groups=[_group(152.0, "too short", **short)],
                                         displayName="Too short")["results"][0]["id"]
    captures = list(client.iter_catalog(bbox=[110, -45, 155, -10], max_items=400))
    archive_placed = client.orders.archive.place(
        captures=[{"id": c["id"]} for c in captures], splitByDate=True, displayName="Archive")
    archive = [r["id"] for r in archive_placed["results"]]
    own_sandbox.advance(hours=48)  # archive orders are delivered
    assert client.orders.get(order_id=failed)["status"] == OrderStatus.FAILED
    assert len(archive) > FILTER_VALUES_MAX  # the lookup needs two orders.list calls
    return {"client": client, "org": org, "fulfilled": fulfilled, "placed": placed,
            "failed": failed, "archive": archive}


def _recording_client(sandbox: Any, org: dict[str, Any]) -> tuple[Any, RecordingTransport]:
    transport = RecordingTransport()
    return sandbox.client(org["org"], transport=transport), transport


def test_layers_legend_and_named_groups(org: dict[str, Any]) -> None:
    client, ids = org["client"], org["fulfilled"]
    cov = CoverageMap(client, ids, online=False, scheduler=ImmediateScheduler())
    names = [layer.name for layer in cov.map.layers]
    for name in ("Requested", "Covered", "Remainder", "Captures", "Archive orders"):
        assert name in names
    assert cov.engine == "leaflet"
    assert len(cov.layer_by_name["Requested"].data["features"]) == 2
    assert len(cov.layer_by_name["Covered"].data["features"]) == 2
    n_assets = sum(len(client.orders.list_assets(order_id=i)["features"]) for i in ids)
    assert len(cov.layer_by_name["Captures"].data["features"]) == n_assets > 0
    legend = next(c for c in cov.map.controls if isinstance(c, L.LegendControl))
    assert set(legend.legend) == {"Requested", "Covered", "Remainder", "Captures",
                                  "Archive orders"}
    assert any(isinstance(c, L.LayersControl) for c in cov.map.controls)
    assert "gn-coverage-map" in cov.map._dom_classes
    assert cov.groups is not None and len(cov.groups) == 2
    for order_id in ids:
        api = client.orders.coverage.groups.list(order_id=order_id)["groups"][0]
        assert f"{100 * api['coveredFraction']:.1f} %" in cov.groups_html.value
        assert order_id not in cov.groups_html.value  # names, not UUIDs
    assert "Cov 149.0" in cov.groups_html.value and "Cov 150.0" in cov.groups_html.value
    assert cov.error == "" and cov.map.zoom >= 7


def test_only_orders_that_can_answer_are_asked(own_sandbox: Any, org: dict[str, Any]) -> None:
    client, transport = _recording_client(own_sandbox, org)
    ids = [*org["fulfilled"], org["placed"], org["failed"], *org["archive"]]
    cov = CoverageMap(client, ids, online=False, scheduler=ImmediateScheduler())
    assert transport.failed() == []  # no 409 (nor anything else) that had to fail
    assert len(transport.paths(COVERAGE_PATH)) == 2  # the two fulfilled tasking orders
    assert len(transport.paths(GROUPS_PATH)) == 2
    assert len(transport.paths(ASSETS_PATH)) == 2  # archive areas come from the list
    n_lists = -(-len(ids) // FILTER_VALUES_MAX)
    assert len(transport.paths(LIST_PATH)) <= n_lists
    assert cov.batch is not None and cov.batch.calls == len(transport.log)
    assert f"({len(transport.log)} API calls)" in cov.summary.value
    archive_drawn = cov.layer_by_name["Archive orders"].data["features"]
    assert len(archive_drawn) == len(org["archive"])


def test_orders_without_coverage_are_described_in_words(org: dict[str, Any]) -> None:
    client = org["client"]
    ids = [org["fulfilled"][0], org["placed"], org["failed"], *org["archive"]]
    cov = CoverageMap(client, ids, online=False, scheduler=ImmediateScheduler())
    text = cov.summary.value
    assert "no coverage yet" not in text and "409" not in text
    failed = client.orders.get(order_id=org["failed"])
    placed = client.orders.get(order_id=org["placed"])
    assert f"1 tasking order: {describe(failed)} (Too short)" in cov.notes
    assert f"1 tasking order: {describe(placed)} (Later)" in cov.notes
    archive_note = next(n for n in cov.notes if "archive order" in n)
    assert archive_note.startswith(f"{len(org['archive'])} archive orders (")
    assert "coverage is reported for tasking orders only" in archive_note
    assert len(cov.notes) == 3  # grouped: never one line per order
    # the placed order's AOI is drawn as requested, from the order list
    requested = cov.layer_by_name["Requested"].data["features"]
    assert {f["properties"]["order"] for f in requested} == {"Cov 149.0", "Later"}
    assert cov.error == ""


def test_records_given_save_the_lookup(own_sandbox: Any, org: dict[str, Any]) -> None:
    client, transport = _recording_client(own_sandbox, org)
    records = list(client.iter_orders())
    before, listed = len(transport.log), len(transport.paths(LIST_PATH))
    cov = CoverageMap(client, records, online=False, scheduler=ImmediateScheduler())
    asked = transport.log[before:]
    assert len(transport.paths(LIST_PATH)) == listed  # no lookup: the records say it all
    covering = [r for r in records if coverage_available(r["type"], r["status"])]
    assert len(asked) == 3 * len(covering)
    assert cov.batch is not None and cov.batch.calls == len(asked)


def test_above_the_threshold_the_map_is_lonboard(org: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import lonboard

    from geopera_nb.widgets import footprints

    monkeypatch.setattr(footprints, "LONBOARD_THRESHOLD", 10)
    client = org["client"]
    ids = [*org["fulfilled"], *org["archive"]]
    cov = CoverageMap(client, ids, online=False, scheduler=ImmediateScheduler())
    assert cov.engine == "lonboard"
    assert isinstance(cov.map, lonboard.Map) and cov.map in cov.map_box.children
    assert "gn-coverage-map" in cov.map._dom_classes
    assert set(cov.layer_by_name) == {"Requested", "Covered", "Captures", "Archive orders"}
    assert cov.layer_by_name["Archive orders"].table.num_rows == len(org["archive"])
    world = cov.map.layers[0]  # offline: the shipped outline under everything
    assert world.table.num_rows > 100
    toggles = [c for c in cov.map_box.children[1].children if "gn-layer-toggle" in c._dom_classes]
    assert [t.description for t in toggles] == list(cov.layer_by_name)
    toggles[0].value = False
    assert cov.layer_by_name[toggles[0].description].visible is False
    assert cov.map.basemap is None  # offline: nothing to fetch


def test_progress_counts_calls_and_cancel_stops(org: dict[str, Any]) -> None:
    client = org["client"]
    labels: list[str] = []
    cov = CoverageMap(client, org["fulfilled"], online=False, scheduler=ImmediateScheduler(),
                      auto_load=False, concurrency=1)
    cov.progress.interval = 0.0
    cov.progress.label.observe(lambda change: labels.append(change["new"]), "value")
    cov.load()
    assert "coverage: 6 / 6 calls" in labels
    assert any(label.startswith("coverage: 3 / 6 calls") for label in labels)
    assert cov.progress.layout.display == "none"

    class CancelOnFirstCall:
        def __init__(self, target: Any) -> None:
            self.target = target

        def __getattr__(self, name: str) -> Any:
            return getattr(self.target, name)

        def call(self, *args: Any, **kwargs: Any) -> Any:
            cov.progress.cancel_button.click()
            return self.target.call(*args, **kwargs)

    cov.client = CancelOnFirstCall(client)
    cov.load()
    assert "Cancelled after 1 of 6 calls" in cov.summary.value
    assert cov.error == ""


def test_export_button_writes_a_geopackage(org: dict[str, Any], tmp_path: Path) -> None:
    client, ids = org["client"], [*org["fulfilled"], org["archive"][0]]
    cov = CoverageMap(client, ids, online=False, scheduler=ImmediateScheduler(),
                      export_path=tmp_path / "cov.gpkg")
    cov.export_button.click()
    assert cov.error == ""
    assert Path(cov.exported) == (tmp_path / "cov.gpkg").resolve()
    layers = {name for name, _ in pyogrio.list_layers(cov.exported)}
    assert {"requested", "covered", "remainder", "groups", "assets"} <= layers
    assets = pyogrio.read_dataframe(cov.exported, layer="assets")
    assert org["archive"][0] in set(assets["order_id"])  # the export has archive items too
    assert "gn-export" in cov.export_button._dom_classes and not cov.export_button.disabled


def test_export_error_is_shown(org: dict[str, Any], tmp_path: Path) -> None:
    cov = CoverageMap(org["client"], org["fulfilled"], online=False,
                      scheduler=ImmediateScheduler(),
                      export_path=tmp_path / "missing-dir" / "x" / "cov.unknown")
    cov.export_button.click()
    assert cov.error.lower().startswith("export:")
    assert not cov.export_button.disabled


def test_types_are_those_of_the_list(org: dict[str, Any]) -> None:
    """Guard for the fixture: the kinds this module relies on."""
    client = org["client"]
    kinds = {(o["type"], o["status"]) for o in client.iter_orders()}
    assert (OrderType.ARCHIVE, OrderStatus.FULFILLED) in kinds
    assert (OrderType.TASKING, OrderStatus.FAILED) in kinds
    assert isinstance(datetime.now(), datetime)
