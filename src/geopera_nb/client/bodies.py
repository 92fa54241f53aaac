"""Request bodies: AOI arguments coerced, fields validated locally, nothing else sent.

:func:`prepare_body` runs before any request:

1. AOI-bearing fields become GeoJSON: ``featureCollection`` (top level and inside each
   item of ``groups`` / ``captures``) through
   :func:`geopera_nb.geo.to_feature_collection`, ``intersects`` through
   :func:`geopera_nb.geo.to_geometry`;
2. the body is validated with the operation's contract model (the two free-form
   ``*.place`` operations with :data:`geopera_nb.contract.PLACE_BODY_MODELS`, liberally:
   extra keys pass); a typo or a bad type raises
   :class:`~geopera_nb.errors.RequestValidationError` naming the field;
3. only the fields the caller gave are sent (``exclude_unset``).

Examples
--------
>>> from geopera_nb.contract import OPERATIONS_BY_ID
>>> prepare_body(OPERATIONS_BY_ID["orders.list"], {"status": "PLACED"})
{'status': 'PLACED'}
>>> prepare_body(OPERATIONS_BY_ID["orders.get"], {"orderId": "x"})
Traceback (most recent call last):
...
geopera_nb.errors.RequestValidationError: orders.get: unexpected keyword 'orderId' (did you mean 'order_id'?); missing required keyword 'order_id'
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict

from ..contract import PLACE_BODY_MODELS, Operation
from ..errors import AOIError, RequestValidationError
from ..geo import to_feature_collection, to_geometry

__all__ = ["AOI_FIELDS", "body_model", "is_liberal", "prepare_body"]

#: Body fields holding an AOI at the top level -> converter.
AOI_FIELDS = {"featureCollection": to_feature_collection, "intersects": to_geometry}
#: List fields whose items may carry a ``featureCollection``.
AOI_ITEM_LISTS = ("groups", "captures")


@cache
def _liberal(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` with unknown keys allowed (for the free-form placement bodies)."""
    liberal: type[BaseModel] = type(
        f"{model.__name__}Liberal", (model,),
        {"model_config": ConfigDict(extra="allow", populate_by_name=True),
         "__module__": __name__, "__doc__": model.__doc__},
    )
    return liberal


def body_model(op: Operation) -> type[BaseModel]:
    """The model that validates ``op``'s body."""
    if op.request_model is not None:
        return op.request_model
    return _liberal(PLACE_BODY_MODELS[op.id])


def is_liberal(op: Operation) -> bool:
    """True when ``op``'s body is free-form in the OpenAPI document (extra keys pass)."""
    return op.request_model is None


def _coerce_aoi(op: Operation, body: dict[str, Any]) -> dict[str, Any]:
    out = dict(body)
    for name, convert in AOI_FIELDS.items():
        value = out.get(name)
        if name in out and value is not None and not _is_empty_mapping(value):
            out[name] = _convert(op, convert, value, name)
    for list_name in AOI_ITEM_LISTS:
        items = out.get(list_name)
        if not isinstance(items, list | tuple):
            continue
        converted: list[Any] = []
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and item.get("featureCollection") is not None:
                item = dict(item)
                item["featureCollection"] = _convert(
                    op, to_feature_collection, item["featureCollection"],
                    f"{list_name}[{i}].featureCollection")
            converted.append(item)
        out[list_name] = converted
    return out


def _is_empty_mapping(value: Any) -> bool:
    return isinstance(value, Mapping) and not value


def _convert(op: Operation, convert: Any, value: Any, where: str) -> Any:
    try:
        return convert(value, where=where)
    except AOIError as exc:
        raise AOIError(f"{op.id}: {exc}", fields=[where], operation=op.id) from None


def _loc_text(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(op: Operation, model: type[BaseModel], exc: pydantic.ValidationError
              ) -> RequestValidationError:
    known = list(model.model_fields)
    messages: list[str] = []
    fields: list[str] = []
    items: list[dict[str, Any]] = []
    order = {"extra_forbidden": 0, "missing": 1}
    errors = sorted(exc.errors(include_input=False, include_url=False),
                    key=lambda e: order.get(e["type"], 2))
    for error in errors:
        loc = tuple(error["loc"])
        where = _loc_text(loc) or "(body)"
        fields.append(where)
        items.append({"loc": list(loc), "msg": error["msg"], "type": error["type"]})
        if error["type"] == "extra_forbidden" and len(loc) == 1:
            hint = difflib.get_close_matches(str(loc[0]), known, n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else (
                f" (known: {', '.join(known)})" if known else " (this operation takes none)")
            messages.append(f"unexpected keyword {where!r}{suggestion}")
        elif error["type"] == "missing" and len(loc) == 1:
            messages.append(f"missing required keyword {where!r}")
        else:
            messages.append(f"{where!r}: {error['msg']}")
    return RequestValidationError(f"{op.id}: " + "; ".join(messages), fields=fields,
                                  errors=items, operation=op.id)


def prepare_body(op: Operation, fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate and serialise the body of ``op`` from the caller's keyword arguments.

    Parameters
    ----------
    op
        The contract row.
    fields
        The body fields given by the caller (``None``: an empty body).

    Returns
    -------
    dict
        The JSON body: only the given fields, AOIs as GeoJSON.

    Raises
    ------
    geopera_nb.errors.RequestValidationError
        Unknown field, missing required field, wrong type or bad AOI (named).
    """
    if fields is None:
        fields = {}
    if not isinstance(fields, Mapping):
        raise RequestValidationError(
            f"{op.id}: the body must be a mapping of field names, got {type(fields).__name__}",
            operation=op.id)
    bad_keys = [k for k in fields if not isinstance(k, str)]
    if bad_keys:
        raise RequestValidationError(f"{op.id}: body keys must be strings, got {bad_keys[:3]!r}",
                                     operation=op.id)
    model = body_model(op)
    body = _coerce_aoi(op, dict(fields))
    try:
        validated = model.model_validate(body)
    except pydantic.ValidationError as exc:
        raise _describe(op, model, exc) from None
    dumped: dict[str, Any] = validated.model_dump(mode="json", exclude_unset=True)
    return dumped
