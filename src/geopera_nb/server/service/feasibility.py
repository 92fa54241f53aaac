"""``orders.tasking.feasibility_check``, ``opportunities_list``, the studies list and
``feasibility_decide``: can a sensor see the AOI, when, and the options of a study."""

from __future__ import annotations

from typing import Any

from geopera_nb.contract.limits import PASS_PREDICTION_MAX_DAYS
from geopera_nb.contract.timestamps import from_ms
from geopera_nb.geo import parse_feature_collection

from ..domain.feasibility import check_feasibility
from ..domain.orbits import opportunities as predict_passes
from ..domain.tasking_request import parse_window
from ..problems import Invalid, Problem
from ..state import decision_store
from . import lifecycle
from .call import Call, domain_call
from .orders_place import product_or_422


def _tasking_input(call: Call) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
    product = product_or_422(call.backend, call.body["dataProduct"])
    if product.get("kind") != "tasking":
        raise Invalid.at(["body", "dataProduct"], "not a tasking data product")
    sensor = call.backend.catalogue.sensor(product.get("sensor"))
    if sensor is None:  # pragma: no cover - catalogue consistency
        raise Problem(404, "sensor of this data product not found")
    aois = domain_call(parse_feature_collection, call.body.get("featureCollection"))
    params = call.body.get("params") or {}
    if not isinstance(params, dict):
        raise Invalid.at(["body", "params"], "params must be an object")
    return sensor, aois, params


def check(call: Call) -> Any:
    """``orders.tasking.feasibility_check``: per feature, creates nothing."""
    sensor, aois, params = _tasking_input(call)
    result = dict(domain_call(check_feasibility, sensor, aois, params, from_ms(call.now_ms)))
    result.setdefault("dataProduct", call.body["dataProduct"])
    result.setdefault("sensor", sensor["id"])
    return result


def opportunities(call: Call) -> Any:
    """``orders.tasking.opportunities_list``: predicted passes (manual sensors: none).

    The window is read as every tasking window is (:func:`..domain.tasking_request.parse_window`:
    the same default length as the feasibility check, so both count the same passes),
    at most ``PASS_PREDICTION_MAX_DAYS`` long.
    """
    sensor, aois, params = _tasking_input(call)
    start, end = domain_call(parse_window, params, from_ms(call.now_ms), ("params",),
                             max_days=PASS_PREDICTION_MAX_DAYS)
    off_nadir = params.get("maxOffNadir")
    if off_nadir is not None and (isinstance(off_nadir, bool)
                                  or not isinstance(off_nadir, int | float)):
        raise Invalid.at(["body", "params", "maxOffNadir"], "maxOffNadir must be a number")
    features = [] if sensor.get("feasibility") == "manual" else domain_call(
        predict_passes, sensor, aois, start, end,
        max_off_nadir=None if off_nadir is None else float(off_nadir))
    return {"type": "FeatureCollection", "features": features}


def studies_list(call: Call) -> Any:
    """``orders.tasking.feasibility_studies.list``."""
    page, size = call.paging()
    items, total = decision_store.list_decisions(call.db, "studies", call.org_id, call.body,
                                                 page, size)
    return call.page(items, total)


def decide(call: Call) -> Any:
    """``orders.tasking.feasibility_decide``: accept one option (reserves its price)."""
    return lifecycle.accept_option(call.write_tx(), call.org_id, call.body["study_id"],
                                   call.body["acceptedOptionId"], call.now_ms)
