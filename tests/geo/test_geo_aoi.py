"""Every accepted AOI input kind, and a clear error for each bad one."""

from __future__ import annotations

import warnings

import geopandas as gpd
import orjson
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, box, mapping

from geopera_nb.errors import AOIError
from geopera_nb.geo import AOIWarning, geodesic_area_km2, to_feature_collection, to_geometry

SQUARE = box(150.0, -34.0, 150.1, -33.9)


def geom_of(fc: dict, i: int = 0):
    return shapely.geometry.shape(fc["features"][i]["geometry"])


def is_plain_json(obj) -> bool:
    return orjson.loads(orjson.dumps(obj)) == obj


class GeoInterfaceOnly:
    """A third-party object exposing only ``__geo_interface__``."""

    @property
    def __geo_interface__(self) -> dict:
        return {"type": "Feature", "properties": {"name": "farm"}, "geometry": mapping(SQUARE)}


@pytest.mark.parametrize("obj", [
    SQUARE,
    MultiPolygon([SQUARE, box(151, -34, 151.1, -33.9)]),
    GeoInterfaceOnly(),
    mapping(SQUARE),
    {"type": "Feature", "properties": {"a": 1}, "geometry": mapping(SQUARE)},
    {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": mapping(SQUARE)}]},
    SQUARE.wkt,
    orjson.dumps(mapping(SQUARE)).decode(),
    (150.0, -34.0, 150.1, -33.9),
    [SQUARE],
    gpd.GeoSeries([SQUARE], crs=4326),
    gpd.GeoDataFrame({"name": ["a"]}, geometry=[SQUARE], crs="EPSG:4326"),
], ids=["shapely", "multipolygon", "geo_interface", "geometry_dict", "feature",
        "feature_collection", "wkt", "geojson_text", "bbox", "list", "geoseries",
        "geodataframe"])
def test_accepted_kinds(obj) -> None:
    fc = to_feature_collection(obj)
    assert fc["type"] == "FeatureCollection" and fc["features"]
    assert is_plain_json(fc)
    union = shapely.union_all([geom_of(fc, i) for i in range(len(fc["features"]))])
    assert union.intersects(SQUARE)
    for feature in fc["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_properties_and_ids_survive() -> None:
    fc = to_feature_collection({"type": "Feature", "id": "f1", "properties": {"name": "farm"},
                                "geometry": mapping(SQUARE)})
    assert fc["features"][0]["id"] == "f1" and fc["features"][0]["properties"] == {"name": "farm"}
    gdf = gpd.GeoDataFrame({"name": ["a", "b"], "when": gpd.pd.to_datetime(["2026-01-01"] * 2)},
                           geometry=[SQUARE, box(151, -34, 151.1, -33.9)], crs=4326)
    fc = to_feature_collection(gdf)
    assert [f["properties"]["name"] for f in fc["features"]] == ["a", "b"]
    assert is_plain_json(fc)


def test_projected_geodataframe_is_reprojected() -> None:
    utm = gpd.GeoDataFrame(geometry=[SQUARE], crs=4326).to_crs(32756)
    fc = to_feature_collection(utm)
    assert geom_of(fc).equals_exact(SQUARE.normalize(), 1e-6) or geom_of(fc).symmetric_difference(
        SQUARE).area < 1e-9
    minx, miny, _maxx, _maxy = geom_of(fc).bounds
    assert 149.9 < minx < 150.2 and -34.1 < miny < -33.8


def test_geodataframe_without_crs_lonlat_is_assumed_with_a_warning() -> None:
    gdf = gpd.GeoDataFrame(geometry=[SQUARE])
    with pytest.warns(AOIWarning, match="assuming EPSG:4326"):
        fc = to_feature_collection(gdf)
    assert geom_of(fc).equals(SQUARE)


def test_geodataframe_without_crs_projected_is_refused() -> None:
    gdf = gpd.GeoDataFrame(geometry=[box(500_000, 6_000_000, 501_000, 6_001_000)])
    with pytest.raises(AOIError, match="no CRS"):
        to_feature_collection(gdf)


def test_geometry_collection_of_polygons_is_merged() -> None:
    gc = {"type": "GeometryCollection", "geometries": [mapping(SQUARE),
                                                       mapping(box(151, -34, 151.1, -33.9))]}
    fc = to_feature_collection(gc)
    assert fc["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_wgs84_crs_member_is_dropped_other_refused() -> None:
    fc_in = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": [
        {"type": "Feature", "properties": {}, "geometry": mapping(SQUARE)}]}
    assert "crs" not in to_feature_collection(fc_in)
    fc_in["crs"] = {"type": "name", "properties": {"name": "EPSG:3857"}}
    with pytest.raises(AOIError, match="'crs' member"):
        to_feature_collection(fc_in)


@pytest.mark.parametrize(("obj", "message"), [
    (None, "got None"),
    (42, "from a number"),
    (3.5, "from a number"),
    (True, "from a number"),
    (b"POLYGON", "bytes"),
    ("", "empty string"),
    ("POLYGON ((0 0, 1 0", "not valid WKT"),
    ("not wkt at all", "not valid WKT"),
    ("{broken json", "not valid GeoJSON"),
    ("POLYGON EMPTY", "empty"),
    (Point(150, -34), "Polygon or MultiPolygon, got Point"),
    ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "got LineString"),
    ({"type": "Polygon", "coordinates": []}, "empty Polygon"),
    ({"coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, "needs a 'type'"),
    ({"type": "Blob"}, "unknown GeoJSON type"),
    ({"type": "Feature", "geometry": None}, "no geometry"),
    ({"type": "FeatureCollection", "features": []}, "no features"),
    ({"type": "FeatureCollection", "features": [42]}, "expected a GeoJSON Feature"),
    ({"type": "GeometryCollection", "geometries": []}, "empty GeometryCollection"),
    ([], "empty list"),
    ([SQUARE, 7], r"AOI\[1\]: cannot read an AOI from a number"),
    ((1, 1, 0, 0), "min < max"),
    (object(), "cannot read an AOI from object"),
    (box(500_000, 6_000_000, 501_000, 6_001_000), "outside lon/lat"),
    (shapely.Polygon(), "empty"),
    (gpd.GeoDataFrame(geometry=[]), "empty"),
])
def test_bad_inputs_raise_clear_errors(obj, message) -> None:
    with pytest.raises(AOIError, match=message) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore", AOIWarning)
        to_feature_collection(obj)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


def test_to_geometry_merges_parts() -> None:
    assert to_geometry(SQUARE) == orjson.loads(shapely.to_geojson(SQUARE))
    merged = to_geometry([SQUARE, MultiPolygon([box(151, -34, 151.1, -33.9),
                                                box(152, -34, 152.1, -33.9)])])
    assert merged["type"] == "MultiPolygon" and len(merged["coordinates"]) == 3


def test_where_names_the_argument() -> None:
    with pytest.raises(AOIError, match=r"^intersects: "):
        to_geometry(None, where="intersects")


def test_geodesic_area() -> None:
    area = geodesic_area_km2(SQUARE)
    assert 100 < area < 120  # ~0.1 deg x 0.1 deg at 34 S
    assert geodesic_area_km2([SQUARE, SQUARE]) == pytest.approx(2 * area)
