"""The Keycloak-shaped realm endpoints: token (client_credentials, refresh) and userinfo.

``POST /realms/public/protocol/openid-connect/token`` (form-encoded):
``grant_type=client_credentials&client_id=geopera&client_secret=<API key>`` or
``grant_type=refresh_token&refresh_token=...``. Errors follow RFC 6749
(``{"error", "error_description"}``) and also carry the problem members.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from geopera_nb.contract.limits import FORM_BODY_MAX_BYTES

from ..problems import Problem
from ..state.auth import CLIENT_IDS
from ..state.backend import Backend

REALM = "/realms/public/protocol/openid-connect"
_FORM_LIMIT = FORM_BODY_MAX_BYTES


def _oauth_error(status: int, error: str, description: str) -> Response:
    body = Problem(status, description).to_dict()
    body.update(error=error, error_description=description)
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store"})


async def _form(request: Request) -> dict[str, str]:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > _FORM_LIMIT:
            raise Problem(413, "form body too large")
    try:
        parsed = parse_qs(data.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items() if v}


def _issue(backend: Backend, form: dict[str, str]) -> dict[str, Any] | Response:
    grant = form.get("grant_type", "")
    now = backend.now_ms
    if grant == "client_credentials":
        if form.get("client_id") not in CLIENT_IDS:
            return _oauth_error(401, "invalid_client", "unknown client_id")
        principal = backend.auth.principal_for_key(form.get("client_secret", ""), now)
        if principal is None:
            return _oauth_error(401, "invalid_client", "invalid client credentials")
        with backend.write() as tx:
            return backend.auth.issue_tokens(tx, principal, now)
    if grant == "refresh_token":
        refresh = form.get("refresh_token", "")
        if not refresh:
            return _oauth_error(400, "invalid_request", "refresh_token is required")
        try:
            with backend.write() as tx:
                principal = backend.auth.redeem_refresh(tx, refresh, now)
                return backend.auth.issue_tokens(tx, principal, now)
        except Problem as exc:
            return _oauth_error(400, "invalid_grant", exc.detail)
    return _oauth_error(400, "unsupported_grant_type",
                        "grant_type must be client_credentials or refresh_token")


def oidc_routes(backend: Backend) -> list[Route]:
    """The token and userinfo routes."""

    async def token(request: Request) -> Response:
        form = await _form(request)
        result = await run_in_threadpool(_issue, backend, form)
        if isinstance(result, Response):
            return result
        return Response(orjson.dumps(result), media_type="application/json",
                        headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def userinfo(request: Request) -> Response:
        principal = backend.auth.authenticate(request.headers.get("authorization"),
                                              request.headers.get("x-api-key"), backend.now_ms)
        return Response(orjson.dumps(principal.claims()), media_type="application/json")

    async def logout(request: Request) -> Response:
        await _form(request)
        return Response(status_code=204)

    return [
        Route(f"{REALM}/token", token, methods=["POST"]),
        Route(f"{REALM}/userinfo", userinfo, methods=["GET", "POST"]),
        Route(f"{REALM}/logout", logout, methods=["POST"]),
    ]
