"""Request bodies: read within the size and time bounds, parsed as JSON, validated
against the contract's model with the server's extra bounds (id lengths, integer ranges).

What is refused, before any handler runs:

- a ``Content-Type`` that is not JSON (``application/json`` or ``application/*+json``;
  none at all is read as JSON): 415;
- more than the body limit: 413 (as declared by ``Content-Length``, or as it arrives);
- a body still incomplete :data:`BODY_TIMEOUT_S` after the headers: 408, and the
  connection is closed;
- not JSON, or not UTF-8: 422 at ``["body"]``;
- a value of the wrong JSON type, with no coercion: ``1.0``, ``"1"`` or ``true`` for an
  integer (``page``, ``size``, ...), ``1`` for a boolean: 422 at the member.

A client that disconnects mid-body raises starlette's ``ClientDisconnect``: the app logs
it in one INFO line and answers nothing (nobody is listening).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from geopera_nb.contract import PLACE_BODY_MODELS, Operation
from geopera_nb.contract.limits import ID_MAX_LENGTH, REQUEST_BODY_TIMEOUT_S

from ..problems import Invalid, Problem, pydantic_errors

#: Seconds a body may take to arrive after the headers (module-level so tests can shorten it).
BODY_TIMEOUT_S = REQUEST_BODY_TIMEOUT_S
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


def media_type(request: Request) -> str | None:
    """The request's media type, lower case, without parameters (``None``: no header)."""
    value = request.headers.get("content-type")
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower()


def is_json_type(kind: str) -> bool:
    """``application/json`` or a structured ``application/*+json`` type.

    Examples
    --------
    >>> is_json_type("application/json"), is_json_type("application/merge-patch+json")
    (True, True)
    >>> is_json_type("text/plain")
    False
    """
    return kind == "application/json" or (kind.startswith("application/")
                                          and kind.endswith("+json"))


def is_form_type(kind: str) -> bool:
    """``application/x-www-form-urlencoded`` (the OAuth endpoints' bodies)."""
    return kind == FORM_MEDIA_TYPE


async def read_body(request: Request, limit: int, accepts: Callable[[str], bool],
                    expected: str) -> bytes:
    """The raw body: 415 for a ``Content-Type`` ``accepts`` refuses, 413 over ``limit``
    bytes, 408 when it is not complete within :data:`BODY_TIMEOUT_S`.

    ``expected`` names the accepted type in the 415 message.
    """
    kind = media_type(request)
    if kind is not None and kind != "" and not accepts(kind):
        raise Problem(415, f"Content-Type {kind[:100]!r} is not accepted here: send {expected}")
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
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            async for chunk in request.stream():
                total += len(chunk)
                if total > limit:
                    raise Problem(413, f"request body larger than {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise Problem(408, f"request body not received within {BODY_TIMEOUT_S:g} s",
                      headers={"Connection": "close"}) from None
    return b"".join(chunks)


def body_model(op: Operation) -> type[BaseModel] | None:
    """The pydantic model that validates an operation's body."""
    return PLACE_BODY_MODELS.get(op.id) or op.request_model


async def read_json(request: Request, limit: int) -> Any:
    """The parsed JSON body (empty -> ``{}``); 415 / 413 / 408 as :func:`read_body`,
    422 if not JSON."""
    data = await read_body(request, limit, is_json_type, "application/json")
    if not data.strip():
        return {}
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        msg = "body is not valid UTF-8" if "utf-8" in str(exc).lower() else "invalid JSON"
        raise Invalid.at(["body"], f"{msg}: {exc}", "json_invalid") from exc


#: Integer ranges the server enforces beyond the contract models (documented in OpenAPI).
INT_BOUNDS: dict[tuple[str, str], tuple[int, int]] = {
    ("TemplateSaveInput", "max_cloud_coverage"): (0, 100),
    ("TemplateSaveInput", "max_nadir_angle"): (0, 90),
}


def _id_field(name: str) -> bool:
    return name.endswith(("_id", "Id")) or name == "dataProduct"


def validate(model: type[BaseModel] | None, raw: Any, op: Operation) -> dict[str, Any]:
    """Validate ``raw`` against ``model``; answer the body with defaults (no ``None``s)."""
    if raw is None and op.id in PLACE_BODY_MODELS:
        raw = {}
    if not isinstance(raw, dict):
        raise Invalid.at(["body"], "body must be a JSON object", "dict_type")
    if model is None:
        return raw
    try:
        # strict: a JSON body is typed already; 1.0, "1" or true are not integers
        parsed = model.model_validate(raw, strict=True)
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


