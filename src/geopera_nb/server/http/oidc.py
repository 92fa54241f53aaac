"""The Keycloak-shaped realm endpoints: token, userinfo and logout.

``POST /realms/public/protocol/openid-connect/token`` (form-encoded) takes three grants:

- ``grant_type=client_credentials&client_id=geopera&client_secret=<API key>``;
- ``grant_type=refresh_token&refresh_token=...&client_id=...`` (the client the token
  was issued to; a rotated token presented again revokes its whole sign-in);
- ``grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=...&client_id=...
  &code_verifier=...`` (RFC 8628, see :mod:`.device`).

Errors follow RFC 6749 (``{"error", "error_description"}``) and also carry the problem
members. Every realm call counts against the ``oidc`` rate limit of its client address.
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
from ..service import device
from ..state.auth import CLIENT_IDS, OAuthError
from ..state.backend import Backend
from .bodies import FORM_MEDIA_TYPE, is_form_type, read_body

REALM = "/realms/public/protocol/openid-connect"
_FORM_LIMIT = FORM_BODY_MAX_BYTES
#: Most fields one OAuth form may hold (the grants use at most five).
_FORM_FIELDS = 50


def oauth_error(exc: OAuthError, headers: dict[str, str] | None = None) -> Response:
    """The RFC 6749 error answer (plus the problem members)."""
    body = Problem(exc.status, exc.description).to_dict()
    body.update(error=exc.error, error_description=exc.description)
    return Response(orjson.dumps(body), status_code=exc.status, media_type="application/json",
                    headers={"Cache-Control": "no-store", **(headers or {})})


def client_address(request: Request) -> str:
    """The peer address the ``oidc`` rate limit counts against."""
    return request.client.host if request.client is not None else "unknown"


def limit_client(backend: Backend, request: Request) -> None:
    """Count one realm call against the client address's ``oidc`` bucket (429 past it)."""
    backend.limiter.hit_client(client_address(request))


async def read_form(request: Request) -> dict[str, str]:
    """The form fields (first value of each); 415 for a body that is not a form."""
    data = await read_body(request, _FORM_LIMIT, is_form_type, FORM_MEDIA_TYPE)
    try:
        parsed = parse_qs(data.decode("utf-8"), keep_blank_values=True,
                          max_num_fields=_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items() if v}


def _client_id(form: dict[str, str]) -> str:
    client_id = form.get("client_id", "")
    if not client_id:
        raise OAuthError(401, "invalid_client", "client_id is required")
    if client_id not in CLIENT_IDS:
        raise OAuthError(401, "invalid_client", "unknown client_id")
    return client_id


def _issue(backend: Backend, form: dict[str, str]) -> dict[str, Any]:
    grant = form.get("grant_type", "")
    now = backend.now_ms
    auth = backend.auth
    if grant == "client_credentials":
        client_id = _client_id(form)
        principal = auth.principal_for_key(form.get("client_secret", ""), now)
        if principal is None:
            raise OAuthError(401, "invalid_client", "invalid client credentials")
        with backend.write() as tx:
            return auth.issue_tokens(tx, principal, client_id)
    if grant == "refresh_token":
        refresh = form.get("refresh_token", "")
        if not refresh:
            raise OAuthError(400, "invalid_request", "refresh_token is required")
        client_id = _client_id(form)
        with backend.write() as tx:  # committed even on reuse: the revocation must stick
            got = auth.redeem_refresh(tx, refresh, client_id, now)
            if got.error is None and got.principal is not None:
                return auth.issue_tokens(tx, got.principal, client_id, got.family)
        assert got.error is not None
        raise got.error
    if grant == device.DEVICE_GRANT:
        return device.poll(backend, _client_id(form), form.get("device_code", ""),
                           form.get("code_verifier"))
    raise OAuthError(400, "unsupported_grant_type",
                     "grant_type must be client_credentials, refresh_token or "
                     + device.DEVICE_GRANT)


def _logout(backend: Backend, refresh: str, client_id: str) -> None:
    with backend.write() as tx:
        backend.auth.logout(tx, refresh, client_id)


def _tokens(result: dict[str, Any]) -> Response:
    return Response(orjson.dumps(result), media_type="application/json",
                    headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def oidc_routes(backend: Backend) -> list[Route]:
    """The token, userinfo and logout routes."""

    async def token(request: Request) -> Response:
        limit_client(backend, request)
        form = await read_form(request)
        try:
            result = await run_in_threadpool(_issue, backend, form)
        except OAuthError as exc:
            return oauth_error(exc)
        return _tokens(result)

    async def userinfo(request: Request) -> Response:
        limit_client(backend, request)
        principal = backend.auth.authenticate(request.headers.get("authorization"),
                                              request.headers.get("x-api-key"), backend.now_ms)
        return Response(orjson.dumps(principal.claims()), media_type="application/json")

    async def logout(request: Request) -> Response:
        """RP-initiated logout: the sign-in of ``refresh_token`` ends (204 whatever it was)."""
        limit_client(backend, request)
        form = await read_form(request)
        refresh = form.get("refresh_token", "")
        if refresh:
            await run_in_threadpool(_logout, backend, refresh, form.get("client_id", ""))
        return Response(status_code=204)

    return [
        Route(f"{REALM}/token", token, methods=["POST"]),
        Route(f"{REALM}/userinfo", userinfo, methods=["GET", "POST"]),
        Route(f"{REALM}/logout", logout, methods=["POST"]),
    ]
