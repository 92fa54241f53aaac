"""CoverageMap: layers, legend, group table and GeoPackage export for fulfilled orders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ipyleaflet as L
import pyogrio
import pytest

from geopera_nb.widgets import CoverageMap, ImmediateScheduler

from .helpers import square


@pytest.fixture(scope="module")
def fulfilled(own_sandbox: Any) -> tuple[Any, list[str], str]:
    """Two fulfilled tasking orders and one still placed, in a fresh org."""
    client = own_sandbox.client(own_sandbox.create_org(name="coverage", credits=5_000_000))
    ids = []
    for lon in (149.0, 150.0):
        group = {
            "sensor": "geo-owl-30",
            "maxCloudCoverage": 20,
            "featureCollection": {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": f"farm {lon}"},
                        "geometry": square(lon, -35.4, 0.1),
                    }
                ],
            },
        }
        ids.append(
            client.orders.tasking.place(groups=[group], displayName=f"Cov {lon}")["results"][0][
                "id"
            ]
        )
    own_sandbox.advance(hours=1)
    for q in client.orders.tasking.decisions.pending()["content"]:
        client.orders.tasking.quotation_decide(quotation_id=q["id"], decision="ACCEPTED")
    own_sandbox.advance(hours=24 * 15)
    placed = client.orders.tasking.place(groups=[{**group, "displayName": "later"}])["results"][0][
        "id"
    ]
    return client, ids, placed


def test_layers_legend_and_groups(fulfilled: tuple[Any, list[str], str]) -> None:
    client, ids, _ = fulfilled
    cov = CoverageMap(client, ids, online=False, scheduler=ImmediateScheduler())
    names = [layer.name for layer in cov.map.layers]
    for name in ("Requested", "Covered", "Remainder", "Captures"):
        assert name in names
    assert len(cov.layer_by_name["Requested"].data["features"]) == 2
    assert len(cov.layer_by_name["Covered"].data["features"]) == 2
    n_assets = sum(len(client.orders.list_assets(order_id=i)["features"]) for i in ids)
    assert len(cov.layer_by_name["Captures"].data["features"]) == n_assets > 0
    legend = next(c for c in cov.map.controls if isinstance(c, L.LegendControl))
    assert set(legend.legend) == {"Requested", "Covered", "Remainder", "Captures"}
    assert any(isinstance(c, L.LayersControl) for c in cov.map.controls)
    assert "gn-coverage-map" in cov.map._dom_classes
    # covered fraction per group, as the API says
    assert cov.groups is not None and len(cov.groups) == 2
    for order_id in ids:
        api = client.orders.coverage.groups.list(order_id=order_id)["groups"][0]
        assert f"{100 * api['coveredFraction']:.1f} %" in cov.groups_html.value
    assert "gn-groups-rows" in cov.groups_html.value
    assert cov.error == "" and cov.map.zoom >= 7


def test_orders_without_coverage_yet_are_noted_not_fatal(
    fulfilled: tuple[Any, list[str], str],
) -> None:
    client, ids, placed = fulfilled
    cov = CoverageMap(client, [ids[0], placed], online=False, scheduler=ImmediateScheduler())
    assert len(cov.layer_by_name["Requested"].data["features"]) == 1
    assert placed in cov.summary.value and "409" in cov.summary.value
    assert cov.error == ""


def test_export_button_writes_a_geopackage(
    fulfilled: tuple[Any, list[str], str], tmp_path: Path
) -> None:
    client, ids, _ = fulfilled
    cov = CoverageMap(
        client, ids, online=False, scheduler=ImmediateScheduler(), export_path=tmp_path / "cov.gpkg"
    )
    cov.export_button.click()
    assert cov.error == ""
    assert Path(cov.exported) == (tmp_path / "cov.gpkg").resolve()
    layers = {name for name, _ in pyogrio.list_layers(cov.exported)}
    assert {"requested", "covered", "remainder", "groups", "assets"} <= layers
    assert "gn-export" in cov.export_button._dom_classes and not cov.export_button.disabled


def test_export_error_is_shown(fulfilled: tuple[Any, list[str], str], tmp_path: Path) -> None:
    client, ids, _ = fulfilled
    cov = CoverageMap(
        client,
        ids,
        online=False,
        scheduler=ImmediateScheduler(),
        export_path=tmp_path / "missing-dir" / "x" / "cov.unknown",
    )
    cov.export_button.click()
    assert cov.error.startswith("export:")
    assert not cov.export_button.disabled
