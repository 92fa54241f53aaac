"""The device login routes (RFC 8628): authorization request, verification page, admin approval.

- ``POST /realms/public/protocol/openid-connect/auth/device`` (form: ``client_id``,
  ``scope``, ``code_challenge``, ``code_challenge_method=S256``) -> ``{"device_code",
  "user_code", "verification_uri", "verification_uri_complete", "expires_in",
  "interval"}``;
- ``GET /realms/public/device?user_code=...``: the verification page, where a person
  approves or denies the code with one of the org's API keys
  (``POST /realms/public/device``, form ``user_code``, ``api_key``, ``action``);
- ``POST /sandbox/device/approve`` (admin token): ``{"user_code", "org_id" | "api_key",
  "scopes"?, "deny"?}`` approves (or denies) for an org, as ``geopera-nb sandbox
  approve CODE`` does.

The token endpoint's ``device_code`` grant is in :mod:`.oidc`; the behaviour in
:mod:`..service.device`.
"""

from __future__ import annotations

import html

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..problems import Problem
from ..service import device
from ..state.auth import CLIENT_IDS, OAuthError
from ..state.backend import Backend
from .admin import _body as admin_body
from .admin import _require_admin as require_admin
from .oidc import REALM, limit_client, oauth_error, read_form

#: Where the verification page lives (Keycloak's place for it).
VERIFY_PATH = "/realms/public/device"
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _page(title: str, body: str, status: int = 200) -> Response:
    doc = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
           "<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}"
           "input{font-size:1.2em;margin:.3em 0;width:100%}button{font-size:1.1em;"
           "margin:.5em .5em 0 0}</style></head>"
           f"<body><h1>Geopera sandbox sign-in</h1>{body}</body></html>")
    return Response(doc, status_code=status, media_type="text/html", headers=_PAGE_HEADERS)


def _form_page(user_code: str, message: str = "", status: int = 200) -> Response:
    note = f"<p><strong>{html.escape(message)}</strong></p>" if message else ""
    body = (f"{note}<p>A program asks to sign in to this sandbox. Check that the code it "
            "shows is the code below, then approve with one of your organisation's API "
            "keys (it is not stored; the program gets its own tokens).</p>"
            f'<form method=post action="{VERIFY_PATH}">'
            "<label>Code<input name=user_code autocomplete=off required "
            f'value="{html.escape(user_code)}"></label>'
            "<label>API key<input name=api_key type=password autocomplete=off></label>"
            "<button name=action value=approve>Approve</button>"
            "<button name=action value=deny>Deny</button></form>")
    return _page("Approve sign-in", body, status)


def device_routes(backend: Backend) -> list[Route]:
    """The device authorization, verification page and admin approval routes."""

    async def authorize(request: Request) -> Response:
        limit_client(backend, request)
        form = await read_form(request)
        client_id = form.get("client_id", "")
        if client_id not in CLIENT_IDS:
            return oauth_error(OAuthError(401, "invalid_client", "unknown client_id"))
        # from the configured public URL, never the request's Host header (a login link
        # must point at this server whatever a client or proxy claims)
        uri = backend.config.base_url + VERIFY_PATH
        try:
            result = await run_in_threadpool(device.authorize, backend, client_id, form, uri)
        except OAuthError as exc:
            return oauth_error(exc)
        return Response(orjson.dumps(result), media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    async def verify_page(request: Request) -> Response:
        code = request.query_params.get("user_code", "")
        return _form_page(device.normalise_user_code(code) or "")

    async def verify_submit(request: Request) -> Response:
        limit_client(backend, request)  # the page checks API keys: no guessing at speed
        form = await read_form(request)
        typed = form.get("user_code", "")
        shown = device.normalise_user_code(typed) or ""
        try:
            if form.get("action") == "deny":
                await run_in_threadpool(device.decide, backend, typed, None)
                return _page("Sign-in denied", "<p>Denied. The program will not be signed "
                                               "in; you can close this page.</p>")
            await run_in_threadpool(device.approve_with_key, backend, typed,
                                    form.get("api_key", ""))
        except Problem as exc:
            return _form_page(shown, exc.detail, exc.status)
        return _page("Signed in", "<p>Approved. Return to the program; you can close this "
                                  "page.</p>")

    async def admin_approve(request: Request) -> Response:
        require_admin(backend, request)
        body = await admin_body(request)
        result = await run_in_threadpool(device.admin_decide, backend, body)
        return Response(orjson.dumps(result), media_type="application/json")

    return [
        Route(f"{REALM}/auth/device", authorize, methods=["POST"]),
        Route(VERIFY_PATH, verify_page, methods=["GET"]),
        Route(VERIFY_PATH, verify_submit, methods=["POST"]),
        Route("/sandbox/device/approve", admin_approve, methods=["POST"]),
    ]
