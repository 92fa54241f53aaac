"""Spec conformance: schemathesis over the sandbox's own ``/openapi.json``.

Every operation the document lists (both URL forms), positive and negative generated
data, all default checks (server errors, status code / content type / response schema /
response header conformance, negative data rejection, missing required header, ignored
auth, unsupported methods, use-after-free where links exist), authenticated with a valid
full-scope key of each of two orgs. Bounded ``max_examples`` always; many more opt-in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from reliability_support import Admin, OrgCreds, SandboxHandle

#: Operations and calls made by the runs of this module (reported in docs/reliability.md).
FIGURES: dict[str, int] = {"calls": 0}

FAST = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=150, deadline=None, derandomize=False, database=None,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def conformance_orgs(admin: Admin) -> dict[str, OrgCreds]:
    return {name: admin.create_org(f"conformance-{name}", credits=10**10) for name in "AB"}


@pytest.fixture(scope="module")
def openapi_document(rel_sandbox: SandboxHandle) -> dict[str, Any]:
    r = httpx.get(f"{rel_sandbox.url}/openapi.json", timeout=60)
    assert r.status_code == 200, r.text
    document: dict[str, Any] = r.json()
    return document


@pytest.fixture(scope="module")
def api_schema(rel_sandbox: SandboxHandle, openapi_document: dict[str, Any]) -> Any:
    schema = schemathesis.openapi.from_dict(openapi_document)
    schema.config.update(base_url=rel_sandbox.url)
    return schema


@pytest.fixture(params=["A", "B"])
def auth_headers(request: pytest.FixtureRequest,
                 conformance_orgs: dict[str, OrgCreds]) -> Iterator[dict[str, str]]:
    yield {"Authorization": f"Bearer {conformance_orgs[request.param].api_key}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FAST
def test_every_operation_conforms(case: Any, auth_headers: dict[str, str]) -> None:
    FIGURES["calls"] += 1
    case.call_and_validate(headers=auth_headers)


@pytest.mark.slow
@schema.parametrize()
@LONG
def test_every_operation_conforms_long(case: Any, auth_headers: dict[str, str]) -> None:
    FIGURES["calls"] += 1
    case.call_and_validate(headers=auth_headers)


def test_openapi_lists_every_operation_in_both_forms(openapi_document: dict[str, Any]) -> None:
    from geopera_nb.contract import OPERATIONS

    paths = openapi_document["paths"]
    missing = [p for op in OPERATIONS for p in (op.op_path, op.resource_path) if p not in paths]
    assert not missing, missing
