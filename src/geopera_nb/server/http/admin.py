"""The sandbox administration API (admin token as Bearer; org credentials never pass).

- ``POST /sandbox/orgs {"name", "credits"}`` -> ``{"org_id", "workspace_id", "api_key"}``
- ``POST /sandbox/orgs/{org_id}/credits {"credits"}`` -> the org's balances
- ``GET /sandbox/orgs/{org_id}`` -> ``{"granted", "balance", "reserved", "charged"}``
- ``POST /sandbox/keys {"org_id", "scopes", "expires_in_hours"?}`` -> ``{"api_key", ...}``
- ``POST /sandbox/keys/revoke {"api_key"}`` -> ``{"revoked": true}``
- ``GET /sandbox/clock`` / ``POST /sandbox/clock/advance {"hours"}`` -> ``{"now"}``
- ``GET /sandbox/ping`` (no auth): the no-op route benchmarks compare against.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from geopera_nb.contract.limits import FORM_BODY_MAX_BYTES

from ..problems import Invalid, Problem
from ..service import admin, clock
from ..state.backend import Backend
from .bodies import read_json

_ADMIN_BODY_LIMIT = FORM_BODY_MAX_BYTES


def _ok(value: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json")


def _require_admin(backend: Backend, request: Request) -> None:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not backend.is_admin(token.strip()):
        raise Problem(401, "the sandbox admin API needs the admin token as Bearer",
                      headers={"WWW-Authenticate": "Bearer"})


async def _body(request: Request) -> dict[str, Any]:
    raw = await read_json(request, _ADMIN_BODY_LIMIT)
    if not isinstance(raw, dict):
        raise Invalid.at(["body"], "body must be a JSON object", "dict_type")
    return raw


def admin_routes(backend: Backend) -> list[Route]:
    """The admin routes (plus the unauthenticated ping)."""

    def guarded(fn: Callable[[Request], Awaitable[Response]]) -> Callable[..., Any]:
        async def endpoint(request: Request) -> Response:
            _require_admin(backend, request)
            return await fn(request)

        endpoint.__name__ = fn.__name__
        return endpoint

    async def create_org(request: Request) -> Response:
        body = await _body(request)
        result = await run_in_threadpool(admin.create_org, backend, body.get("name", "Sandbox org"),
                                         body.get("credits", 0))  # validated there
        return _ok(result, 201)

    async def grant(request: Request) -> Response:
        body = await _body(request)
        org_id = str(request.path_params["org_id"])
        credits: Any = body.get("credits")
        return _ok(await run_in_threadpool(admin.grant, backend, org_id, credits))

    async def org_ledger(request: Request) -> Response:
        return _ok(admin.balances(backend, str(request.path_params["org_id"])))

    async def create_key(request: Request) -> Response:
        body = await _body(request)
        org_id = body.get("org_id")
        if not isinstance(org_id, str):
            raise Invalid.at(["body", "org_id"], "org_id must be a string")
        result = await run_in_threadpool(admin.create_key, backend, org_id, body.get("scopes"),
                                         body.get("expires_in_hours"))
        return _ok(result, 201)

    async def revoke_key(request: Request) -> Response:
        body = await _body(request)
        api_key: Any = body.get("api_key")
        return _ok(await run_in_threadpool(admin.revoke_key, backend, api_key))

    async def clock_now(request: Request) -> Response:
        return _ok({"now": backend.now_iso})

    async def advance(request: Request) -> Response:
        body = await _body(request)
        hours = body.get("hours", 0)
        return _ok({"now": await run_in_threadpool(clock.advance, backend, hours)})

    async def ping(request: Request) -> Response:
        return Response(b'{"ok":true}', media_type="application/json")

    return [
        Route("/sandbox/ping", ping, methods=["GET"]),
        Route("/sandbox/orgs", guarded(create_org), methods=["POST"]),
        Route("/sandbox/orgs/{org_id}", guarded(org_ledger), methods=["GET"]),
        Route("/sandbox/orgs/{org_id}/credits", guarded(grant), methods=["POST"]),
        Route("/sandbox/keys", guarded(create_key), methods=["POST"]),
        Route("/sandbox/keys/revoke", guarded(revoke_key), methods=["POST"]),
        Route("/sandbox/clock", guarded(clock_now), methods=["GET"]),
        Route("/sandbox/clock/advance", guarded(advance), methods=["POST"]),
    ]
