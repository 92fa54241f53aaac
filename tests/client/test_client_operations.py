"""Every operation of the contract table is reachable, sync and async, with the right
URL, method, body and Idempotency-Key (spends only); namespaces are discoverable."""

from __future__ import annotations

import inspect
import typing
import uuid
from typing import Any

import httpx
import orjson
import pytest
from client_helpers import json_response

from geopera_nb import errors
from geopera_nb.client import AsyncClient, Client
from geopera_nb.client.bodies import body_model
from geopera_nb.contract import OPERATIONS, OPERATIONS_BY_ID, Operation


def sample_value(name: str, annotation: Any) -> Any:
    if name == "decision":
        return "ACCEPTED"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        annotation = next(a for a in args if a is not type(None))
        origin = typing.get_origin(annotation)
    if annotation is str:
        return f"{name}-value"
    if annotation is int:
        return 3
    if annotation is bool:
        return True
    if origin is list or annotation is list:
        return []
    return {}


def sample_body(op: Operation) -> dict[str, Any]:
    model = body_model(op)
    return {name: sample_value(name, info.annotation)
            for name, info in model.model_fields.items() if info.is_required()}


def resolve(client: Any, op: Operation) -> Any:
    target = client
    for part in op.attribute_path:
        target = getattr(target, part)
    return target


def echo(request: httpx.Request) -> httpx.Response:
    return json_response({"echo": True})


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_every_operation_sync(make_client, op: Operation) -> None:
    client, rec = make_client(echo)
    body = sample_body(op)
    assert resolve(client, op)(**body) == {"echo": True}
    (request,) = rec.api_requests
    assert request.method == "POST"
    assert request.url.path == f"/v1/op/{op.id}"
    assert str(request.url) == f"http://geopera.test/v1/op/{op.id}"
    assert orjson.loads(request.content) == body
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"].startswith("Bearer gpra_")
    if op.spends:
        assert uuid.UUID(request.headers["idempotency-key"]).version == 4
    else:
        assert "idempotency-key" not in request.headers


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
async def test_every_operation_async(make_async_client, op: Operation) -> None:
    aclient, rec = make_async_client(echo)
    body = sample_body(op)
    async with aclient:
        method = resolve(aclient, op)
        assert inspect.iscoroutinefunction(method)
        assert await method(**body) == {"echo": True}
    (request,) = rec.api_requests
    assert request.url.path == f"/v1/op/{op.id}" and request.method == "POST"
    assert orjson.loads(request.content) == body
    assert ("idempotency-key" in request.headers) == op.spends


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_every_operation_via_call(make_client, op: Operation) -> None:
    client, rec = make_client(echo)
    client.call(op.id, sample_body(op), idempotency_key="pinned" if op.spends else None)
    request = rec.api_requests[0]
    assert request.headers.get("idempotency-key") == ("pinned" if op.spends else None)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_method_docs_and_signatures(op: Operation) -> None:
    for cls in (Client, AsyncClient):
        method = getattr(cls.namespace_class(op.attribute_path[0]), op.attribute_path[1])
        for part in op.attribute_path[2:]:
            method = getattr(method, part)
        assert method.__doc__.startswith(op.summary)
        assert "Parameters\n----------" in method.__doc__
        sig = inspect.signature(method)
        params = {n: p for n, p in sig.parameters.items() if n != "self"}
        model_fields = body_model(op).model_fields
        for name in model_fields:
            assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
            assert name in method.__doc__
        assert ("idempotency_key" in params) == op.spends
        required = {n for n, f in model_fields.items() if f.is_required()}
        assert {n for n, p in params.items()
                if p.default is inspect.Parameter.empty and p.kind is p.KEYWORD_ONLY} == required


def test_namespaces_tab_complete(make_client) -> None:
    client, _ = make_client(echo)
    assert {"orders", "catalog", "call", "stream", "iter_orders"} <= set(dir(client))
    assert "feasibility_studies" in dir(client.orders.tasking)
    assert dir(client.orders.tasking.feasibility_studies) == ["list"]
    assert set(dir(client.orders.coverage)) == {"get", "groups"}
    with pytest.raises(AttributeError, match="did you mean 'tasking'"):
        _ = client.orders.taskin
    # every leaf in dir() is an operation
    tops = {op.attribute_path[0] for op in OPERATIONS}
    assert tops == {"orders", "catalog"}


def test_typo_is_a_request_validation_error_naming_the_field(make_client) -> None:
    client, rec = make_client(echo)
    with pytest.raises(errors.RequestValidationError) as info:
        client.orders.tasking.feasibility_studies.list(orderID="o")
    assert isinstance(info.value, TypeError)
    assert info.value.fields == ["orderID"] and "did you mean 'orderId'" in str(info.value)
    with pytest.raises(errors.RequestValidationError, match="missing required keyword 'order_id'"):
        client.orders.get()
    with pytest.raises(errors.RequestValidationError, match="'size'"):
        client.orders.list(size="many")
    with pytest.raises(errors.RequestValidationError, match="decision"):
        client.orders.tasking.quotation_decide(quotation_id="q", decision="MAYBE")
    with pytest.raises(errors.RequestValidationError, match="this operation takes none"):
        client.orders.tasking.sensors(verbose=True)
    assert rec.requests == []


def test_only_given_fields_are_sent(make_client) -> None:
    client, rec = make_client(echo)
    client.orders.list(status="PLACED")
    client.orders.list()
    assert rec.bodies() == [{"status": "PLACED"}, {}]


def test_free_form_place_ops_allow_extra_keys_but_check_known_ones(make_client) -> None:
    client, rec = make_client(echo)
    client.orders.tasking.place(groups=[], futureField={"x": 1})
    assert rec.bodies()[0] == {"groups": [], "futureField": {"x": 1}}
    with pytest.raises(errors.RequestValidationError, match="groups"):
        client.orders.tasking.place()
    with pytest.raises(errors.RequestValidationError, match="splitByDate"):
        client.orders.archive.place(captures=[], splitByDate="sometimes")


def test_aoi_fields_accept_geometries_everywhere(make_client) -> None:
    from shapely.geometry import box

    client, rec = make_client(echo)
    aoi = box(150.0, -34.0, 150.1, -33.9)
    client.orders.place(workspaceId="w", dataProduct="p", featureCollection=aoi)
    client.orders.tasking.estimate(groups=[{"sensor": "geo-owl-30", "featureCollection": aoi}])
    client.orders.archive.estimate(captures=[{"id": "c", "featureCollection": aoi.wkt}])
    client.catalog.search(host_name="geopera", intersects=aoi)
    place, tasking, archive, search = rec.bodies()
    assert place["featureCollection"]["features"][0]["geometry"]["type"] == "Polygon"
    assert tasking["groups"][0]["featureCollection"]["type"] == "FeatureCollection"
    assert archive["captures"][0]["featureCollection"]["type"] == "FeatureCollection"
    assert search["intersects"]["type"] == "Polygon"


def test_bad_aoi_names_the_field(make_client) -> None:
    client, rec = make_client(echo)
    with pytest.raises(errors.AOIError) as info:
        client.orders.tasking.estimate(groups=[{"sensor": "s", "featureCollection": 42}])
    assert info.value.fields == ["groups[0].featureCollection"]
    assert "orders.tasking.estimate" in str(info.value)
    assert rec.requests == []


def test_unknown_operation_and_misplaced_key(make_client) -> None:
    client, _ = make_client(echo)
    with pytest.raises(errors.RequestValidationError, match=r"did you mean 'orders\.list'"):
        client.call("orders.lists", {})
    with pytest.raises(errors.RequestValidationError, match="only to spending"):
        client.call("orders.get", {"order_id": "o"}, idempotency_key="k")


def test_sync_client_has_no_event_loop_dependency(make_client) -> None:
    """Sync calls work while an event loop is running (as in a Jupyter cell)."""
    import asyncio

    client, _ = make_client(echo)

    async def inside_running_loop() -> dict:
        return client.orders.get(order_id="o")

    assert asyncio.run(inside_running_loop()) == {"echo": True}


def test_no_asyncio_run_in_the_client() -> None:
    from pathlib import Path

    import geopera_nb.client as pkg

    for path in Path(pkg.__file__).parent.glob("*.py"):
        assert "asyncio.run(" not in path.read_text().replace(">>> asyncio.run(", ""), path


def test_operations_table_ids_are_unique() -> None:
    assert len(OPERATIONS_BY_ID) == len(OPERATIONS) == 26
