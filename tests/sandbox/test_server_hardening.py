"""Review fixes: hostile window/priority values, one-shot 500s, zero coverage, check order.

- a ``priority`` that is a list/object and instants past year 9999 or before 1970 are a
  422 (or the estimate's error row) with ``loc`` at the field, never a 500;
- an unexpected exception answers one problem+json 500, logged once, not re-raised;
- a tasking window that ends with nothing covered is ``FAILED`` with a full refund;
- scope (403) comes before the rate limit (429), and idempotent replays spend no
  placement budget;
- catalog.search names a bbox whose south is north of its north; over-long ids are 422.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import pytest
from sandbox_support import Api, balanced, fc, problem_ok, tasking_group, window
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from geopera_nb import sandbox as sandbox_module
from geopera_nb.contract.states import REASONS, OrderEvent
from geopera_nb.server.http.app import create_app
from geopera_nb.server.service.lifecycle import fulfilment_outcome

NO_CAPTURE_REASON = REASONS[OrderEvent.WINDOW_ENDED_EMPTY]


def _corpus() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "reliability" / "hostile_corpus.py"
    name = "hostile_corpus"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


BAD_FIELDS = _corpus().bad_tasking_fields()
BAD_IDS = [b.name for b in BAD_FIELDS]


def _merge(base: dict[str, Any], fields: dict[str, object]) -> dict[str, Any]:
    out = dict(base)
    for key, value in fields.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def _assert_422_at(r: Any, loc: list[Any]) -> None:
    assert r.status_code == 422, (r.status_code, r.text[:500])
    detail = r.json()["detail"]
    assert any(item["loc"] == loc for item in detail), (loc, detail)


# --- 1. hostile window and priority values ---------------------------------------------


@pytest.mark.parametrize("bad", BAD_FIELDS, ids=BAD_IDS)
def test_tasking_estimate_answers_an_error_row(bad: Any, api: Api, sandbox: Any) -> None:
    group = _merge(tasking_group(sandbox), bad.fields)
    body = api.ok("orders.tasking.estimate", {"groups": [group]})
    assert body["groups"] == [] and body["totalCredits"] == 0
    assert body["errors"][0]["loc"] == ["groups", 0, bad.loc], body


@pytest.mark.parametrize("bad", BAD_FIELDS, ids=BAD_IDS)
def test_tasking_place_answers_422(bad: Any, api: Api, sandbox: Any, org: Any) -> None:
    before = sandbox.ledger(org)
    group = _merge(tasking_group(sandbox), bad.fields)
    _assert_422_at(api.op("orders.tasking.place", {"groups": [group]}),
                   ["body", "groups", 0, bad.loc])
    assert api.ok("orders.list")["totalElements"] == 0
    assert sandbox.ledger(org) == before


@pytest.mark.parametrize("bad", BAD_FIELDS, ids=BAD_IDS)
def test_feasibility_check_answers_422(bad: Any, api: Api, sandbox: Any) -> None:
    product = next(s["dataProductId"] for s in api.ok("orders.tasking.sensors")["sensors"]
                   if s["id"] == "geo-owl-30")
    params = _merge(window(sandbox), bad.fields)
    _assert_422_at(api.op("orders.tasking.feasibility_check",
                          {"dataProduct": product, "featureCollection": fc(),
                           "params": params}), ["body", "params", bad.loc])


@pytest.mark.parametrize("bad", [b for b in BAD_FIELDS if b.loc != "priority"],
                         ids=[b.name for b in BAD_FIELDS if b.loc != "priority"])
def test_opportunities_answer_422(bad: Any, api: Api, sandbox: Any) -> None:
    product = next(s["dataProductId"] for s in api.ok("orders.tasking.sensors")["sensors"]
                   if s["id"] == "geo-owl-30")
    params = _merge(window(sandbox, days=5), bad.fields)
    _assert_422_at(api.op("orders.tasking.opportunities_list",
                          {"dataProduct": product, "featureCollection": fc(),
                           "params": params}), ["body", "params", bad.loc])


@pytest.mark.parametrize("bad", BAD_FIELDS, ids=BAD_IDS)
def test_provider_place_answers_an_error_row(bad: Any, api: Api, sandbox: Any,
                                             org: Any) -> None:
    product = next(s["dataProductId"] for s in api.ok("orders.tasking.sensors")["sensors"]
                   if s["id"] == "geo-owl-30")
    params = _merge(window(sandbox), bad.fields)
    r = api.op("orders.place", {"workspaceId": org.workspace_id, "dataProduct": product,
                                "params": params, "featureCollection": fc()})
    assert r.status_code in (200, 422), (r.status_code, r.text[:500])
    if r.status_code == 200:
        body = r.json()
        assert body["results"] == [] and body["errors"][0]["index"] == 0, body
    assert api.ok("orders.list")["totalElements"] == 0


# --- 1b. one 500, logged once -----------------------------------------------------------


async def test_unexpected_error_is_one_problem_and_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(backend=SimpleNamespace())  # type: ignore[arg-type]

    async def boom(request: Request) -> Response:
        raise RuntimeError("a secret detail")

    app.router.routes.append(Route("/boom", boom, methods=["GET"]))
    caplog.set_level(logging.ERROR)
    # raise_app_exceptions=True: an error handler that re-raises fails this request
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        r = await client.get("/boom")
    problem_ok(r, 500)
    assert "secret" not in r.text
    records = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert len(records) == 1 and records[0].name == "geopera_nb.sandbox", records


# --- 3. zero coverage at window end -----------------------------------------------------


def test_fulfilment_outcome() -> None:
    assert fulfilment_outcome(0.0, 10, 20) is None
    assert fulfilment_outcome(0.5, 10, 20) is None
    assert fulfilment_outcome(1.0, 10, 20) == OrderEvent.DELIVERED
    assert fulfilment_outcome(0.5, 20, 20) == OrderEvent.DELIVERED  # partial: pro rata
    assert fulfilment_outcome(0.0, 20, 20) == OrderEvent.WINDOW_ENDED_EMPTY
    assert fulfilment_outcome(0.0, 30, 20) == OrderEvent.WINDOW_ENDED_EMPTY


@pytest.fixture
def own_sandbox() -> Iterator[Any]:
    sb = sandbox_module.start(seed=0)
    try:
        yield sb
    finally:
        sb.stop()


def test_window_without_any_capture_fails_and_refunds(
    own_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geopera_nb.server.service import fulfilment

    monkeypatch.setattr(fulfilment, "plan_tasking", lambda *args, **kwargs: None)
    org = own_sandbox.create_org(name="unlucky", credits=1_000_000)
    api = Api(own_sandbox.url, org.api_key)
    try:
        group = {**tasking_group(own_sandbox), **window(own_sandbox, start_days=1, days=7)}
        order_id = api.ok("orders.tasking.place", {"groups": [group]})["results"][0]["id"]
        own_sandbox.advance(hours=1)
        quote = api.ok("orders.tasking.quotations.list", {"orderId": order_id})["content"][0]
        api.ok("orders.tasking.quotation_decide",
               {"quotation_id": quote["id"], "decision": "ACCEPTED"})
        assert own_sandbox.ledger(org)["reserved"] == quote["credits"] > 0
        own_sandbox.advance(days=2)
        assert api.ok("orders.get", {"order_id": order_id})["status"] == "BEING_FULFILLED"
        own_sandbox.advance(days=7)
        order = api.ok("orders.get", {"order_id": order_id})
        assert order["status"] == "FAILED" and order["statusReason"] == NO_CAPTURE_REASON
        assert order["credits"]["charged"] == 0
        assert order["credits"]["refunded"] == quote["credits"]
        ledger = own_sandbox.ledger(org)
        assert ledger["charged"] == 0 and ledger["balance"] == ledger["granted"]
        assert balanced(ledger)
    finally:
        api.close()


# --- 4. scope before rate limit; replays spend no placement budget ----------------------


@pytest.fixture
def one_placement() -> Iterator[Any]:
    sb = sandbox_module.start(seed=0, rate_limits={"general": 1000, "placement": 1,
                                                   "spend": 1000})
    try:
        yield sb
    finally:
        sb.stop()


def test_missing_scope_is_403_and_spends_no_budget(one_placement: Any) -> None:
    import time

    if 60 - time.time() % 60 < 8:  # stay inside one rate-limit window
        time.sleep(60 - time.time() % 60 + 0.1)
    org = one_placement.create_org(name="scoped", credits=1_000_000)
    reader = Api(one_placement.url, one_placement.create_key(org, scopes=["orders:read"]))
    writer = Api(one_placement.url, org.api_key)
    try:
        body = {"groups": [tasking_group(one_placement)]}
        for _ in range(2):
            problem_ok(reader.op("orders.tasking.place", body), 403)
        key = {"Idempotency-Key": "place-once-0001"}
        first = writer.op("orders.tasking.place", body, headers=key)
        assert first.status_code == 202, first.text[:500]
        replay = writer.op("orders.tasking.place", body, headers=key)
        assert replay.status_code == 202, replay.text[:500]
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.content == first.content
        problem_ok(writer.op("orders.tasking.place", body), 429)  # the budget is spent
    finally:
        reader.close()
        writer.close()


# --- 5. minor ---------------------------------------------------------------------------


def test_bbox_south_north_of_north_says_so(api: Api) -> None:
    r = api.op("catalog.search", {"host_name": "geopera", "bbox": [10, 10, 5, 5]})
    _assert_422_at(r, ["body", "bbox"])
    assert "south" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize(("op_id", "field", "extra"), [
    ("orders.get", "order_id", {}),
    ("orders.coverage.get", "order_id", {}),
    ("orders.tasking.quotation_decide", "quotation_id", {"decision": "ACCEPTED"}),
    ("orders.tasking.feasibility_decide", "study_id", {"acceptedOptionId": "x"}),
    ("orders.tasking.templates.delete", "template_id", {}),
    ("orders.get_schema", "data_product_id", {}),
])
def test_overlong_ids_are_422_without_echo(op_id: str, field: str, extra: dict[str, Any],
                                           api: Api) -> None:
    r = api.op(op_id, {field: "x" * 100_000, **extra})
    _assert_422_at(r, ["body", field])
    assert len(r.content) < 1_000
    assert api.op(op_id, {field: "y" * 200, **extra}).status_code == 404
