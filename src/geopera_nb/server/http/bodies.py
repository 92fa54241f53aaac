"""Request bodies: read within the size bound, parsed as JSON, validated against the
contract's model with the server's extra bounds (id lengths, integer ranges)."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from geopera_nb.contract import PLACE_BODY_MODELS, Operation
from geopera_nb.contract.limits import ID_MAX_LENGTH

from ..problems import Invalid, Problem, pydantic_errors

#: Integer ranges the server enforces beyond the contract models (documented in OpenAPI).
INT_BOUNDS: dict[tuple[str, str], tuple[int, int]] = {
    ("TemplateSaveInput", "max_cloud_coverage"): (0, 100),
    ("TemplateSaveInput", "max_nadir_angle"): (0, 90),
}


def _id_field(name: str) -> bool:
    return name.endswith(("_id", "Id")) or name == "dataProduct"


def body_model(op: Operation) -> type[BaseModel] | None:
    """The pydantic model that validates an operation's body."""
    return PLACE_BODY_MODELS.get(op.id) or op.request_model


async def read_json(request: Request, limit: int) -> Any:
    """The parsed JSON body (empty -> ``{}``); 413 over ``limit`` bytes, 422 if not JSON."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            too_big = int(declared) > limit
        except ValueError:
            too_big = False
        if too_big:
            raise Problem(413, f"request body larger than {limit} bytes")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise Problem(413, f"request body larger than {limit} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        return {}
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        msg = "body is not valid UTF-8" if "utf-8" in str(exc).lower() else "invalid JSON"
        raise Invalid.at(["body"], f"{msg}: {exc}", "json_invalid") from exc


def validate(model: type[BaseModel] | None, raw: Any, op: Operation) -> dict[str, Any]:
    """Validate ``raw`` against ``model``; answer the body with defaults (no ``None``s)."""
    if raw is None and op.id in PLACE_BODY_MODELS:
        raw = {}
    if not isinstance(raw, dict):
        raise Invalid.at(["body"], "body must be a JSON object", "dict_type")
    if model is None:
        return raw
    try:
        parsed = model.model_validate(raw)
    except ValidationError as exc:
        raise pydantic_errors(exc.errors(include_url=False, include_context=False)) from exc
    except RecursionError as exc:
        raise Invalid.at(["body"], "request body is nested too deeply") from exc
    body: dict[str, Any] = parsed.model_dump(exclude_none=True)
    for field, value in body.items():
        if _id_field(field) and isinstance(value, str) and len(value) > ID_MAX_LENGTH:
            raise Invalid.at(["body", field], f"{field} is longer than {ID_MAX_LENGTH} characters",
                             "string_too_long")
    for (name, field), (low, high) in INT_BOUNDS.items():
        if name == model.__name__ and not low <= body.get(field, low) <= high:
            raise Invalid.at(["body", field], f"{field} must be between {low} and {high}")
    return body


