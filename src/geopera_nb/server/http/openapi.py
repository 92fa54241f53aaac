"""The sandbox's own OpenAPI 3.1 document, generated from the contract.

Paths are the ``/v1/op/{id}`` form (operationId = the operation id, with
``x-required-scope``); request schemas are the contract's pydantic models (our body
models for the two placements the upstream document leaves free-form), so a
property-based tester such as schemathesis can drive the sandbox from it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from geopera_nb import __version__
from geopera_nb.contract import OPERATIONS
from geopera_nb.contract.limits import IDEMPOTENCY_KEY_MAX_LENGTH, PAGE_MAX, PAGE_SIZE_MAX
from geopera_nb.contract.models import HTTPValidationError, Problem

from ..state.order_store import KINDS_PATTERN, SORT_PATTERN
from .bodies import INT_BOUNDS, body_model

NDJSON = "application/x-ndjson"

_ERRORS = {
    "401": "Missing, invalid, expired or revoked credentials",
    "402": "Not enough credits",
    "403": "Missing scope",
    "404": "Unknown route, or a resource that does not exist in the caller's org",
    "405": "Method not allowed (operations answer POST only)",
    "409": "Invalid state transition, lost race or idempotency conflict",
    "410": "Gone (expired quotation, deleted template)",
    "413": "Request body too large",
    "422": "Validation error",
    "429": "Rate limited (see Retry-After)",
    "500": "Internal error",
}


def _patch_paging(schema: dict[str, Any]) -> None:
    props = schema.get("properties", {})
    if "page" in props:
        props["page"].update(minimum=0, maximum=PAGE_MAX)
    if "size" in props:
        props["size"].update(minimum=1, maximum=PAGE_SIZE_MAX)


def _tighten(schemas: dict[str, Any], products: dict[str, list[str]] | None) -> None:
    """Document what the server enforces beyond the contract models."""
    for name in ("ArchivePlaceBody", "TaskingPlaceBody"):
        for field in ("captures", "groups"):
            prop = schemas.get(name, {}).get("properties", {}).get(field)
            if prop is not None:
                prop["minItems"] = 1
    schemas["OrdersListInput"]["properties"]["sort"]["pattern"] = SORT_PATTERN
    kinds = schemas["DecisionsPendingInput"]["properties"]["kinds"]
    for branch in kinds.get("anyOf", [kinds]):
        if branch.get("type") == "string":
            branch["pattern"] = KINDS_PATTERN
    template = schemas["TemplateSaveInput"]
    for field in template.get("required", []):
        if template["properties"][field].get("type") == "string":
            template["properties"][field].setdefault("minLength", 1)
    for (model, field), (low, high) in INT_BOUNDS.items():
        schemas[model]["properties"][field].update(minimum=low, maximum=high)
    if products:
        for name, ids in (("EstimateInput", products["all"]), ("OrderPlaceInput", products["all"]),
                          ("FeasibilityCheckInput", products["tasking"])):
            schemas[name]["properties"]["dataProduct"]["enum"] = sorted(ids)


def _body_required(model: type[BaseModel] | None) -> bool:
    """A body is required when the model has required fields (else empty means ``{}``)."""
    return model is not None and any(f.is_required() for f in model.model_fields.values())


def build_openapi(server_url: str | None = None,
                  products: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The OpenAPI document of the sandbox (``GET /openapi.json``).

    Parameters
    ----------
    server_url
        Added as ``servers[0].url`` when given.
    products
        ``{"all": [...], "tasking": [...]}`` data product ids of this server's
        catalogue, documented as the ``dataProduct`` enums.
    """
    inputs: list[tuple[type[BaseModel], Any]] = []
    outputs: list[tuple[type[BaseModel], Any]] = []
    for op in OPERATIONS:
        model = body_model(op)
        if model is not None and (model, "validation") not in inputs:
            inputs.append((model, "validation"))
        if op.response_model is not None and (op.response_model, "serialization") not in outputs:
            outputs.append((op.response_model, "serialization"))
    outputs += [(Problem, "serialization"), (HTTPValidationError, "serialization")]
    keys, defs = models_json_schema([*inputs, *outputs],
                                    ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = defs.get("$defs", {})
    _tighten(schemas, products)
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        model = body_model(op)
        request_ref = keys[(model, "validation")] if model is not None else {"type": "object"}
        if model is not None and op.paged:
            _patch_paging(schemas[model.__name__])
        ok_schema = (keys[(op.response_model, "serialization")]
                     if op.response_model is not None else {})
        ok_content: dict[str, Any] = {"application/json": {"schema": ok_schema}}
        if op.records:
            ok_content[NDJSON] = {"schema": {"type": "string"}}
        responses: dict[str, Any] = {
            str(op.success_status): {"description": "Successful Response", "content": ok_content}
        }
        for code, text in _ERRORS.items():
            ref = "HTTPValidationError" if code == "422" else "Problem"
            media = "application/json" if code == "422" else "application/problem+json"
            responses[code] = {"description": text, "content": {
                media: {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
        parameters: list[dict[str, Any]] = []
        if op.spends:
            parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                               "schema": {"type": "string", "minLength": 1,
                                          "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
                                          "pattern": "^[\\x21-\\x7e]+$"}})
        paths[op.op_path] = {"post": {
            "tags": ["operations"], "summary": op.summary, "operationId": op.id,
            "security": [{"HTTPBearer": []}, {"APIKeyHeader": []}],
            "parameters": parameters,
            "requestBody": {"required": _body_required(model),
                            "content": {"application/json": {"schema": request_ref}}},
            "responses": responses,
            "x-required-scope": op.scope,
            "x-side-effect": op.side_effect,
            "x-resource-path": op.resource_path,
        }}
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Geopera Operations (geopera-nb sandbox)", "version": __version__,
                 "description": "The embedded Geopera sandbox: Orders & Tasking operations "
                                "plus catalog.search. Every operation also answers at "
                                "POST /v1/{resource}/{action}."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "HTTPBearer": {"type": "http", "scheme": "bearer"},
            "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        }},
    }
    if server_url:
        doc["servers"] = [{"url": server_url}]
    return doc
