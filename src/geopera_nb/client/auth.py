"""How a request gets its ``Authorization`` header.

Three strategies, written sans-I/O: :meth:`Auth.flow` is a generator that *yields*
token requests and receives their responses, so the sync and the async transport drive
the same code (as ``httpx.Auth`` flows do).

- :class:`StaticAuth`: a ``gpra_`` API key or a given token, sent as ``Bearer``.
- :class:`ClientCredentialsAuth` (``oidc=True``): exchanges the API key for a JWT at
  ``{base}/realms/public/protocol/openid-connect/token`` (``client_id=geopera``,
  ``client_secret=<key>``), refreshes it before expiry with the refresh token (keeping
  the rotated one) and falls back to a new exchange when the refresh fails.
- :class:`ProfileOAuthAuth`: a CLI OAuth profile; refreshed near expiry with
  ``client_id=geopera-cli`` exactly as the CLI does, rotated tokens written back.

Every secret is a :class:`~geopera_nb.client.secret.Secret`; header values are built
inside :meth:`Auth.apply` only.

Examples
--------
>>> import httpx
>>> auth = StaticAuth(Secret("gpra_0123456789abcdef"))
>>> auth
StaticAuth(api_key gpra_…cdef)
>>> request = httpx.Request("POST", "https://api.geopera.com/v1/op/orders.get")
>>> auth.apply(request)
>>> request.headers["authorization"].startswith("Bearer gpra_")
True
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator
from typing import Any

import httpx
import orjson

from ..errors import CredentialsError
from .credentials import (
    CLI_CLIENT_ID,
    OIDC_CLIENT_ID,
    REFRESH_LEEWAY_SECONDS,
    Credentials,
    ProfileStore,
    token_url,
)
from .secret import Secret

__all__ = ["Auth", "ClientCredentialsAuth", "ProfileOAuthAuth", "StaticAuth", "auth_for"]

log = logging.getLogger("geopera_nb.client")

Flow = Generator[httpx.Request, httpx.Response, None]


def _form_request(url: str, data: dict[str, str]) -> httpx.Request:
    return httpx.Request("POST", url, data=data,
                         headers={"Accept": "application/json"})


def _token_payload(response: httpx.Response) -> dict[str, Any] | None:
    try:
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("access_token"), str):
        return None
    return payload


def _oauth_error(response: httpx.Response) -> str:
    """``error``/``error_description`` of a token error, never the request."""
    try:
        payload = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        payload = None
    if isinstance(payload, dict):
        parts = [str(payload[k]) for k in ("error", "error_description", "detail")
                 if isinstance(payload.get(k), str)]
        if parts:
            return ": ".join(parts)[:200]
    return response.reason_phrase or "no details"


class Auth:
    """Base strategy: a bearer secret, nothing to refresh."""

    #: True when a 401 may be cured by :meth:`invalidate` and one more attempt.
    refreshable = False

    def __init__(self, secret: Secret) -> None:
        self._secret = secret

    def flow(self) -> Flow:
        """Yield the token requests needed before the next API request (none here)."""
        return
        yield  # pragma: no cover - makes this a generator

    def apply(self, request: httpx.Request) -> None:
        """Set the ``Authorization`` header on an API request."""
        request.headers["Authorization"] = "Bearer " + self._secret.get_secret_value()

    def invalidate(self) -> None:
        """Forget the current access token (after a 401)."""

    def describe(self) -> str:
        """A masked one-line description for reprs."""
        kind = "api_key" if self._secret.is_api_key else "token"
        return f"{kind} {self._secret.masked}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


class StaticAuth(Auth):
    """A ``gpra_`` key or a given bearer token, sent as ``Authorization: Bearer``."""


class ClientCredentialsAuth(Auth):
    """OIDC ``client_credentials`` exchange of an API key, with refresh and rotation.

    Parameters
    ----------
    api_key
        The ``gpra_`` key, sent as ``client_secret``.
    base_url
        The API base URL; the token endpoint is under ``/realms/public/...``.
    client_id
        ``"geopera"``.
    leeway
        Refresh this many seconds before expiry.
    clock
        Wall clock (injectable for tests).
    """

    refreshable = True

    def __init__(
        self,
        api_key: Secret,
        base_url: str,
        *,
        client_id: str = OIDC_CLIENT_ID,
        leeway: float = REFRESH_LEEWAY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(api_key)
        self._url = token_url(base_url)
        self._client_id = client_id
        self._leeway = leeway
        self._clock = clock
        self._access: Secret | None = None
        self._access_expires = 0.0
        self._refresh: Secret | None = None
        self._refresh_expires = 0.0

    def describe(self) -> str:
        state = "token cached" if self._access is not None else "no token yet"
        return f"oidc client_credentials {self._secret.masked}, {state}"

    def _store(self, payload: dict[str, Any]) -> None:
        now = self._clock()
        self._access = Secret(payload["access_token"])
        self._access_expires = now + float(payload.get("expires_in") or 300)
        refresh = payload.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            self._refresh = Secret(refresh)  # rotation: the new one replaces the old
            self._refresh_expires = now + float(payload.get("refresh_expires_in") or 1800)

    def flow(self) -> Flow:
        now = self._clock()
        if self._access is not None and now < self._access_expires - self._leeway:
            return
        if self._refresh is not None and now < self._refresh_expires - self._leeway:
            response = yield _form_request(self._url, {
                "grant_type": "refresh_token",
                "refresh_token": self._refresh.get_secret_value(),
                "client_id": self._client_id,
                "client_secret": self._secret.get_secret_value(),
            })
            payload = _token_payload(response) if response.status_code == 200 else None
            if payload is not None:
                self._store(payload)
                log.debug("geopera: access token refreshed")
                return
            log.info("geopera: token refresh failed (HTTP %s); exchanging the key again",
                     response.status_code)
            self._refresh = None
        response = yield _form_request(self._url, {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret.get_secret_value(),
        })
        payload = _token_payload(response) if response.status_code == 200 else None
        if payload is None:
            raise CredentialsError(
                f"token exchange failed: HTTP {response.status_code} ({_oauth_error(response)})")
        self._store(payload)
        log.debug("geopera: API key exchanged for an access token")

    def apply(self, request: httpx.Request) -> None:
        if self._access is None:  # pragma: no cover - flow() always runs first
            raise CredentialsError("no access token: the token exchange did not run")
        request.headers["Authorization"] = "Bearer " + self._access.get_secret_value()

    def invalidate(self) -> None:
        self._access = None


class ProfileOAuthAuth(Auth):
    """A CLI OAuth profile: refreshed near expiry, rotated tokens written back.

    Mirrors ``geopera_cli.auth``: no ``expires_at`` means never refreshed proactively;
    a refresh uses ``grant_type=refresh_token`` with ``client_id=geopera-cli``; a
    response without a new refresh token keeps the old one; a 401 forces one refresh.
    """

    refreshable = True

    def __init__(
        self,
        creds: Credentials,
        *,
        client_id: str = CLI_CLIENT_ID,
        leeway: float = REFRESH_LEEWAY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(creds.secret)
        self._base_url = creds.base_url
        self._url = token_url(creds.base_url)
        self._refresh = creds.refresh_token
        self._expires_at = creds.expires_at
        self._scope = creds.scope
        self._store_to: ProfileStore | None = creds.store
        self._client_id = client_id
        self._leeway = leeway
        self._clock = clock
        self._forced = False

    def describe(self) -> str:
        where = self._store_to.profile if self._store_to else "?"
        return f"oauth profile {where!r} {self._secret.masked}"

    def _needs_refresh(self) -> bool:
        if self._forced:
            return True
        if not self._expires_at:
            return False
        return self._clock() >= self._expires_at - self._leeway

    def flow(self) -> Flow:
        if not self._needs_refresh():
            return
        if self._refresh is None:
            raise CredentialsError("session expired and no refresh token is stored; run "
                                   "'geopera login'")
        response = yield _form_request(self._url, {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh.get_secret_value(),
            "client_id": self._client_id,
        })
        payload = _token_payload(response) if response.status_code == 200 else None
        if payload is None:
            raise CredentialsError(
                f"token refresh failed (HTTP {response.status_code}: {_oauth_error(response)});"
                " your session may have been revoked: run 'geopera login'")
        self._secret = Secret(payload["access_token"])
        refresh = payload.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            self._refresh = Secret(refresh)
        expires_in = payload.get("expires_in")
        self._expires_at = self._clock() + float(expires_in) if expires_in else None
        self._scope = payload.get("scope", self._scope)
        self._forced = False
        log.debug("geopera: OAuth profile token refreshed")
        if self._store_to is not None:
            self._store_to.save_auth({
                "type": "oauth",
                "access_token": self._secret.get_secret_value(),
                "refresh_token": self._refresh.get_secret_value() if self._refresh else None,
                "expires_at": self._expires_at,
                "scope": self._scope or "openid profile",
                "issuer": self._base_url,
            }, self._base_url)

    def invalidate(self) -> None:
        self._forced = True


def auth_for(creds: Credentials, *, oidc: bool = False,
             clock: Callable[[], float] = time.time) -> Auth:
    """The strategy for resolved credentials.

    ``oidc=True`` needs an API key (it is the ``client_secret`` of the exchange).
    """
    if oidc:
        if creds.kind != "api_key":
            raise CredentialsError("oidc=True needs a gpra_ API key to exchange, not a "
                                   f"{creds.kind} credential")
        return ClientCredentialsAuth(creds.secret, creds.base_url, clock=clock)
    if creds.kind == "oauth":
        return ProfileOAuthAuth(creds, clock=clock)
    return StaticAuth(creds.secret)
