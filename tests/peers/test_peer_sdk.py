# mypy: disable-error-code="index,arg-type"
# (the SDK types every answer as a union with its error models; the test checks the shapes)
"""The official ``geopera`` SDK (2.1.0), unchanged, through the tasking path against the
sandbox: AuthenticatedClient + ``geopera.api.operations.*`` with the SDK's own models."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

geopera = pytest.importorskip("geopera")

from geopera.api.operations import (  # noqa: E402
    orders_coverage_get,
    orders_coverage_groups_list,
    orders_get,
    orders_list,
    orders_list_assets,
    orders_tasking_decisions_pending,
    orders_tasking_estimate,
    orders_tasking_feasibility_check,
    orders_tasking_feasibility_decide,
    orders_tasking_feasibility_studies_list,
    orders_tasking_place,
    orders_tasking_quotation_decide,
    orders_tasking_quotations_list,
    orders_tasking_sensors,
    orders_tasking_templates_list,
    orders_tasking_templates_save,
)
from geopera.models.coverage_input import CoverageInput  # noqa: E402
from geopera.models.decisions_pending_input import DecisionsPendingInput  # noqa: E402
from geopera.models.feasibility_check_input import FeasibilityCheckInput  # noqa: E402
from geopera.models.feasibility_decide_input import FeasibilityDecideInput  # noqa: E402
from geopera.models.http_validation_error import HTTPValidationError  # noqa: E402
from geopera.models.order_assets_input import OrderAssetsInput  # noqa: E402
from geopera.models.order_get_input import OrderGetInput  # noqa: E402
from geopera.models.orders_list_input import OrdersListInput  # noqa: E402
from geopera.models.orders_tasking_place_body_type_0 import (  # noqa: E402
    OrdersTaskingPlaceBodyType0,
)
from geopera.models.problem import Problem  # noqa: E402
from geopera.models.quotation_decide_input import QuotationDecideInput  # noqa: E402
from geopera.models.studies_list_input import StudiesListInput  # noqa: E402
from geopera.models.tasking_estimate_input import TaskingEstimateInput  # noqa: E402
from geopera.models.tasking_estimate_output import TaskingEstimateOutput  # noqa: E402
from geopera.models.tasking_sensors_input import TaskingSensorsInput  # noqa: E402
from geopera.models.tasking_sensors_output import TaskingSensorsOutput  # noqa: E402
from geopera.models.template_list_input import TemplateListInput  # noqa: E402
from geopera.models.template_list_output import TemplateListOutput  # noqa: E402
from geopera.models.template_save_input import TemplateSaveInput  # noqa: E402
from geopera.models.template_save_output import TemplateSaveOutput  # noqa: E402

pytestmark = pytest.mark.peers

SQUARE = [[150.0, -34.0], [150.08, -34.0], [150.08, -33.92], [150.0, -33.92], [150.0, -34.0]]
FC = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Paddock"},
     "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}]}


def _window(sandbox: Any) -> dict[str, str]:
    from geopera_nb.contract.timestamps import format_instant as to_iso
    from geopera_nb.contract.timestamps import parse_ms as parse_iso

    now = parse_iso(sandbox.now())
    return {"start": to_iso(now + 2 * 86_400_000), "end": to_iso(now + 22 * 86_400_000)}


def test_official_sdk_walks_the_tasking_path(sandbox: Any, org: Any) -> None:
    client = geopera.AuthenticatedClient(base_url=sandbox.url, token=org.api_key,
                                         raise_on_unexpected_status=True)
    sensors = orders_tasking_sensors.sync(client=client, body=TaskingSensorsInput())
    assert isinstance(sensors, TaskingSensorsOutput) and sensors.sensors
    condor = next(s for s in sensors.sensors if s["id"] == "geo-condor-40")
    product = condor["dataProductId"]
    win = _window(sandbox)

    check = orders_tasking_feasibility_check.sync(client=client, body=FeasibilityCheckInput.from_dict(
        {"dataProduct": product, "featureCollection": FC, "params": win}))
    assert check["studyRequired"] is True

    group = {"dataProduct": product, "featureCollection": FC, **win}
    est = orders_tasking_estimate.sync(client=client,
                                       body=TaskingEstimateInput.from_dict({"groups": [group]}))
    assert isinstance(est, TaskingEstimateOutput)
    credits = est.total_credits
    assert isinstance(credits, int) and credits > 0

    placed = orders_tasking_place.sync_detailed(
        client=client, body=OrdersTaskingPlaceBodyType0.from_dict({"groups": [group],
                                                                   "displayName": "SDK"}))
    assert placed.status_code == 202
    order_id = placed.parsed["results"][0]["id"]
    order = orders_get.sync(client=client, body=OrderGetInput(order_id=order_id))
    assert order["subStatus"] == "FEASIBILITY_WAITING_UPLOAD"

    sandbox.advance(hours=1)
    studies = orders_tasking_feasibility_studies_list.sync(
        client=client, body=StudiesListInput.from_dict({"orderId": order_id}))
    study = studies["content"][0]
    option = next(o for o in study["options"] if o["priority"] == "standard")
    assert option["credits"] == credits
    inbox = orders_tasking_decisions_pending.sync(client=client, body=DecisionsPendingInput())
    assert inbox["totalElements"] >= 1
    decided = orders_tasking_feasibility_decide.sync(client=client, body=FeasibilityDecideInput(
        study_id=study["id"], accepted_option_id=option["id"]))
    assert decided["decision"] == "ACCEPTED"
    assert sandbox.ledger(org)["reserved"] == credits

    sandbox.advance(hours=1)
    quotes = orders_tasking_quotations_list.sync(client=client,
                                                 body=StudiesListInput.from_dict({"orderId": order_id}))
    quote = quotes["content"][0]
    accepted = orders_tasking_quotation_decide.sync(client=client, body=QuotationDecideInput(
        quotation_id=quote["id"], decision="ACCEPTED"))
    assert accepted["decision"] == "ACCEPTED"

    for _ in range(30):
        sandbox.advance(hours=24)
        order = orders_get.sync(client=client, body=OrderGetInput(order_id=order_id))
        if order["status"] == "FULFILLED":
            break
    assert order["status"] == "FULFILLED"
    cov = orders_coverage_get.sync(client=client, body=CoverageInput(order_id=order_id))
    assert cov["type"] == "FeatureCollection" and cov["coveredFraction"] > 0
    groups = orders_coverage_groups_list.sync(client=client, body=CoverageInput(order_id=order_id))
    assert groups["groups"][0]["name"] == "Paddock"
    assets = orders_list_assets.sync(client=client, body=OrderAssetsInput(order_id=order_id))
    asset = assets["features"][0]["assets"]["visual"]
    data = httpx.get(asset["href"]).content
    assert "1220" + hashlib.sha256(data).hexdigest() == asset["file:checksum"]
    page = orders_list.sync(client=client, body=OrdersListInput.from_dict({"size": 5}))
    assert page["totalElements"] == 1


def test_official_sdk_parses_errors_and_typed_outputs(sandbox: Any, org: Any) -> None:
    client = geopera.AuthenticatedClient(base_url=sandbox.url, token=org.api_key)
    missing = orders_get.sync(client=client, body=OrderGetInput(order_id="nope"))
    assert isinstance(missing, Problem) and missing.status == 404
    bad = orders_tasking_quotation_decide.sync(client=client, body=QuotationDecideInput(
        quotation_id="q", decision="MAYBE"))
    assert isinstance(bad, HTTPValidationError) and bad.detail[0].loc == ["body", "decision"]
    anon = geopera.AuthenticatedClient(base_url=sandbox.url, token="gpra_wrong")
    denied = orders_get.sync(client=anon, body=OrderGetInput(order_id="x"))
    assert isinstance(denied, Problem) and denied.status == 401
    saved = orders_tasking_templates_save.sync(client=client, body=TemplateSaveInput(
        name="Weekly", resolution="0.3", sensor="geo-owl-30", capture_frequency="weekly",
        datum="WGS84", file_format="GeoTIFF"))
    assert isinstance(saved, TemplateSaveOutput) and saved.name == "Weekly"
    listed = orders_tasking_templates_list.sync(client=client, body=TemplateListInput())
    assert isinstance(listed, TemplateListOutput) and len(listed.templates) == 1
    # the CLI's way: X-API-Key without prefix
    keyed = geopera.AuthenticatedClient(base_url=sandbox.url, token=org.api_key, prefix="",
                                        auth_header_name="X-API-Key")
    assert isinstance(orders_tasking_sensors.sync(client=keyed, body=TaskingSensorsInput()),
                      TaskingSensorsOutput)
