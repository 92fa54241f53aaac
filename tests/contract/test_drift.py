"""The contract table and models against ../shared/geopera-api: any drift fails.

Checked per operation: the operation set, scope (OpenAPI ``x-required-scope`` and the
reference's "Scope"), side effect (reference "Side-effect"), summary, success status,
request schema name (OpenAPI and reference), response model name. Checked per model:
field set, type (``anyOf [X, null]`` normalised; a non-required field without default
may be nullable in pydantic), default, required flag, constraints.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from geopera_nb.contract import OPERATIONS, OPERATIONS_BY_ID, Operation
from geopera_nb.contract.models import OPENAPI_MODELS

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "geopera-api"
OPENAPI_PATH = SHARED / "openapi-orders-subset.json"
REFERENCE_PATH = SHARED / "orders-and-tasking-reference.md"

pytestmark = pytest.mark.skipif(not OPENAPI_PATH.exists() or not REFERENCE_PATH.exists(),
                                reason="../shared/geopera-api is not present")

OP_ID = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def load_openapi() -> dict[str, Any]:
    return json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def parse_reference() -> dict[str, dict[str, Any]]:
    """The reference's operations: summary, scope, side effect, request, fields, response."""
    ops: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    lines = REFERENCE_PATH.read_text(encoding="utf-8").splitlines()
    for i, raw in enumerate(lines):
        line = raw.strip()
        if OP_ID.match(line):
            current = ops[line] = {"summary": lines[i + 1].strip(), "fields": {}}
            continue
        if current is None:
            continue
        if line.startswith("| Scope |"):
            current["scope"] = line.split("|")[2].strip()
        elif line.startswith("| Side-effect |"):
            current["side_effect"] = line.split("|")[2].strip().split()[0]
        elif line.startswith("Request — "):
            rest = line.removeprefix("Request — ")
            current["request"] = None if rest.startswith("a free-form") else rest.split()[0]
        elif line.startswith("Response — "):
            rest = line.removeprefix("Response — ")
            current["response"] = None if rest.startswith("a streaming") else rest.rstrip(".")
        elif "|" in line and not line.startswith("|") and "request" in current:
            cells = [c.strip() for c in line.split("|")]
            current["fields"][cells[0]] = {"type": cells[1], "required": cells[2] == "yes"}
    return ops


REFERENCE = parse_reference() if REFERENCE_PATH.exists() else {}
OPENAPI = load_openapi() if OPENAPI_PATH.exists() else {"paths": {}, "components": {"schemas": {}}}
SCHEMAS: dict[str, Any] = OPENAPI["components"]["schemas"]


def openapi_op(op_id: str) -> dict[str, Any]:
    return OPENAPI["paths"][f"/v1/op/{op_id}"]["post"]


def ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


# -- operations ---------------------------------------------------------------------


def test_operation_sets_match() -> None:
    assert set(REFERENCE) == {op.id for op in OPERATIONS if op.in_reference}
    assert len(REFERENCE) == 25
    openapi_ids = {v["post"]["operationId"] for v in OPENAPI["paths"].values()}
    assert openapi_ids == set(OPERATIONS_BY_ID)
    assert set(OPENAPI["paths"]) == {op.op_path for op in OPERATIONS}


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_scope_matches(op: Operation) -> None:
    assert openapi_op(op.id)["x-required-scope"] == op.scope
    if op.in_reference:
        assert REFERENCE[op.id]["scope"] == op.scope


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.in_reference], ids=lambda op: op.id)
def test_side_effect_summary_and_reference_request(op: Operation) -> None:
    ref = REFERENCE[op.id]
    assert ref["side_effect"] == op.side_effect
    assert ref["summary"] == op.summary
    assert ref["request"] == op.request_schema
    if "response" in ref:  # the two free-form placements name no response
        expected = op.response_model.__name__ if op.response_model is not None else None
        assert ref["response"] == expected
        assert (ref["response"] is None) == (op.response_kind == "payload")
    else:
        assert op.response_kind == "payload"


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.id)
def test_openapi_summary_status_and_schemas(op: Operation) -> None:
    spec = openapi_op(op.id)
    assert spec["summary"].rstrip(".") == op.summary.replace("’", "'").rstrip(".")
    success = [int(code) for code in spec["responses"] if code.startswith("2")]
    assert success == [op.success_status]
    body_schema = spec["requestBody"]["content"]["application/json"]["schema"]
    assert ref_name(body_schema) == op.request_schema
    if op.request_schema is None:  # free-form: any object or null
        assert {s.get("type") for s in body_schema["anyOf"]} == {"object", "null"}
    response_schema = spec["responses"][str(op.success_status)]["content"][
        "application/json"]["schema"]
    assert ref_name(response_schema) == (op.response_model.__name__ if op.response_model
                                         is not None else None)
    if op.request_model is not None:
        assert OPENAPI_MODELS[op.request_schema] is op.request_model  # type: ignore[index]


# -- models -------------------------------------------------------------------------

IGNORED_KEYS = {"title", "description", "examples", "default"}
#: our class name -> the OpenAPI schema name (e.g. ValidationErrorItem -> ValidationError)
SCHEMA_NAME = {model.__name__: name for name, model in OPENAPI_MODELS.items()}


def normalise(schema: Any) -> Any:
    """Comparable form of a property schema: no titles, refs by name, anyOf-null flagged."""
    if isinstance(schema, list):
        return [normalise(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in IGNORED_KEYS:
            continue
        if key == "$ref":
            name = value.rsplit("/", 1)[-1]
            out["$ref"] = SCHEMA_NAME.get(name, name)
        elif key == "additionalProperties" and value is True:
            continue  # the JSON Schema default
        elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            out[key] = float(value)
        else:
            out[key] = normalise(value)
    any_of = out.get("anyOf")
    if isinstance(any_of, list) and {"type": "null"} in any_of:
        rest = [s for s in any_of if s != {"type": "null"}]
        out.pop("anyOf")
        base = rest[0] if len(rest) == 1 else {"anyOf": rest}
        out = {**base, **out, "nullable": True}
    return out


def pydantic_properties(model: type[BaseModel]) -> tuple[dict[str, Any], set[str]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return schema.get("properties", {}), set(schema.get("required", []))


def model_drift(name: str, model: type[BaseModel], spec: dict[str, Any]) -> list[str]:
    """Every difference between a model and its OpenAPI schema (empty: no drift)."""
    problems: list[str] = []
    spec_props: dict[str, Any] = spec.get("properties", {})
    ours, our_required = pydantic_properties(model)
    if set(ours) != set(spec_props):
        problems.append(f"{name}: fields {sorted(ours)} != {sorted(spec_props)}")
    spec_required = set(spec.get("required", []))
    if our_required != spec_required:
        problems.append(f"{name}: required {sorted(our_required)} != {sorted(spec_required)}")
    for field in sorted(set(ours) & set(spec_props)):
        spec_prop = spec_props[field]
        a, b = normalise(ours[field]), normalise(spec_prop)
        info = model.model_fields[field]
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        if (field not in our_required and "default" not in spec_prop and default is None
                and a.get("nullable") and not b.get("nullable")):
            a.pop("nullable")  # a non-required field without default may be nullable here
        if a != b:
            problems.append(f"{name}.{field}: type/constraints {a} != {b}")
        if "default" in spec_prop:
            if info.is_required() or default != spec_prop["default"]:
                problems.append(f"{name}.{field}: default {default!r} != {spec_prop['default']!r}")
        elif field not in spec_required and default is not None:
            problems.append(f"{name}.{field}: OpenAPI has no default, ours {default!r}")
    return problems


@pytest.mark.parametrize("name", sorted(OPENAPI_MODELS))
def test_model_matches_openapi_schema(name: str) -> None:
    assert name in SCHEMAS, f"{name} is not in the OpenAPI document"
    assert model_drift(name, OPENAPI_MODELS[name], SCHEMAS[name]) == []


def test_the_drift_checker_catches_drift() -> None:
    from pydantic import Field, create_model

    spec = SCHEMAS["TemplateSaveInput"]
    base = OPENAPI_MODELS["TemplateSaveInput"]
    mutations = {
        "constraint": {"name": (str, Field(min_length=2, max_length=255))},
        "type": {"max_cloud_coverage": (float, 0)},
        "default": {"has_control": (bool, True)},
        "required": {"datum": (str | None, None)},
        "extra field": {"colour": (str | None, None)},
    }
    for label, change in mutations.items():
        mutated = create_model(f"Mutated{label.title().replace(' ', '')}", __base__=base,
                               **change)
        assert model_drift("TemplateSaveInput", mutated, spec), label


def test_all_openapi_schemas_have_models() -> None:
    assert set(SCHEMAS) == set(OPENAPI_MODELS)


REFERENCE_TYPES = {"string": "string", "integer": "integer", "boolean": "boolean",
                   "object": "object", "array of object": "array", "array of string": "array",
                   "number": "number"}


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.in_reference
                                and op.request_model is not None], ids=lambda op: op.id)
def test_reference_field_tables_match_models(op: Operation) -> None:
    fields = REFERENCE[op.id]["fields"]
    if not fields:  # "see the OpenAPI schema for fields"
        return
    assert op.request_model is not None
    props, required = pydantic_properties(op.request_model)
    assert set(fields) == set(props)
    for field, row in fields.items():
        assert row["required"] == (field in required), f"{op.id}.{field} required"
        ours = normalise(props[field])
        assert ours.get("type") == REFERENCE_TYPES[row["type"]], f"{op.id}.{field} type"
        if row["type"] == "array of string":
            assert ours["items"] == {"type": "string"}
        if row["type"] == "array of object":
            assert ours["items"].get("type") == "object"
