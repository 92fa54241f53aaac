"""AOIDrawer driven by the messages the jupyter-leaflet front end sends."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from geopera_nb.geo import geodesic_area_km2, parse_geometry
from geopera_nb.widgets import AOIDrawer
from geopera_nb.widgets.testing import DrawFrontend, upload_files

from .helpers import BOWTIE, square


@pytest.fixture
def drawer() -> AOIDrawer:
    return AOIDrawer(online=False)


def test_draw_edit_delete_keeps_the_frame_in_sync(drawer: AOIDrawer) -> None:
    browser = DrawFrontend(drawer.draw_control)
    seen: list[int] = []
    drawer.on_change(lambda aois: seen.append(len(aois)))

    browser.create(square(149.0, -35.4, 0.1))
    assert list(drawer.aois.columns) == [
        "name",
        "area_km2",
        "valid",
        "reason",
        "source",
        "geometry",
    ]
    assert len(drawer.aois) == 1 and bool(drawer.aois.valid.iloc[0])
    expected = geodesic_area_km2(parse_geometry(square(149.0, -35.4, 0.1)))
    assert drawer.aois.area_km2.iloc[0] == pytest.approx(expected)
    assert drawer.aois.crs.to_epsg() == 4326

    browser.create(square(150.0, -35.4, 0.05))
    assert len(drawer.aois) == 2

    browser.edit(0, square(149.0, -35.4, 0.2))  # bigger
    assert len(drawer.aois) == 2  # edits never duplicate shapes
    assert drawer.aois.area_km2.iloc[0] == pytest.approx(4 * expected, rel=0.01)

    browser.delete(1)
    assert len(drawer.aois) == 1
    browser.delete(0)
    assert drawer.aois.empty
    assert seen == [1, 2, 2, 1, 0]


def test_on_draw_event_alone_does_not_change_the_frame(drawer: AOIDrawer) -> None:
    """The event comes first, ``data`` after (as seen in JupyterLab): only data counts."""
    from geopera_nb.widgets.testing import send_custom

    send_custom(
        drawer.draw_control,
        {
            "event": "draw:created",
            "geo_json": {"type": "Feature", "properties": {}, "geometry": square(0, 0)},
        },
    )
    assert drawer.draw_control.last_action == "created"
    assert drawer.aois.empty


def test_invalid_shape_is_marked_red_with_its_reason(drawer: AOIDrawer) -> None:
    DrawFrontend(drawer.draw_control).create(BOWTIE)
    row = drawer.aois.iloc[0]
    assert not row.valid and "Self-intersection" in row.reason
    kinds = [type(layer).__name__ for layer in drawer.invalid_layer.layers]
    assert kinds == ["GeoJSON", "Marker"]
    outline, label = drawer.invalid_layer.layers
    assert outline.style["color"] == "#d7263d"
    # on screen the reason is in words, with the place in degrees (never shapely's text)
    words = "the outline crosses itself near 10.05° E, 10.05° N"
    assert "gn-invalid-reason" in label.icon.html and words in label.icon.html
    assert label.title == words
    assert words in drawer.summary.value and "Self-intersection[" not in drawer.summary.value
    assert drawer.feature_collection()["features"] == []
    assert len(drawer.feature_collection(valid_only=False)["features"]) == 1
    drawer.clear()
    assert drawer.invalid_layer.layers == ()


def test_load_geodataframe_in_another_crs(drawer: AOIDrawer) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["farm"]}, geometry=[box(149.0, -35.4, 149.1, -35.3)], crs="EPSG:4326"
    ).to_crs("EPSG:3857")
    drawer.load(frame)
    assert drawer.aois.name.tolist() == ["farm"]
    assert drawer.aois.source.tolist() == ["loaded"]
    minx, _miny, _maxx, maxy = drawer.aois.total_bounds
    assert (round(minx, 4), round(maxy, 4)) == (149.0, -35.3)
    # loaded shapes are on the map as editable drawings: the front end gets them in data
    assert drawer.draw_control.data[0]["properties"]["name"] == "farm"
    assert drawer.map.zoom > 8  # zoomed to the AOI
    # and survive the next drawing (the front end sends all layers back)
    DrawFrontend(drawer.draw_control).create(square(150, -35))
    assert drawer.aois.source.tolist() == ["loaded", "drawn"]


def test_load_geojson_gpkg_and_zipped_shapefile(drawer: AOIDrawer, tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[box(0, 0, 0.1, 0.1), box(1, 1, 1.1, 1.1)], crs="EPSG:4326"
    )
    frame.to_file(tmp_path / "a.geojson", driver="GeoJSON")
    frame.to_file(tmp_path / "a.gpkg", driver="GPKG")
    shp = tmp_path / "shp"
    shp.mkdir()
    frame.to_file(shp / "a.shp")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as zf:
        for part in shp.iterdir():
            zf.write(part, part.name)
    for name in ("a.geojson", "a.gpkg", "a.zip"):
        drawer.load(tmp_path / name)
    assert len(drawer.aois) == 6 and drawer.aois.valid.all()
    drawer.load(json.loads((tmp_path / "a.geojson").read_text()))
    drawer.load(box(5, 5, 5.1, 5.1))  # __geo_interface__
    assert len(drawer.aois) == 9


def test_file_upload_widget_loads_and_reports_bad_files(drawer: AOIDrawer, tmp_path: Path) -> None:
    content = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {"name": "up"}, "geometry": square(3, 3)}
            ],
        }
    ).encode()

    upload_files(drawer.upload, {"aoi.geojson": content})
    assert drawer.aois.name.tolist() == ["up"]
    # the picked files are consumed, and the button reads "Load file", never "Load file (1)"
    # (ipywidgets writes the count on the button; the drawer's CSS hides it)
    assert drawer.upload.value == ()
    assert '.gn-aoi-upload::after{content:"Load file"' in drawer._upload_css.value
    upload_files(drawer.upload, {"aoi.geojson": content})  # the same file again: loaded again
    assert drawer.aois.name.tolist() == ["up", "up"]
    upload_files(drawer.upload, {"broken.geojson": b"{nope"}, last_modified=2)
    assert "broken.geojson" in drawer.error
    assert "gn-error" in drawer.error_html._dom_classes


def test_remove_and_css_classes(drawer: AOIDrawer) -> None:
    drawer.load(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": {}, "geometry": square(0, 0)},
                {"type": "Feature", "properties": {}, "geometry": square(1, 1)},
            ],
        }
    )
    drawer.remove(0)
    assert len(drawer.aois) == 1
    assert "gn-aoi-drawer" in drawer._dom_classes
    assert "gn-aoi-upload" in drawer.upload._dom_classes
    drawer.clear_button.click()
    assert drawer.aois.empty and drawer.draw_control.data == []


def test_antimeridian_shape_is_split_like_the_server(drawer: AOIDrawer) -> None:
    DrawFrontend(drawer.draw_control).create(
        {
            "type": "Polygon",
            "coordinates": [[[179.9, 0], [-179.9, 0], [-179.9, 0.1], [179.9, 0.1], [179.9, 0]]],
        }
    )
    geom = drawer.aois.geometry.iloc[0]
    assert geom.geom_type == "MultiPolygon"
    assert drawer.aois.area_km2.iloc[0] < 300


def test_a_bowtie_alone_says_none_valid_not_zero_km2(drawer: AOIDrawer) -> None:
    DrawFrontend(drawer.draw_control).create(BOWTIE)
    summary = drawer.summary.value
    assert summary.startswith("1 AOI, none valid"), summary
    assert "0.00 km²" not in summary and "AOI(s)" not in summary


def test_summary_counts_with_plurals_and_thousands_separators(drawer: AOIDrawer) -> None:
    browser = DrawFrontend(drawer.draw_control)
    browser.create(square(140.0, -30.0, 1.0))  # ~11,000 km²
    browser.create(BOWTIE)
    summary = drawer.summary.value
    area = drawer.aois.area_km2.iloc[0]
    assert summary.startswith(f"1 valid AOI, {area:,.2f} km²; 1 invalid AOI"), summary
    assert "," in f"{area:,.2f}"


def test_valid_aois_are_labelled_on_the_map(drawer: AOIDrawer) -> None:
    browser = DrawFrontend(drawer.draw_control)
    browser.create(square(149.0, -35.4, 0.1))
    browser.create(square(150.0, -35.4, 0.1))
    labels = drawer.label_layer.layers
    assert [type(x).__name__ for x in labels] == ["Marker", "Marker"]
    area = drawer.aois.area_km2.iloc[0]
    assert f"AOI 0 · {area:,.2f} km²" in labels[0].icon.html
    assert "gn-aoi-label" in labels[1].icon.html and "AOI 1" in labels[1].icon.html
    lat, lon = labels[0].location
    assert 149.0 < lon < 149.1 and -35.4 < lat < -35.3  # inside its shape
    assert drawer.label_layer.name == "AOI labels"
    browser.delete(0)
    assert len(drawer.label_layer.layers) == 1
