"""Request-body validation against the sandbox's own OpenAPI schemas.

Pydantic (the contract models) validates first, in lax mode, and gives its familiar
errors; the JSON Schema of ``/openapi.json`` is then checked too, so the server rejects
exactly what its document says is invalid (strings where numbers belong, patterns,
enums, bounds, ``minItems``) and a conformance tester finds no gap between the two.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import jsonschema

from geopera_nb.contract import OPERATIONS
from geopera_nb.contract.limits import VALIDATION_PROBLEMS_MAX

from ..domain.catalogue import Catalogue
from ..problems import Invalid
from .openapi import build_openapi


class BodySchemas:
    """Per-operation JSON Schema validators, built on first use from the OpenAPI document.

    Parameters
    ----------
    catalogue
        Gives the server's catalogue (it fills the ``dataProduct`` enums), called when
        the validators are first needed.
    """

    def __init__(self, catalogue: Callable[[], Catalogue]) -> None:
        self._catalogue = catalogue
        self._lock = threading.Lock()
        self._validators: dict[str, Any] | None = None
        self.document: dict[str, Any] | None = None

    def _build(self) -> dict[str, Any]:
        products = self._catalogue().products
        ids = {"all": list(products),
               "tasking": [k for k, v in products.items() if v.get("kind") == "tasking"]}
        doc = build_openapi(products=ids)
        self.document = doc
        out: dict[str, Any] = {}
        for op in OPERATIONS:
            content = doc["paths"][op.op_path]["post"]["requestBody"]["content"]
            schema = content["application/json"]["schema"]
            root = {**schema, "components": doc["components"]}
            out[op.id] = jsonschema.Draft202012Validator(root)
        return out

    def validators(self) -> dict[str, Any]:
        """Operation id -> validator."""
        if self._validators is None:
            with self._lock:
                if self._validators is None:
                    self._validators = self._build()
        return self._validators

    def check(self, operation_id: str, body: Any) -> None:
        """Raise a 422 :class:`~.errors.Invalid` when ``body`` breaks the documented schema."""
        validator = self.validators()[operation_id]
        errors = []
        for err in validator.iter_errors(body):
            loc: list[str | int] = ["body", *err.absolute_path]
            if err.validator == "required" and isinstance(err.instance, dict):
                missing = [k for k in err.validator_value if k not in err.instance]
                loc += missing[:1]
            elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
                allowed = set(err.schema.get("properties", {}))
                loc += [k for k in err.instance if k not in allowed][:1]
            errors.append({"loc": loc, "msg": err.message[:500],
                           "type": f"value_error.{err.validator}"})
            if len(errors) >= VALIDATION_PROBLEMS_MAX:
                break
        if errors:
            raise Invalid(errors)
