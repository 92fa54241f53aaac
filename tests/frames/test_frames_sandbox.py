"""Every frame against the sandbox: rows and values equal the API's own answers."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from frames_scenario import Scenario, aoi

import geopera_nb.frames as F
from geopera_nb.errors import ConflictError
from geopera_nb.frames.schema import empty_frame
from geopera_nb.geo import geodesic_area_km2 as geodesic_km2

REL = 1e-3  # areas agree to 0.1 %


def _dtypes_match(frame: pd.DataFrame, name: str) -> None:
    expected = empty_frame(name)
    assert list(frame.columns)[: len(expected.columns)] == list(expected.columns)
    for col in expected.columns:
        assert frame[col].dtype == expected[col].dtype, col
    if isinstance(expected, gpd.GeoDataFrame):
        assert frame.crs.to_epsg() == 4326


def test_orders_frame_matches_orders_list(scenario: Scenario) -> None:
    client = scenario.client
    api = list(client.stream("orders.list", {}))
    frame = F.orders_frame(client)
    _dtypes_match(frame, "orders")
    assert len(frame) == len(api) >= 5
    by_id = frame.set_index("id")
    for order in api:
        row = by_id.loc[order["id"]]
        assert row["status"] == order["status"]
        assert row["type"] == order["type"]
        assert (row["subStatus"] if pd.notna(row["subStatus"]) else None) == order["subStatus"]
        assert row["tags"] == order["tags"]
        assert row["credits_charged"] == order["credits"]["charged"]
        assert row["credits_estimated"] == order["credits"]["estimated"]
        assert row["createdAt"] == pd.Timestamp(order["createdAt"])
        assert row["aoi_km2"] == pytest.approx(order["aoiKm2"], rel=1e-9)
        # the AOI geometry's geodesic area is the server's aoiKm2
        assert geodesic_km2(row["geometry"]) == pytest.approx(order["aoiKm2"], rel=REL)
        assert row["extra"] is None or set(row["extra"]).isdisjoint(F.get_schema("orders").known_keys)


def test_orders_frame_filters(scenario: Scenario) -> None:
    client = scenario.client
    fulfilled = F.orders_frame(client, status="FULFILLED", type="TASKING")
    assert set(scenario.fulfilled) <= set(fulfilled["id"])
    assert set(fulfilled["status"]) == {"FULFILLED"}
    several = F.orders_frame(client, status=["FULFILLED", "PLACED"])
    assert set(several["status"]) <= {"FULFILLED", "PLACED"}
    assert len(several) > len(fulfilled)
    tagged = F.orders_frame(client, tags=["frames", "study"])
    assert tagged["id"].tolist() == [scenario.study_pending]
    api = client.orders.list(status="FULFILLED", type="TASKING", size=500)
    assert len(fulfilled) == api["totalElements"]


def test_orders_frame_empty_keeps_schema(empty_client: Any) -> None:
    frame = F.orders_frame(empty_client)
    assert len(frame) == 0
    _dtypes_match(frame, "orders")


def test_coverage_groups_frame_matches_api(scenario: Scenario) -> None:
    client = scenario.client
    frame = F.coverage_groups_frame(client, scenario.fulfilled)
    _dtypes_match(frame, "coverage_groups")
    expected_rows = 0
    for order_id in scenario.fulfilled:
        api = client.orders.coverage.groups.list(order_id=order_id)
        mine = frame[frame["order_id"] == order_id].reset_index(drop=True)
        assert len(mine) == len(api["groups"])
        expected_rows += len(api["groups"])
        for row, group in zip(mine.itertuples(), api["groups"], strict=True):
            assert row.index == group["index"]
            assert row.name == group["name"]
            assert row.requested_km2 == pytest.approx(group["requestedKm2"])
            assert row.delivered_km2 == pytest.approx(group["deliveredKm2"])
            assert row.covered_fraction == pytest.approx(group["coveredFraction"])
            assert row.capture_count == group["captureCount"]
            assert geodesic_km2(row.geometry) == pytest.approx(group["requestedKm2"], rel=REL)
    assert len(frame) == expected_rows == 3
    assert frame.loc[frame["index"] == 0, "name"].iloc[0] == "Paddock"


def test_coverage_frame_parts_and_geodesic_areas(scenario: Scenario) -> None:
    client = scenario.client
    frame = F.coverage_frame(client, scenario.fulfilled)
    _dtypes_match(frame, "coverage")
    assert len(frame) == 3 * len(scenario.fulfilled)
    for order_id in scenario.fulfilled:
        api = client.orders.coverage.get(order_id=order_id)
        mine = frame[frame["order_id"] == order_id].set_index("part")
        assert list(mine.index) == ["requested", "covered", "remainder"]
        for feature in api["features"]:
            part = feature["properties"]["part"]
            assert mine.loc[part, "api_area_km2"] == feature["properties"]["areaKm2"]
            assert mine.loc[part, "area_km2"] == pytest.approx(feature["properties"]["areaKm2"],
                                                               rel=REL, abs=1e-9)
        area = mine["area_km2"]
        assert area["covered"] + area["remainder"] == pytest.approx(area["requested"], rel=REL)
        assert area["requested"] == pytest.approx(api["requestedKm2"], rel=REL)
        assert mine["covered_fraction"].iloc[0] == pytest.approx(api["coveredFraction"])
        assert mine["capture_count"].iloc[0] == api["captureCount"]
        assert (mine["status"] == api["status"]).all()


def test_coverage_frame_archive_order_conflicts_or_is_skipped(scenario: Scenario) -> None:
    if not scenario.archive:
        pytest.skip("no archive capture in the catalogue")
    with pytest.raises(ConflictError):
        F.coverage_frame(scenario.client, scenario.archive)
    frame = F.coverage_frame(scenario.client, [scenario.archive, scenario.fulfilled[0]],
                             skip_unavailable=True)
    assert set(frame["order_id"]) == {scenario.fulfilled[0]}
    empty = F.coverage_groups_frame(scenario.client, scenario.archive, skip_unavailable=True)
    assert len(empty) == 0
    _dtypes_match(empty, "coverage_groups")


def test_assets_frame_matches_list_assets(scenario: Scenario) -> None:
    client = scenario.client
    frame = F.assets_frame(client, scenario.fulfilled)
    _dtypes_match(frame, "assets")
    api_items = []
    for order_id in scenario.fulfilled:
        api_items += client.orders.list_assets(order_id=order_id)["features"]
    assert len(frame) == len(api_items) > 0
    assert frame["id"].tolist() == [i["id"] for i in api_items]
    for row, item in zip(frame.itertuples(), api_items, strict=True):
        assert row.order_id == item["properties"]["geopera:order_id"]
        assert row.visual_checksum == item["assets"]["visual"]["file:checksum"]
        assert row.thumbnail_size == item["assets"]["thumbnail"]["file:size"]
        assert row.metadata_href == item["assets"]["metadata"]["href"]
        assert row.cloud_cover == item["properties"]["eo:cloud_cover"]
        assert row.datetime == pd.Timestamp(item["properties"]["datetime"])
        assert row.geometry.equals(shapely.geometry.shape(item["geometry"]))
    stac = F.to_stac(frame)
    assert [i.to_dict(transform_hrefs=False)["assets"] for i in stac] == [
        i["assets"] for i in api_items]
    # one Item per capture the coverage answer counts
    per_order = frame.groupby("order_id").size()
    for order_id in scenario.fulfilled:
        assert per_order[order_id] == client.orders.coverage.get(order_id=order_id)["captureCount"]


def test_assets_frame_single_and_empty(scenario: Scenario) -> None:
    one = F.assets_frame(scenario.client, scenario.fulfilled[0])
    assert set(one["order_id"]) == {scenario.fulfilled[0]}
    nothing = F.assets_frame(scenario.client, scenario.quotation_pending)
    assert len(nothing) == 0
    _dtypes_match(nothing, "assets")
    assert len(F.assets_frame(scenario.client, [])) == 0


def test_studies_frame_one_row_per_option(scenario: Scenario) -> None:
    client = scenario.client
    api = list(client.stream("orders.tasking.feasibility_studies.list", {}))
    frame = F.studies_frame(client)
    _dtypes_match(frame, "studies")
    assert len(frame) == sum(max(1, len(s["options"])) for s in api)
    study = next(s for s in api if s["orderId"] == scenario.study_pending)
    mine = frame[frame["study_id"] == study["id"]].reset_index(drop=True)
    assert mine["option_id"].tolist() == [o["id"] for o in study["options"]]
    assert mine["credits"].tolist() == [o["credits"] for o in study["options"]]
    assert mine["aud"].tolist() == [o["aud"] for o in study["options"]]
    assert mine["priority"].tolist() == [o["priority"] for o in study["options"]]
    assert mine["start"].iloc[0] == pd.Timestamp(study["options"][0]["start"])
    assert (mine["order_id"] == scenario.study_pending).all()
    assert not mine["accepted"].any()
    only = F.studies_frame(client, order_id=scenario.study_pending)
    assert set(only["order_id"]) == {scenario.study_pending}


def test_quotations_frame_matches_api(scenario: Scenario) -> None:
    client = scenario.client
    api = list(client.stream("orders.tasking.quotations.list", {}))
    frame = F.quotations_frame(client)
    _dtypes_match(frame, "quotations")
    assert frame["id"].tolist() == [q["id"] for q in api]
    assert frame["credits"].tolist() == [q["credits"] for q in api]
    assert frame["decision"].tolist() == [q["decision"] for q in api]
    accepted = F.quotations_frame(client, decision="ACCEPTED")
    assert set(accepted["order_id"]) >= set(scenario.fulfilled)


def test_decisions_frame_matches_inbox(scenario: Scenario) -> None:
    client = scenario.client
    api = list(client.stream("orders.tasking.decisions.pending", {}))
    frame = F.decisions_frame(client)
    _dtypes_match(frame, "decisions")
    assert frame["id"].tolist() == [d["id"] for d in api]
    assert frame["kind"].tolist() == [d["kind"] for d in api]
    assert {"feasibility", "quotation"} <= set(frame["kind"])
    studies = frame[frame["kind"] == "feasibility"]
    assert (studies["option_count"] > 0).all()
    only = F.decisions_frame(client, kinds=["quotation"])
    assert set(only["kind"]) == {"quotation"}


def test_sensors_and_templates(scenario: Scenario) -> None:
    client = scenario.client
    api = client.orders.tasking.sensors()["sensors"]
    sensors = F.sensors_frame(client)
    _dtypes_match(sensors, "sensors")
    assert sensors["id"].tolist() == [s["id"] for s in api]
    assert sensors["price_per_km2"].tolist() == [s["pricePerKm2"] for s in api]
    manual = sensors[sensors["feasibility"] == "manual"]
    assert manual["satellites"].isna().all() or all(v in (None, []) for v in manual["satellites"])
    templates = F.templates_frame(client)
    _dtypes_match(templates, "templates")
    assert scenario.template_id in set(templates["id"])
    row = templates.set_index("id").loc[scenario.template_id]
    assert row["max_cloud_coverage"] == 20 and row["sensor"] == "geo-owl-30"


def test_opportunities_frame(scenario: Scenario) -> None:
    client = scenario.client
    sensors = client.orders.tasking.sensors()["sensors"]
    owl = next(s for s in sensors if s["id"] == "geo-owl-30")
    fc = aoi((150.0, -34.0))
    api = client.orders.tasking.opportunities_list(dataProduct=owl["dataProductId"],
                                                   featureCollection=fc)
    frame = F.opportunities_frame(client, dataProduct=owl["dataProductId"], featureCollection=fc)
    _dtypes_match(frame, "opportunities")
    assert frame["id"].tolist() == [f["id"] for f in api["features"]]
    assert len(frame) > 0
    assert (frame["feature_index"] == 0).all()
    for geom, feature in zip(frame.geometry, api["features"], strict=True):
        assert geom.equals(shapely.geometry.shape(feature["geometry"]))
    manual = next(s for s in sensors if s["feasibility"] == "manual")
    none = F.opportunities_frame(client, dataProduct=manual["dataProductId"], featureCollection=fc)
    assert len(none) == 0
    _dtypes_match(none, "opportunities")


def test_estimate_frames_from_real_answers(scenario: Scenario) -> None:
    client = scenario.client
    fc = aoi((150.0, -34.0), (150.1, -34.0))
    answer = client.orders.tasking.estimate(groups=[
        {"sensor": "geo-owl-30", "featureCollection": fc},
        {"sensor": "no-such-sensor", "featureCollection": fc},
    ])
    frame = F.tasking_estimate_frame(answer)
    _dtypes_match(frame, "tasking_estimate")
    assert frame["index"].tolist() == [0, 1]
    assert frame["ok"].tolist() == [True, False]
    assert frame["credits"].iloc[0] == answer["groups"][0]["credits"]
    assert frame["feature_count"].iloc[0] == 2
    assert "no-such-sensor" in frame["message"].iloc[1]
    assert frame["credits"].sum() == answer["totalCredits"]

    captures = list(client.iter_catalog(bbox=[140, -40, 155, -30], max_items=2))
    if not captures:
        pytest.skip("no archive captures")
    lines = [{"id": c["id"]} for c in captures] + [{"id": "no-such-capture"}]
    archive = client.orders.archive.estimate(captures=lines, splitByDate=True)
    af = F.archive_estimate_frame(archive)
    _dtypes_match(af, "archive_estimate")
    assert af["index"].tolist() == list(range(len(lines)))
    assert af["ok"].tolist() == [True] * len(captures) + [False]
    assert af["credits"].sum() == archive["total_credits"]
    assert af["date"].notna().sum() == len(captures)


def test_catalog_frame_follows_next(scenario: Scenario) -> None:
    client = scenario.client
    api = list(client.iter_catalog(bbox=[140, -40, 155, -30], limit=5, max_items=40))
    frame = F.catalog_frame(client, bbox=[140, -40, 155, -30], limit=5, max_items=40)
    _dtypes_match(frame, "catalog")
    assert frame["id"].tolist() == [c["id"] for c in api]
    if len(frame):
        first = api[0]["properties"]
        assert frame["credits_per_km2"].iloc[0] == first["price"]["creditsPerKm2"]
        assert frame["footprint_km2"].iloc[0] == pytest.approx(
            geodesic_km2(shapely.geometry.shape(api[0]["geometry"])), rel=1e-9)
