"""GeoPackage and GeoParquet exports read back layer by layer."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from frames_scenario import Scenario

import geopera_nb.frames as F
from geopera_nb.export import COVERAGE_LAYERS, coverage_layers, export_coverage, export_frames
from geopera_nb.export.writers import output_format, parquet_paths, write_frame
from geopera_nb.geo import geodesic_area_km2 as geodesic_km2


@pytest.fixture(scope="module")
def layers(export_scenario: Scenario) -> dict[str, pd.DataFrame]:
    return coverage_layers(export_scenario.client, export_scenario.fulfilled)


def test_coverage_gpkg_has_five_layers_readable_back(
    export_scenario: Scenario, layers: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    out = tmp_path / "coverage.gpkg"
    written = export_coverage(export_scenario.client, export_scenario.fulfilled, out)
    assert set(written) == set(COVERAGE_LAYERS) and set(written.values()) == {out}
    listed = {name: kind for name, kind in pyogrio.list_layers(out)}
    assert list(listed) == list(COVERAGE_LAYERS)
    assert set(listed.values()) == {"MultiPolygon", "Polygon"} or set(listed.values()) <= {
        "MultiPolygon", "Polygon", "Unknown"}
    for name in COVERAGE_LAYERS:
        info = pyogrio.read_info(out, layer=name)
        assert info["crs"] == "EPSG:4326"
        back = pyogrio.read_dataframe(out, layer=name, use_arrow=True)
        frame = layers[name]
        assert len(back) == len(frame), name
        expected_cols = [c for c in frame.columns if c != "geometry"]
        assert list(back.columns[:-1]) == expected_cols
        if name != "assets":
            assert sum(map(geodesic_km2, back.geometry)) == pytest.approx(
                sum(map(geodesic_km2, frame.geometry)), rel=1e-9)
    req = pyogrio.read_dataframe(out, layer="requested")
    assert sorted(req["order_id"]) == sorted(export_scenario.fulfilled)
    # geodesic areas survive the trip
    cov = layers["requested"].set_index("order_id")["area_km2"]
    assert req.set_index("order_id")["area_km2"].to_dict() == pytest.approx(cov.to_dict())
    assets = pyogrio.read_dataframe(out, layer="assets")
    assert str(assets["datetime"].dtype).startswith("datetime64")
    assert [i.id for i in F.to_stac(assets)] == layers["assets"]["id"].tolist()
    # nothing left beside the target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage.gpkg"]


def test_coverage_geoparquet_files_per_layer(
    export_scenario: Scenario, layers: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    out = tmp_path / "coverage.parquet"
    written = export_coverage(export_scenario.client, export_scenario.fulfilled, out)
    assert {k: v.name for k, v in written.items()} == {
        layer: f"coverage.{layer}.parquet" for layer in COVERAGE_LAYERS}
    for name, path in written.items():
        back = gpd.read_parquet(path)
        assert back.crs.to_epsg() == 4326
        frame = layers[name]
        assert len(back) == len(frame)
        assert list(back.columns) == list(frame.columns)
        for col in frame.columns:
            if col in ("geometry", "extra", "orderDetails"):
                continue
            assert back[col].dtype == frame[col].dtype or (
                str(frame[col].dtype) == "string" and str(back[col].dtype) in ("string", "str")
            ), col
    dgpd = pytest.importorskip("dask_geopandas")
    ddf = dgpd.read_parquet(written["assets"])
    assert len(ddf.compute()) == len(layers["assets"])


def test_coverage_to_a_directory(export_scenario: Scenario, tmp_path: Path) -> None:
    written = export_coverage(export_scenario.client, export_scenario.fulfilled[:1],
                              tmp_path / "cov")
    assert sorted(p.name for p in (tmp_path / "cov").iterdir()) == sorted(
        f"{layer}.parquet" for layer in COVERAGE_LAYERS)
    assert len(gpd.read_parquet(written["groups"])) == 2


def test_empty_layers_keep_their_schema(tmp_path: Path) -> None:
    frames = {name: F.empty_frame(name) for name in ("orders", "coverage", "assets", "sensors")}
    gpkg = export_frames(frames, tmp_path / "empty.gpkg")["orders"]
    names = [n for n, _ in pyogrio.list_layers(gpkg)]
    assert names == list(frames)
    for name, frame in frames.items():
        info = pyogrio.read_info(gpkg, layer=name)
        assert info["features"] == 0
        assert list(info["fields"]) == [c for c in frame.columns if c != "geometry"]
    paths = export_frames(frames, tmp_path / "empty.parquet")
    for name, frame in frames.items():
        back = pd.read_parquet(paths[name]) if name == "sensors" else gpd.read_parquet(paths[name])
        assert list(back.columns) == list(frame.columns) and len(back) == 0


def test_export_frames_generic_with_attribute_tables(
    export_scenario: Scenario, tmp_path: Path
) -> None:
    client = export_scenario.client
    frames = {"orders": F.orders_frame(client), "studies": F.studies_frame(client),
              "sensors": F.sensors_frame(client)}
    out = export_frames(frames, tmp_path / "all.gpkg")["orders"]
    back = pyogrio.read_dataframe(out, layer="sensors")
    assert back["id"].tolist() == frames["sensors"]["id"].tolist()
    assert back["bands"].iloc[0].startswith("[")  # lists become JSON text in GeoPackage
    orders = pyogrio.read_dataframe(out, layer="orders")
    assert set(orders["id"]) == set(frames["orders"]["id"])
    pq = export_frames(frames, tmp_path / "all.parquet")
    sensors = pd.read_parquet(pq["sensors"])
    assert list(sensors["bands"].iloc[0]) == frames["sensors"]["bands"].iloc[0]  # lists kept


def test_overwrite_replaces_the_file(tmp_path: Path) -> None:
    out = tmp_path / "x.gpkg"
    export_frames({"a": F.empty_frame("orders"), "b": F.empty_frame("coverage")}, out)
    export_frames({"c": F.empty_frame("orders")}, out)
    assert [n for n, _ in pyogrio.list_layers(out)] == ["c"]


def test_formats_and_paths(tmp_path: Path) -> None:
    assert output_format(tmp_path / "a.GPKG") == "gpkg"
    with pytest.raises(ValueError, match="format"):
        output_format(tmp_path / "a.shp")
    with pytest.raises(ValueError):
        export_frames({}, tmp_path / "a.gpkg")
    assert parquet_paths("x/cov.parquet", ["a"])["a"] == Path("x/cov.a.parquet")
    single = write_frame(F.empty_frame("orders"), tmp_path / "orders.parquet", "orders")
    assert single == tmp_path / "orders.parquet" and single.exists()
